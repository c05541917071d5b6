/*
 * TLS and SASL against a real Dovecot on loopback (the CTest fixture
 * "dovecot", started with --tls: a generated CA and server certificate
 * for localhost, 127.0.0.1 and 127.0.0.2, STLS on the POP3 port, and a
 * POP3S port).  Users tls1-tls8, password "secret".
 *
 * Every login verifies the certificate (trusting the generated CA) and
 * the name; connections to 127.0.0.2 test the address check, and are
 * where Dovecot does not count the client as secure.
 */
#include <pop3/pop3.h>

#include "dovecot.h"
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char ca[600];

static const char *const MECHS[] = {"PLAIN", "LOGIN", "CRAM-MD5",
                                    "SCRAM-SHA-1", "SCRAM-SHA-256", NULL};

static pop3_client *client(pop3_tls_mode mode, const char *ca_file,
                           const char *server_name)
{
    pop3_options o;
    pop3_client *c = NULL;

    pop3_options_init(&o);
    o.tls = mode;
    o.ca_file = ca_file;
    o.server_name = server_name;
    o.io_timeout_ms = 30000; /* IN-USE comes after Dovecot's 10 s wait */
    o.connect_timeout_ms = 5000;
    CU_ASSERT_FATAL(pop3_client_new(&o, &c) == POP3_OK);
    return c;
}

/* A verified TLS session: implicit on the POP3S port, or STLS. */
static pop3_client *session(pop3_tls_mode mode, const char *host)
{
    pop3_client *c = client(mode, ca, NULL);
    unsigned int port = mode == POP3_TLS_IMPLICIT
                            ? dovecot_env_port("POP3S_PORT")
                            : dovecot_port();
    pop3_status st;

    CU_ASSERT_FATAL(port != 0);
    st = pop3_connect(c, host, port);
    if (st != POP3_OK)
        fprintf(stderr, "\nconnect %s: %s (%s) ", host, pop3_strerror(st),
                pop3_error_detail(c));
    CU_ASSERT_FATAL(st == POP3_OK);
    CU_ASSERT(pop3_is_tls(c));
    return c;
}

/* Log in with `method` ("APOP" or a SASL mechanism), check the session
 * works, QUIT. */
static void login_with(pop3_tls_mode mode, const char *host,
                       const char *user, const char *method)
{
    pop3_client *c = session(mode, host);
    uint64_t n, size;
    pop3_status st;

    st = strcmp(method, "APOP") == 0 ? pop3_apop(c, user, "secret")
                                      : pop3_auth(c, method, user, "secret");
    if (st != POP3_OK)
        fprintf(stderr, "\n%s as %s: %s (%s) ", method, user,
                pop3_strerror(st), pop3_server_text(c));
    CU_ASSERT(st == POP3_OK);
    CU_ASSERT_STRING_EQUAL(pop3_auth_used(c) ? pop3_auth_used(c) : "",
                           method);
    CU_ASSERT(pop3_stat(c, &n, &size) == POP3_OK);
    CU_ASSERT(pop3_quit(c) == POP3_OK);
    pop3_client_free(c);
}

static void test_implicit_every_mechanism(void)
{
    size_t i;

    for (i = 0; MECHS[i] != NULL; i++)
        login_with(POP3_TLS_IMPLICIT, "127.0.0.1", "tls1", MECHS[i]);
    login_with(POP3_TLS_IMPLICIT, "localhost", "tls1", "APOP");
}

static void test_stls_every_mechanism(void)
{
    size_t i;

    for (i = 0; MECHS[i] != NULL; i++)
        login_with(POP3_TLS_STLS_REQUIRED, "127.0.0.2", "tls2", MECHS[i]);
    login_with(POP3_TLS_STLS_REQUIRED, "127.0.0.2", "tls2", "APOP");
}

