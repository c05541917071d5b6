/*
 * Logins against the scripted server: every SASL mechanism, the one- and
 * two-step forms, the automatic choice and its cleartext rule, hostile
 * challenges, response codes, CAPA and UTF-8.  Cleartext sessions here
 * (opts.tls = POP3_TLS_NONE, chosen by name, so pop3_authenticate may
 * send passwords as they are); test_tls covers TLS.
 */
#include <pop3/pop3.h>

#include "server.h"
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>

static const char MSG1[] = "From: a@example.org\r\nSubject: one\r\n\r\n"
                           "hello\r\n";

static test_server srv;

/* A server for alice (and jörg) with the given extra arguments. */
static void start(const char *const *extra)
{
    const char *args[40];
    size_t n = 0, i;

    args[n++] = "--user";
    args[n++] = "alice:secret";
    args[n++] = "--user";
    args[n++] = "j\xc3\xb6rg:p\xc3\xa4ss";
    for (i = 0; extra != NULL && extra[i] != NULL && n < 38; i++)
        args[n++] = extra[i];
    args[n] = NULL;
    CU_ASSERT_FATAL(test_server_prepare(&srv) == 0);
    test_server_add(&srv, "alice", "m1", MSG1, sizeof MSG1 - 1);
    CU_ASSERT_FATAL(test_server_start(&srv, args) == 0);
}

static void options(pop3_options *o)
{
    pop3_options_init(o);
    o->tls = POP3_TLS_NONE;
    o->io_timeout_ms = 5000;
    o->connect_timeout_ms = 5000;
}

static pop3_client *connect_with(const pop3_options *o)
{
    pop3_client *c = NULL;
    CU_ASSERT_FATAL(pop3_client_new(o, &c) == POP3_OK);
    CU_ASSERT_FATAL(pop3_connect(c, "127.0.0.1", srv.port) == POP3_OK);
    return c;
}

static pop3_client *connected(void)
{
    pop3_options o;
    options(&o);
    return connect_with(&o);
}

static int lines_sent(const char *needle)
{
    char *log = test_server_log(&srv), *p = log;
    int n = 0;
    while ((p = strstr(p, needle)) != NULL) {
        n++;
        p += strlen(needle);
    }
    free(log);
    return n;
}

/* End a session: QUIT when logged in, so the server has released the
 * maildrop before the next login (a dropped connection frees it only
 * when the server notices), then free. */
static void finish(pop3_client *c)
{
    if (pop3_get_state(c) == POP3_STATE_TRANSACTION)
        CU_ASSERT(pop3_quit(c) == POP3_OK);
    pop3_client_free(c);
}

static const char *const SASL_ALL[] = {"--sasl", "all", NULL};

static void test_each_mechanism(void)
{
    static const char *const mechs[] = {"PLAIN",         "LOGIN",
                                        "CRAM-MD5",      "SCRAM-SHA-1",
                                        "SCRAM-SHA-256", "XOAUTH2",
                                        "OAUTHBEARER",   NULL};
    uint64_t n, size;
    size_t i;

    start(SASL_ALL);
    for (i = 0; mechs[i] != NULL; i++) {
        pop3_client *c = connected();
        CU_ASSERT(pop3_auth(c, mechs[i], "alice", "secret") == POP3_OK);
        CU_ASSERT(pop3_get_state(c) == POP3_STATE_TRANSACTION);
        CU_ASSERT_STRING_EQUAL(pop3_auth_used(c), mechs[i]);
        CU_ASSERT(pop3_stat(c, &n, &size) == POP3_OK && n == 1);
        CU_ASSERT(pop3_quit(c) == POP3_OK);
        finish(c);

        /* A wrong secret: POP3_E_AUTH, [AUTH], and the session goes on. */
        c = connected();
        CU_ASSERT(pop3_auth(c, mechs[i], "alice", "wrong") == POP3_E_AUTH);
        CU_ASSERT(pop3_get_state(c) == POP3_STATE_AUTHORIZATION);
        CU_ASSERT_STRING_EQUAL(pop3_resp_code(c), "AUTH");
        CU_ASSERT(strstr(pop3_error_detail(c), "wrong") == NULL);
        CU_ASSERT(pop3_auth(c, mechs[i], "alice", "secret") == POP3_OK);
        finish(c);
    }
    /* The initial response went with the command where there is one. */
    CU_ASSERT(test_server_sent(&srv, "AUTH PLAIN AGFsaWNlAHNlY3JldA=="));
    CU_ASSERT(test_server_sent(&srv, "AUTH LOGIN\n"));
    CU_ASSERT(test_server_sent(&srv, "AUTH CRAM-MD5\n"));
    CU_ASSERT(test_server_sent(&srv, "AUTH SCRAM-SHA-256 biws"));
    test_server_stop(&srv);
}

