/*
 * TLS against the scripted server: implicit TLS and STLS, certificate
 * and host-name verification, and every way TLS can be refused or
 * attacked -- each time checking what the client did or did not send,
 * since no credential may ever leave in cleartext when TLS was required.
 */
#include <pop3/pop3.h>

#include "server.h"
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char MSG1[] = "From: a@example.org\r\nSubject: one\r\n\r\n"
                           "hello\r\n";

static char certs[256];
static char ca[300], other_ca[300], server_pem[300], server_key[300];
static char client_pem[300], client_key[300];
static test_server srv;

/* Start the server with TLS files plus `extra` (NULL-terminated). */
static void start(const char *const *extra)
{
    const char *args[40];
    size_t n = 0, i;

    args[n++] = "--user";
    args[n++] = "alice:secret";
    args[n++] = "--tls-cert";
    args[n++] = server_pem;
    args[n++] = "--tls-key";
    args[n++] = server_key;
    for (i = 0; extra != NULL && extra[i] != NULL && n < 38; i++)
        args[n++] = extra[i];
    args[n] = NULL;
    CU_ASSERT_FATAL(test_server_prepare(&srv) == 0);
    test_server_add(&srv, "alice", "m1", MSG1, sizeof MSG1 - 1);
    CU_ASSERT_FATAL(test_server_start(&srv, args) == 0);
}

static void options(pop3_options *o, pop3_tls_mode mode)
{
    pop3_options_init(o);
    o->tls = mode;
    o->ca_file = ca;
    o->io_timeout_ms = 5000;
    o->connect_timeout_ms = 5000;
}

static pop3_client *client(const pop3_options *o)
{
    pop3_client *c = NULL;
    CU_ASSERT_FATAL(pop3_client_new(o, &c) == POP3_OK);
    return c;
}

static pop3_client *client_mode(pop3_tls_mode mode)
{
    pop3_options o;
    options(&o, mode);
    return client(&o);
}

/* The server's log after the last line equal to `marker` (or all). */
static char *log_after(const char *marker)
{
    char *log = test_server_log(&srv), *p = log, *hit = NULL;
    size_t n = strlen(marker);

    while (p != NULL && *p != '\0') {
        if (strncmp(p, marker, n) == 0 && p[n] == '\n')
            hit = p + n + 1;
        p = strchr(p, '\n');
        if (p != NULL)
            p++;
    }
    if (hit != NULL)
        memmove(log, hit, strlen(hit) + 1);
    return log;
}

/* Nothing the client sent after `marker` but the closing: the log from
 * there holds only '#' event lines. */
static int sent_nothing_after(const char *marker)
{
    char *log = log_after(marker), *p = log;
    int clean = 1;

    while (p != NULL && *p != '\0') {
        if (*p != '#')
            clean = 0;
        p = strchr(p, '\n');
        if (p != NULL)
            p++;
    }
    if (!clean)
        fprintf(stderr, "\nunexpected after %s:\n%s", marker, log);
    free(log);
    return clean;
}

/* ---- the working cases ------------------------------------------------ */

static void test_stls_required(void)
{
    pop3_client *c = client_mode(POP3_TLS_STLS_REQUIRED);
    uint64_t n, size;

    start(NULL);
    CU_ASSERT_FATAL(pop3_connect(c, "127.0.0.1", srv.port) == POP3_OK);
    CU_ASSERT(pop3_is_tls(c));
    /* CAPA again after STLS (RFC 2595 4): the list is the TLS one. */
    CU_ASSERT(!pop3_has_capa(c, "STLS"));
    CU_ASSERT(pop3_has_capa(c, "USER"));
    CU_ASSERT(pop3_login(c, "alice", "secret") == POP3_OK);
    CU_ASSERT(pop3_stat(c, &n, &size) == POP3_OK && n == 1);
    CU_ASSERT(pop3_quit(c) == POP3_OK);
    pop3_client_free(c);
    /* The order on the wire: CAPA, STLS, the handshake, CAPA, USER. */
    CU_ASSERT(test_server_sent(&srv, "#CONNECT\nCAPA\nSTLS\n#TLS TLSv1.3\n"
                                     "CAPA\nUSER alice\n"));
    test_server_stop(&srv);
}

