/*
 * rusage_run: run a command and report what it cost.
 *
 *     rusage_run REPORT_FD COMMAND [ARG...]
 *
 * Forks, execs COMMAND (stdin, stdout and stderr inherited), waits for
 * it, and writes one line to file descriptor REPORT_FD:
 *
 *     <wall seconds> <user+sys seconds> <peak RSS KiB> <exit status>
 *
 * with the exit status as a shell gives it (128 + N for signal N).  Why
 * not measure from the harness directly: Linux carries the RSS a process
 * had before exec into its ru_maxrss, so a client forked by a Python
 * harness would report the harness's 20 MiB as its own.  This program is
 * small, and the child it forks inherits only that.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE /* wait4 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double seconds(struct timeval tv)
{
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
    struct timespec t0, t1;
    struct rusage ru;
    int status, fd, code;
    pid_t pid;
    FILE *report;

    if (argc < 3) {
        fprintf(stderr, "usage: rusage_run REPORT_FD COMMAND [ARG...]\n");
        return 2;
    }
    fd = atoi(argv[1]);
    report = fdopen(fd, "w");
    if (!report) {
        fprintf(stderr, "rusage_run: fd %d: %s\n", fd, strerror(errno));
        return 2;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid = fork();
    if (pid < 0) {
        fprintf(stderr, "rusage_run: fork: %s\n", strerror(errno));
        return 2;
    }
    if (pid == 0) {
        fclose(report); /* the client never sees the report channel */
        execvp(argv[2], argv + 2);
        fprintf(stderr, "rusage_run: %s: %s\n", argv[2], strerror(errno));
        _exit(127);
    }
    while (wait4(pid, &status, 0, &ru) < 0) {
        if (errno != EINTR) {
            fprintf(stderr, "rusage_run: wait4: %s\n", strerror(errno));
            return 2;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    code = WIFEXITED(status) ? WEXITSTATUS(status)
                             : 128 + (WIFSIGNALED(status) ? WTERMSIG(status)
                                                          : 0);
    fprintf(report, "%.6f %.6f %ld %d\n",
            (double)(t1.tv_sec - t0.tv_sec) +
                (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
            seconds(ru.ru_utime) + seconds(ru.ru_stime), ru.ru_maxrss, code);
    fclose(report);
    return 0;
}