static void test_token_forms(void)
{
    static const char *const refuse_ir[] = {"--sasl", "all", "--fault",
                                            "ir-refused", NULL};
    char token[400], user[420];
    const char *args[] = {"--sasl", "all", "--user", user, NULL};
    pop3_client *c;

    /* A token too long for a 255-octet AUTH line: two steps at once. */
    memset(token, 't', sizeof token - 1);
    token[sizeof token - 1] = '\0';
    snprintf(user, sizeof user, "bob:%s", token);
    start(args);
    c = connected();
    CU_ASSERT(pop3_auth(c, "XOAUTH2", "bob", token) == POP3_OK);
    finish(c);
    c = connected();
    CU_ASSERT(pop3_auth(c, "OAUTHBEARER", "bob", token) == POP3_OK);
    finish(c);
    CU_ASSERT(test_server_sent(&srv, "AUTH XOAUTH2\n"));
    CU_ASSERT(test_server_sent(&srv, "AUTH OAUTHBEARER\n"));
    test_server_stop(&srv);

    /* One-step refused with a plain -ERR (Office 365): two steps. */
    start(refuse_ir);
    c = connected();
    CU_ASSERT(pop3_auth(c, "XOAUTH2", "alice", "secret") == POP3_OK);
    finish(c);
    CU_ASSERT(lines_sent("AUTH XOAUTH2 ") == 1);
    CU_ASSERT(lines_sent("AUTH XOAUTH2\n") == 1);
    /* ...but not for a password mechanism: that -ERR is an answer. */
    c = connected();
    CU_ASSERT(pop3_auth(c, "PLAIN", "alice", "secret") == POP3_E_AUTH);
    finish(c);
    CU_ASSERT(lines_sent("AUTH PLAIN") == 1);
    test_server_stop(&srv);

    /* A refused token: the server's JSON reaches pop3_error_detail. */
    start(SASL_ALL);
    c = connected();
    CU_ASSERT(pop3_auth(c, "XOAUTH2", "alice", "expired") == POP3_E_AUTH);
    CU_ASSERT(strstr(pop3_error_detail(c), "401") != NULL);
    CU_ASSERT(pop3_auth(c, "OAUTHBEARER", "alice", "expired") == POP3_E_AUTH);
    CU_ASSERT(pop3_auth(c, "OAUTHBEARER", "alice", "secret") == POP3_OK);
    finish(c);
    test_server_stop(&srv);
}

