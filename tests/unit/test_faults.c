/*
 * Every way the scripted server can misbehave: the status the caller
 * sees, that a failed client refuses further commands without sending
 * anything, and that the maildrop is untouched unless QUIT completed.
 */
#include <pop3/pop3.h>

#include "server.h"
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char MSG1[] = "From: a@example.org\r\nSubject: one\r\n\r\n"
                           "hello\r\n";
static const char MSG2[] = "From: b@example.org\r\nSubject: two\r\n\r\n"
                           ".dot\r\nbye\r\n";

static test_server srv;

/* A server for alice with two messages and one fault. */
static void start_fault(const char *fault)
{
    const char *args[] = {"--user", "alice:secret", "--apop", "--fault",
                          fault, NULL};
    if (fault == NULL)
        args[3] = NULL;
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

static pop3_client *new_client(int io_ms)
{
    pop3_options o;
    pop3_client *c = NULL;
    pop3_options_init(&o);
    o.tls = POP3_TLS_NONE;
    o.io_timeout_ms = io_ms;
    o.connect_timeout_ms = 3000;
    CU_ASSERT_FATAL(pop3_client_new(&o, &c) == POP3_OK);
    return c;
}

/* Connect and log in; both expected to work. */
static pop3_client *session(int io_ms)
{
    pop3_client *c = new_client(io_ms);
    CU_ASSERT_FATAL(pop3_connect(c, "127.0.0.1", srv.port) == POP3_OK);
    CU_ASSERT_FATAL(pop3_login(c, "alice", "secret") == POP3_OK);
    return c;
}

/* After a failure every call returns the same status and sends nothing. */
static void assert_sticky(pop3_client *c, pop3_status st)
{
    uint64_t n, sz;
    const char *uid;
    char *before, *after;

    before = test_server_log(&srv);
    CU_ASSERT(pop3_noop(c) == st);
    CU_ASSERT(pop3_stat(c, &n, &sz) == st);
    CU_ASSERT(pop3_uidl_one(c, 1, &uid) == st);
    CU_ASSERT(pop3_quit(c) == st);
    CU_ASSERT(pop3_get_state(c) == POP3_STATE_DISCONNECTED);
    after = test_server_log(&srv);
    /* The log may gain "#CLOSE" as the connection drops, nothing else. */
    CU_ASSERT(strstr(after + strlen(before), "NOOP") == NULL);
    CU_ASSERT(strstr(after + strlen(before), "QUIT") == NULL);
    free(before);
    free(after);
    /* pop3_close clears it: the client may connect again. */
    CU_ASSERT(pop3_close(c) == POP3_OK);
    CU_ASSERT(pop3_noop(c) == POP3_E_STATE);
}

static void test_greeting_faults(void)
{
    pop3_client *c;

    start_fault("greeting-err");
    c = new_client(2000);
    CU_ASSERT(pop3_connect(c, "127.0.0.1", srv.port) == POP3_E_SERVER);
    CU_ASSERT_STRING_EQUAL(pop3_server_text(c), "go away");
    pop3_client_free(c);
    test_server_stop(&srv);

    start_fault("no-greeting-ok");
    c = new_client(2000);
    CU_ASSERT(pop3_connect(c, "127.0.0.1", srv.port) == POP3_E_PROTOCOL);
    assert_sticky(c, POP3_E_PROTOCOL);
    pop3_client_free(c);
    test_server_stop(&srv);

    start_fault("bare-lf");
    c = new_client(2000);
    CU_ASSERT(pop3_connect(c, "127.0.0.1", srv.port) == POP3_E_PROTOCOL);
    pop3_client_free(c);
    test_server_stop(&srv);

    start_fault("close-after-greeting");
    c = new_client(2000);
    CU_ASSERT(pop3_connect(c, "127.0.0.1", srv.port) == POP3_OK);
    CU_ASSERT(pop3_login(c, "alice", "secret") == POP3_E_EOF);
    pop3_client_free(c);
    test_server_stop(&srv);
}

static void test_silent_server_times_out(void)
{
    pop3_client *c;

    start_fault("silent");
    c = new_client(300);
    CU_ASSERT(pop3_connect(c, "127.0.0.1", srv.port) == POP3_E_TIMEOUT);
    CU_ASSERT(pop3_status_family(POP3_E_TIMEOUT) == POP3_FAMILY_TIMEOUT);
    pop3_client_free(c);
    test_server_stop(&srv);
}

/* A whole session must read the same under any segmentation. */
static void full_session_ok(void)
{
    pop3_client *c = session(5000);
    uint64_t n, sz;
    unsigned int m;
    const char *data, *uid;
    size_t len, total = 0;
    char body[256];
    pop3_status st;

    CU_ASSERT(pop3_stat(c, &n, &sz) == POP3_OK && n == 2);
    CU_ASSERT(pop3_uidl_begin(c) == POP3_OK);
    CU_ASSERT(pop3_uidl_next(c, &m, &uid) == POP3_OK && m == 1);
    CU_ASSERT_STRING_EQUAL(uid, "m1");
    CU_ASSERT(pop3_uidl_next(c, &m, &uid) == POP3_OK && m == 2);
    CU_ASSERT(pop3_uidl_next(c, &m, &uid) == POP3_DONE);
    CU_ASSERT(pop3_retr_begin(c, 2) == POP3_OK);
    while ((st = pop3_body_next(c, &data, &len)) == POP3_OK) {
        CU_ASSERT_FATAL(total + len < sizeof body);
        memcpy(body + total, data, len);
        total += len;
    }
    CU_ASSERT(st == POP3_DONE);
    CU_ASSERT(total == sizeof MSG2 - 1 && memcmp(body, MSG2, total) == 0);
    CU_ASSERT(pop3_quit(c) == POP3_OK);
    pop3_client_free(c);
}

static void test_segmentation(void)
{
    start_fault("one-byte");
    full_session_ok();
    test_server_stop(&srv);
    start_fault("coalesce");
    full_session_ok();
    test_server_stop(&srv);
    start_fault("terse-ok");
    full_session_ok();
    test_server_stop(&srv);
}

static void stat_fails(const char *fault, pop3_status want)
{
    pop3_client *c;
    uint64_t n = 7, sz = 7;

    start_fault(fault);
    c = session(2000);
    CU_ASSERT(pop3_stat(c, &n, &sz) == want);
    CU_ASSERT(n == 7 && sz == 7); /* outputs untouched on failure */
    assert_sticky(c, want);
    pop3_client_free(c);
    CU_ASSERT(mail_intact());
    test_server_stop(&srv);
}

static void test_bad_status_replies(void)
{
    stat_fails("long-status", POP3_E_LINE_TOO_LONG);
    stat_fails("nul-status", POP3_E_PROTOCOL);
    stat_fails("stat-overflow", POP3_E_PROTOCOL);
    stat_fails("stat-negative", POP3_E_PROTOCOL);
    stat_fails("stat-garbage", POP3_E_PROTOCOL);
}

static void test_huge_count_is_just_a_number(void)
{
    pop3_client *c;
    uint64_t n, sz;

    /* 4294967295 messages: reported, never used to size an allocation. */
    start_fault("stat-huge-count");
    c = session(2000);
    CU_ASSERT(pop3_stat(c, &n, &sz) == POP3_OK);
    CU_ASSERT(n == 4294967295ULL);
    pop3_client_free(c);
    test_server_stop(&srv);
}

static void test_bad_listing_lines(void)
{
    pop3_client *c;
    unsigned int m;
    uint64_t sz;
    const char *uid;
    int good = 0, bad = 0;
    pop3_status st;

    /* A malformed line costs that line only; the rest still arrives. */
    start_fault("list-garbage");
    c = session(2000);
    CU_ASSERT(pop3_list_begin(c) == POP3_OK);
    while ((st = pop3_list_next(c, &m, &sz)) != POP3_DONE) {
        if (st == POP3_OK)
            good++;
        else if (st == POP3_E_PROTOCOL)
            bad++;
        else
            break;
        CU_ASSERT_FATAL(good + bad < 10);
    }
    CU_ASSERT(st == POP3_DONE && good == 2 && bad == 1);
    CU_ASSERT(pop3_noop(c) == POP3_OK);
    pop3_client_free(c);
    test_server_stop(&srv);

    start_fault("uidl-empty");
    c = session(2000);
    CU_ASSERT(pop3_uidl_begin(c) == POP3_OK);
    CU_ASSERT(pop3_uidl_next(c, &m, &uid) == POP3_E_PROTOCOL);
    CU_ASSERT(uid == NULL);
    CU_ASSERT(pop3_uidl_next(c, &m, &uid) == POP3_OK && m == 2);
    CU_ASSERT(pop3_uidl_next(c, &m, &uid) == POP3_DONE);
    pop3_client_free(c);
    test_server_stop(&srv);

    start_fault("uidl-long");
    c = session(2000);
    CU_ASSERT(pop3_uidl_one(c, 1, &uid) != POP3_OK);
    pop3_client_free(c);
    test_server_stop(&srv);

    start_fault("list-overflow");
    c = session(2000);
    CU_ASSERT(pop3_list_begin(c) == POP3_OK);
    CU_ASSERT(pop3_list_next(c, &m, &sz) == POP3_E_PROTOCOL);
    CU_ASSERT(pop3_list_next(c, &m, &sz) == POP3_OK && m == 2);
    CU_ASSERT(pop3_list_next(c, &m, &sz) == POP3_DONE);
    pop3_client_free(c);
    test_server_stop(&srv);
}

static void body_breaks(const char *fault, int io_ms, pop3_status want)
{
    pop3_client *c;
    const char *data;
    size_t len;
    pop3_status st;
    int rounds = 0;

    start_fault(fault);
    c = session(io_ms);
    CU_ASSERT(pop3_dele(c, 1) == POP3_OK); /* must not be committed */
    CU_ASSERT(pop3_retr_begin(c, 2) == POP3_OK);
    while ((st = pop3_body_next(c, &data, &len)) == POP3_OK)
        CU_ASSERT_FATAL(++rounds < 1000);
    CU_ASSERT(st == want);
    assert_sticky(c, want);
    pop3_client_free(c);
    CU_ASSERT(mail_intact());
    test_server_stop(&srv);
}

static void test_body_interrupted(void)
{
    body_breaks("close-mid-body", 2000, POP3_E_EOF);
    body_breaks("reset-mid-body", 2000, POP3_E_EOF);
    body_breaks("never-end-body", 300, POP3_E_TIMEOUT);
}

static void test_huge_body_line_streams(void)
{
    pop3_client *c;
    const char *data;
    size_t len, total = 0, chunks = 0, biggest = 0;
    pop3_status st;

    /* One 10 MiB line: no line limit applies to bodies. */
    start_fault("huge-body-line");
    c = session(10000);
    CU_ASSERT(pop3_retr_begin(c, 1) == POP3_OK);
    while ((st = pop3_body_next(c, &data, &len)) == POP3_OK) {
        total += len;
        chunks++;
        if (len > biggest)
            biggest = len;
    }
    CU_ASSERT(st == POP3_DONE);
    CU_ASSERT(total == 10 * 1024 * 1024 + 2);
    CU_ASSERT(biggest <= 65536); /* bounded by the buffer, not the line */
    CU_ASSERT(chunks >= 160);
    CU_ASSERT(pop3_quit(c) == POP3_OK);
    pop3_client_free(c);
    test_server_stop(&srv);
}

static void test_quit_dropped(void)
{
    pop3_client *c;

    start_fault("close-on-quit");
    c = session(2000);
    CU_ASSERT(pop3_dele(c, 1) == POP3_OK);
    CU_ASSERT(pop3_quit(c) == POP3_E_EOF);
    pop3_client_free(c);
    CU_ASSERT(mail_intact()); /* the server never entered UPDATE */
    test_server_stop(&srv);
}

static void test_apop_stamp_faults(void)
{
    pop3_client *c;

    /* 2000 octets of timestamp make the greeting exceed the line limit. */
    start_fault("apop-long-stamp");
    c = new_client(2000);
    CU_ASSERT(pop3_connect(c, "127.0.0.1", srv.port) ==
              POP3_E_LINE_TOO_LONG);
    pop3_client_free(c);
    test_server_stop(&srv);

    /* 300 octets fit the line but not the timestamp bound. */
    {
        char path[600];
        const char *args[] = {"--scenario", path, NULL};
        snprintf(path, sizeof path, "%s/tests/scenarios/%s",
                 getenv("POP3_SOURCE_DIR"), "apop-stamp-too-long.scenario");
        CU_ASSERT_FATAL(test_server_prepare(&srv) == 0);
        CU_ASSERT_FATAL(test_server_start(&srv, args) == 0);
        c = new_client(2000);
        CU_ASSERT(pop3_connect(c, "127.0.0.1", srv.port) == POP3_OK);
        CU_ASSERT_PTR_NULL(pop3_apop_timestamp(c));
        CU_ASSERT(pop3_apop(c, "alice", "secret") ==
                  POP3_E_AUTH_UNAVAILABLE);
        CU_ASSERT(pop3_login(c, "alice", "secret") == POP3_OK);
        CU_ASSERT(pop3_quit(c) == POP3_OK);
        pop3_client_free(c);
        CU_ASSERT(!test_server_sent(&srv, "APOP"));
        CU_ASSERT(!test_server_sent(&srv, "#MISMATCH"));
        test_server_stop(&srv);
    }

    start_fault("apop-unterminated");
    c = new_client(2000);
    CU_ASSERT(pop3_connect(c, "127.0.0.1", srv.port) == POP3_OK);
    CU_ASSERT_PTR_NULL(pop3_apop_timestamp(c));
    CU_ASSERT(pop3_apop(c, "alice", "secret") == POP3_E_AUTH_UNAVAILABLE);
    pop3_client_free(c);
    test_server_stop(&srv);
}

static void test_login_codes(void)
{
    pop3_client *c;

    start_fault("in-use");
    c = new_client(2000);
    CU_ASSERT(pop3_connect(c, "127.0.0.1", srv.port) == POP3_OK);
    CU_ASSERT(pop3_login(c, "alice", "secret") == POP3_E_IN_USE);
    CU_ASSERT(pop3_apop(c, "alice", "secret") == POP3_E_IN_USE);
    CU_ASSERT(pop3_get_state(c) == POP3_STATE_AUTHORIZATION);
    pop3_client_free(c);
    test_server_stop(&srv);

    start_fault("login-delay");
    c = new_client(2000);
    CU_ASSERT(pop3_connect(c, "127.0.0.1", srv.port) == POP3_OK);
    CU_ASSERT(pop3_login(c, "alice", "secret") == POP3_E_LOGIN_DELAY);
    CU_ASSERT_STRING_EQUAL(pop3_resp_code(c), "LOGIN-DELAY");
    pop3_client_free(c);
    test_server_stop(&srv);
}

static void test_dele_err(void)
{
    pop3_client *c;

    start_fault("dele-err");
    c = session(2000);
    CU_ASSERT(pop3_dele(c, 1) == POP3_E_SERVER);
    CU_ASSERT(pop3_noop(c) == POP3_OK); /* -ERR is not a failure */
    CU_ASSERT(pop3_quit(c) == POP3_OK);
    pop3_client_free(c);
    CU_ASSERT(mail_intact());
    test_server_stop(&srv);
}

int main(void)
{
    static const test_case tests[] = {
        {"greeting faults", test_greeting_faults},
        {"silent server", test_silent_server_times_out},
        {"one byte per segment, coalesced, terse", test_segmentation},
        {"bad STAT replies", test_bad_status_replies},
        {"STAT of 4294967295", test_huge_count_is_just_a_number},
        {"bad listing lines", test_bad_listing_lines},
        {"body interrupted", test_body_interrupted},
        {"10 MiB body line", test_huge_body_line_streams},
        {"QUIT dropped", test_quit_dropped},
        {"APOP timestamp faults", test_apop_stamp_faults},
        {"IN-USE and LOGIN-DELAY", test_login_codes},
        {"DELE -ERR", test_dele_err},
        {NULL, NULL}};
    return test_run_suite("faults", tests);
}
