/*
 * Where fetched mail goes: a Maildir, an mbox file, or a directory of
 * .eml files.  A message is stored in three steps -- begin, write the
 * chunks, commit -- and only a commit that returned 0 means the message
 * is on disk durably (written, fsync'd, in its final place), so only then
 * may it be deleted from the server.  abort undoes a message half written.
 */
#ifndef POP3TOOL_STORE_H
#define POP3TOOL_STORE_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

typedef struct tool_store tool_store;

typedef struct tool_store_ops {
    /* uid: the message's UID when known and valid, else NULL. */
    int (*begin)(tool_store *s, const char *uid);
    int (*write)(tool_store *s, const char *data, size_t len);
    /* On success, `where` names the file the message went to. */
    int (*commit)(tool_store *s, char *where, size_t where_len);
    void (*abort)(tool_store *s);
    void (*close)(tool_store *s);
} tool_store_ops;

struct tool_store {
    const tool_store_ops *ops;
    char err[600]; /* what went wrong, after a call returned -1 */
};

/* Each opens (creating what is missing) or returns NULL with a message
 * in err. */
tool_store *tool_store_maildir_open(const char *dir, char *err,
                                    size_t err_len);
tool_store *tool_store_mbox_open(const char *path, char *err,
                                 size_t err_len);
tool_store *tool_store_eml_open(const char *dir, char *err, size_t err_len);

/* store_util.c */

/* CRLF to LF across chunk boundaries (a CR at a chunk's end is held back
 * until the next byte shows whether an LF follows). */
typedef struct tool_lf {
    int pending_cr;
} tool_lf;
/* Convert len bytes of in to out (room for len + 1); returns out's
 * length. */
size_t tool_lf_convert(tool_lf *st, const char *in, size_t len, char *out);
/* At the end: 1 and a lone "\r" in out[0] when one was held back. */
size_t tool_lf_flush(tool_lf *st, char *out);

/* mkdir -p, each directory created with mode. */
int tool_mkdir_p(const char *path, mode_t mode);
/* fsync a directory, so a rename or link in it is durable. */
int tool_fsync_dir(const char *dir);
/* fflush, fsync and fclose; -1 (errno set) if any failed. */
int tool_close_durably(FILE *f);
/* err = "what PATH: strerror(errno)". */
void tool_store_errno(char *err, size_t len, const char *what,
                      const char *path);

#endif /* POP3TOOL_STORE_H */