static void test_hostile_server(void)
{
    static const char *const bad_b64[] = {"--sasl", "all", "--fault",
                                          "sasl-bad-base64", NULL};
    static const char *const bad_sig[] = {"--sasl", "all", "--fault",
                                          "scram-bad-signature", NULL};
    static const char *const no_sig[] = {"--sasl", "all", "--fault",
                                         "scram-skip-signature", NULL};
    static const char *const bad_nonce[] = {"--sasl", "all", "--fault",
                                            "scram-bad-nonce", NULL};
    uint64_t n, size;
    pop3_client *c;

    /* A challenge that is not base64: an error, not a crash, and the
     * client refuses to go on. */
    start(bad_b64);
    c = connected();
    CU_ASSERT(pop3_auth(c, "CRAM-MD5", "alice", "secret") ==
              POP3_E_PROTOCOL);
    CU_ASSERT(pop3_stat(c, &n, &size) == POP3_E_PROTOCOL);
    finish(c);
    test_server_stop(&srv);

    /* SCRAM: a server that does not know the password cannot prove it;
     * its +OK is not trusted, the session is over. */
    start(bad_sig);
    c = connected();
    CU_ASSERT(pop3_auth(c, "SCRAM-SHA-256", "alice", "secret") ==
              POP3_E_AUTH_SERVER);
    CU_ASSERT(pop3_status_family(POP3_E_AUTH_SERVER) == POP3_FAMILY_AUTH);
    CU_ASSERT(pop3_stat(c, &n, &size) == POP3_E_AUTH_SERVER);
    finish(c);
    test_server_stop(&srv);
    start(no_sig);
    c = connected();
    CU_ASSERT(pop3_auth(c, "SCRAM-SHA-1", "alice", "secret") ==
              POP3_E_AUTH_SERVER);
    CU_ASSERT(pop3_get_state(c) == POP3_STATE_DISCONNECTED);
    finish(c);
    test_server_stop(&srv);
    start(bad_nonce);
    c = connected();
    CU_ASSERT(pop3_auth(c, "SCRAM-SHA-256", "alice", "secret") ==
              POP3_E_PROTOCOL);
    finish(c);
    test_server_stop(&srv);
}

static void test_automatic_choice(void)
{
    static const char *const plain_only[] = {"--sasl", "PLAIN,LOGIN", NULL};
    static const char *const plain_apop[] = {"--sasl", "PLAIN", "--apop",
                                             NULL};
    static const char *const no_capa[] = {"--apop", "--fault", "capa-err",
                                          NULL};
    pop3_options o;
    pop3_client *c;

    /* The strongest both sides have. */
    start(SASL_ALL);
    c = connected();
    CU_ASSERT(pop3_authenticate(c, "alice", "secret") == POP3_OK);
    CU_ASSERT_STRING_EQUAL(pop3_auth_used(c), "SCRAM-SHA-256");
    finish(c);
    /* Limited by opts.auth_methods. */
    options(&o);
    o.auth_methods = POP3_AUTH_CRAM_MD5 | POP3_AUTH_PLAIN;
    c = connect_with(&o);
    CU_ASSERT(pop3_authenticate(c, "alice", "secret") == POP3_OK);
    CU_ASSERT_STRING_EQUAL(pop3_auth_used(c), "CRAM-MD5");
    finish(c);
    /* Token mechanisms only when asked for. */
    o.auth_methods = POP3_AUTH_XOAUTH2;
    c = connect_with(&o);
    CU_ASSERT(pop3_authenticate(c, "alice", "secret") == POP3_OK);
    CU_ASSERT_STRING_EQUAL(pop3_auth_used(c), "XOAUTH2");
    finish(c);
    test_server_stop(&srv);

    /* Only cleartext methods, and STLS was hoped for but not offered (an
     * attacker may have removed it from CAPA): nothing is sent without
     * consent... */
    start(plain_only);
    options(&o);
    o.tls = POP3_TLS_STLS_IF_OFFERED;
    c = connect_with(&o);
    CU_ASSERT(!pop3_is_tls(c));
    CU_ASSERT(pop3_authenticate(c, "alice", "secret") ==
              POP3_E_AUTH_UNAVAILABLE);
    CU_ASSERT(strstr(pop3_error_detail(c), "allow_cleartext") != NULL);
    CU_ASSERT(pop3_auth_used(c) == NULL);
    finish(c);
    CU_ASSERT(!test_server_sent(&srv, "AUTH"));
    CU_ASSERT(!test_server_sent(&srv, "USER"));
    /* ...which opts.allow_cleartext gives... */
    o.allow_cleartext = 1;
    c = connect_with(&o);
    CU_ASSERT(pop3_authenticate(c, "alice", "secret") == POP3_OK);
    CU_ASSERT_STRING_EQUAL(pop3_auth_used(c), "PLAIN");
    finish(c);
    /* ...as does choosing cleartext by name. */
    c = connected();
    CU_ASSERT(pop3_authenticate(c, "alice", "secret") == POP3_OK);
    CU_ASSERT_STRING_EQUAL(pop3_auth_used(c), "PLAIN");
    finish(c);
    test_server_stop(&srv);

    /* APOP ranks below SASL, but without TLS above the mechanisms that
     * send the password itself. */
    start(plain_apop);
    c = connected();
    CU_ASSERT(pop3_authenticate(c, "alice", "secret") == POP3_OK);
    CU_ASSERT_STRING_EQUAL(pop3_auth_used(c), "APOP");
    finish(c);
    test_server_stop(&srv);

    /* An RFC 1939 server (CAPA refused): APOP, or USER/PASS if allowed. */
    start(no_capa);
    c = connected();
    CU_ASSERT(pop3_authenticate(c, "alice", "secret") == POP3_OK);
    CU_ASSERT_STRING_EQUAL(pop3_auth_used(c), "APOP");
    finish(c);
    options(&o);
    o.auth_methods = POP3_AUTH_USER;
    o.tls = POP3_TLS_STLS_IF_OFFERED;
    c = connect_with(&o);
    CU_ASSERT(pop3_authenticate(c, "alice", "secret") ==
              POP3_E_AUTH_UNAVAILABLE);
    finish(c);
    o.tls = POP3_TLS_NONE;
    c = connect_with(&o);
    CU_ASSERT(pop3_authenticate(c, "alice", "secret") == POP3_OK);
    CU_ASSERT_STRING_EQUAL(pop3_auth_used(c), "USER");
    finish(c);
    test_server_stop(&srv);

    /* A refusal is final: no weaker method is tried after it. */
    start(SASL_ALL);
    c = connected();
    CU_ASSERT(pop3_authenticate(c, "alice", "wrong") == POP3_E_AUTH);
    finish(c);
    CU_ASSERT(lines_sent("AUTH ") == 1);
    test_server_stop(&srv);
}

