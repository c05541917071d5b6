/*
 * One regression test per class of /work/shared/KNOWN-FAILURES.md (how
 * other POP3 clients have failed), each named after the advisory or bug
 * report it answers; docs/reliability.md maps them.  Servers are the
 * scripted one (tests/server/pop3d.py), in maildrop or scenario mode.
 */
#include <pop3/pop3.h>

#include "base64.h"
#include "client.h"
#include "sasl.h"
#include "server.h"
#include "testlib.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char MSG1[] = "Subject: one\r\n\r\nhello\r\n";
static const char MSG2[] = "Subject: two\r\n\r\n.dot\r\nbye\r\n";

static test_server srv;
static char certs[256], ca[300], server_pem[300], server_key[300];

/* alice with two messages; TLS files when tls; then `extra`. */
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

/* Scenario mode: the script is written into the server's directory. */
static void start_scenario(const char *script)
{
    CU_ASSERT_FATAL(test_server_start_scenario(&srv, script) == 0);
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

static pop3_client *session(void)
{
    pop3_client *c = client(POP3_TLS_NONE, 3000);
    CU_ASSERT_FATAL(pop3_connect(c, "127.0.0.1", srv.port) == POP3_OK);
    CU_ASSERT_FATAL(pop3_login(c, "alice", "secret") == POP3_OK);
    return c;
}

static long elapsed_ms(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (t1.tv_sec - t0->tv_sec) * 1000 +
           (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

/* A whole body into buf (NUL-terminated); its length, or -1. */
static long read_body(pop3_client *c, char *buf, size_t cap)
{
    const char *p;
    size_t n, len = 0;
    pop3_status st;

    while ((st = pop3_body_next(c, &p, &n)) == POP3_OK) {
        if (len + n >= cap)
            return -1;
        memcpy(buf + len, p, n);
        len += n;
    }
    buf[len] = '\0';
    return st == POP3_DONE ? (long)len : -1;
}

/* ---- STLS and TLS enforcement ---------------------------------------- */

static void test_cve_2021_22947_stls_injection(void)
{
    static const char *const inject[] = {"--fault", "stls-inject", NULL};
    pop3_client *c;

    start(1, inject);
    c = client(POP3_TLS_STLS_REQUIRED, 3000);
    /* Bytes behind "+OK" to STLS are never read as if they came over
     * TLS: the connection is refused, and no credential goes out. */
    CU_ASSERT(pop3_connect(c, "127.0.0.1", srv.port) == POP3_E_PROTOCOL);
    CU_ASSERT(pop3_is_tls(c) == 0);
    CU_ASSERT(pop3_login(c, "alice", "secret") == POP3_E_PROTOCOL);
    CU_ASSERT(!test_server_sent(&srv, "USER"));
    pop3_client_free(c);
    test_server_stop(&srv);
}

static void test_cve_2021_22946_tls_required_not_offered(void)
{
    static const char *const capa_err[] = {"--fault", "capa-err", NULL};
    static const char *const stls_err[] = {"--fault", "stls-err", NULL};
    pop3_client *c;

    /* -ERR to CAPA: no STLS known, so no session at all. */
    start(1, capa_err);
    c = client(POP3_TLS_STLS_REQUIRED, 3000);
    CU_ASSERT(pop3_connect(c, "127.0.0.1", srv.port) ==
              POP3_E_TLS_UNAVAILABLE);
    CU_ASSERT(pop3_login(c, "alice", "secret") == POP3_E_TLS_UNAVAILABLE);
    CU_ASSERT(!test_server_sent(&srv, "USER"));
    pop3_client_free(c);
    test_server_stop(&srv);

    /* CAPA without STLS (no certificate: not offered). */
    start(0, NULL);
    c = client(POP3_TLS_STLS_REQUIRED, 3000);
    CU_ASSERT(pop3_connect(c, "127.0.0.1", srv.port) ==
              POP3_E_TLS_UNAVAILABLE);
    CU_ASSERT(!test_server_sent(&srv, "USER"));
    pop3_client_free(c);
    test_server_stop(&srv);

    /* -ERR to STLS (fetchmail CVE-2021-39272). */
    start(1, stls_err);
    c = client(POP3_TLS_STLS_REQUIRED, 3000);
    CU_ASSERT(pop3_connect(c, "127.0.0.1", srv.port) ==
              POP3_E_TLS_UNAVAILABLE);
    CU_ASSERT(!test_server_sent(&srv, "USER"));
    pop3_client_free(c);
    test_server_stop(&srv);
}

static void test_cve_2011_1947_tls_handshake_deadline(void)
{
    static const char *const stall[] = {"--fault", "stls-stall", NULL};
    struct timespec t0;
    pop3_client *c;

    start(1, stall);
    c = client(POP3_TLS_STLS_REQUIRED, 300);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CU_ASSERT(pop3_connect(c, "127.0.0.1", srv.port) == POP3_E_TIMEOUT);
    CU_ASSERT(elapsed_ms(&t0) < 3000);
    pop3_client_free(c);
    test_server_stop(&srv);
}

static void test_cve_2009_2666_certificate_name_checked(void)
{
    pop3_options o;
    pop3_client *c = NULL;

    start(1, NULL);
    pop3_options_init(&o);
    o.tls = POP3_TLS_STLS_REQUIRED;
    o.ca_file = ca;
    o.io_timeout_ms = 3000;
    /* The name is compared whole: a prefix of a valid name fails. */
    o.server_name = "localhos";
    CU_ASSERT_FATAL(pop3_client_new(&o, &c) == POP3_OK);
    CU_ASSERT(pop3_connect(c, "127.0.0.1", srv.port) == POP3_E_CERT);
    pop3_client_free(c);
    o.server_name = "localhost.evil.example";
    CU_ASSERT_FATAL(pop3_client_new(&o, &c) == POP3_OK);
    CU_ASSERT(pop3_connect(c, "127.0.0.1", srv.port) == POP3_E_CERT);
    pop3_client_free(c);
    CU_ASSERT(!test_server_sent(&srv, "USER"));
    test_server_stop(&srv);
}

static void test_gh_91826_default_context_verifies(void)
{
    pop3_options o;
    pop3_client *c = NULL;

    start(1, NULL);
    /* Defaults only: the test CA is not trusted, so the handshake fails. */
    pop3_options_init(&o);
    o.io_timeout_ms = 3000;
    o.tls = POP3_TLS_STLS_REQUIRED;
    CU_ASSERT_FATAL(pop3_client_new(&o, &c) == POP3_OK);
    CU_ASSERT(pop3_connect(c, "127.0.0.1", srv.port) == POP3_E_CERT);
    CU_ASSERT(!test_server_sent(&srv, "USER"));
    pop3_client_free(c);
    test_server_stop(&srv);
}

static void test_thunderbird_stls_err_no_retry_loop(void)
{
    static const char *const stls_err[] = {"--fault", "stls-err", NULL};
    pop3_client *c;
    char *log, *p;
    int count = 0;

    start(1, stls_err);
    c = client(POP3_TLS_STLS_IF_OFFERED, 3000);
    /* Allowed to go on in cleartext: one STLS, then on. */
    CU_ASSERT(pop3_connect(c, "127.0.0.1", srv.port) == POP3_OK);
    CU_ASSERT(pop3_is_tls(c) == 0);
    CU_ASSERT(pop3_get_state(c) == POP3_STATE_AUTHORIZATION);
    pop3_client_free(c);
    log = test_server_log(&srv);
    for (p = log; p != NULL && (p = strstr(p, "STLS")) != NULL; p++)
        count++;
    CU_ASSERT(count == 1);
    free(log);
    test_server_stop(&srv);
}

/* ---- Parsing and memory ---------------------------------------------- */

static void test_cve_2013_1752_unbounded_line(void)
{
    static const char *const lng[] = {"--fault", "long-status", NULL};
    static const char *const huge[] = {"--fault", "huge-body-line", NULL};
    const char *p;
    size_t n, total = 0;
    uint64_t count, size;
    pop3_status st;
    pop3_client *c;

    /* A status line of 100 KiB: refused at the limit, not buffered. */
    start(0, lng);
    c = session();
    CU_ASSERT(pop3_stat(c, &count, &size) == POP3_E_LINE_TOO_LONG);
    pop3_client_free(c);
    CU_ASSERT(mail_intact());
    test_server_stop(&srv);

    /* But a body line of 10 MiB is mail, and streams. */
    start(0, huge);
    c = session();
    CU_ASSERT_FATAL(pop3_retr_begin(c, 1) == POP3_OK);
    while ((st = pop3_body_next(c, &p, &n)) == POP3_OK)
        total += n;
    CU_ASSERT(st == POP3_DONE);
    CU_ASSERT(total == 10485762);
    CU_ASSERT(pop3_quit(c) == POP3_OK);
    pop3_client_free(c);
    test_server_stop(&srv);
}

static void test_cve_2018_1060_apop_stamp_linear(void)
{
    char script[1200];
    struct timespec t0;
    pop3_client *c;
    size_t i;

    /* A greeting built to make a backtracking pattern explode: many
     * "<" and "@" without a closing ">". */
    strcpy(script, "S +OK ");
    for (i = 0; i < 200; i++)
        strcat(script, "<@");
    strcat(script, "\\r\\nE\n");
    start_scenario(script);
    c = client(POP3_TLS_NONE, 3000);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CU_ASSERT(pop3_connect(c, "127.0.0.1", srv.port) == POP3_OK);
    CU_ASSERT(elapsed_ms(&t0) < 1000);
    CU_ASSERT(pop3_apop_timestamp(c) == NULL);
    pop3_client_free(c);
    test_server_stop(&srv);
}

static void test_cve_2007_1558_apop_stamp(void)
{
    static const char *const bad[] = {"<no-at-sign>", "<a@b@c>",
                                      "<a b@c>", "<@x>", "<x@>"};
    char script[200];
    pop3_client *c;
    size_t i;

    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(script, sizeof script, "S +OK ready %s\\r\\nE\n", bad[i]);
        start_scenario(script);
        c = client(POP3_TLS_NONE, 3000);
        CU_ASSERT(pop3_connect(c, "127.0.0.1", srv.port) == POP3_OK);
        /* Not a msg-id: no APOP with it, nothing sent. */
        CU_ASSERT(pop3_apop_timestamp(c) == NULL);
        CU_ASSERT(pop3_apop(c, "alice", "secret") ==
                  POP3_E_AUTH_UNAVAILABLE);
        pop3_client_free(c);
        CU_ASSERT(!test_server_sent(&srv, "#MISMATCH"));
        test_server_stop(&srv);
    }
}

static void test_cve_2005_2335_uidl_fixed_buffer(void)
{
    static const char *const lng[] = {"--fault", "uidl-long", NULL};
    char script[1400], uid200[201];
    const char *uid;
    unsigned int msg;
    pop3_client *c;

    /* A UID line of 1000 octets: over the line limit, never copied. */
    start(0, lng);
    c = session();
    CU_ASSERT(pop3_uidl_one(c, 1, &uid) == POP3_E_LINE_TOO_LONG);
    pop3_client_free(c);
    test_server_stop(&srv);

    /* A UID of 200 octets fits a line but not RFC 1939's 70: refused
     * for that message only; the listing goes on. */
    memset(uid200, 'u', 200);
    uid200[200] = '\0';
    snprintf(script, sizeof script,
             "S +OK ready\\r\\n\nC USER alice\nS +OK\\r\\n\n"
             "C PASS secret\nS +OK in\\r\\n\n"
             "C UIDL\nS +OK\\r\\n1 %s\\r\\n2 good\\r\\n.\\r\\n\n"
             "C QUIT\nS +OK bye\\r\\n\nE\n",
             uid200);
    start_scenario(script);
    c = session();
    CU_ASSERT_FATAL(pop3_uidl_begin(c) == POP3_OK);
    CU_ASSERT(pop3_uidl_next(c, &msg, &uid) == POP3_E_PROTOCOL);
    CU_ASSERT(pop3_uidl_next(c, &msg, &uid) == POP3_OK);
    CU_ASSERT(msg == 2 && strcmp(uid, "good") == 0);
    CU_ASSERT(pop3_uidl_next(c, &msg, &uid) == POP3_DONE);
    CU_ASSERT(pop3_quit(c) == POP3_OK);
    pop3_client_free(c);
    CU_ASSERT(!test_server_sent(&srv, "#MISMATCH"));
    test_server_stop(&srv);
}

static void test_cve_2018_14362_uid_path(void)
{
    static const char *const slash[] = {"--fault", "uidl-slash", NULL};
    char name[POP3_UID_SAFE_SIZE];
    const char *uid;
    pop3_client *c;

    start(0, slash);
    c = session();
    CU_ASSERT_FATAL(pop3_uidl_one(c, 1, &uid) == POP3_OK);
    CU_ASSERT_STRING_EQUAL(uid, "../evil/1");
    /* The file-name form has no "/" and does not start with ".". */
    CU_ASSERT(pop3_uid_safe_name(uid, strlen(uid), name, sizeof name) ==
              POP3_OK);
    CU_ASSERT(strchr(name, '/') == NULL);
    CU_ASSERT(name[0] != '.');
    pop3_client_free(c);
    test_server_stop(&srv);
}

static void test_cve_2018_14356_empty_uid(void)
{
    static const char *const empty[] = {"--fault", "uidl-empty", NULL};
    char name[POP3_UID_SAFE_SIZE];
    const char *uid;
    unsigned int msg;
    pop3_client *c;

    start(0, empty);
    c = session();
    CU_ASSERT_FATAL(pop3_uidl_begin(c) == POP3_OK);
    CU_ASSERT(pop3_uidl_next(c, &msg, &uid) == POP3_E_PROTOCOL);
    CU_ASSERT(pop3_uidl_next(c, &msg, &uid) == POP3_OK);
    CU_ASSERT(msg == 2);
    CU_ASSERT(pop3_uidl_next(c, &msg, &uid) == POP3_DONE);
    CU_ASSERT(pop3_uid_safe_name("", 0, name, sizeof name) == POP3_E_ARG);
    CU_ASSERT(pop3_quit(c) == POP3_OK);
    pop3_client_free(c);
    test_server_stop(&srv);
}

static void test_getmail6_277_malformed_listing_line(void)
{
    static const char *const garbage[] = {"--fault", "list-garbage", NULL};
    unsigned int msg, seen = 0;
    uint64_t size;
    pop3_status st;
    pop3_client *c;
    int bad = 0, guard = 0;

    start(0, garbage);
    c = session();
    CU_ASSERT_FATAL(pop3_list_begin(c) == POP3_OK);
    while ((st = pop3_list_next(c, &msg, &size)) != POP3_DONE &&
           guard++ < 10) {
        if (st == POP3_E_PROTOCOL)
            bad++;
        else if (st == POP3_OK)
            seen++;
    }
    /* One bad line costs that line, not the run. */
    CU_ASSERT(bad == 1);
    CU_ASSERT(seen >= 1);
    CU_ASSERT(pop3_noop(c) == POP3_OK);
    CU_ASSERT(pop3_quit(c) == POP3_OK);
    pop3_client_free(c);
    test_server_stop(&srv);
}

static void test_cve_2013_0249_long_sasl_challenge(void)
{
    char *script = malloc(12000);
    pop3_client *c;
    size_t n;

    /* A challenge of 8000 base64 octets: over the line limit, refused
     * before anything is decoded. */
    CU_ASSERT_FATAL(script != NULL);
    strcpy(script, "S +OK ready\\r\\n\nC AUTH CRAM-MD5\nS + ");
    n = strlen(script);
    memset(script + n, 'Q', 8000);
    strcpy(script + n + 8000, "\\r\\n\nE\n");
    start_scenario(script);
    free(script);
    c = client(POP3_TLS_NONE, 3000);
    CU_ASSERT_FATAL(pop3_connect(c, "127.0.0.1", srv.port) == POP3_OK);
    CU_ASSERT(pop3_auth(c, "CRAM-MD5", "alice", "secret") ==
              POP3_E_LINE_TOO_LONG);
    pop3_client_free(c);
    test_server_stop(&srv);
}

static void test_cve_2012_3482_err_is_not_a_challenge(void)
{
    pop3_client *c;

    /* "-ERR" followed by valid base64 text: a failure, not a challenge;
     * nothing is answered to it. */
    start_scenario("S +OK ready\\r\\n\nC AUTH CRAM-MD5\n"
                   "S -ERR PDEyMzRAaG9zdD4=\\r\\n\nE\n");
    c = client(POP3_TLS_NONE, 3000);
    CU_ASSERT_FATAL(pop3_connect(c, "127.0.0.1", srv.port) == POP3_OK);
    CU_ASSERT(pop3_auth(c, "CRAM-MD5", "alice", "secret") == POP3_E_AUTH);
    pop3_client_free(c);
    CU_ASSERT(!test_server_sent(&srv, "#MISMATCH"));
    test_server_stop(&srv);
}

/* A +OK to AUTH before the client has sent its first SASL message (a
 * PLAIN response too long to go on the AUTH line waits for the server's
 * "+ ") cannot be a finished exchange: the client refuses it as a
 * protocol error rather than count itself logged in
 * (pop3_codec_sasl_finish's rule, which the blocking client shares). */
static void test_sasl_ok_before_first_message(void)
{
    char password[241];
    pop3_client *c;

    memset(password, 'p', sizeof password - 1);
    password[sizeof password - 1] = '\0';
    start_scenario("S +OK ready\\r\\n\nC AUTH PLAIN\n"
                   "S +OK you are in\\r\\n\nE\n");
    c = client(POP3_TLS_NONE, 3000);
    CU_ASSERT_FATAL(pop3_connect(c, "127.0.0.1", srv.port) == POP3_OK);
    CU_ASSERT(pop3_auth(c, "PLAIN", "alice", password) == POP3_E_PROTOCOL);
    CU_ASSERT(pop3_get_state(c) != POP3_STATE_TRANSACTION);
    CU_ASSERT(strstr(pop3_error_detail(c), "before") != NULL);
    pop3_client_free(c);
    CU_ASSERT(!test_server_sent(&srv, "#MISMATCH"));
    test_server_stop(&srv);
}

static void test_cve_2016_8617_base64_size_limits(void)
{
    unsigned char in[8] = {0};
    char out[16];
    size_t len;

    /* Sizes past the cap are refused before any arithmetic on them. */
    CU_ASSERT(pop3_b64_encode(in, (size_t)POP3_B64_MAX_INPUT + 1, out,
                              sizeof out) == -1);
    CU_ASSERT(pop3_b64_encode(in, 8, out, 12) == -1); /* cap too small */
    CU_ASSERT(pop3_b64_decode("QUJD", (size_t)POP3_B64_MAX_INPUT + 4,
                              in, sizeof in, &len) == -1);
    CU_ASSERT(pop3_b64_encoded_len(3) == 4);
}

static void test_cve_2018_16839_long_user_refused(void)
{
    char *user = malloc(POP3_SASL_MAX_USER + 2);
    pop3_client *c;

    CU_ASSERT_FATAL(user != NULL);
    memset(user, 'u', POP3_SASL_MAX_USER + 1);
    user[POP3_SASL_MAX_USER + 1] = '\0';
    start(0, (const char *const[]){"--sasl", "all", NULL});
    c = client(POP3_TLS_NONE, 3000);
    CU_ASSERT_FATAL(pop3_connect(c, "127.0.0.1", srv.port) == POP3_OK);
    /* Refused before anything is computed or sent. */
    CU_ASSERT(pop3_auth(c, "PLAIN", user, "secret") == POP3_E_ARG);
    CU_ASSERT(!test_server_sent(&srv, "AUTH"));
    CU_ASSERT(pop3_login(c, "alice", "secret") == POP3_OK);
    pop3_client_free(c);
    free(user);
    test_server_stop(&srv);
}

static void test_cram_md5_secret_over_64_bytes(void)
{
    static const char chal[] = "<1896.697170952@postoffice.example.net>";
    char secret[101], want[33];
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0, i;
    pop3_secbuf out = {0};
    pop3_sasl s;

    memset(secret, 'k', 100);
    secret[100] = '\0';
    /* HMAC hashes a key over the block size first (RFC 2104 2). */
    HMAC(EVP_md5(), secret, 100, (const unsigned char *)chal,
         sizeof chal - 1, mac, &mac_len);
    CU_ASSERT_FATAL(mac_len == 16);
    for (i = 0; i < 16; i++)
        snprintf(want + 2 * i, 3, "%02x", mac[i]);
    pop3_sasl_init(&s, &pop3_sasl_cram_md5, "alice", secret);
    CU_ASSERT_FATAL(pop3_sasl_step(&s, (const unsigned char *)chal,
                                   sizeof chal - 1, &out) == POP3_OK);
    CU_ASSERT(out.len == 6 + 32);
    CU_ASSERT(out.len == 38 && memcmp(out.data, "alice ", 6) == 0 &&
              memcmp(out.data + 6, want, 32) == 0);
    pop3_secbuf_free(&out);
    pop3_sasl_clear(&s);
}

static void test_stat_4294967295_no_huge_allocation(void)
{
    static const char *const huge[] = {"--fault", "stat-huge-count", NULL};
    uint64_t count, size;
    unsigned int msg, lines = 0;
    pop3_client *c;

    start(0, huge);
    c = session();
    CU_ASSERT(pop3_stat(c, &count, &size) == POP3_OK);
    CU_ASSERT(count == 4294967295u);
    /* The count is only a number: the listing is still read line by
     * line, as long as the server's really is. */
    CU_ASSERT_FATAL(pop3_list_begin(c) == POP3_OK);
    while (pop3_list_next(c, &msg, &size) == POP3_OK)
        lines++;
    CU_ASSERT(lines == 2);
    CU_ASSERT(pop3_quit(c) == POP3_OK);
    pop3_client_free(c);
    test_server_stop(&srv);
}

static void test_go_pop3_long_lines_not_split(void)
{
    static char body[20000], got[20100];
    pop3_client *c;
    size_t n;

    /* One 9000-octet line, dot-stuffed lines, and an empty message. */
    memcpy(body, "Subject: long\r\n\r\n", 17);
    memset(body + 17, 'z', 9000);
    strcpy(body + 9017, "\r\n.leading dot\r\n..two\r\n.\r\nend\r\n");
    n = strlen(body);
    CU_ASSERT_FATAL(test_server_prepare(&srv) == 0);
    test_server_add(&srv, "alice", "m1", body, n);
    test_server_add(&srv, "alice", "m2", "", 0);
    CU_ASSERT_FATAL(test_server_start(&srv, (const char *const[]){
                        "--user", "alice:secret", NULL}) == 0);
    c = session();
    CU_ASSERT_FATAL(pop3_retr_begin(c, 1) == POP3_OK);
    CU_ASSERT(read_body(c, got, sizeof got) == (long)n);
    CU_ASSERT(memcmp(got, body, n) == 0); /* unsplit and unstuffed */
    /* "+OK\r\n.\r\n": an empty body, ended at once. */
    CU_ASSERT_FATAL(pop3_retr_begin(c, 2) == POP3_OK);
    CU_ASSERT(read_body(c, got, sizeof got) == 0);
    CU_ASSERT(pop3_noop(c) == POP3_OK);
    pop3_client_free(c);
    test_server_stop(&srv);
}

/* ---- Injection and state --------------------------------------------- */

static void test_cve_2012_0036_crlf_in_argument(void)
{
    pop3_client *c;

    start(0, NULL);
    c = client(POP3_TLS_NONE, 3000);
    CU_ASSERT_FATAL(pop3_connect(c, "127.0.0.1", srv.port) == POP3_OK);
    CU_ASSERT(pop3_login(c, "alice\r\nDELE 1", "secret") == POP3_E_ARG);
    CU_ASSERT(pop3_apop(c, "alice\nQUIT", "secret") == POP3_E_ARG);
    CU_ASSERT(pop3_auth(c, "PLAIN\r\nDELE 1", "alice", "secret") !=
              POP3_OK);
    CU_ASSERT(!test_server_sent(&srv, "DELE"));
    CU_ASSERT(pop3_login(c, "alice", "secret") == POP3_OK); /* in step */
    CU_ASSERT(pop3_noop(c) == POP3_OK);
    pop3_client_free(c);
    CU_ASSERT(mail_intact());
    test_server_stop(&srv);
}

static void test_cpython_94019_password_newline(void)
{
    pop3_client *c;

    start(0, NULL);
    c = client(POP3_TLS_NONE, 3000);
    CU_ASSERT_FATAL(pop3_connect(c, "127.0.0.1", srv.port) == POP3_OK);
    CU_ASSERT(pop3_login(c, "alice", "secret\nDELE 1") == POP3_E_ARG);
    CU_ASSERT(pop3_login(c, "alice", "sec\rret") == POP3_E_ARG);
    CU_ASSERT(!test_server_sent(&srv, "PASS"));
    /* The session is still in step: a good login works. */
    CU_ASSERT(pop3_login(c, "alice", "secret") == POP3_OK);
    CU_ASSERT(pop3_quit(c) == POP3_OK);
    pop3_client_free(c);
    CU_ASSERT(mail_intact());
    test_server_stop(&srv);
}

static void test_cve_2021_22897_no_shared_state(void)
{
    test_server other;
    pop3_client *a, *b;
    uint64_t n1, n2, size;

    /* Two servers, two clients, interleaved: nothing of one leaks. */
    start(0, NULL);
    CU_ASSERT_FATAL(test_server_prepare(&other) == 0);
    test_server_add(&other, "bob", "x1", MSG1, sizeof MSG1 - 1);
    CU_ASSERT_FATAL(test_server_start(&other, (const char *const[]){
                        "--user", "bob:pw", "--fault", "greeting-err",
                        NULL}) == 0);
    a = session();
    b = client(POP3_TLS_NONE, 3000);
    CU_ASSERT(pop3_connect(b, "127.0.0.1", other.port) == POP3_E_SERVER);
    CU_ASSERT(pop3_stat(a, &n1, &size) == POP3_OK);
    CU_ASSERT(n1 == 2);
    CU_ASSERT_STRING_EQUAL(pop3_server_text(b), "go away");
    CU_ASSERT(pop3_get_state(b) == POP3_STATE_DISCONNECTED);
    CU_ASSERT(pop3_get_state(a) == POP3_STATE_TRANSACTION);
    CU_ASSERT(pop3_stat(a, &n2, &size) == POP3_OK && n2 == n1);
    pop3_client_free(a);
    pop3_client_free(b);
    test_server_stop(&other);
    test_server_stop(&srv);
}

static void test_cve_2014_0138_no_reuse_across_credentials(void)
{
    pop3_client *c;
    char *log, *p;
    int connects = 0;

    start(0, (const char *const[]){"--user", "bob:pw", NULL});
    c = session();
    CU_ASSERT(pop3_quit(c) == POP3_OK);
    /* The same object for other credentials: a new connection, a new
     * login; nothing of the first session carries over. */
    CU_ASSERT(pop3_login(c, "bob", "pw") == POP3_E_STATE);
    CU_ASSERT_FATAL(pop3_connect(c, "127.0.0.1", srv.port) == POP3_OK);
    CU_ASSERT(pop3_get_state(c) == POP3_STATE_AUTHORIZATION);
    CU_ASSERT(pop3_login(c, "bob", "pw") == POP3_OK);
    CU_ASSERT(pop3_quit(c) == POP3_OK);
    pop3_client_free(c);
    log = test_server_log(&srv);
    for (p = log; p != NULL && (p = strstr(p, "#CONNECT")) != NULL; p++)
        connects++;
    CU_ASSERT(connects == 2);
    free(log);
    test_server_stop(&srv);
}

/* ---- Hangs users reported -------------------------------------------- */

static void test_curl_issue_uidl_single_line_hang(void)
{
    struct timespec t0;
    const char *uid;
    uint64_t n, size;
    pop3_client *c;

    /* Each single-line reply is followed by silence: a client waiting
     * for a "." would hang until its deadline (5 s here). */
    start_scenario("S +OK ready\\r\\n\nC USER alice\nS +OK\\r\\n\n"
                   "C PASS secret\nS +OK in\\r\\n\n"
                   "C UIDL 1\nS +OK 1 abc\\r\\n\n"
                   "C LIST 1\nS +OK 1 120\\r\\n\n"
                   "C STAT\nS +OK 1 120\\r\\n\n"
                   "C DELE 1\nS +OK deleted\\r\\n\n"
                   "C RSET\nS +OK\\r\\n\nH\n");
    c = client(POP3_TLS_NONE, 5000);
    CU_ASSERT_FATAL(pop3_connect(c, "127.0.0.1", srv.port) == POP3_OK);
    CU_ASSERT_FATAL(pop3_login(c, "alice", "secret") == POP3_OK);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CU_ASSERT(pop3_uidl_one(c, 1, &uid) == POP3_OK);
    CU_ASSERT(strcmp(uid, "abc") == 0);
    CU_ASSERT(pop3_list_one(c, 1, &size) == POP3_OK && size == 120);
    CU_ASSERT(pop3_stat(c, &n, &size) == POP3_OK && n == 1);
    CU_ASSERT(pop3_dele(c, 1) == POP3_OK);
    CU_ASSERT(pop3_rset(c) == POP3_OK);
    CU_ASSERT(elapsed_ms(&t0) < 2000);
    pop3_client_free(c);
    CU_ASSERT(!test_server_sent(&srv, "#MISMATCH"));
    test_server_stop(&srv);
}

static void test_mailkit_dele_unexpected_reply(void)
{
    static const char *const err[] = {"--fault", "dele-err", NULL};
    pop3_client *c;

    start(0, err);
    c = session();
    /* A -ERR to DELE is that message's answer; the session goes on. */
    CU_ASSERT(pop3_dele(c, 1) == POP3_E_SERVER);
    CU_ASSERT(pop3_dele(c, 2) == POP3_E_SERVER);
    CU_ASSERT(pop3_noop(c) == POP3_OK);
    CU_ASSERT(pop3_quit(c) == POP3_OK);
    pop3_client_free(c);
    CU_ASSERT(mail_intact());
    test_server_stop(&srv);
}

static void test_pipelining_window_no_deadlock(void)
{
    enum { COUNT = 1500 };
    static unsigned int msgs[COUNT];
    char name[16], body[600];
    unsigned int i, msg, done = 0;
    size_t peak = 0;
    const char *p;
    size_t n;
    pop3_client *c;
    pop3_status st;

    CU_ASSERT_FATAL(test_server_prepare(&srv) == 0);
    memset(body, 'b', sizeof body - 2);
    memcpy(body + sizeof body - 2, "\r\n", 2);
    for (i = 0; i < COUNT; i++) {
        snprintf(name, sizeof name, "m%05u", i);
        test_server_add(&srv, "alice", name, body, sizeof body);
        msgs[i] = i + 1;
    }
    CU_ASSERT_FATAL(test_server_start(&srv, (const char *const[]){
                        "--user", "alice:secret", NULL}) == 0);
    c = session();
    /* 1500 commands (about 15 KB) whose replies (about 900 KB) would
     * fill both sides' buffers if all were written first. */
    CU_ASSERT_FATAL(pop3_retr_many_begin(c, msgs, COUNT) == POP3_OK);
    while ((st = pop3_many_next(c, &msg)) == POP3_OK) {
        if (c->batch.in_flight > peak)
            peak = c->batch.in_flight;
        while (pop3_body_next(c, &p, &n) == POP3_OK)
            ;
        done++;
    }
    CU_ASSERT(st == POP3_DONE);
    CU_ASSERT(done == COUNT);
    CU_ASSERT(peak > 0 && peak <= POP3_PIPELINE_WINDOW);
    CU_ASSERT(pop3_quit(c) == POP3_OK);
    pop3_client_free(c);
    test_server_stop(&srv);
}

int main(void)
{
    static const test_case tests[] = {
        {"curl CVE-2021-22947", test_cve_2021_22947_stls_injection},
        {"curl CVE-2021-22946",
         test_cve_2021_22946_tls_required_not_offered},
        {"fetchmail CVE-2011-1947",
         test_cve_2011_1947_tls_handshake_deadline},
        {"fetchmail CVE-2009-2666",
         test_cve_2009_2666_certificate_name_checked},
        {"CPython gh-91826", test_gh_91826_default_context_verifies},
        {"Thunderbird STLS -ERR", test_thunderbird_stls_err_no_retry_loop},
        {"CPython CVE-2013-1752", test_cve_2013_1752_unbounded_line},
        {"CPython CVE-2018-1060", test_cve_2018_1060_apop_stamp_linear},
        {"CVE-2007-1558", test_cve_2007_1558_apop_stamp},
        {"fetchmail CVE-2005-2335", test_cve_2005_2335_uidl_fixed_buffer},
        {"Mutt CVE-2018-14362", test_cve_2018_14362_uid_path},
        {"NeoMutt CVE-2018-14356", test_cve_2018_14356_empty_uid},
        {"getmail6 #277", test_getmail6_277_malformed_listing_line},
        {"curl CVE-2013-0249", test_cve_2013_0249_long_sasl_challenge},
        {"fetchmail CVE-2012-3482",
         test_cve_2012_3482_err_is_not_a_challenge},
        {"SASL: +OK before the first client message",
         test_sasl_ok_before_first_message},
        {"curl CVE-2016-8617", test_cve_2016_8617_base64_size_limits},
        {"curl CVE-2018-16839", test_cve_2018_16839_long_user_refused},
        {"CRAM-MD5 long secret", test_cram_md5_secret_over_64_bytes},
        {"STAT 4294967295", test_stat_4294967295_no_huge_allocation},
        {"go-pop3 long lines", test_go_pop3_long_lines_not_split},
        {"curl CVE-2012-0036", test_cve_2012_0036_crlf_in_argument},
        {"CPython #94019", test_cpython_94019_password_newline},
        {"curl CVE-2021-22897", test_cve_2021_22897_no_shared_state},
        {"curl CVE-2014-0138",
         test_cve_2014_0138_no_reuse_across_credentials},
        {"curl UIDL n hang", test_curl_issue_uidl_single_line_hang},
        {"MailKit DELE", test_mailkit_dele_unexpected_reply},
        {"pipelining window", test_pipelining_window_no_deadlock},
        {NULL, NULL}};
    int rc;

    if (test_make_certs(certs, sizeof certs) != 0)
        return 1;
    snprintf(ca, sizeof ca, "%s/ca.pem", certs);
    snprintf(server_pem, sizeof server_pem, "%s/server.pem", certs);
    snprintf(server_key, sizeof server_key, "%s/server.key", certs);
    rc = test_run_suite("known failures", tests);
    test_remove_dir(certs);
    return rc;
}
