/*
 * An mbox file in the mboxrd form: each message starts with a "From "
 * line and ends with an empty line; a body line matching ^>*From  gets
 * one more ">" so readers can undo it exactly.  Lines end in LF.  The file
 * is locked with fcntl() for the whole run; a message that fails half way
 * is cut off again (ftruncate), so the file never keeps a partial one.
 */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CHUNK 65536

typedef struct mbox_store {
    tool_store base;
    char *path;
    int fd;
    FILE *f;
    off_t start; /* size before the message in progress */
    tool_lf lf;
    char *buf;
    /* mboxrd quoting at the start of each line */
    int at_bol, scanning;
    size_t gts, matched;
    char last; /* last byte written of the message */
} mbox_store;

static const char FROM[] = "From ";

static int put(mbox_store *s, const char *data, size_t len)
{
    if (len > 0 && fwrite(data, 1, len, s->f) != len) {
        tool_store_errno(s->base.err, sizeof s->base.err, "write", s->path);
        return -1;
    }
    if (len > 0)
        s->last = data[len - 1];
    return 0;
}

/* Write what a line start held back: its ">"s and part of "From ". */
static int flush_scan(mbox_store *s, int quote)
{
    size_t i;

    for (i = 0; i < s->gts + (size_t)quote; i++)
        if (put(s, ">", 1) != 0)
            return -1;
    if (put(s, FROM, s->matched) != 0)
        return -1;
    s->scanning = 0;
    s->gts = s->matched = 0;
    return 0;
}

/* Quote ^>*From  lines (LF line ends already); plain runs go out in
 * one write. */
static int quote(mbox_store *s, const char *data, size_t len)
{
    size_t i, from = 0; /* data[from, i) passes through unchanged */

    for (i = 0; i < len; i++) {
        char ch = data[i];
        if (s->scanning) {
            if (s->matched == 0 && ch == '>') {
                s->gts++;
                from = i + 1;
                continue;
            }
            if (ch == FROM[s->matched]) {
                from = i + 1;
                if (++s->matched == sizeof FROM - 1 && flush_scan(s, 1))
                    return -1;
                continue;
            }
            if (flush_scan(s, 0) != 0)
                return -1;
            from = i;
        }
        if (ch == '\n') {
            if (put(s, data + from, i + 1 - from) != 0)
                return -1;
            from = i + 1;
            s->scanning = 1;
            s->gts = s->matched = 0;
        }
    }
    return put(s, data + from, len - from);
}

static int mbox_write(tool_store *base, const char *data, size_t len)
{
    mbox_store *s = (mbox_store *)base;

    while (len > 0) {
        size_t n = len < CHUNK ? len : CHUNK;
        size_t out = tool_lf_convert(&s->lf, data, n, s->buf);
        if (quote(s, s->buf, out) != 0)
            return -1;
        data += n;
        len -= n;
    }
    return 0;
}

static int mbox_begin(tool_store *base, const char *uid)
{
    mbox_store *s = (mbox_store *)base;
    char line[128], tail[2] = {'\n', '\n'};
    struct tm tm;
    time_t now = time(NULL);
    size_t n, need = 0;

    (void)uid;
    if (fseeko(s->f, 0, SEEK_END) != 0 || (s->start = ftello(s->f)) < 0) {
        tool_store_errno(base->err, sizeof base->err, "seek", s->path);
        return -1;
    }
    /* Messages are separated by an empty line, whatever wrote the last. */
    if (s->start > 0) {
        n = s->start >= 2 ? 2 : 1;
        if (pread(s->fd, tail + 2 - n, n, s->start - (off_t)n) !=
            (ssize_t)n) {
            tool_store_errno(base->err, sizeof base->err, "read", s->path);
            return -1;
        }
        need = tail[1] != '\n' ? 2 : tail[0] != '\n' ? 1 : 0;
    }
    memset(&s->lf, 0, sizeof s->lf);
    s->scanning = 1;
    s->gts = s->matched = 0;
    if (put(s, "\n\n", need) != 0)
        return -1;
    gmtime_r(&now, &tm);
    strftime(line, sizeof line, "From MAILER-DAEMON %a %b %e %H:%M:%S %Y\n",
             &tm);
    return put(s, line, strlen(line));
}

static void mbox_abort(tool_store *base)
{
    mbox_store *s = (mbox_store *)base;

    if (s->f == NULL)
        return;
    fflush(s->f);
    if (ftruncate(s->fd, s->start) != 0)
        tool_store_errno(base->err, sizeof base->err, "truncate", s->path);
}

static int mbox_commit(tool_store *base, char *where, size_t where_len)
{
    mbox_store *s = (mbox_store *)base;
    char cr[1];
    size_t n = tool_lf_flush(&s->lf, cr);

    if ((n > 0 && quote(s, cr, n) != 0) ||
        (s->scanning && (s->gts || s->matched) && flush_scan(s, 0) != 0) ||
        (s->last != '\n' && put(s, "\n", 1) != 0) || put(s, "\n", 1) != 0)
        goto fail;
    if (fflush(s->f) != 0 || fsync(s->fd) != 0) {
        tool_store_errno(base->err, sizeof base->err, "write", s->path);
        goto fail;
    }
    snprintf(where, where_len, "%s", s->path);
    return 0;
fail:
    mbox_abort(base);
    return -1;
}

static void mbox_close(tool_store *base)
{
    mbox_store *s = (mbox_store *)base;

    if (s->f != NULL)
        fclose(s->f); /* closes fd, which releases the lock */
    else if (s->fd >= 0)
        close(s->fd);
    free(s->buf);
    free(s->path);
    free(s);
}

static const tool_store_ops mbox_ops = {mbox_begin, mbox_write, mbox_commit,
                                        mbox_abort, mbox_close};

/* Lock the whole file for writing; wait up to 10 s for another holder. */
static int lock_file(int fd)
{
    struct flock fl;
    int i;

    memset(&fl, 0, sizeof fl);
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    for (i = 0; i < 100; i++) {
        if (fcntl(fd, F_SETLK, &fl) == 0)
            return 0;
        if (errno != EACCES && errno != EAGAIN)
            return -1;
        {
            struct timespec pause = {0, 100000000};
            nanosleep(&pause, NULL);
        }
    }
    errno = EAGAIN;
    return -1;
}

tool_store *tool_store_mbox_open(const char *path, char *err,
                                 size_t err_len)
{
    mbox_store *s = calloc(1, sizeof *s);

    if (s == NULL || (s->path = strdup(path)) == NULL ||
        (s->buf = malloc(CHUNK + 1)) == NULL) {
        snprintf(err, err_len, "out of memory");
        if (s) {
            free(s->path);
            free(s);
        }
        return NULL;
    }
    s->base.ops = &mbox_ops;
    s->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (s->fd < 0) {
        tool_store_errno(err, err_len, "open mbox", path);
        mbox_close(&s->base);
        return NULL;
    }
    if (lock_file(s->fd) != 0) {
        tool_store_errno(err, err_len, "lock mbox", path);
        mbox_close(&s->base);
        return NULL;
    }
    /* Writes go through stdio at the end of the file (begin seeks). */
    if ((s->f = fdopen(s->fd, "r+")) == NULL) {
        tool_store_errno(err, err_len, "open mbox", path);
        mbox_close(&s->base);
        return NULL;
    }
    return &s->base;
}