static void test_apop_strict(void)
{
    static const char *const bad_stamp[] = {"--sasl", "PLAIN", "--fault",
                                             "apop-unterminated", NULL};
    pop3_client *c;

    /* A timestamp that is not a msg-id is never used (CVE-2007-1558). */
    start(bad_stamp);
    c = connected();
    CU_ASSERT(pop3_apop_timestamp(c) == NULL);
    CU_ASSERT(pop3_apop(c, "alice", "secret") == POP3_E_AUTH_UNAVAILABLE);
    /* pop3_authenticate passes it over for PLAIN (cleartext chosen). */
    CU_ASSERT(pop3_authenticate(c, "alice", "secret") == POP3_OK);
    CU_ASSERT_STRING_EQUAL(pop3_auth_used(c), "PLAIN");
    finish(c);
    CU_ASSERT(!test_server_sent(&srv, "APOP"));
    test_server_stop(&srv);
}

static void test_response_codes(void)
{
    static const struct {
        const char *fault;
        pop3_status status;
        const char *code;
    } cases[] = {
        {"in-use", POP3_E_IN_USE, "IN-USE"},
        {"login-delay", POP3_E_LOGIN_DELAY, "LOGIN-DELAY"},
        {"sys-temp", POP3_E_SYS_TEMP, "SYS/TEMP"},
        {"sys-perm", POP3_E_SYS_PERM, "SYS/PERM"},
    };
    static const char *const no_code[] = {"--fault", "auth-no-code", NULL};
    static const char *const no_code_rc[] = {
        "--fault", "auth-no-code", "--capa-line", "AUTH-RESP-CODE", NULL};
    const char *args[] = {"--sasl", "all", "--fault", NULL, NULL};
    pop3_client *c;
    size_t i;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        args[3] = cases[i].fault;
        start(args);
        c = connected();
        CU_ASSERT(pop3_login(c, "alice", "secret") == cases[i].status);
        CU_ASSERT_STRING_EQUAL(pop3_resp_code(c), cases[i].code);
        if (cases[i].status != POP3_E_LOGIN_DELAY) /* that one is PASS's */
            CU_ASSERT(pop3_auth(c, "SCRAM-SHA-256", "alice", "secret") ==
                      cases[i].status);
        CU_ASSERT(pop3_status_family(cases[i].status) == POP3_FAMILY_SERVER);
        finish(c);
        test_server_stop(&srv);
    }

    /* A -ERR without a code: a wrong password as far as anyone knows... */
    start(no_code);
    c = connected();
    CU_ASSERT(pop3_login(c, "alice", "wrong") == POP3_E_AUTH);
    finish(c);
    test_server_stop(&srv);
    /* ...unless the server promised [AUTH] for those (RFC 3206). */
    start(no_code_rc);
    c = connected();
    CU_ASSERT(pop3_capa(c) == POP3_OK);
    CU_ASSERT(pop3_login(c, "alice", "wrong") == POP3_E_SERVER);
    finish(c);
    test_server_stop(&srv);
}