static void test_default_is_secure(void)
{
    static const char *const plain_only[] = {"--user", "alice:secret",
                                             NULL};
    pop3_options o;
    pop3_client *c;

    /* POP3_TLS_DEFAULT on a port other than 995 means STLS required. */
    start(NULL);
    options(&o, POP3_TLS_DEFAULT);
    c = client(&o);
    CU_ASSERT(pop3_connect(c, "127.0.0.1", srv.port) == POP3_OK);
    CU_ASSERT(pop3_is_tls(c));
    pop3_client_free(c);
    test_server_stop(&srv);

    /* A server without STLS: refused, and only CAPA went out. */
    CU_ASSERT_FATAL(test_server_prepare(&srv) == 0);
    CU_ASSERT_FATAL(test_server_start(&srv, plain_only) == 0);
    c = client(&o);
    CU_ASSERT(pop3_connect(c, "127.0.0.1", srv.port) ==
              POP3_E_TLS_UNAVAILABLE);
    CU_ASSERT(strlen(pop3_error_detail(c)) > 0);
    /* Sticky: the login is refused locally, nothing is sent. */
    CU_ASSERT(pop3_login(c, "alice", "secret") == POP3_E_TLS_UNAVAILABLE);
    CU_ASSERT(pop3_authenticate(c, "alice", "secret") ==
              POP3_E_TLS_UNAVAILABLE);
    pop3_client_free(c);
    CU_ASSERT(sent_nothing_after("CAPA"));
    CU_ASSERT(!test_server_sent(&srv, "alice"));
    test_server_stop(&srv);
}

static void test_implicit(void)
{
    static const char *const implicit[] = {"--implicit-tls", NULL};
    pop3_client *c = client_mode(POP3_TLS_IMPLICIT);
    const char *uid;

    start(implicit);
    CU_ASSERT_FATAL(pop3_connect(c, "127.0.0.1", srv.port) == POP3_OK);
    CU_ASSERT(pop3_is_tls(c));
    CU_ASSERT(pop3_login(c, "alice", "secret") == POP3_OK);
    CU_ASSERT(pop3_uidl_one(c, 1, &uid) == POP3_OK);
    CU_ASSERT_STRING_EQUAL(uid, "m1");
    CU_ASSERT(pop3_quit(c) == POP3_OK);
    /* The client can connect again with the same TLS context. */
    CU_ASSERT(pop3_connect(c, "localhost", srv.port) == POP3_OK);
    CU_ASSERT(pop3_is_tls(c));
    pop3_client_free(c);
    /* No CAPA was needed: implicit TLS decides nothing by it. */
    CU_ASSERT(test_server_sent(&srv, "#TLS TLSv1.3\nUSER alice\n"));
    test_server_stop(&srv);
}

static void test_stls_if_offered(void)
{
    static const char *const refuse[] = {"--fault", "stls-err", NULL};
    static const char *const plain_only[] = {"--user", "alice:secret",
                                             NULL};
    pop3_client *c;

    /* Offered: taken. */
    start(NULL);
    c = client_mode(POP3_TLS_STLS_IF_OFFERED);
    CU_ASSERT(pop3_connect(c, "127.0.0.1", srv.port) == POP3_OK);
    CU_ASSERT(pop3_is_tls(c));
    pop3_client_free(c);
    test_server_stop(&srv);

    /* Refused with -ERR: cleartext, which this mode accepts. */
    start(refuse);
    c = client_mode(POP3_TLS_STLS_IF_OFFERED);
    CU_ASSERT(pop3_connect(c, "127.0.0.1", srv.port) == POP3_OK);
    CU_ASSERT(!pop3_is_tls(c));
    CU_ASSERT(pop3_login(c, "alice", "secret") == POP3_OK);
    pop3_client_free(c);
    test_server_stop(&srv);

    /* Not offered at all: cleartext, and no STLS tried. */
    CU_ASSERT_FATAL(test_server_prepare(&srv) == 0);
    CU_ASSERT_FATAL(test_server_start(&srv, plain_only) == 0);
    c = client_mode(POP3_TLS_STLS_IF_OFFERED);
    CU_ASSERT(pop3_connect(c, "127.0.0.1", srv.port) == POP3_OK);
    CU_ASSERT(!pop3_is_tls(c));
    pop3_client_free(c);
    CU_ASSERT(!test_server_sent(&srv, "STLS"));
    test_server_stop(&srv);
}

