/*
 * Maildir delivery (the maildir(5) protocol): write the message under
 * tmp/ with a unique name, fsync it, link it into new/, remove the tmp/
 * name, fsync new/.  A crash at any point leaves at most a stray file in
 * tmp/, never a partial message in new/.  Lines end in LF, as Maildir
 * readers expect.
 */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CHUNK 65536

typedef struct maildir_store {
    tool_store base;
    char *dir;
    char host[256]; /* hostname with "/" and ":" escaped */
    unsigned long counter;
    FILE *f;
    char tmp_path[4096 + 1024], name[512];
    tool_lf lf;
    char *buf; /* CHUNK + 1 bytes for line end conversion */
} maildir_store;

static int md_write(tool_store *base, const char *data, size_t len)
{
    maildir_store *s = (maildir_store *)base;

    while (len > 0) {
        size_t n = len < CHUNK ? len : CHUNK;
        size_t out = tool_lf_convert(&s->lf, data, n, s->buf);
        if (fwrite(s->buf, 1, out, s->f) != out) {
            tool_store_errno(base->err, sizeof base->err, "write",
                             s->tmp_path);
            return -1;
        }
        data += n;
        len -= n;
    }
    return 0;
}

static int md_begin(tool_store *base, const char *uid)
{
    maildir_store *s = (maildir_store *)base;
    struct timespec ts;
    int fd;

    (void)uid; /* Maildir names are unique by themselves */
    clock_gettime(CLOCK_REALTIME, &ts);
    snprintf(s->name, sizeof s->name, "%lld.M%ldP%ldQ%lu.%s",
             (long long)ts.tv_sec, ts.tv_nsec / 1000, (long)getpid(),
             ++s->counter, s->host);
    snprintf(s->tmp_path, sizeof s->tmp_path, "%s/tmp/%s", s->dir, s->name);
    fd = open(s->tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 || (s->f = fdopen(fd, "w")) == NULL) {
        tool_store_errno(base->err, sizeof base->err, "create",
                         s->tmp_path);
        if (fd >= 0)
            close(fd);
        return -1;
    }
    memset(&s->lf, 0, sizeof s->lf);
    return 0;
}

static void md_abort(tool_store *base)
{
    maildir_store *s = (maildir_store *)base;

    if (s->f != NULL) {
        fclose(s->f);
        s->f = NULL;
        unlink(s->tmp_path);
    }
}

static int md_commit(tool_store *base, char *where, size_t where_len)
{
    maildir_store *s = (maildir_store *)base;
    char final[4096 + 1024], new_dir[4096 + 8], cr[1];
    size_t n = tool_lf_flush(&s->lf, cr);
    FILE *f = s->f;

    if (n > 0 && fwrite(cr, 1, n, f) != n) {
        tool_store_errno(base->err, sizeof base->err, "write", s->tmp_path);
        md_abort(base);
        return -1;
    }
    s->f = NULL;
    if (tool_close_durably(f) != 0) {
        tool_store_errno(base->err, sizeof base->err, "write", s->tmp_path);
        unlink(s->tmp_path);
        return -1;
    }
    snprintf(new_dir, sizeof new_dir, "%s/new", s->dir);
    snprintf(final, sizeof final, "%s/%s", new_dir, s->name);
    /* link() never replaces an existing file; rename() where a file
     * system has no hard links. */
    if (link(s->tmp_path, final) == 0) {
        unlink(s->tmp_path);
    } else if (errno == EEXIST || rename(s->tmp_path, final) != 0) {
        tool_store_errno(base->err, sizeof base->err, "deliver", final);
        unlink(s->tmp_path);
        return -1;
    }
    if (tool_fsync_dir(new_dir) != 0) {
        tool_store_errno(base->err, sizeof base->err, "fsync", new_dir);
        return -1; /* delivered, but not known to be durable */
    }
    snprintf(where, where_len, "%s", final);
    return 0;
}

static void md_close(tool_store *base)
{
    maildir_store *s = (maildir_store *)base;

    md_abort(base);
    free(s->buf);
    free(s->dir);
    free(s);
}

static const tool_store_ops maildir_ops = {md_begin, md_write, md_commit,
                                           md_abort, md_close};

tool_store *tool_store_maildir_open(const char *dir, char *err,
                                    size_t err_len)
{
    static const char *const subdirs[] = {"tmp", "new", "cur"};
    maildir_store *s = calloc(1, sizeof *s);
    char path[4096], *p;
    size_t i, j = 0;

    if (s == NULL || (s->dir = strdup(dir)) == NULL ||
        (s->buf = malloc(CHUNK + 1)) == NULL) {
        snprintf(err, err_len, "out of memory");
        if (s)
            free(s->dir);
        free(s);
        return NULL;
    }
    s->base.ops = &maildir_ops;
    if (tool_mkdir_p(dir, 0700) != 0) {
        tool_store_errno(err, err_len, "create Maildir", dir);
        md_close(&s->base);
        return NULL;
    }
    for (i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, subdirs[i]);
        if (mkdir(path, 0700) != 0 && errno != EEXIST) {
            tool_store_errno(err, err_len, "create", path);
            md_close(&s->base);
            return NULL;
        }
    }
    /* maildir(5): "/" and ":" in the host name are written \057, \072. */
    if (gethostname(path, sizeof path) != 0)
        snprintf(path, sizeof path, "localhost");
    path[sizeof path - 1] = '\0';
    for (p = path; *p != '\0' && j + 5 < sizeof s->host; p++) {
        if (*p == '/' || *p == ':') {
            j += (size_t)snprintf(s->host + j, sizeof s->host - j, "\\%03o",
                                  (unsigned)*p);
        } else {
            s->host[j++] = *p;
        }
    }
    s->host[j] = '\0';
    return &s->base;
}
