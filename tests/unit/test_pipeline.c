/*
 * Pipelined batches against the scripted server, which advertises
 * PIPELINING: RETR/TOP/DELE/LIST of many messages give the same results as
 * one command at a time, each -ERR lands on its own message, and a
 * scenario that answers only after three commands have arrived proves the
 * commands really are pipelined.
 */
#include <pop3/pop3.h>

#include "server.h"
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MANY 200

static test_server srv;

static size_t message(unsigned int i, char *buf, size_t cap)
{
    return (size_t)snprintf(buf, cap,
                            "Subject: %u\r\n\r\n.line of %u\r\nend %u\r\n", i,
                            i, i);
}

static void start(unsigned int count)
{
    static const char *const args[] = {"--user", "alice:secret", NULL};
    char buf[256], name[32];
    unsigned int i;

    CU_ASSERT_FATAL(test_server_prepare(&srv) == 0);
    for (i = 1; i <= count; i++) {
        size_t n = message(i, buf, sizeof buf);
        snprintf(name, sizeof name, "m%04u", i);
        test_server_add(&srv, "alice", name, buf, n);
    }
    CU_ASSERT_FATAL(test_server_start(&srv, args) == 0);
}

static pop3_client *session(void)
{
    pop3_options o;
    pop3_client *c = NULL;

    pop3_options_init(&o);
    o.tls = POP3_TLS_NONE;
    o.io_timeout_ms = 10000;
    CU_ASSERT_FATAL(pop3_client_new(&o, &c) == POP3_OK);
    CU_ASSERT_FATAL(pop3_connect(c, "127.0.0.1", srv.port) == POP3_OK);
    CU_ASSERT_FATAL(pop3_login(c, "alice", "secret") == POP3_OK);
    return c;
}

/* Read the current body into buf; its length, or -1. */
static long body(pop3_client *c, char *buf, size_t cap)
{
    const char *data;
    size_t len, total = 0;
    pop3_status st;

    while ((st = pop3_body_next(c, &data, &len)) == POP3_OK) {
        if (total + len > cap)
            return -1;
        memcpy(buf + total, data, len);
        total += len;
    }
    return st == POP3_DONE ? (long)total : -1;
}

static void test_retr_many(void)
{
    unsigned int msgs[MANY], i, got;
    char buf[256], want[256];
    pop3_client *c;
    int ok = 0;

    start(MANY);
    c = session();
    CU_ASSERT(pop3_capa(c) == POP3_OK);
    CU_ASSERT(pop3_has_capa(c, "PIPELINING"));
    for (i = 0; i < MANY; i++)
        msgs[i] = MANY - i; /* any order */
    CU_ASSERT(pop3_retr_many_begin(c, msgs, MANY) == POP3_OK);
    for (i = 0; i < MANY; i++) {
        long n;
        CU_ASSERT_FATAL(pop3_many_next(c, &got) == POP3_OK);
        CU_ASSERT(got == msgs[i]);
        n = body(c, buf, sizeof buf);
        if (n == (long)message(got, want, sizeof want) &&
            memcmp(buf, want, (size_t)n) == 0)
            ok++;
    }
    CU_ASSERT_EQUAL(ok, MANY);
    CU_ASSERT(pop3_many_next(c, &got) == POP3_DONE);
    CU_ASSERT(pop3_noop(c) == POP3_OK); /* the session is in step */
    pop3_client_free(c);
    test_server_stop(&srv);
}

static void test_errors_and_skips(void)
{
    static const unsigned int msgs[] = {1, 99, 2, 3};
    unsigned int got;
    uint64_t n, sz;
    char buf[256];
    pop3_client *c;

    start(3);
    c = session();
    CU_ASSERT(pop3_top_many_begin(c, msgs, 4, 0) == POP3_OK);
    CU_ASSERT(pop3_stat(c, &n, &sz) == POP3_E_BUSY);
    CU_ASSERT(pop3_many_next(c, &got) == POP3_OK && got == 1);
    CU_ASSERT(body(c, buf, sizeof buf) == (long)strlen("Subject: 1\r\n\r\n"));
    /* -ERR for 99 is reported against 99 and the batch goes on. */
    CU_ASSERT(pop3_many_next(c, &got) == POP3_E_SERVER && got == 99);
    CU_ASSERT(strlen(pop3_server_text(c)) > 0);
    /* Message 2 is skipped unread; 3 still arrives whole. */
    CU_ASSERT(pop3_many_next(c, &got) == POP3_OK && got == 2);
    CU_ASSERT(pop3_many_next(c, &got) == POP3_OK && got == 3);
    CU_ASSERT(body(c, buf, sizeof buf) == (long)strlen("Subject: 3\r\n\r\n"));
    CU_ASSERT(pop3_many_next(c, &got) == POP3_DONE);
    CU_ASSERT(pop3_many_next(c, &got) == POP3_E_STATE);

    /* pop3_discard ends a batch early and leaves the session in step. */
    CU_ASSERT(pop3_retr_many_begin(c, msgs, 4) == POP3_OK);
    CU_ASSERT(pop3_many_next(c, &got) == POP3_OK && got == 1);
    CU_ASSERT(pop3_discard(c) == POP3_OK);
    CU_ASSERT(pop3_stat(c, &n, &sz) == POP3_OK && n == 3);
    pop3_client_free(c);
    test_server_stop(&srv);
}