static void test_stls_by_hand(void)
{
    pop3_client *c = client_mode(POP3_TLS_NONE);

    start(NULL);
    CU_ASSERT_FATAL(pop3_connect(c, "127.0.0.1", srv.port) == POP3_OK);
    CU_ASSERT(!pop3_is_tls(c));
    CU_ASSERT(pop3_stls(c) == POP3_OK);
    CU_ASSERT(pop3_is_tls(c));
    CU_ASSERT(pop3_stls(c) == POP3_E_STATE); /* once is enough */
    CU_ASSERT(pop3_login(c, "alice", "secret") == POP3_OK);
    CU_ASSERT(pop3_stls(c) == POP3_E_STATE); /* AUTHORIZATION only */
    pop3_client_free(c);
    test_server_stop(&srv);
}

/* ---- refusals and attacks ---------------------------------------------- */

static void test_stls_refused(void)
{
    static const char *const refuse[] = {"--fault", "stls-err", NULL};
    static const char *const no_capa[] = {"--fault", "capa-err", NULL};
    pop3_client *c;

    /* -ERR to STLS when TLS is required: the session ends there, and no
     * retry (a Thunderbird loop), no cleartext login (fetchmail). */
    start(refuse);
    c = client_mode(POP3_TLS_STLS_REQUIRED);
    CU_ASSERT(pop3_connect(c, "127.0.0.1", srv.port) ==
              POP3_E_TLS_UNAVAILABLE);
    CU_ASSERT(pop3_get_state(c) == POP3_STATE_DISCONNECTED);
    CU_ASSERT(pop3_login(c, "alice", "secret") == POP3_E_TLS_UNAVAILABLE);
    pop3_client_free(c);
    CU_ASSERT(sent_nothing_after("STLS"));
    test_server_stop(&srv);

    /* CAPA refused: no way to know of STLS, so no session (curl
     * CVE-2021-22946). */
    start(no_capa);
    c = client_mode(POP3_TLS_STLS_REQUIRED);
    CU_ASSERT(pop3_connect(c, "127.0.0.1", srv.port) ==
              POP3_E_TLS_UNAVAILABLE);
    pop3_client_free(c);
    CU_ASSERT(sent_nothing_after("CAPA"));
    test_server_stop(&srv);

    /* pop3_stls by hand also fails closed. */
    start(refuse);
    c = client_mode(POP3_TLS_NONE);
    CU_ASSERT_FATAL(pop3_connect(c, "127.0.0.1", srv.port) == POP3_OK);
    CU_ASSERT(pop3_stls(c) == POP3_E_TLS_UNAVAILABLE);
    CU_ASSERT(pop3_login(c, "alice", "secret") == POP3_E_TLS_UNAVAILABLE);
    pop3_client_free(c);
    CU_ASSERT(sent_nothing_after("STLS"));
    test_server_stop(&srv);
}

