/*
 * Rows of the fault table (docs/reliability.md) that no other suite
 * proves on its own: each starts the scripted server with a maildrop of
 * two messages, provokes one fault, checks the status the caller sees,
 * that nothing secret or destructive went on the wire, and that the
 * maildrop is unchanged (no QUIT completed).
 */
#include <pop3/pop3.h>

#include "server.h"
#include "testlib.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char MSG1[] = "Subject: one\r\n\r\nhello\r\n";
static const char MSG2[] = "Subject: two\r\n\r\nbye\r\n";

static test_server srv;
static char certs[256];
static char ca[300], server_pem[300], server_key[300];

/* A server for alice with two messages; TLS files when tls is set. */
static void start(int tls, const char *const *extra)
{
    const char *args[24];
    size_t n = 0, i;

    args[n++] = "--user";
    args[n++] = "alice:secret";
    if (tls) {
        args[n++] = "--tls-cert";
        args[n++] = server_pem;
        args[n++] = "--tls-key";
        args[n++] = server_key;
    }
    for (i = 0; extra != NULL && extra[i] != NULL && n < 22; i++)
        args[n++] = extra[i];
    args[n] = NULL;
    CU_ASSERT_FATAL(test_server_prepare(&srv) == 0);
    test_server_add(&srv, "alice", "m1", MSG1, sizeof MSG1 - 1);
    test_server_add(&srv, "alice", "m2", MSG2, sizeof MSG2 - 1);
    CU_ASSERT_FATAL(test_server_start(&srv, args) == 0);
}

static int mail_intact(void)
{
    return test_server_has(&srv, "alice", "m1") &&
           test_server_has(&srv, "alice", "m2");
}

static pop3_client *client(pop3_tls_mode mode, int io_ms)
{
    pop3_options o;
    pop3_client *c = NULL;

    pop3_options_init(&o);
    o.tls = mode;
    o.ca_file = ca;
    o.io_timeout_ms = io_ms;
    o.connect_timeout_ms = 3000;
    CU_ASSERT_FATAL(pop3_client_new(&o, &c) == POP3_OK);
    return c;
}

