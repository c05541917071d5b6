/*
 * Stress: 32 threads, each with its own client and user, run full
 * sessions (login, LIST, RETR of every message checked byte for byte
 * against what was seeded, DELE, QUIT) against the suite's Dovecot at
 * once; a second session then checks the deletion was committed.  `make
 * test` runs it again under ThreadSanitizer.
 */
#include <pop3/pop3.h>

#include "dovecot.h"
#include "testlib.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define THREADS 32
#define ROUNDS 2

static const char *const FILES[] = {"plain.eml", "dots.eml", "third.eml",
                                    NULL};

typedef struct job {
    int id;
    int errors;
    const char *want[3];
    size_t want_len[3];
} job;

static char *slurp(const char *name, size_t *len)
{
    char path[600];
    FILE *f = fopen(dovecot_data(name, path, sizeof path), "rb");
    char *buf = calloc(1, 65536);
    *len = f && buf ? fread(buf, 1, 65536, f) : 0;
    if (f)
        fclose(f);
    return buf;
}

static pop3_client *login(const char *user)
{
    pop3_options o;
    pop3_client *c = NULL;

    pop3_options_init(&o);
    o.tls = POP3_TLS_NONE;
    o.io_timeout_ms = 30000;
    if (pop3_client_new(&o, &c) != POP3_OK)
        return NULL;
    if (pop3_connect(c, "127.0.0.1", dovecot_port()) != POP3_OK ||
        pop3_login(c, user, "secret") != POP3_OK) {
        pop3_client_free(c);
        return NULL;
    }
    return c;
}

/* One full session; returns the number of mismatches and failures. */
static int session(job *j, const char *user, unsigned int expect)
{
    pop3_client *c = login(user);
    char got[65536];
    uint64_t count, total, size;
    unsigned int msg, i;
    int errors = 0;

    if (c == NULL)
        return 1;
    if (pop3_stat(c, &count, &total) != POP3_OK || count != expect)
        errors++;
    if (pop3_list_begin(c) != POP3_OK)
        errors++;
    while (pop3_list_next(c, &msg, &size) == POP3_OK)
        ;
    for (i = 1; i <= count && i <= 3; i++) {
        const char *data;
        size_t len, n = 0;
        pop3_status st;
        /* After the first round message 1 is gone: the rest shift. */
        unsigned int file = expect == 3 ? i - 1 : i;

        if (pop3_retr_begin(c, i) != POP3_OK) {
            errors++;
            continue;
        }
        while ((st = pop3_body_next(c, &data, &len)) == POP3_OK &&
               n + len <= sizeof got) {
            memcpy(got + n, data, len);
            n += len;
        }
        if (st != POP3_DONE || n != j->want_len[file] ||
            memcmp(got, j->want[file], n) != 0)
            errors++;
    }
    if (pop3_dele(c, 1) != POP3_OK || pop3_quit(c) != POP3_OK)
        errors++;
    pop3_client_free(c);
    return errors;
}

static void *worker(void *arg)
{
    job *j = arg;
    char user[16];
    int round;

    snprintf(user, sizeof user, "stress%02d", j->id);
    for (round = 0; round < ROUNDS; round++)
        j->errors += session(j, user, 3u - (unsigned)round);
    return NULL;
}

static void test_thirty_two_sessions(void)
{
    pthread_t th[THREADS];
    job jobs[THREADS];
    char *files[3], user[16];
    size_t lens[3];
    int t, errors = 0;

    for (t = 0; t < 3; t++)
        files[t] = slurp(FILES[t], &lens[t]);
    for (t = 0; t < THREADS; t++) {
        snprintf(user, sizeof user, "stress%02d", t);
        CU_ASSERT_FATAL(dovecot_seed(user, FILES, NULL) == 0);
    }
    for (t = 0; t < THREADS; t++) {
        int k;
        jobs[t].id = t;
        jobs[t].errors = 0;
        for (k = 0; k < 3; k++) {
            jobs[t].want[k] = files[k];
            jobs[t].want_len[k] = lens[k];
        }
        CU_ASSERT_FATAL(pthread_create(&th[t], NULL, worker, &jobs[t]) == 0);
    }
    for (t = 0; t < THREADS; t++) {
        pthread_join(th[t], NULL);
        errors += jobs[t].errors;
    }
    CU_ASSERT_EQUAL(errors, 0);
    /* Two rounds each deleted one message: one is left per user. */
    for (t = 0; t < THREADS; t += 8) {
        snprintf(user, sizeof user, "stress%02d", t);
        CU_ASSERT_EQUAL(dovecot_count(user), 1);
    }
    for (t = 0; t < 3; t++)
        free(files[t]);
}

int main(void)
{
    static const test_case tests[] = {
        {"32 threads, full sessions against Dovecot",
         test_thirty_two_sessions},
        {NULL, NULL}};
    return test_run_suite("stress", tests);
}