static void test_stls_injection(void)
{
    static const char *const inject[] = {"--fault", "stls-inject", NULL};
    char scenario[600];
    const char *args[] = {"--scenario", scenario, NULL};
    pop3_client *c;
    char *log;

    /* Maildrop mode: "+OK Begin TLS\r\n+OK injected\r\n" in one segment. */
    start(inject);
    c = client_mode(POP3_TLS_STLS_REQUIRED);
    CU_ASSERT(pop3_connect(c, "127.0.0.1", srv.port) == POP3_E_PROTOCOL);
    CU_ASSERT(strstr(pop3_error_detail(c), "STLS") != NULL);
    CU_ASSERT(pop3_login(c, "alice", "secret") == POP3_E_PROTOCOL);
    pop3_client_free(c);
    CU_ASSERT(sent_nothing_after("STLS"));
    log = test_server_log(&srv);
    CU_ASSERT(strstr(log, "#TLS TLS") == NULL); /* no handshake either */
    free(log);
    test_server_stop(&srv);

    /* The shared scenario file: the same attack, byte for byte. */
    snprintf(scenario, sizeof scenario,
             "%s/tests/scenarios/stls-inject.scenario",
             getenv("POP3_SOURCE_DIR") ? getenv("POP3_SOURCE_DIR") : ".");
    CU_ASSERT_FATAL(test_server_prepare(&srv) == 0);
    CU_ASSERT_FATAL(test_server_start(&srv, args) == 0);
    c = client_mode(POP3_TLS_STLS_REQUIRED);
    CU_ASSERT(pop3_connect(c, "127.0.0.1", srv.port) == POP3_E_PROTOCOL);
    pop3_client_free(c);
    CU_ASSERT(!test_server_sent(&srv, "#MISMATCH"));
    test_server_stop(&srv);
}