static long elapsed_ms(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (t1.tv_sec - t0->tv_sec) * 1000 +
           (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Stop the server; the maildrop must still hold both messages. */
static void finish(pop3_client *c)
{
    pop3_client_free(c);
    CU_ASSERT(mail_intact());
    CU_ASSERT(!test_server_sent(&srv, "PASS"));
    test_server_stop(&srv);
}

static void test_row_dns_unresolvable(void)
{
    pop3_client *c;

    start(0, NULL);
    c = client(POP3_TLS_NONE, 2000);
    /* .invalid never resolves (RFC 2606). */
    CU_ASSERT(pop3_connect(c, "no-such-host.invalid", srv.port) ==
              POP3_E_RESOLVE);
    CU_ASSERT(pop3_get_state(c) == POP3_STATE_DISCONNECTED);
    CU_ASSERT(pop3_login(c, "alice", "secret") == POP3_E_STATE);
    CU_ASSERT(!test_server_sent(&srv, "#CONNECT"));
    finish(c);
}

static void test_row_stls_injected_bytes(void)
{
    static const char *const inject[] = {"--fault", "stls-inject", NULL};
    pop3_client *c;

    start(1, inject);
    c = client(POP3_TLS_STLS_REQUIRED, 3000);
    /* The forged "+OK" behind the STLS reply is refused, not trusted. */
    CU_ASSERT(pop3_connect(c, "127.0.0.1", srv.port) == POP3_E_PROTOCOL);
    CU_ASSERT(pop3_login(c, "alice", "secret") == POP3_E_PROTOCOL);
    CU_ASSERT(!test_server_sent(&srv, "USER"));
    finish(c);
}

static void test_row_certificate_for_another_host(void)
{
    pop3_options o;
    pop3_client *c = NULL;

    start(1, NULL);
    pop3_options_init(&o);
    o.tls = POP3_TLS_STLS_REQUIRED;
    o.ca_file = ca;
    o.io_timeout_ms = 3000;
    /* A valid chain, but issued for localhost, not this name. */
    o.server_name = "pop.example.org";
    CU_ASSERT_FATAL(pop3_client_new(&o, &c) == POP3_OK);
    CU_ASSERT(pop3_connect(c, "127.0.0.1", srv.port) == POP3_E_CERT);
    CU_ASSERT(strlen(pop3_error_detail(c)) > 0);
    CU_ASSERT(pop3_login(c, "alice", "secret") == POP3_E_CERT);
    CU_ASSERT(!test_server_sent(&srv, "USER"));
    finish(c);
}

static void test_row_tls_handshake_stall(void)
{
    static const char *const stall[] = {"--fault", "stls-stall", NULL};
    struct timespec t0;
    pop3_client *c;

    start(1, stall);
    c = client(POP3_TLS_STLS_REQUIRED, 300);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CU_ASSERT(pop3_connect(c, "127.0.0.1", srv.port) == POP3_E_TIMEOUT);
    CU_ASSERT(elapsed_ms(&t0) < 3000);
    CU_ASSERT(pop3_noop(c) == POP3_E_TIMEOUT);
    finish(c);
}

static void test_row_invalid_base64_challenge(void)
{
    static const char *const bad[] = {"--sasl", "all", "--fault",
                                      "sasl-bad-base64", NULL};
    pop3_client *c;

    start(0, bad);
    c = client(POP3_TLS_NONE, 2000);
    CU_ASSERT_FATAL(pop3_connect(c, "127.0.0.1", srv.port) == POP3_OK);
    CU_ASSERT(pop3_auth(c, "CRAM-MD5", "alice", "secret") ==
              POP3_E_PROTOCOL);
    CU_ASSERT(pop3_get_state(c) == POP3_STATE_DISCONNECTED);
    finish(c);
}

static void test_row_close_during_quit(void)
{
    static const char *const drop[] = {"--fault", "close-on-quit", NULL};
    pop3_client *c;

    start(0, drop);
    c = client(POP3_TLS_NONE, 2000);
    CU_ASSERT_FATAL(pop3_connect(c, "127.0.0.1", srv.port) == POP3_OK);
    CU_ASSERT_FATAL(pop3_login(c, "alice", "secret") == POP3_OK);
    CU_ASSERT(pop3_dele(c, 1) == POP3_OK);
    CU_ASSERT(pop3_dele(c, 2) == POP3_OK);
    /* No +OK to QUIT: the deletions cannot be known to be committed. */
    CU_ASSERT(pop3_quit(c) == POP3_E_EOF);
    pop3_client_free(c);
    CU_ASSERT(mail_intact());
    test_server_stop(&srv);
}

static void test_row_bad_arguments(void)
{
    pop3_client *c;
    uint64_t size;
    const char *uid;

    start(0, NULL);
    c = client(POP3_TLS_NONE, 2000);
    CU_ASSERT_FATAL(pop3_connect(c, "127.0.0.1", srv.port) == POP3_OK);
    /* CR, LF in anything that goes on the wire: refused, nothing sent. */
    CU_ASSERT(pop3_login(c, "alice\r\nDELE 1", "secret") == POP3_E_ARG);
    CU_ASSERT(pop3_login(c, "alice", "sec\nret") == POP3_E_ARG);
    CU_ASSERT(pop3_login(c, NULL, "secret") == POP3_E_ARG);
    CU_ASSERT(!test_server_sent(&srv, "USER"));
    CU_ASSERT_FATAL(pop3_login(c, "alice", "secret") == POP3_OK);

    /* Index 0 does not exist (RFC 1939 messages count from 1). */
    CU_ASSERT(pop3_retr_begin(c, 0) == POP3_E_ARG);
    CU_ASSERT(pop3_top_begin(c, 0, 1) == POP3_E_ARG);
    CU_ASSERT(pop3_dele(c, 0) == POP3_E_ARG);
    CU_ASSERT(pop3_list_one(c, 0, &size) == POP3_E_ARG);
    CU_ASSERT(pop3_uidl_one(c, 0, &uid) == POP3_E_ARG);
    CU_ASSERT(!test_server_sent(&srv, "DELE"));

    /* A huge index goes to the server, which says -ERR; no failure. */
    CU_ASSERT(pop3_dele(c, UINT_MAX) == POP3_E_SERVER);
    CU_ASSERT(pop3_retr_begin(c, UINT_MAX) == POP3_E_SERVER);
    CU_ASSERT(pop3_list_one(c, UINT_MAX, &size) == POP3_E_SERVER);

    /* NULL outputs and clients. */
    CU_ASSERT(pop3_stat(c, NULL, &size) == POP3_E_ARG);
    CU_ASSERT(pop3_uidl_one(c, 1, NULL) == POP3_E_ARG);
    CU_ASSERT(pop3_body_next(c, NULL, NULL) == POP3_E_ARG);
    CU_ASSERT(pop3_retr_many_begin(c, NULL, 1) == POP3_E_ARG);
    CU_ASSERT(pop3_dele(NULL, 1) == POP3_E_ARG);
    CU_ASSERT(pop3_noop(c) == POP3_OK); /* still healthy */
    CU_ASSERT(pop3_rset(c) == POP3_OK);
    pop3_client_free(c);
    CU_ASSERT(mail_intact());
    test_server_stop(&srv);
}

int main(void)
{
    static const test_case tests[] = {
        {"DNS name that does not resolve", test_row_dns_unresolvable},
        {"STLS with injected bytes", test_row_stls_injected_bytes},
        {"certificate for another host",
         test_row_certificate_for_another_host},
        {"TLS handshake stall", test_row_tls_handshake_stall},
        {"invalid base64 SASL challenge", test_row_invalid_base64_challenge},
        {"close during QUIT", test_row_close_during_quit},
        {"bad arguments", test_row_bad_arguments},
        {NULL, NULL}};
    int rc;

    if (test_make_certs(certs, sizeof certs) != 0)
        return 1;
    snprintf(ca, sizeof ca, "%s/ca.pem", certs);
    snprintf(server_pem, sizeof server_pem, "%s/server.pem", certs);
    snprintf(server_key, sizeof server_key, "%s/server.key", certs);
    rc = test_run_suite("fault table", tests);
    test_remove_dir(certs);
    return rc;
}
