/*
 * A directory of .eml files, one message each, bytes exactly as the
 * server sent them (CRLF line ends).  The file is named after the UID's
 * filename-safe form (pop3_uid_safe_name), so a UID such as "../x" stays
 * inside the directory; a message without a usable UID gets a unique name.
 * Written to a hidden temporary name, fsync'd, then linked into place:
 * an existing file is never replaced.
 */
#include "store.h"
#include "pop3tool.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct eml_store {
    tool_store base;
    char *dir;
    unsigned long counter;
    FILE *f;
    char tmp_path[4096];
    char stem[POP3_UID_SAFE_SIZE + 64];
} eml_store;

static int eml_begin(tool_store *base, const char *uid)
{
    eml_store *s = (eml_store *)base;
    int fd;

    s->counter++;
    if (uid == NULL ||
        pop3_uid_safe_name(uid, strlen(uid), s->stem, sizeof s->stem) !=
            POP3_OK)
        snprintf(s->stem, sizeof s->stem, "msg-%lld-%ld-%lu",
                 (long long)time(NULL), (long)getpid(), s->counter);
    snprintf(s->tmp_path, sizeof s->tmp_path, "%s/.pop3-tmp.%ld.%lu",
             s->dir, (long)getpid(), s->counter);
    fd = open(s->tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || (s->f = fdopen(fd, "w")) == NULL) {
        tool_store_errno(base->err, sizeof base->err, "create",
                         s->tmp_path);
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return 0;
}

static int eml_write(tool_store *base, const char *data, size_t len)
{
    eml_store *s = (eml_store *)base;

    if (fwrite(data, 1, len, s->f) != len) {
        tool_store_errno(base->err, sizeof base->err, "write", s->tmp_path);
        return -1;
    }
    return 0;
}

static void eml_abort(tool_store *base)
{
    eml_store *s = (eml_store *)base;

    if (s->f != NULL) {
        fclose(s->f);
        s->f = NULL;
        unlink(s->tmp_path);
    }
}

static int eml_commit(tool_store *base, char *where, size_t where_len)
{
    eml_store *s = (eml_store *)base;
    char final[4096 + 64];
    FILE *f = s->f;
    int i;

    s->f = NULL;
    if (tool_close_durably(f) != 0) {
        tool_store_errno(base->err, sizeof base->err, "write", s->tmp_path);
        unlink(s->tmp_path);
        return -1;
    }
    /* "uid.eml", or "uid-1.eml"... when a file has that name already. */
    for (i = 0; i < 1000; i++) {
        if (i == 0)
            snprintf(final, sizeof final, "%s/%s.eml", s->dir, s->stem);
        else
            snprintf(final, sizeof final, "%s/%s-%d.eml", s->dir, s->stem,
                     i);
        if (link(s->tmp_path, final) == 0)
            break;
        if (errno != EEXIST) {
            tool_store_errno(base->err, sizeof base->err, "store", final);
            unlink(s->tmp_path);
            return -1;
        }
    }
    unlink(s->tmp_path);
    if (i == 1000) {
        snprintf(base->err, sizeof base->err, "store %.400s: too many files"
                 " of that name", final);
        return -1;
    }
    if (tool_fsync_dir(s->dir) != 0) {
        tool_store_errno(base->err, sizeof base->err, "fsync", s->dir);
        return -1;
    }
    snprintf(where, where_len, "%s", final);
    return 0;
}

static void eml_close(tool_store *base)
{
    eml_store *s = (eml_store *)base;

    eml_abort(base);
    free(s->dir);
    free(s);
}

static const tool_store_ops eml_ops = {eml_begin, eml_write, eml_commit,
                                       eml_abort, eml_close};

tool_store *tool_store_eml_open(const char *dir, char *err, size_t err_len)
{
    eml_store *s = calloc(1, sizeof *s);

    if (s == NULL || (s->dir = strdup(dir)) == NULL) {
        snprintf(err, err_len, "out of memory");
        free(s);
        return NULL;
    }
    s->base.ops = &eml_ops;
    if (tool_mkdir_p(dir, 0700) != 0) {
        tool_store_errno(err, err_len, "create directory", dir);
        eml_close(&s->base);
        return NULL;
    }
    return &s->base;
}
