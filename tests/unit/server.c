/* Starting and stopping the scripted server from the C tests. */
#define _DEFAULT_SOURCE
#include "server.h"

#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

int test_server_prepare(test_server *s)
{
    memset(s, 0, sizeof *s);
    s->pid = -1;
    snprintf(s->dir, sizeof s->dir, "/tmp/pop3test.XXXXXX");
    if (mkdtemp(s->dir) == NULL)
        return -1;
    snprintf(s->maildrop, sizeof s->maildrop, "%s/maildrop", s->dir);
    snprintf(s->log, sizeof s->log, "%s/log", s->dir);
    return mkdir(s->maildrop, 0755);
}

void test_server_add(test_server *s, const char *user, const char *name,
                     const char *data, size_t len)
{
    char path[700];
    FILE *f;

    snprintf(path, sizeof path, "%s/%s", s->maildrop, user);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/%s/%s.eml", s->maildrop, user, name);
    f = fopen(path, "wb");
    if (f != NULL) {
        fwrite(data, 1, len, f);
        fclose(f);
    }
}

int test_server_has(test_server *s, const char *user, const char *name)
{
    char path[700];
    snprintf(path, sizeof path, "%s/%s/%s.eml", s->maildrop, user, name);
    return access(path, F_OK) == 0;
}

int test_server_start(test_server *s, const char *const *args)
{
    const char *src = getenv("POP3_SOURCE_DIR");
    const char *py = getenv("POP3_PYTHON");
    char script[600], portfile[300];
    const char *argv[64];
    size_t n = 0, i;
    int scenario = 0, waited;

    if (src == NULL)
        src = ".";
    if (py == NULL)
        py = "python3";
    snprintf(script, sizeof script, "%s/tests/server/pop3d.py", src);
    snprintf(portfile, sizeof portfile, "%s/port", s->dir);
    for (i = 0; args != NULL && args[i] != NULL; i++)
        if (strcmp(args[i], "--scenario") == 0)
            scenario = 1;
    argv[n++] = py;
    argv[n++] = script;
    argv[n++] = "--port-file";
    argv[n++] = portfile;
    argv[n++] = "--log";
    argv[n++] = s->log;
    argv[n++] = "--max-lifetime";
    argv[n++] = "60";
    if (!scenario) {
        argv[n++] = "--maildrop";
        argv[n++] = s->maildrop;
    }
    for (i = 0; args != NULL && args[i] != NULL && n < 62; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    if (posix_spawn(&s->pid, py, NULL, NULL, (char *const *)argv,
                    environ) != 0) {
        if (posix_spawnp(&s->pid, py, NULL, NULL, (char *const *)argv,
                         environ) != 0)
            return -1;
    }
    /* Poll for the port file: bounded at 10 s. */
    for (waited = 0; waited < 10000; waited += 10) {
        FILE *f = fopen(portfile, "r");
        if (f != NULL) {
            int ok = fscanf(f, "%u", &s->port) == 1;
            fclose(f);
            if (ok && s->port > 0)
                return 0;
        }
        if (waitpid(s->pid, NULL, WNOHANG) == s->pid) {
            s->pid = -1;
            return -1;
        }
        sleep_ms(10);
    }
    return -1;
}

int test_server_start_scenario(test_server *s, const char *script)
{
    char path[400];
    const char *args[] = {"--scenario", path, NULL};
    FILE *f;

    if (test_server_prepare(s) != 0)
        return -1;
    snprintf(path, sizeof path, "%s/s.scenario", s->dir);
    f = fopen(path, "w");
    if (f == NULL)
        return -1;
    if (fputs(script, f) == EOF) {
        fclose(f);
        return -1;
    }
    if (fclose(f) != 0)
        return -1;
    return test_server_start(s, args);
}

char *test_server_log(test_server *s)
{
    FILE *f = fopen(s->log, "rb");
    char *buf;
    long len;

    if (f == NULL)
        return calloc(1, 1);
    fseek(f, 0, SEEK_END);
    len = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = calloc(1, (size_t)len + 1);
    if (buf != NULL && fread(buf, 1, (size_t)len, f) != (size_t)len)
        buf[0] = '\0';
    fclose(f);
    return buf;
}

int test_server_sent(test_server *s, const char *needle)
{
    char *log = test_server_log(s);
    int found = log != NULL && strstr(log, needle) != NULL;
    free(log);
    return found;
}

static void remove_tree(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *e;

    if (d == NULL) {
        unlink(path);
        return;
    }
    while ((e = readdir(d)) != NULL) {
        char child[1024];
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(child, sizeof child, "%s/%s", path, e->d_name);
        remove_tree(child);
    }
    closedir(d);
    rmdir(path);
}

void test_server_stop(test_server *s)
{
    int i;

    if (s->pid > 0) {
        kill(s->pid, SIGTERM);
        for (i = 0; i < 300; i++) {
            if (waitpid(s->pid, NULL, WNOHANG) == s->pid)
                break;
            sleep_ms(10);
        }
        if (i == 300) {
            kill(s->pid, SIGKILL);
            waitpid(s->pid, NULL, 0);
        }
        s->pid = -1;
    }
    if (s->dir[0] != '\0')
        remove_tree(s->dir);
    s->dir[0] = '\0';
}

int test_make_certs(char *dir, size_t size)
{
    const char *src = getenv("POP3_SOURCE_DIR");
    const char *py = getenv("POP3_PYTHON");
    char script[600];
    const char *argv[4];
    pid_t pid;
    int status = -1;

    snprintf(dir, size, "/tmp/pop3certs.XXXXXX");
    if (mkdtemp(dir) == NULL)
        return -1;
    snprintf(script, sizeof script, "%s/tests/server/certs.py",
             src ? src : ".");
    argv[0] = py ? py : "python3";
    argv[1] = script;
    argv[2] = dir;
    argv[3] = NULL;
    if (posix_spawnp(&pid, argv[0], NULL, NULL, (char *const *)argv,
                     environ) != 0)
        return -1;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

void test_remove_dir(const char *dir)
{
    remove_tree(dir);
}

unsigned int test_free_port(void)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    unsigned int port = 0;

    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}
