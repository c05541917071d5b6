/*
 * Reentrancy: eight threads, each with its own client and maildrop, run
 * whole sessions at once against the scripted server and must each get
 * exactly their own mail.  Run under ThreadSanitizer by `make test`.
 */
#include <pop3/pop3.h>

#include "server.h"
#include "testlib.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define THREADS 8
#define MESSAGES 6
#define BODY_LINES 400

static test_server srv;

typedef struct job {
    int id;
    int errors;
    unsigned long long bytes;
} job;

/* Message m of user u: distinct per user and message. */
static size_t make_message(int u, int m, char *buf, size_t cap)
{
    size_t n = (size_t)snprintf(buf, cap,
                                "From: u%d@example.org\r\nSubject: %d/%d\r\n\r\n",
                                u, u, m);
    int i;
    for (i = 0; i < BODY_LINES && n + 80 < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n,
                              "%s line %04d of message %d for user %d\r\n",
                              i % 7 == 0 ? ".." : "", i, m, u);
    return n;
}

static void *worker(void *arg)
{
    job *j = arg;
    char user[16], want[65536], *got = malloc(65536);
    pop3_options o;
    pop3_client *c = NULL;
    uint64_t count, total;
    int m;

    snprintf(user, sizeof user, "user%d", j->id);
    pop3_options_init(&o);
    o.tls = POP3_TLS_NONE;
    o.io_timeout_ms = 20000;
    if (got == NULL || pop3_client_new(&o, &c) != POP3_OK ||
        pop3_connect(c, "127.0.0.1", srv.port) != POP3_OK ||
        pop3_login(c, user, "pw") != POP3_OK ||
        pop3_stat(c, &count, &total) != POP3_OK || count != MESSAGES) {
        j->errors++;
        goto out;
    }
    for (m = 1; m <= MESSAGES; m++) {
        size_t wlen = make_message(j->id, m, want, sizeof want), glen = 0;
        const char *data;
        size_t len;
        pop3_status st;

        if (pop3_retr_begin(c, (unsigned)m) != POP3_OK) {
            j->errors++;
            break;
        }
        while ((st = pop3_body_next(c, &data, &len)) == POP3_OK) {
            if (glen + len > 65536)
                break;
            memcpy(got + glen, data, len);
            glen += len;
        }
        if (st != POP3_DONE || glen != wlen || memcmp(got, want, glen) != 0)
            j->errors++;
        j->bytes += glen;
    }
    if (pop3_quit(c) != POP3_OK)
        j->errors++;
out:
    pop3_client_free(c);
    free(got);
    return NULL;
}

static void test_parallel_sessions(void)
{
    const char *args[2 * THREADS + 1];
    char creds[THREADS][32], buf[65536], name[16], user[16];
    pthread_t th[THREADS];
    job jobs[THREADS];
    int u, m, errors = 0;

    CU_ASSERT_FATAL(test_server_prepare(&srv) == 0);
    for (u = 0; u < THREADS; u++) {
        snprintf(user, sizeof user, "user%d", u);
        for (m = 1; m <= MESSAGES; m++) {
            size_t n = make_message(u, m, buf, sizeof buf);
            snprintf(name, sizeof name, "m%d", m);
            test_server_add(&srv, user, name, buf, n);
        }
        snprintf(creds[u], sizeof creds[u], "user%d:pw", u);
        args[2 * u] = "--user";
        args[2 * u + 1] = creds[u];
    }
    args[2 * THREADS] = NULL;
    CU_ASSERT_FATAL(test_server_start(&srv, args) == 0);

    for (u = 0; u < THREADS; u++) {
        jobs[u].id = u;
        jobs[u].errors = 0;
        jobs[u].bytes = 0;
        CU_ASSERT_FATAL(pthread_create(&th[u], NULL, worker, &jobs[u]) == 0);
    }
    for (u = 0; u < THREADS; u++) {
        pthread_join(th[u], NULL);
        errors += jobs[u].errors;
        CU_ASSERT(jobs[u].bytes > 0);
    }
    CU_ASSERT_EQUAL(errors, 0);
    test_server_stop(&srv);
}

int main(void)
{
    static const test_case tests[] = {
        {"eight clients in eight threads", test_parallel_sessions},
        {NULL, NULL}};
    return test_run_suite("threads", tests);
}
