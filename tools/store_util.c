/* What the three stores share: line ends, directories, durability. */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

size_t tool_lf_convert(tool_lf *st, const char *in, size_t len, char *out)
{
    size_t i, n = 0;

    for (i = 0; i < len; i++) {
        if (st->pending_cr) {
            st->pending_cr = 0;
            if (in[i] != '\n')
                out[n++] = '\r'; /* a lone CR is content: keep it */
        }
        if (in[i] == '\r')
            st->pending_cr = 1;
        else
            out[n++] = in[i];
    }
    return n;
}

size_t tool_lf_flush(tool_lf *st, char *out)
{
    if (!st->pending_cr)
        return 0;
    st->pending_cr = 0;
    out[0] = '\r';
    return 1;
}

int tool_mkdir_p(const char *path, mode_t mode)
{
    char buf[4096];
    size_t i, len = strlen(path);

    if (len == 0 || len >= sizeof buf) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(buf, path, len + 1);
    for (i = 1; i <= len; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        buf[i] = '\0';
        if (mkdir(buf, mode) != 0 && errno != EEXIST)
            return -1;
        buf[i] = i < len ? '/' : '\0';
    }
    return 0;
}

int tool_fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_CLOEXEC), rc;

    if (fd < 0)
        return -1;
    rc = fsync(fd);
    /* Some file systems cannot fsync a directory; that is not an error
     * we can do anything about. */
    if (rc != 0 && (errno == EINVAL || errno == EBADF))
        rc = 0;
    close(fd);
    return rc;
}

int tool_close_durably(FILE *f)
{
    int rc = 0, saved = 0;

    if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
        rc = -1;
        saved = errno;
    }
    if (fclose(f) != 0 && rc == 0) {
        rc = -1;
        saved = errno;
    }
    errno = saved;
    return rc;
}

void tool_store_errno(char *err, size_t len, const char *what,
                      const char *path)
{
    char msg[256];

    if (strerror_r(errno, msg, sizeof msg) != 0)
        snprintf(msg, sizeof msg, "error %d", errno);
    snprintf(err, len, "%s %s: %s", what, path, msg);
}
