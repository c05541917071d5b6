/*
 * The UIDL state file: the UIDs of messages already stored, one a line,
 * per account.  Each stored message is appended (and fsync'd) at once; at
 * the end of a run the file is rewritten atomically (temporary file,
 * fsync, rename) with only what is still needed.  A line cut short by a
 * crash has no line end and is ignored when read.
 */
#ifndef POP3TOOL_STATE_H
#define POP3TOOL_STATE_H

#include <pop3/pop3.h>

#include <stddef.h>

/* $XDG_STATE_HOME/pop3/USER@HOST_PORT.HASH (or ~/.local/state/...), with
 * anything unusual in the name percent-encoded; HASH is of the
 * destination's absolute path, so one account fetched into two places
 * keeps two states.  malloc'd, NULL when no home directory is known. */
char *tool_state_default_path(const char *user, const char *host,
                              unsigned int port, const char *dest);

/* Add every valid UID of the file to `sync` as seen (a missing file is an
 * empty state).  *bad_out counts lines that were not valid UIDs, *torn_out
 * whether the last line had no line end.  0, or -1 with err. */
int tool_state_load(const char *path, pop3_uidsync *sync, size_t *bad_out,
                    int *torn_out, char *err, size_t err_len);

/* Append one UID and fsync.  0, or -1 with err. */
int tool_state_append(const char *path, const char *uid, char *err,
                      size_t err_len);

/* Replace the file atomically with these UIDs.  0, or -1 with err. */
int tool_state_write(const char *path, const char *const *uids, size_t n,
                     char *err, size_t err_len);

#endif /* POP3TOOL_STATE_H */