static void test_capa(void)
{
    static const char *const args[] = {
        "--sasl",      "PLAIN,SCRAM-SHA-256", "--capa",
        "--capa-line", "LOGIN-DELAY 900",     "--capa-line",
        "EXPIRE NEVER", "--capa-line",        "BAD\x01LINE",
        NULL};
    static const char *const no_capa[] = {"--fault", "capa-err", NULL};
    pop3_client *c;
    size_t i;

    start(args);
    c = connected();
    /* Nothing known before CAPA; the queries never talk to the server. */
    CU_ASSERT(!pop3_has_capa(c, "TOP"));
    CU_ASSERT(pop3_capa_arg(c, "TOP") == NULL);
    CU_ASSERT(pop3_capa(c) == POP3_OK);
    CU_ASSERT(pop3_has_capa(c, "top") && pop3_has_capa(c, "UIDL"));
    CU_ASSERT(!pop3_has_capa(c, "STLS"));
    CU_ASSERT(pop3_has_sasl(c, "scram-sha-256") && pop3_has_sasl(c, "PLAIN"));
    CU_ASSERT(!pop3_has_sasl(c, "LOGIN"));
    CU_ASSERT_STRING_EQUAL(pop3_capa_arg(c, "LOGIN-DELAY"), "900");
    CU_ASSERT_STRING_EQUAL(pop3_capa_arg(c, "EXPIRE"), "NEVER");
    CU_ASSERT_STRING_EQUAL(pop3_capa_arg(c, "IMPLEMENTATION"), "pop3d-test");
    CU_ASSERT_STRING_EQUAL(pop3_capa_arg(c, "TOP"), "");
    for (i = 0; pop3_capa_line(c, i) != NULL; i++)
        CU_ASSERT(strstr(pop3_capa_line(c, i), "BAD") == NULL);
    CU_ASSERT(i == 9); /* the malformed line is left out */
    /* After login the list is read again (RFC 2449 5). */
    CU_ASSERT(pop3_auth(c, "PLAIN", "alice", "secret") == POP3_OK);
    CU_ASSERT(pop3_has_capa(c, "TOP"));
    CU_ASSERT(pop3_capa(c) == POP3_OK); /* and may be asked for in TRANS */
    finish(c);
    CU_ASSERT(lines_sent("CAPA\n") == 3);
    test_server_stop(&srv);

    start(no_capa);
    c = connected();
    CU_ASSERT(pop3_capa(c) == POP3_E_SERVER);
    CU_ASSERT(pop3_capa_line(c, 0) == NULL);
    CU_ASSERT(pop3_login(c, "alice", "secret") == POP3_OK);
    finish(c);
    CU_ASSERT(lines_sent("CAPA\n") == 1); /* not again after login */
    test_server_stop(&srv);
}

