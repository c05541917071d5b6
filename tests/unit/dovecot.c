/* Talking to tests/dovecot/harness.py from the C tests. */
#define _DEFAULT_SOURCE
#include "dovecot.h"

#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static const char *env_or(const char *key, const char *dflt)
{
    const char *v = getenv(key);
    return v != NULL && *v != '\0' ? v : dflt;
}

unsigned int dovecot_env_port(const char *key)
{
    char path[600], line[256];
    size_t klen = strlen(key);
    unsigned int port = 0;
    FILE *f;

    snprintf(path, sizeof path, "%s/env", env_or("DOVECOT_DIR", "."));
    f = fopen(path, "r");
    if (f == NULL)
        return 0;
    while (fgets(line, sizeof line, f) != NULL)
        if (strncmp(line, key, klen) == 0 && line[klen] == '=')
            port = (unsigned)strtoul(line + klen + 1, NULL, 10);
    fclose(f);
    return port;
}

unsigned int dovecot_port(void)
{
    return dovecot_env_port("POP3_PORT");
}

const char *dovecot_data(const char *name, char *buf, unsigned long size)
{
    snprintf(buf, size, "%s/tests/data/%s", env_or("POP3_SOURCE_DIR", "."),
             name);
    return buf;
}

/* Run the harness with args; stdout to out_path when given.  Exit code. */
static int harness(const char *const *args, const char *out_path)
{
    char script[600];
    const char *argv[64];
    posix_spawn_file_actions_t fa;
    size_t n = 0, i;
    pid_t pid;
    int status = -1;

    snprintf(script, sizeof script, "%s/tests/dovecot/harness.py",
             env_or("POP3_SOURCE_DIR", "."));
    argv[n++] = env_or("POP3_PYTHON", "python3");
    argv[n++] = script;
    for (i = 0; args[i] != NULL && n < 63; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    posix_spawn_file_actions_init(&fa);
    if (out_path != NULL)
        posix_spawn_file_actions_addopen(&fa, 1, out_path,
                                         O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv,
                     environ) == 0)
        waitpid(pid, &status, 0);
    posix_spawn_file_actions_destroy(&fa);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int dovecot_seed(const char *user, const char *const *files,
                 const char *gen)
{
    const char *args[40];
    static const char *const none[] = {NULL};
    char paths[32][600];
    size_t n = 0, i;

    args[n++] = "seed";
    args[n++] = "--dir";
    args[n++] = env_or("DOVECOT_DIR", ".");
    args[n++] = "--user";
    args[n++] = user;
    if (gen != NULL) {
        args[n++] = "--generate";
        args[n++] = gen;
    }
    if (files == NULL)
        files = none;
    for (i = 0; files[i] != NULL && i < 32; i++)
        args[n++] = dovecot_data(files[i], paths[i], sizeof paths[i]);
    args[n] = NULL;
    return harness(args, NULL) == 0 ? 0 : -1;
}

int dovecot_count(const char *user)
{
    char out[] = "/tmp/pop3count.XXXXXX";
    const char *args[] = {"count", "--dir", env_or("DOVECOT_DIR", "."),
                          "--user", user, NULL};
    int fd = mkstemp(out), count = -1;
    FILE *f;

    if (fd < 0)
        return -1;
    close(fd);
    if (harness(args, out) == 0 && (f = fopen(out, "r")) != NULL) {
        if (fscanf(f, "%d", &count) != 1)
            count = -1;
        fclose(f);
    }
    unlink(out);
    return count;
}
