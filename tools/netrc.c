/*
 * ~/.netrc (or the file $NETRC names): "machine HOST login USER password
 * PW" entries, and a "default" entry.  Like ftp(1), a file that others can
 * read is not trusted with a password: it is ignored, with a warning.
 */
#include "pop3tool.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define NETRC_MAX (1024 * 1024)

/* The whole file, NUL-terminated; NULL when absent or unsafe. */
static char *read_netrc(const char *path, size_t *len_out)
{
    struct stat st;
    char *buf;
    ssize_t n;
    size_t got = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return NULL;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
        st.st_size > NETRC_MAX) {
        close(fd);
        return NULL;
    }
    if ((st.st_mode & 077) != 0 || st.st_uid != geteuid()) {
        tool_warn("%s is readable by others or not yours: ignored (chmod"
                  " 600 it)", path);
        close(fd);
        return NULL;
    }
    buf = malloc((size_t)st.st_size + 1);
    while (buf != NULL && got < (size_t)st.st_size &&
           ((n = read(fd, buf + got, (size_t)st.st_size - got)) > 0 ||
            (n < 0 && errno == EINTR)))
        if (n > 0)
            got += (size_t)n;
    close(fd);
    if (buf != NULL)
        buf[got] = '\0';
    *len_out = got + 1;
    return buf;
}

/* Next token at *p (whitespace separated, or "quoted" with \ escapes),
 * unescaped in place; NULL at the end. */
static char *token(char **p)
{
    char *s = *p, *out, *start;

    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == ',')
        s++;
    if (*s == '\0') {
        *p = s;
        return NULL;
    }
    start = out = s;
    if (*s == '"') {
        for (s++; *s != '\0' && *s != '"'; s++) {
            if (*s == '\\' && s[1] != '\0')
                s++;
            *out++ = *s;
        }
    } else {
        for (; *s != '\0' && !strchr(" \t\n\r,", *s); s++) {
            if (*s == '\\' && s[1] != '\0')
                s++;
            *out++ = *s;
        }
    }
    if (*s != '\0')
        s++;
    *out = '\0';
    *p = s;
    return start;
}

/* Skip a macdef body: up to and including an empty line. */
static void skip_macdef(char **p)
{
    char *e = strstr(*p, "\n\n");
    *p = e ? e + 2 : *p + strlen(*p);
}

static int dup_pair(const char *user, const char *pw, char **user_out,
                    char **password_out)
{
    *user_out = user ? strdup(user) : NULL;
    *password_out = pw ? strdup(pw) : NULL;
    if ((user && !*user_out) || (pw && !*password_out)) {
        free(*user_out);
        tool_secret_free(*password_out);
        return -1;
    }
    return 0;
}

int tool_netrc_lookup(const char *host, const char *want_user,
                      char **user_out, char **password_out)
{
    char path[4096];
    const char *env = getenv("NETRC"), *home = getenv("HOME");
    char *buf, *p, *tok;
    /* The entry being read, and the best match so far. */
    const char *login = NULL, *pw = NULL;
    size_t size = 0;
    int in_entry = 0, matched = 0, rc = 1;

    *user_out = *password_out = NULL;
    if (env != NULL && *env != '\0')
        snprintf(path, sizeof path, "%s", env);
    else if (home != NULL && *home != '\0')
        snprintf(path, sizeof path, "%s/.netrc", home);
    else
        return 1;
    if ((buf = read_netrc(path, &size)) == NULL)
        return 1;
    p = buf;
    for (;;) {
        tok = token(&p);
        /* An entry ends at the next machine/default or at the end. */
        if (tok == NULL || !strcmp(tok, "machine") ||
            !strcmp(tok, "default")) {
            /* The first match wins; "default" comes last (ftp(1)). */
            if (in_entry && matched &&
                (want_user == NULL || (login && !strcmp(login, want_user)))) {
                rc = dup_pair(login, pw, user_out, password_out) ? -1 : 0;
                break;
            }
            if (tok == NULL)
                break;
            in_entry = 1;
            login = pw = NULL;
            matched = !strcmp(tok, "default");
            if (!matched) {
                const char *name = token(&p);
                matched = name != NULL && strcasecmp(name, host) == 0;
            }
        } else if (!strcmp(tok, "login")) {
            login = token(&p);
        } else if (!strcmp(tok, "password")) {
            pw = token(&p);
        } else if (!strcmp(tok, "account")) {
            token(&p);
        } else if (!strcmp(tok, "macdef")) {
            token(&p);
            skip_macdef(&p);
        }
    }
    /* Wipe the file's copy of every password before freeing it. */
    {
        volatile char *v = buf;
        size_t i;
        for (i = 0; i < size; i++)
            v[i] = 0;
    }
    free(buf);
    return rc;
}
