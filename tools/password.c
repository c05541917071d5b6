/*
 * Where the password comes from -- never the command line, where every
 * user of the machine could read it: --password-file, $POP3_PASSWORD,
 * ~/.netrc, or a prompt on the terminal with echo off.
 */
#include "pop3tool.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#define PASSWORD_MAX 1024

void tool_secret_free(char *secret)
{
    volatile char *v = secret;

    if (secret == NULL)
        return;
    while (*v != '\0')
        *v++ = '\0';
    free(secret);
}

/* Cut the line end; refuse what cannot go on the wire as one argument. */
static int finish(char *buf, size_t n, const char *where, char **out)
{
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        n--;
    buf[n] = '\0';
    if (memchr(buf, '\n', n) || memchr(buf, '\r', n) || strlen(buf) != n) {
        fprintf(stderr, "pop3: the password from %s holds a line break or"
                        " NUL\n", where);
        return TOOL_EXIT_USAGE;
    }
    if ((*out = strdup(buf)) == NULL)
        return TOOL_EXIT_FAIL;
    return TOOL_EXIT_OK;
}

/* The first line of a file. */
static int from_file(const char *path, char **out)
{
    char buf[PASSWORD_MAX + 2];
    struct stat st;
    ssize_t n;
    size_t got = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC), rc;

    if (fd < 0) {
        fprintf(stderr, "pop3: --password-file %s: %s\n", path,
                strerror(errno));
        return TOOL_EXIT_USAGE;
    }
    if (fstat(fd, &st) == 0 && (st.st_mode & 077) != 0)
        tool_warn("%s can be read by others (chmod 600 it)", path);
    while (got < sizeof buf - 1 &&
           ((n = read(fd, buf + got, sizeof buf - 1 - got)) > 0 ||
            (n < 0 && errno == EINTR)))
        if (n > 0)
            got += (size_t)n;
    close(fd);
    buf[got] = '\0';
    /* Only the first line counts; the rest may be a comment. */
    got = strcspn(buf, "\n");
    if (got > PASSWORD_MAX) {
        fprintf(stderr, "pop3: --password-file %s: line too long\n", path);
        return TOOL_EXIT_USAGE;
    }
    rc = finish(buf, got, path, out);
    memset(buf, 0, sizeof buf);
    return rc;
}

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    interrupted = sig;
}

/* Ask on /dev/tty with echo off; the terminal is restored even when
 * the user presses ^C. */
static int prompt(const char *user, const char *host, char **out)
{
    char buf[PASSWORD_MAX + 2], ask[512];
    struct termios saved, quiet;
    struct sigaction sa, old_int, old_term;
    size_t got = 0;
    ssize_t n;
    int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY), rc;

    if (fd < 0) {
        fprintf(stderr, "pop3: no password: no terminal to ask on; use"
                        " --password-file, POP3_PASSWORD or ~/.netrc\n");
        return TOOL_EXIT_USAGE;
    }
    if (tcgetattr(fd, &saved) != 0) {
        close(fd);
        fprintf(stderr, "pop3: no password: cannot turn echo off\n");
        return TOOL_EXIT_USAGE;
    }
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal; /* no SA_RESTART: read() returns EINTR */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    quiet = saved;
    quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
    tcsetattr(fd, TCSAFLUSH, &quiet);
    n = snprintf(ask, sizeof ask, "Password for %s@%s: ", user, host);
    if (n > 0 && write(fd, ask, (size_t)n) < 0)
        n = 0;
    while (!interrupted && got < sizeof buf - 1) {
        n = read(fd, buf + got, 1);
        if (n <= 0 || buf[got] == '\n')
            break;
        got++;
    }
    tcsetattr(fd, TCSAFLUSH, &saved);
    if (write(fd, "\n", 1) < 0)
        n = 0;
    close(fd);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    if (interrupted) {
        memset(buf, 0, sizeof buf);
        raise(interrupted); /* die of it, as the user asked */
        return TOOL_EXIT_FAIL;
    }
    if (got > PASSWORD_MAX) {
        memset(buf, 0, sizeof buf);
        fprintf(stderr, "pop3: password too long\n");
        return TOOL_EXIT_USAGE;
    }
    rc = finish(buf, got, "the terminal", out);
    memset(buf, 0, sizeof buf);
    return rc;
}

int tool_password(const tool_opts *o, const char *user, char **out)
{
    const char *env = getenv("POP3_PASSWORD");
    char *login = NULL, *pw = NULL;
    int rc;

    *out = NULL;
    if (o->password_file != NULL)
        return from_file(o->password_file, out);
    if (env != NULL) {
        char *copy = strdup(env);
        if (copy == NULL)
            return TOOL_EXIT_FAIL;
        rc = finish(copy, strlen(copy), "POP3_PASSWORD", out);
        tool_secret_free(copy);
        return rc;
    }
    rc = tool_netrc_lookup(o->url.host, user, &login, &pw);
    free(login);
    if (rc == 0 && pw != NULL) {
        *out = pw;
        return TOOL_EXIT_OK;
    }
    tool_secret_free(pw);
    if (rc < 0)
        return TOOL_EXIT_FAIL;
    return prompt(user, o->url.host, out);
}