static void test_automatic_and_capa(void)
{
    pop3_client *c = session(POP3_TLS_DEFAULT, "127.0.0.2");

    /* CAPA as read after STLS: no STLS any more, Dovecot's mechanisms. */
    CU_ASSERT(!pop3_has_capa(c, "STLS"));
    CU_ASSERT(pop3_has_capa(c, "RESP-CODES"));
    CU_ASSERT(pop3_has_capa(c, "AUTH-RESP-CODE"));
    CU_ASSERT(pop3_has_sasl(c, "SCRAM-SHA-256"));
    CU_ASSERT(pop3_has_sasl(c, "cram-md5"));
    CU_ASSERT(pop3_capa_arg(c, "SASL") != NULL);
    /* Dovecot has no UTF8 (RFC 6856): refused, nothing sent. */
    CU_ASSERT(pop3_utf8(c) == POP3_E_UNSUPPORTED);
    /* A wrong password: [AUTH], so POP3_E_AUTH (RFC 3206). */
    CU_ASSERT(pop3_authenticate(c, "tls3", "wrong") == POP3_E_AUTH);
    CU_ASSERT_STRING_EQUAL(pop3_resp_code(c), "AUTH");
    CU_ASSERT(pop3_authenticate(c, "tls3", "secret") == POP3_OK);
    CU_ASSERT_STRING_EQUAL(pop3_auth_used(c), "SCRAM-SHA-256");
    /* Read again after login: Dovecot's TRANSACTION list. */
    CU_ASSERT(pop3_has_capa(c, "UIDL") && pop3_has_capa(c, "TOP"));
    CU_ASSERT(!pop3_has_capa(c, "SASL"));
    CU_ASSERT(pop3_quit(c) == POP3_OK);
    pop3_client_free(c);
}

/* early_capa against Dovecot: CAPA is out before the greeting is read,
 * in cleartext before STLS and inside implicit TLS, and the session goes
 * on as without it (the STLS check uses that CAPA's STLS line). */
static void test_early_capa(void)
{
    static const pop3_tls_mode modes[] = {POP3_TLS_STLS_REQUIRED,
                                          POP3_TLS_IMPLICIT};
    size_t i;

    for (i = 0; i < 2; i++) {
        char order[8] = "";
        pop3_options o;
        pop3_client *c = NULL;
        uint64_t n, size;
        unsigned int port = modes[i] == POP3_TLS_IMPLICIT
                                ? dovecot_env_port("POP3S_PORT")
                                : dovecot_port();

        pop3_options_init(&o);
        o.tls = modes[i];
        o.ca_file = ca;
        o.early_capa = 1;
        o.trace = test_trace_directions;
        o.trace_ctx = order;
        o.io_timeout_ms = 10000;
        CU_ASSERT_FATAL(pop3_client_new(&o, &c) == POP3_OK);
        CU_ASSERT_FATAL(pop3_connect(c, "127.0.0.2", port) == POP3_OK);
        CU_ASSERT(strncmp(order, "><", 2) == 0); /* CAPA, then greeting */
        CU_ASSERT(pop3_is_tls(c));
        CU_ASSERT(pop3_has_sasl(c, "SCRAM-SHA-256"));
        CU_ASSERT(pop3_authenticate(c, "tls1", "secret") == POP3_OK);
        CU_ASSERT(pop3_stat(c, &n, &size) == POP3_OK);
        CU_ASSERT(pop3_quit(c) == POP3_OK);
        pop3_client_free(c);
    }
}

static void test_uidl_and_top(void)
{
    static const char *const files[] = {"plain.eml", "dots.eml", NULL};
    static const char tail[] = "\r\n\r\n.one dot\r\n";
    pop3_client *c;
    unsigned int msg, count = 0;
    const char *uid, *data;
    size_t len, total = 0;
    char first[80] = "", top[1024];
    pop3_status st;

    CU_ASSERT_FATAL(dovecot_seed("tls4", files, NULL) == 0);
    c = session(POP3_TLS_IMPLICIT, "127.0.0.1");
    CU_ASSERT_FATAL(pop3_auth(c, "SCRAM-SHA-256", "tls4", "secret") ==
                    POP3_OK);
    CU_ASSERT(pop3_uidl_begin(c) == POP3_OK);
    while ((st = pop3_uidl_next(c, &msg, &uid)) == POP3_OK) {
        if (count++ == 0)
            snprintf(first, sizeof first, "%s", uid);
    }
    CU_ASSERT(st == POP3_DONE && count == 2);
    CU_ASSERT(pop3_uidl_one(c, 1, &uid) == POP3_OK);
    CU_ASSERT_STRING_EQUAL(uid, first);
    /* TOP 2 1: the header of dots.eml, its blank line and the first body
     * line, unstuffed. */
    CU_ASSERT(pop3_top_begin(c, 2, 1) == POP3_OK);
    while ((st = pop3_body_next(c, &data, &len)) == POP3_OK) {
        if (total + len < sizeof top)
            memcpy(top + total, data, len);
        total += len;
    }
    top[total < sizeof top ? total : sizeof top - 1] = '\0';
    CU_ASSERT(strstr(top, "Subject: dots\r\n") != NULL);
    CU_ASSERT(total >= sizeof tail - 1 && total < sizeof top &&
              strcmp(top + total - (sizeof tail - 1), tail) == 0);
    CU_ASSERT(st == POP3_DONE && total > 0);
    CU_ASSERT(pop3_quit(c) == POP3_OK);
    pop3_client_free(c);
    CU_ASSERT(dovecot_count("tls4") == 2);
}

