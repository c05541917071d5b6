/* The UIDL state file (see state.h). */
#define _XOPEN_SOURCE 700 /* realpath */
#include "state.h"
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STATE_MAX (256L * 1024 * 1024)
static const char HEADER[] = "# pop3 UIDL state: UIDs already stored\n";

/* Percent-encode what does not belong in a file name. */
static void name_part(char *out, size_t len, const char *s)
{
    size_t n = strlen(out);

    for (; *s != '\0' && n + 4 < len; s++) {
        unsigned char c = (unsigned char)*s;
        int keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                   (c >= '0' && c <= '9') || c == '@' || c == '_' ||
                   c == '+' || c == '-' || (c == '.' && n > 0);
        if (keep) {
            out[n++] = (char)c;
        } else {
            snprintf(out + n, len - n, "%%%02X", c);
            n += 3;
        }
    }
    out[n] = '\0';
}

char *tool_state_default_path(const char *user, const char *host,
                              unsigned int port, const char *dest)
{
    const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
    char name[1024] = "", portbuf[48], *path, *abs = realpath(dest, NULL);
    const char *d = abs ? abs : dest;
    uint64_t hash = 14695981039346656037ULL; /* FNV-1a */
    size_t len;

    for (; *d != '\0'; d++)
        hash = (hash ^ (unsigned char)*d) * 1099511628211ULL;
    free(abs);

    if ((xdg == NULL || *xdg != '/') && (home == NULL || *home == '\0'))
        return NULL;
    name_part(name, sizeof name, user);
    name_part(name, sizeof name, "@");
    name_part(name, sizeof name, host);
    snprintf(portbuf, sizeof portbuf, "_%u.%016llx", port,
             (unsigned long long)hash);
    name_part(name, sizeof name, portbuf);
    len = strlen(xdg && *xdg == '/' ? xdg : home) + strlen(name) + 40;
    if ((path = malloc(len)) == NULL)
        return NULL;
    if (xdg != NULL && *xdg == '/')
        snprintf(path, len, "%s/pop3/%s", xdg, name);
    else
        snprintf(path, len, "%s/.local/state/pop3/%s", home, name);
    return path;
}

int tool_state_load(const char *path, pop3_uidsync *sync, size_t *bad_out,
                    int *torn_out, char *err, size_t err_len)
{
    FILE *f = fopen(path, "r");
    char line[POP3_UID_MAX + 3];
    long total = 0;
    size_t len;

    *bad_out = 0;
    *torn_out = 0;
    if (f == NULL) {
        if (errno == ENOENT)
            return 0;
        tool_store_errno(err, err_len, "read state file", path);
        return -1;
    }
    while (fgets(line, sizeof line, f) != NULL) {
        len = strlen(line);
        total += (long)len;
        if (len == 0 || line[len - 1] != '\n') {
            int c;
            if (feof(f)) { /* cut short by a crash: not trusted */
                *torn_out = 1;
                break;
            }
            /* Too long to be a UID: skip the rest of the line. */
            while ((c = fgetc(f)) != EOF && c != '\n')
                total++;
            (*bad_out)++;
            continue;
        }
        line[--len] = '\0';
        if (line[0] == '#')
            continue;
        if (pop3_uidsync_add_seen(sync, line, len, NULL) == POP3_E_NOMEM) {
            fclose(f);
            snprintf(err, err_len, "out of memory reading %s", path);
            return -1;
        }
        if (pop3_uid_check_text(line, len) != POP3_UID_VALID)
            (*bad_out)++;
        if (total > STATE_MAX) {
            fclose(f);
            snprintf(err, err_len, "state file %s is too big", path);
            return -1;
        }
    }
    if (ferror(f)) {
        tool_store_errno(err, err_len, "read state file", path);
        fclose(f);
        return -1;
    }
    fclose(f);
    return 0;
}

/* Make the directory the state file lives in. */
static int make_parent(const char *path)
{
    char dir[4096];
    char *slash;

    snprintf(dir, sizeof dir, "%s", path);
    slash = strrchr(dir, '/');
    if (slash == NULL || slash == dir)
        return 0;
    *slash = '\0';
    return tool_mkdir_p(dir, 0700);
}

int tool_state_append(const char *path, const char *uid, char *err,
                      size_t err_len)
{
    char line[POP3_UID_MAX + 2];
    int fd, n = snprintf(line, sizeof line, "%s\n", uid);

    if (n < 2 || (size_t)n >= sizeof line) {
        snprintf(err, err_len, "bad UID for the state file");
        return -1;
    }
    if (make_parent(path) != 0 ||
        (fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600)) <
            0) {
        tool_store_errno(err, err_len, "open state file", path);
        return -1;
    }
    if (write(fd, line, (size_t)n) != n || fsync(fd) != 0) {
        tool_store_errno(err, err_len, "write state file", path);
        close(fd);
        return -1;
    }
    close(fd);
    return 0;
}

int tool_state_write(const char *path, const char *const *uids, size_t n,
                     char *err, size_t err_len)
{
    char tmp[4200], dir[4096], *slash;
    FILE *f;
    size_t i;
    int fd, failed;

    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    if (make_parent(path) != 0 ||
        (fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) <
            0) {
        tool_store_errno(err, err_len, "create", tmp);
        return -1;
    }
    if ((f = fdopen(fd, "w")) == NULL) {
        tool_store_errno(err, err_len, "create", tmp);
        close(fd);
        unlink(tmp);
        return -1;
    }
    fputs(HEADER, f);
    for (i = 0; i < n; i++)
        fprintf(f, "%s\n", uids[i]);
    failed = ferror(f);
    if (tool_close_durably(f) != 0 || failed || rename(tmp, path) != 0) {
        tool_store_errno(err, err_len, "write state file", path);
        unlink(tmp);
        return -1;
    }
    snprintf(dir, sizeof dir, "%s", path);
    slash = strrchr(dir, '/');
    if (slash != NULL && slash != dir)
        *slash = '\0';
    else
        snprintf(dir, sizeof dir, ".");
    if (tool_fsync_dir(dir) != 0) {
        tool_store_errno(err, err_len, "fsync", dir);
        return -1;
    }
    return 0;
}