static long elapsed_ms(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (t1.tv_sec - t0->tv_sec) * 1000 +
           (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

static void test_handshake_deadline(void)
{
    static const char *const stall[] = {"--fault", "stls-stall", NULL};
    static const char *const silent[] = {"--implicit-tls", "--fault",
                                         "silent", NULL};
    struct timespec t0;
    pop3_options o;
    pop3_client *c;

    /* STLS answered, then no handshake (fetchmail CVE-2011-1947). */
    start(stall);
    options(&o, POP3_TLS_STLS_REQUIRED);
    o.io_timeout_ms = 400;
    c = client(&o);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CU_ASSERT(pop3_connect(c, "127.0.0.1", srv.port) == POP3_E_TIMEOUT);
    CU_ASSERT(elapsed_ms(&t0) < 3000);
    pop3_client_free(c);
    test_server_stop(&srv);

    /* Implicit TLS to a server that never answers the ClientHello. */
    start(silent);
    options(&o, POP3_TLS_IMPLICIT);
    o.io_timeout_ms = 400;
    c = client(&o);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CU_ASSERT(pop3_connect(c, "127.0.0.1", srv.port) == POP3_E_TIMEOUT);
    CU_ASSERT(elapsed_ms(&t0) < 3000);
    CU_ASSERT(pop3_status_family(pop3_last_status(c)) ==
              POP3_FAMILY_TIMEOUT);
    pop3_client_free(c);
    test_server_stop(&srv);
}

/* ---- verification ------------------------------------------------------ */

static pop3_status connect_with(const pop3_options *o, const char *host,
                                char *detail, size_t size)
{
    pop3_client *c = client(o);
    pop3_status st = pop3_connect(c, host, srv.port);
    snprintf(detail, size, "%s", pop3_error_detail(c));
    pop3_client_free(c);
    return st;
}

static void test_verification(void)
{
    static const char *const implicit[] = {"--implicit-tls", NULL};
    char detail[256];
    pop3_options o;

    start(implicit);
    options(&o, POP3_TLS_IMPLICIT);
    /* The certificate names localhost, 127.0.0.1 and ::1. */
    CU_ASSERT(connect_with(&o, "127.0.0.1", detail, sizeof detail) ==
              POP3_OK);
    CU_ASSERT(connect_with(&o, "localhost", detail, sizeof detail) ==
              POP3_OK);

    /* Another name: refused, with the reason. */
    o.server_name = "mail.example.org";
    CU_ASSERT(connect_with(&o, "127.0.0.1", detail, sizeof detail) ==
              POP3_E_CERT);
    CU_ASSERT(strstr(detail, "mismatch") != NULL);
    o.server_name = "127.0.0.2"; /* an IP address the certificate lacks */
    CU_ASSERT(connect_with(&o, "127.0.0.1", detail, sizeof detail) ==
              POP3_E_CERT);
    o.server_name = "localhost";
    CU_ASSERT(connect_with(&o, "127.0.0.1", detail, sizeof detail) ==
              POP3_OK);
    o.server_name = NULL;

    /* Another CA, or the system's store: the chain is not trusted. */
    o.ca_file = other_ca;
    CU_ASSERT(connect_with(&o, "127.0.0.1", detail, sizeof detail) ==
              POP3_E_CERT);
    CU_ASSERT(strstr(detail, "certificate verify failed") != NULL);
    CU_ASSERT(pop3_status_family(POP3_E_CERT) == POP3_FAMILY_TLS);
    o.ca_file = NULL;
    CU_ASSERT(connect_with(&o, "127.0.0.1", detail, sizeof detail) ==
              POP3_E_CERT);
    /* ...the CA as a hashed directory is not a directory of it. */
    o.ca_path = certs;
    CU_ASSERT(connect_with(&o, "127.0.0.1", detail, sizeof detail) ==
              POP3_E_CERT);
    o.ca_path = NULL;

    /* Verification off -- only when asked for by name. */
    o.ca_file = other_ca;
    o.tls_verify = 0;
    o.server_name = "mail.example.org";
    CU_ASSERT(connect_with(&o, "127.0.0.1", detail, sizeof detail) ==
              POP3_OK);
    o.tls_verify = 1;
    o.server_name = NULL;

    /* A CA file that cannot be read: refused before connecting. */
    o.ca_file = "/nonexistent/ca.pem";
    CU_ASSERT(connect_with(&o, "127.0.0.1", detail, sizeof detail) ==
              POP3_E_TLS);
    CU_ASSERT(strstr(detail, "CA") != NULL);
    CU_ASSERT(!test_server_sent(&srv, "#CONNECT\n#CLOSE\n#CONNECT\n"
                                      "#CLOSE\n#CONNECT\n#CLOSE\n"
                                      "#CONNECT\n#CLOSE\n#CONNECT\n"
                                      "#CLOSE\n#CONNECT\n#CLOSE\n"
                                      "#CONNECT\n#CLOSE\n#CONNECT\n"
                                      "#CLOSE\n#CONNECT"));
    test_server_stop(&srv);
}

static void test_stls_bad_cert(void)
{
    char detail[256];
    pop3_options o;

    /* Over STLS too: a refused certificate ends the session before any
     * credential. */
    start(NULL);
    options(&o, POP3_TLS_STLS_REQUIRED);
    o.ca_file = other_ca;
    CU_ASSERT(connect_with(&o, "127.0.0.1", detail, sizeof detail) ==
              POP3_E_CERT);
    CU_ASSERT(sent_nothing_after("STLS"));
    test_server_stop(&srv);
}

static void test_client_certificate(void)
{
    const char *args[] = {"--implicit-tls", "--tls-client-ca", ca, NULL};
    char detail[256];
    pop3_options o;

    start(args);
    options(&o, POP3_TLS_IMPLICIT);
    /* Without one the server refuses the handshake (under TLS 1.3 the
     * refusal arrives with the first read: either way, no session). */
    CU_ASSERT(connect_with(&o, "127.0.0.1", detail, sizeof detail) !=
              POP3_OK);
    o.cert_file = client_pem;
    o.key_file = client_key;
    CU_ASSERT(connect_with(&o, "127.0.0.1", detail, sizeof detail) ==
              POP3_OK);
    /* A key that does not belong to the certificate. */
    o.key_file = server_key;
    CU_ASSERT(connect_with(&o, "127.0.0.1", detail, sizeof detail) ==
              POP3_E_TLS);
    CU_ASSERT(strstr(detail, "key") != NULL);
    o.cert_file = NULL;
    CU_ASSERT(connect_with(&o, "127.0.0.1", detail, sizeof detail) ==
              POP3_E_TLS);
    test_server_stop(&srv);
}

static void test_protocol_versions(void)
{
    static const char *const tls11[] = {"--implicit-tls", "--tls-max-version",
                                        "1.1", NULL};
    static const char *const tls12[] = {"--implicit-tls", "--tls-max-version",
                                        "1.2", NULL};
    char detail[256];
    pop3_options o;

    options(&o, POP3_TLS_IMPLICIT);
    start(tls11); /* TLS 1.1 and older are refused */
    CU_ASSERT(connect_with(&o, "127.0.0.1", detail, sizeof detail) ==
              POP3_E_TLS);
    test_server_stop(&srv);
    start(tls12); /* TLS 1.2 is the floor */
    CU_ASSERT(connect_with(&o, "127.0.0.1", detail, sizeof detail) ==
              POP3_OK);
    CU_ASSERT(test_server_sent(&srv, "#TLS TLSv1.2"));
    test_server_stop(&srv);
}

typedef struct trace_log {
    char text[8192];
    size_t len;
} trace_log;

static void on_trace(void *ctx, pop3_trace_dir dir, const char *line,
                     size_t len)
{
    trace_log *t = ctx;
    if (t->len + len + 4 < sizeof t->text) {
        t->text[t->len++] = dir == POP3_TRACE_SEND ? '>' : '<';
        memcpy(t->text + t->len, line, len);
        t->len += len;
        t->text[t->len++] = '\n';
        t->text[t->len] = '\0';
    }
}

static void test_sasl_over_tls(void)
{
    static const char *const sasl[] = {"--sasl", "all", NULL};
    static trace_log t;
    pop3_options o;
    pop3_client *c;

    start(sasl);
    options(&o, POP3_TLS_STLS_REQUIRED);
    o.trace = on_trace;
    o.trace_ctx = &t;
    c = client(&o);
    CU_ASSERT_FATAL(pop3_connect(c, "127.0.0.1", srv.port) == POP3_OK);
    CU_ASSERT(pop3_has_sasl(c, "PLAIN"));
    CU_ASSERT(pop3_auth(c, "PLAIN", "alice", "secret") == POP3_OK);
    pop3_client_free(c);
    /* The trace shows the mechanism, never the credentials. */
    CU_ASSERT(strstr(t.text, ">AUTH PLAIN ****\n") != NULL);
    CU_ASSERT(strstr(t.text, "secret") == NULL);
    CU_ASSERT(strstr(t.text, "AGFsaWNlAHNlY3JldA") == NULL);
    test_server_stop(&srv);
}

int main(void)
{
    static const test_case tests[] = {
        {"STLS required", test_stls_required},
        {"the default is TLS", test_default_is_secure},
        {"implicit TLS", test_implicit},
        {"STLS if offered", test_stls_if_offered},
        {"pop3_stls by hand", test_stls_by_hand},
        {"STLS refused or not offered", test_stls_refused},
        {"STLS response injection", test_stls_injection},
        {"handshake deadline", test_handshake_deadline},
        {"certificate and name verification", test_verification},
        {"bad certificate over STLS", test_stls_bad_cert},
        {"client certificate", test_client_certificate},
        {"TLS 1.2 minimum", test_protocol_versions},
        {"SASL over TLS, masked trace", test_sasl_over_tls},
        {NULL, NULL}};
    int rc;

    if (test_make_certs(certs, sizeof certs) != 0) {
        fprintf(stderr, "cannot make test certificates in %s\n", certs);
        return 1;
    }
    snprintf(ca, sizeof ca, "%s/ca.pem", certs);
    snprintf(other_ca, sizeof other_ca, "%s/other-ca.pem", certs);
    snprintf(server_pem, sizeof server_pem, "%s/server.pem", certs);
    snprintf(server_key, sizeof server_key, "%s/server.key", certs);
    snprintf(client_pem, sizeof client_pem, "%s/client.pem", certs);
    snprintf(client_key, sizeof client_key, "%s/client.key", certs);
    rc = test_run_suite("tls", tests);
    test_remove_dir(certs);
    return rc;
}