static void test_dele_and_list_many(void)
{
    static const unsigned int msgs[] = {1, 99, 3};
    pop3_status results[3];
    uint64_t sizes[3];
    char want[256];
    pop3_client *c;

    start(3);
    c = session();
    CU_ASSERT(pop3_list_many(c, msgs, 3, sizes, results) == POP3_E_SERVER);
    CU_ASSERT(results[0] == POP3_OK && results[1] == POP3_E_SERVER &&
              results[2] == POP3_OK);
    CU_ASSERT(sizes[0] == message(1, want, sizeof want) && sizes[1] == 0);
    CU_ASSERT(pop3_dele_many(c, msgs, 3, results) == POP3_E_SERVER);
    CU_ASSERT(results[0] == POP3_OK && results[1] == POP3_E_SERVER &&
              results[2] == POP3_OK);
    CU_ASSERT(pop3_dele_many(c, msgs, 0, results) == POP3_E_ARG);
    CU_ASSERT(pop3_quit(c) == POP3_OK);
    pop3_client_free(c);
    CU_ASSERT(!test_server_has(&srv, "alice", "m0001"));
    CU_ASSERT(test_server_has(&srv, "alice", "m0002"));
    CU_ASSERT(!test_server_has(&srv, "alice", "m0003"));
    test_server_stop(&srv);
}

/* The scenario answers RETR only after three of them have arrived. */
static void test_really_pipelined(void)
{
    static const unsigned int msgs[] = {1, 2, 3};
    char path[600];
    const char *args[] = {"--scenario", path, NULL};
    unsigned int got, i;
    char buf[64];
    pop3_client *c;

    snprintf(path, sizeof path, "%s/tests/scenarios/pipelined-retr.scenario",
             getenv("POP3_SOURCE_DIR"));
    CU_ASSERT_FATAL(test_server_prepare(&srv) == 0);
    CU_ASSERT_FATAL(test_server_start(&srv, args) == 0);
    c = session();
    /* No pop3_capa() here: the batch asks for CAPA itself. */
    CU_ASSERT(pop3_retr_many_begin(c, msgs, 3) == POP3_OK);
    for (i = 0; i < 3; i++) {
        CU_ASSERT(pop3_many_next(c, &got) == POP3_OK && got == i + 1);
        CU_ASSERT(body(c, buf, sizeof buf) == 6);
    }
    CU_ASSERT(pop3_many_next(c, &got) == POP3_DONE);
    CU_ASSERT(pop3_quit(c) == POP3_OK);
    pop3_client_free(c);
    CU_ASSERT(!test_server_sent(&srv, "#MISMATCH"));
    test_server_stop(&srv);
}

/* A server without CAPA gets one command at a time, same results. */
static void test_no_capa_falls_back(void)
{
    static const char *const args[] = {"--user", "alice:secret", "--fault",
                                       "capa-err", NULL};
    static const unsigned int msgs[] = {3, 1, 2};
    char buf[256], want[256], name[16];
    unsigned int got, i;
    pop3_status results[3];
    pop3_client *c;

    CU_ASSERT_FATAL(test_server_prepare(&srv) == 0);
    for (i = 1; i <= 3; i++) {
        size_t n = message(i, buf, sizeof buf);
        snprintf(name, sizeof name, "m%04u", i);
        test_server_add(&srv, "alice", name, buf, n);
    }
    CU_ASSERT_FATAL(test_server_start(&srv, args) == 0);
    c = session();
    CU_ASSERT(pop3_retr_many_begin(c, msgs, 3) == POP3_OK);
    for (i = 0; i < 3; i++) {
        CU_ASSERT(pop3_many_next(c, &got) == POP3_OK && got == msgs[i]);
        CU_ASSERT(body(c, buf, sizeof buf) ==
                  (long)message(got, want, sizeof want));
    }
    CU_ASSERT(pop3_many_next(c, &got) == POP3_DONE);
    CU_ASSERT(!pop3_has_capa(c, "PIPELINING"));
    CU_ASSERT(pop3_dele_many(c, msgs, 3, results) == POP3_OK);
    CU_ASSERT(pop3_quit(c) == POP3_OK);
    pop3_client_free(c);
    CU_ASSERT(!test_server_has(&srv, "alice", "m0002"));
    test_server_stop(&srv);
}

int main(void)
{
    static const test_case tests[] = {
        {"RETR of 200 messages", test_retr_many},
        {"-ERR mid-batch, skipped bodies, discard", test_errors_and_skips},
        {"DELE and LIST of many", test_dele_and_list_many},
        {"commands really pipelined", test_really_pipelined},
        {"no CAPA: one at a time", test_no_capa_falls_back},
        {NULL, NULL}};
    return test_run_suite("pipeline", tests);
}