static void test_utf8(void)
{
    static const char *const utf8[] = {"--utf8", "--sasl", "all", NULL};
    pop3_options o;
    pop3_client *c;

    start(utf8);
    /* Without UTF8 the server reads the name as Latin-1: no such user. */
    c = connected();
    CU_ASSERT(pop3_login(c, "j\xc3\xb6rg", "p\xc3\xa4ss") == POP3_E_AUTH);
    CU_ASSERT(!pop3_is_utf8(c));
    CU_ASSERT(pop3_utf8(c) == POP3_OK);
    CU_ASSERT(pop3_is_utf8(c));
    CU_ASSERT(pop3_utf8(c) == POP3_OK); /* once is enough */
    CU_ASSERT(pop3_login(c, "j\xc3\xb6rg", "p\xc3\xa4ss") == POP3_OK);
    CU_ASSERT(pop3_utf8(c) == POP3_E_STATE);
    finish(c);
    CU_ASSERT(lines_sent("UTF8\n") == 1);

    /* opts.utf8: on by itself when offered; SASL carries UTF-8 too. */
    options(&o);
    o.utf8 = 1;
    c = connect_with(&o);
    CU_ASSERT(pop3_is_utf8(c));
    CU_ASSERT(pop3_auth(c, "SCRAM-SHA-256", "j\xc3\xb6rg", "p\xc3\xa4ss") ==
              POP3_OK);
    finish(c);
    test_server_stop(&srv);

    /* Not offered: nothing sent; opts.utf8 does not fail the connect. */
    start(NULL);
    c = connected();
    CU_ASSERT(pop3_utf8(c) == POP3_E_UNSUPPORTED);
    finish(c);
    c = connect_with(&o);
    CU_ASSERT(!pop3_is_utf8(c));
    finish(c);
    CU_ASSERT(!test_server_sent(&srv, "UTF8"));
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

static void test_trace_masks_auth(void)
{
    static trace_log t;
    pop3_options o;
    pop3_client *c;

    start(SASL_ALL);
    options(&o);
    o.trace = on_trace;
    o.trace_ctx = &t;
    c = connect_with(&o);
    CU_ASSERT(pop3_auth(c, "LOGIN", "alice", "wrong") == POP3_E_AUTH);
    CU_ASSERT(pop3_auth(c, "PLAIN", "alice", "wrong") == POP3_E_AUTH);
    CU_ASSERT(pop3_auth(c, "XOAUTH2", "alice", "secret") == POP3_OK);
    finish(c);
    CU_ASSERT(strstr(t.text, ">AUTH LOGIN\n<+ VXNlcm5hbWU6\n>****\n") !=
              NULL);
    CU_ASSERT(strstr(t.text, ">AUTH PLAIN ****\n") != NULL);
    CU_ASSERT(strstr(t.text, ">AUTH XOAUTH2 ****\n") != NULL);
    /* Neither the secrets nor their base64 (d3Jvbmc= is "wrong"). */
    CU_ASSERT(strstr(t.text, "wrong") == NULL);
    CU_ASSERT(strstr(t.text, "d3Jvbmc") == NULL);
    CU_ASSERT(strstr(t.text, "secret") == NULL);
    test_server_stop(&srv);
}

static void test_bad_arguments(void)
{
    pop3_client *c;
    char huge[20000];

    start(SASL_ALL);
    c = connected();
    CU_ASSERT(pop3_auth(c, NULL, "alice", "secret") == POP3_E_ARG);
    CU_ASSERT(pop3_auth(c, "GSSAPI", "alice", "secret") ==
              POP3_E_UNSUPPORTED);
    CU_ASSERT(pop3_auth(c, "PLAIN", "", "secret") == POP3_E_ARG);
    CU_ASSERT(pop3_auth(c, "PLAIN", "alice", "") == POP3_E_ARG);
    CU_ASSERT(pop3_auth(c, "PLAIN", NULL, "secret") == POP3_E_ARG);
    CU_ASSERT(pop3_auth(c, "XOAUTH2", "al\001ice", "secret") == POP3_E_ARG);
    memset(huge, 'x', sizeof huge - 1);
    huge[sizeof huge - 1] = '\0';
    CU_ASSERT(pop3_auth(c, "PLAIN", "alice", huge) == POP3_E_ARG);
    CU_ASSERT(pop3_authenticate(c, NULL, "secret") == POP3_E_ARG);
    CU_ASSERT(pop3_auth(NULL, "PLAIN", "a", "b") == POP3_E_ARG);
    CU_ASSERT(pop3_authenticate(NULL, "a", "b") == POP3_E_ARG);
    /* Nothing of that reached the server. */
    CU_ASSERT(!test_server_sent(&srv, "AUTH"));
    /* A password with CR/LF is fine in SASL (it is base64 there). */
    CU_ASSERT(pop3_auth(c, "PLAIN", "alice", "se\r\ncret") == POP3_E_AUTH);
    CU_ASSERT(pop3_auth(c, "PLAIN", "alice", "secret") == POP3_OK);
    CU_ASSERT(pop3_auth(c, "PLAIN", "alice", "secret") == POP3_E_STATE);
    finish(c);
    test_server_stop(&srv);

    /* Bad option values. */
    {
        pop3_options o;
        pop3_client *bad = NULL;
        pop3_options_init(&o);
        o.auth_methods = 1u << 20;
        CU_ASSERT(pop3_client_new(&o, &bad) == POP3_E_ARG);
        o.auth_methods = 0;
        o.version = 99;
        CU_ASSERT(pop3_client_new(&o, &bad) == POP3_E_ARG);
        /* A caller built against version 1 of the options still works. */
        o.version = 1;
        CU_ASSERT(pop3_client_new(&o, &bad) == POP3_OK);
        pop3_client_free(bad);
    }
}

/* pop3_options_init fills only the struct its caller was built with: an
 * older, smaller one (version 2 ended before pipeline_login, version 3
 * before early_capa) is not written past its end and says which version
 * it is; pop3_client_new takes it with the newer fields at their
 * defaults. */
static void test_options_of_an_older_caller(void)
{
    const size_t ends[] = {offsetof(pop3_options, pipeline_login),
                           offsetof(pop3_options, early_capa)};
    union {
        pop3_options o;
        unsigned char raw[sizeof(pop3_options) + 32];
    } u;
    pop3_client *c = NULL;
    size_t i, k, untouched;

    for (k = 0; k < 2; k++) {
        memset(u.raw, 0xAB, sizeof u.raw);
        pop3_options_init_size(&u.o, ends[k]);
        CU_ASSERT(u.o.version == k + 2);
        CU_ASSERT(u.o.io_timeout_ms == 60000 && u.o.tls_verify == 1);
        for (i = ends[k], untouched = 0; i < sizeof u.raw; i++)
            untouched += u.raw[i] == 0xAB;
        CU_ASSERT(untouched == sizeof u.raw - ends[k]);
        CU_ASSERT(pop3_client_new(&u.o, &c) == POP3_OK);
        pop3_client_free(c);
    }

    /* The macro passes the caller's own size. */
    memset(u.raw, 0xAB, sizeof u.raw);
    pop3_options_init(&u.o);
    CU_ASSERT(u.o.version == POP3_OPTIONS_VERSION);
    CU_ASSERT(u.o.pipeline_login == 0 && u.o.early_capa == 0);
    CU_ASSERT(u.raw[sizeof(pop3_options)] == 0xAB);

    /* Too small to be options at all: nothing written. */
    memset(u.raw, 0xAB, sizeof u.raw);
    pop3_options_init_size(&u.o, 4);
    CU_ASSERT(u.raw[0] == 0xAB);
}

int main(void)
{
    static const test_case tests[] = {
        {"every SASL mechanism", test_each_mechanism},
        {"token mechanisms: one step, two steps", test_token_forms},
        {"hostile SASL servers", test_hostile_server},
        {"automatic choice and the cleartext rule", test_automatic_choice},
        {"strict APOP timestamps", test_apop_strict},
        {"response codes", test_response_codes},
        {"CAPA", test_capa},
        {"UTF8 (RFC 6856)", test_utf8},
        {"trace masks AUTH", test_trace_masks_auth},
        {"bad arguments", test_bad_arguments},
        {"options of an older caller", test_options_of_an_older_caller},
        {NULL, NULL}};
    return test_run_suite("auth", tests);
}