static pop3_status try_connect(pop3_tls_mode mode, const char *host,
                               const char *ca_file, const char *name)
{
    pop3_client *c = client(mode, ca_file, name);
    unsigned int port = mode == POP3_TLS_IMPLICIT
                            ? dovecot_env_port("POP3S_PORT")
                            : dovecot_port();
    pop3_status st = pop3_connect(c, host, port);

    /* Refused: the credentials cannot go anywhere now. */
    if (st != POP3_OK)
        CU_ASSERT(pop3_login(c, "tls5", "secret") == st);
    pop3_client_free(c);
    return st;
}

static void test_refused_certificates(void)
{
    /* The system's store does not know the generated CA. */
    CU_ASSERT(try_connect(POP3_TLS_IMPLICIT, "127.0.0.1", NULL, NULL) ==
              POP3_E_CERT);
    CU_ASSERT(try_connect(POP3_TLS_STLS_REQUIRED, "127.0.0.2", NULL, NULL) ==
              POP3_E_CERT);
    /* A wrong CA: the server's own key file is no CA at all, so take the
     * server certificate itself as the only "CA": not a CA, refused. */
    {
        char leaf[600];
        snprintf(leaf, sizeof leaf, "%s/tls/server.pem",
                 getenv("DOVECOT_DIR") ? getenv("DOVECOT_DIR") : ".");
        CU_ASSERT(try_connect(POP3_TLS_IMPLICIT, "127.0.0.1", leaf, NULL) ==
                  POP3_E_CERT);
    }
    /* The right CA but a name the certificate does not carry. */
    CU_ASSERT(try_connect(POP3_TLS_IMPLICIT, "127.0.0.1", ca,
                          "pop.example.org") == POP3_E_CERT);
    CU_ASSERT(try_connect(POP3_TLS_STLS_REQUIRED, "127.0.0.2", ca,
                          "pop.example.org") == POP3_E_CERT);
    CU_ASSERT(try_connect(POP3_TLS_IMPLICIT, "127.0.0.1", ca, "127.0.0.3") ==
              POP3_E_CERT);
    /* ...and the names it does carry. */
    CU_ASSERT(try_connect(POP3_TLS_IMPLICIT, "127.0.0.1", ca, "localhost") ==
              POP3_OK);
    CU_ASSERT(try_connect(POP3_TLS_STLS_REQUIRED, "localhost", ca, NULL) ==
              POP3_OK);
}

static void test_in_use_over_tls(void)
{
    pop3_client *first = session(POP3_TLS_IMPLICIT, "127.0.0.1");
    pop3_client *second = session(POP3_TLS_STLS_REQUIRED, "127.0.0.2");

    CU_ASSERT_FATAL(pop3_auth(first, "SCRAM-SHA-256", "tls6", "secret") ==
                    POP3_OK);
    /* Dovecot waits about 10 s for the lock, then says IN-USE. */
    CU_ASSERT(pop3_auth(second, "SCRAM-SHA-256", "tls6", "secret") ==
              POP3_E_IN_USE);
    CU_ASSERT_STRING_EQUAL(pop3_resp_code(second), "IN-USE");
    CU_ASSERT(pop3_status_family(pop3_last_status(second)) ==
              POP3_FAMILY_SERVER);
    CU_ASSERT(pop3_quit(first) == POP3_OK);
    pop3_client_free(first);
    pop3_client_free(second);
}

int main(void)
{
    static const test_case tests[] = {
        {"implicit TLS: PLAIN, LOGIN, CRAM-MD5, SCRAM-SHA-1/256, APOP",
         test_implicit_every_mechanism},
        {"STLS: PLAIN, LOGIN, CRAM-MD5, SCRAM-SHA-1/256, APOP",
         test_stls_every_mechanism},
        {"automatic choice, CAPA, response codes", test_automatic_and_capa},
        {"early_capa: CAPA before the greeting, STLS and implicit",
         test_early_capa},
        {"UIDL and TOP over TLS", test_uidl_and_top},
        {"wrong CA or name refused", test_refused_certificates},
        {"IN-USE over TLS", test_in_use_over_tls},
        {NULL, NULL}};

    snprintf(ca, sizeof ca, "%s/tls/ca.pem",
             getenv("DOVECOT_DIR") ? getenv("DOVECOT_DIR") : ".");
    return test_run_suite("dovecot-tls", tests);
}
