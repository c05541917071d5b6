/*
 * The client against the scripted test server: every RFC 1939 command,
 * the state rules, argument checks, the trace, and each way a server can
 * misbehave -- with the maildrop checked afterwards, since nothing may be
 * lost before QUIT completes.
 */
#define _DEFAULT_SOURCE
#include <pop3/pop3.h>

#include "server.h"
#include "testlib.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const char MSG1[] = "From: a@example.org\r\nSubject: one\r\n\r\n"
                           "hello\r\n";
static const char MSG2[] = "From: b@example.org\r\nSubject: dots\r\n\r\n"
                           ".hidden\r\n..two\r\n.\r\nend\r\n";

static test_server srv;

/* Start a server with alice's two messages and the given arguments. */
static void start(const char *const *args)
{
    static const char *const none[] = {NULL};
    CU_ASSERT_FATAL(test_server_prepare(&srv) == 0);
    test_server_add(&srv, "alice", "uid-one", MSG1, sizeof MSG1 - 1);
    test_server_add(&srv, "alice", "uid-two", MSG2, sizeof MSG2 - 1);
    CU_ASSERT_FATAL(test_server_start(&srv, args ? args : none) == 0);
}

static pop3_client *client_with(int io_timeout_ms)
{
    pop3_options o;
    pop3_client *c = NULL;

    pop3_options_init(&o);
    o.tls = POP3_TLS_NONE;
    o.io_timeout_ms = io_timeout_ms;
    o.connect_timeout_ms = 5000;
    CU_ASSERT_FATAL(pop3_client_new(&o, &c) == POP3_OK);
    return c;
}

static pop3_client *connected(void)
{
    pop3_client *c = client_with(5000);
    CU_ASSERT_FATAL(pop3_connect(c, "127.0.0.1", srv.port) == POP3_OK);
    return c;
}

static pop3_client *logged_in(void)
{
    pop3_client *c = connected();
    CU_ASSERT_FATAL(pop3_login(c, "alice", "secret") == POP3_OK);
    return c;
}

/* Read a whole body; returns a malloc'd string, length in *len. */
static char *read_body(pop3_client *c, size_t *len, pop3_status *end)
{
    const char *data;
    size_t n, total = 0, cap = 64;
    char *out = malloc(cap);
    pop3_status st;

    while ((st = pop3_body_next(c, &data, &n)) == POP3_OK) {
        CU_ASSERT(n > 0 && n <= 65536);
        if (total + n + 1 > cap) {
            cap = (total + n + 1) * 2;
            out = realloc(out, cap);
        }
        memcpy(out + total, data, n);
        total += n;
    }
    out[total] = '\0';
    *len = total;
    *end = st;
    return out;
}

static const char *const USERS[] = {"--user", "alice:secret", NULL};

static void test_apop_vector(void)
{
    char hex[33];
    CU_ASSERT(pop3_apop_digest("<1896.697170952@dbc.mtview.ca.us>",
                               "tanstaaf", hex) == POP3_OK);
    CU_ASSERT_STRING_EQUAL(hex, "c4c9334bac560ecc979e58001b3e22fb");
    CU_ASSERT(pop3_apop_digest(NULL, "x", hex) == POP3_E_ARG);
}

static void test_full_session(void)
{
    pop3_client *c;
    uint64_t count, size, sz;
    unsigned int msg;
    const char *uid;
    size_t len;
    pop3_status end;
    char *body;

    start(USERS);
    c = logged_in();
    CU_ASSERT(pop3_get_state(c) == POP3_STATE_TRANSACTION);
    CU_ASSERT(pop3_stat(c, &count, &size) == POP3_OK);
    CU_ASSERT(count == 2);
    CU_ASSERT(size == sizeof MSG1 - 1 + sizeof MSG2 - 1);

    CU_ASSERT(pop3_list_begin(c) == POP3_OK);
    CU_ASSERT(pop3_list_next(c, &msg, &sz) == POP3_OK);
    CU_ASSERT(msg == 1 && sz == sizeof MSG1 - 1);
    CU_ASSERT(pop3_list_next(c, &msg, &sz) == POP3_OK);
    CU_ASSERT(msg == 2 && sz == sizeof MSG2 - 1);
    CU_ASSERT(pop3_list_next(c, &msg, &sz) == POP3_DONE);
    CU_ASSERT(pop3_list_one(c, 2, &sz) == POP3_OK && sz == sizeof MSG2 - 1);

    CU_ASSERT(pop3_uidl_begin(c) == POP3_OK);
    CU_ASSERT(pop3_uidl_next(c, &msg, &uid) == POP3_OK);
    CU_ASSERT(msg == 1 && strcmp(uid, "uid-one") == 0);
    CU_ASSERT(pop3_uidl_next(c, &msg, &uid) == POP3_OK);
    CU_ASSERT(msg == 2 && strcmp(uid, "uid-two") == 0);
    CU_ASSERT(pop3_uidl_next(c, &msg, &uid) == POP3_DONE);
    CU_ASSERT(pop3_uidl_one(c, 1, &uid) == POP3_OK);
    CU_ASSERT_STRING_EQUAL(uid, "uid-one");

    /* RETR gives the message exactly: unstuffed, terminator removed. */
    CU_ASSERT(pop3_retr_begin(c, 2) == POP3_OK);
    body = read_body(c, &len, &end);
    CU_ASSERT(end == POP3_DONE);
    CU_ASSERT(len == sizeof MSG2 - 1 && memcmp(body, MSG2, len) == 0);
    free(body);

    /* TOP n 0: the header and the blank line only. */
    CU_ASSERT(pop3_top_begin(c, 1, 0) == POP3_OK);
    body = read_body(c, &len, &end);
    CU_ASSERT(end == POP3_DONE);
    CU_ASSERT_STRING_EQUAL(body,
                           "From: a@example.org\r\nSubject: one\r\n\r\n");
    free(body);

    CU_ASSERT(pop3_noop(c) == POP3_OK);
    CU_ASSERT(pop3_dele(c, 1) == POP3_OK);
    CU_ASSERT(pop3_retr_begin(c, 1) == POP3_E_SERVER); /* deleted */
    CU_ASSERT(strlen(pop3_server_text(c)) > 0);
    CU_ASSERT(pop3_rset(c) == POP3_OK);
    CU_ASSERT(pop3_dele(c, 2) == POP3_OK);
    CU_ASSERT(pop3_quit(c) == POP3_OK);
    CU_ASSERT(pop3_get_state(c) == POP3_STATE_UPDATE);
    CU_ASSERT(pop3_noop(c) == POP3_E_STATE);
    /* RSET undid the first DELE; QUIT committed the second. */
    CU_ASSERT(test_server_has(&srv, "alice", "uid-one"));
    CU_ASSERT(!test_server_has(&srv, "alice", "uid-two"));
    pop3_client_free(c);
    test_server_stop(&srv);
}

static void test_dele_then_drop_keeps_mail(void)
{
    pop3_client *c;

    start(USERS);
    c = logged_in();
    CU_ASSERT(pop3_dele(c, 1) == POP3_OK);
    CU_ASSERT(pop3_dele(c, 2) == POP3_OK);
    pop3_client_free(c); /* no QUIT */
    c = logged_in();     /* the lock is free again */
    CU_ASSERT(pop3_quit(c) == POP3_OK);
    pop3_client_free(c);
    CU_ASSERT(test_server_has(&srv, "alice", "uid-one"));
    CU_ASSERT(test_server_has(&srv, "alice", "uid-two"));
    test_server_stop(&srv);
}

static void test_apop_login(void)
{
    static const char *const args[] = {"--user", "alice:secret", "--apop",
                                       NULL};
    pop3_client *c;
    uint64_t n, sz;

    start(args);
    c = connected();
    CU_ASSERT_PTR_NOT_NULL(pop3_apop_timestamp(c));
    CU_ASSERT(pop3_apop(c, "alice", "wrong") == POP3_E_AUTH);
    CU_ASSERT(pop3_get_state(c) == POP3_STATE_AUTHORIZATION);
    CU_ASSERT(pop3_apop(c, "alice", "secret") == POP3_OK);
    CU_ASSERT(pop3_stat(c, &n, &sz) == POP3_OK && n == 2);
    pop3_client_free(c);
    /* Without a timestamp APOP is refused locally. */
    test_server_stop(&srv);
    start(USERS);
    c = connected();
    CU_ASSERT_PTR_NULL(pop3_apop_timestamp(c));
    CU_ASSERT(pop3_apop(c, "alice", "secret") == POP3_E_AUTH_UNAVAILABLE);
    CU_ASSERT(!test_server_sent(&srv, "APOP"));
    pop3_client_free(c);
    test_server_stop(&srv);
}

static void test_state_rules(void)
{
    pop3_client *c = client_with(2000);
    uint64_t n, sz;
    const char *uid, *data;
    size_t len;

    /* Not connected: everything but connect is a state error. */
    CU_ASSERT(pop3_stat(c, &n, &sz) == POP3_E_STATE);
    CU_ASSERT(pop3_login(c, "a", "b") == POP3_E_STATE);
    CU_ASSERT(pop3_quit(c) == POP3_E_STATE);
    CU_ASSERT(pop3_last_status(c) == POP3_E_STATE);
    start(USERS);
    CU_ASSERT(pop3_connect(c, "127.0.0.1", srv.port) == POP3_OK);
    CU_ASSERT(pop3_connect(c, "127.0.0.1", srv.port) == POP3_E_STATE);
    /* AUTHORIZATION: no transaction command leaves the client. */
    CU_ASSERT(pop3_stat(c, &n, &sz) == POP3_E_STATE);
    CU_ASSERT(pop3_dele(c, 1) == POP3_E_STATE);
    CU_ASSERT(pop3_retr_begin(c, 1) == POP3_E_STATE);
    CU_ASSERT(pop3_uidl_one(c, 1, &uid) == POP3_E_STATE);
    CU_ASSERT(pop3_list_begin(c) == POP3_E_STATE);
    CU_ASSERT(pop3_noop(c) == POP3_E_STATE);
    CU_ASSERT(pop3_body_next(c, &data, &len) == POP3_E_STATE);
    CU_ASSERT(pop3_login(c, "alice", "secret") == POP3_OK);
    /* TRANSACTION: no second login. */
    CU_ASSERT(pop3_login(c, "alice", "secret") == POP3_E_STATE);
    CU_ASSERT(pop3_apop(c, "alice", "secret") == POP3_E_STATE);
    CU_ASSERT(pop3_dele(c, 0) == POP3_E_ARG);
    CU_ASSERT(pop3_quit(c) == POP3_OK);
    pop3_client_free(c);
    {
        char *log = test_server_log(&srv);
        CU_ASSERT(strstr(log, "STAT") == NULL);
        CU_ASSERT(strstr(log, "DELE") == NULL);
        CU_ASSERT(strstr(log, "RETR") == NULL);
        CU_ASSERT(strstr(log, "NOOP") == NULL);
        free(log);
    }
    test_server_stop(&srv);
}

static void test_quit_in_authorization(void)
{
    pop3_client *c;

    start(USERS);
    c = connected();
    CU_ASSERT(pop3_quit(c) == POP3_OK);
    CU_ASSERT(pop3_get_state(c) == POP3_STATE_DISCONNECTED);
    /* The client can start a new session. */
    CU_ASSERT(pop3_connect(c, "127.0.0.1", srv.port) == POP3_OK);
    pop3_client_free(c);
    test_server_stop(&srv);
}

static void test_injection_refused(void)
{
    pop3_client *c;
    char longpass[300];

    start(USERS);
    c = connected();
    CU_ASSERT(pop3_login(c, "alice", "x\r\nDELE 1") == POP3_E_ARG);
    CU_ASSERT(pop3_login(c, "alice\nQUIT", "secret") == POP3_E_ARG);
    CU_ASSERT(pop3_login(c, "alice", "a\rb") == POP3_E_ARG);
    CU_ASSERT(pop3_apop(c, "al\r\nice", "secret") == POP3_E_ARG);
    CU_ASSERT(pop3_login(c, "", "secret") == POP3_E_ARG);
    CU_ASSERT(pop3_login(c, NULL, "secret") == POP3_E_ARG);
    CU_ASSERT(pop3_login(c, "alice", NULL) == POP3_E_ARG);
    memset(longpass, 'p', sizeof longpass - 1);
    longpass[sizeof longpass - 1] = '\0';
    CU_ASSERT(pop3_login(c, "alice", longpass) == POP3_E_ARG);
    /* Nothing was sent for any of them, and the session still works. */
    CU_ASSERT(!test_server_sent(&srv, "USER"));
    CU_ASSERT(!test_server_sent(&srv, "APOP"));
    CU_ASSERT(pop3_login(c, "alice", "secret") == POP3_OK);
    pop3_client_free(c);
    test_server_stop(&srv);
}

typedef struct trace_log {
    char text[4096];
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

static void test_trace_masks_secrets(void)
{
    static const char *const args[] = {"--user", "alice:secret", "--apop",
                                       NULL};
    trace_log t = {{0}, 0};
    pop3_options o;
    pop3_client *c;

    start(args);
    pop3_options_init(&o);
    o.tls = POP3_TLS_NONE;
    o.trace = on_trace;
    o.trace_ctx = &t;
    CU_ASSERT_FATAL(pop3_client_new(&o, &c) == POP3_OK);
    CU_ASSERT(pop3_connect(c, "127.0.0.1", srv.port) == POP3_OK);
    CU_ASSERT(pop3_login(c, "alice", "secret") == POP3_OK);
    CU_ASSERT(pop3_quit(c) == POP3_OK);
    CU_ASSERT(pop3_connect(c, "127.0.0.1", srv.port) == POP3_OK);
    CU_ASSERT(pop3_apop(c, "alice", "secret") == POP3_OK);
    pop3_client_free(c);
    CU_ASSERT(strstr(t.text, ">USER alice\n") != NULL);
    CU_ASSERT(strstr(t.text, ">PASS ****\n") != NULL);
    CU_ASSERT(strstr(t.text, ">APOP ****\n") != NULL);
    CU_ASSERT(strstr(t.text, "<+OK") != NULL);
    CU_ASSERT(strstr(t.text, "secret") == NULL);
    test_server_stop(&srv);
}

static void test_err_text_and_codes(void)
{
    pop3_client *c, *c2;

    start(USERS);
    c = connected();
    CU_ASSERT(pop3_login(c, "alice", "wrong") == POP3_E_AUTH);
    CU_ASSERT_STRING_EQUAL(pop3_resp_code(c), "AUTH");
    CU_ASSERT(strlen(pop3_server_text(c)) > 0);
    CU_ASSERT(pop3_login(c, "alice", "secret") == POP3_OK);
    CU_ASSERT(pop3_dele(c, 99) == POP3_E_SERVER);
    CU_ASSERT(strlen(pop3_server_text(c)) > 0);
    /* A second session on the locked maildrop. */
    c2 = connected();
    CU_ASSERT(pop3_login(c2, "alice", "secret") == POP3_E_IN_USE);
    CU_ASSERT_STRING_EQUAL(pop3_resp_code(c2), "IN-USE");
    CU_ASSERT(pop3_status_family(POP3_E_IN_USE) == POP3_FAMILY_SERVER);
    pop3_client_free(c2);
    pop3_client_free(c);
    test_server_stop(&srv);
}

static void test_busy_body(void)
{
    pop3_client *c;
    uint64_t n, sz;
    const char *data;
    size_t len;

    start(USERS);
    c = logged_in();
    CU_ASSERT(pop3_retr_begin(c, 2) == POP3_OK);
    /* Another command mid-body is refused and nothing is sent. */
    CU_ASSERT(pop3_stat(c, &n, &sz) == POP3_E_BUSY);
    CU_ASSERT(pop3_retr_begin(c, 1) == POP3_E_BUSY);
    CU_ASSERT(pop3_quit(c) == POP3_E_BUSY);
    CU_ASSERT(pop3_body_next(c, &data, &len) == POP3_OK);
    CU_ASSERT(pop3_discard(c) == POP3_OK);
    CU_ASSERT(pop3_stat(c, &n, &sz) == POP3_OK && n == 2);
    CU_ASSERT(pop3_list_begin(c) == POP3_OK);
    CU_ASSERT(pop3_noop(c) == POP3_E_BUSY);
    CU_ASSERT(pop3_discard(c) == POP3_OK);
    CU_ASSERT(pop3_noop(c) == POP3_OK);
    CU_ASSERT(!test_server_sent(&srv, "STAT\nSTAT"));
    pop3_client_free(c);
    test_server_stop(&srv);
}

static void test_null_arguments(void)
{
    pop3_client *c = client_with(1000);
    uint64_t n;
    unsigned int m;
    const char *p;
    size_t len;

    CU_ASSERT(pop3_client_new(NULL, NULL) == POP3_E_ARG);
    CU_ASSERT(pop3_stat(NULL, &n, &n) == POP3_E_ARG);
    CU_ASSERT(pop3_stat(c, NULL, &n) == POP3_E_ARG);
    CU_ASSERT(pop3_connect(c, NULL, 110) == POP3_E_ARG);
    CU_ASSERT(pop3_connect(c, "127.0.0.1", 70000) == POP3_E_ARG);
    CU_ASSERT(pop3_list_next(c, NULL, &n) == POP3_E_ARG);
    CU_ASSERT(pop3_uidl_next(c, &m, NULL) == POP3_E_ARG);
    CU_ASSERT(pop3_body_next(c, NULL, &len) == POP3_E_ARG);
    CU_ASSERT(pop3_uidl_one(c, 1, NULL) == POP3_E_ARG);
    CU_ASSERT(pop3_list_one(c, 1, NULL) == POP3_E_ARG);
    (void)p;
    CU_ASSERT_STRING_EQUAL(pop3_server_text(NULL), "");
    CU_ASSERT(strcmp(pop3_strerror(POP3_E_TIMEOUT), "unknown status") != 0);
    CU_ASSERT(strlen(pop3_version()) > 0);
    pop3_client_free(c);
    pop3_client_free(NULL);
}

static void test_connect_failures(void)
{
    pop3_client *c = client_with(1000);
    unsigned int port = test_free_port();

    CU_ASSERT(pop3_connect(c, "127.0.0.1", port) == POP3_E_CONNECT);
    CU_ASSERT(pop3_get_state(c) == POP3_STATE_DISCONNECTED);
    CU_ASSERT(pop3_connect(c, "no-such-host.invalid", 110) ==
              POP3_E_RESOLVE);
    pop3_client_free(c);
}

/* A listener whose accept queue is full drops new SYNs: on loopback that
 * is a server that never answers the connect. */
static void test_connect_deadline(void)
{
    struct sockaddr_in a;
    socklen_t alen = sizeof a;
    int l = socket(AF_INET, SOCK_STREAM, 0), fill[4], i;
    pop3_options o;
    pop3_client *c;
    struct timespec t0, t1;
    long ms;

    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CU_ASSERT_FATAL(bind(l, (struct sockaddr *)&a, sizeof a) == 0);
    CU_ASSERT_FATAL(listen(l, 0) == 0);
    CU_ASSERT_FATAL(getsockname(l, (struct sockaddr *)&a, &alen) == 0);
    for (i = 0; i < 4; i++) {
        fill[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        connect(fill[i], (struct sockaddr *)&a, sizeof a);
    }
    pop3_options_init(&o);
    o.tls = POP3_TLS_NONE;
    o.connect_timeout_ms = 300;
    CU_ASSERT_FATAL(pop3_client_new(&o, &c) == POP3_OK);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CU_ASSERT(pop3_connect(c, "127.0.0.1", ntohs(a.sin_port)) ==
              POP3_E_TIMEOUT);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    CU_ASSERT(ms >= 250 && ms < 2000);
    pop3_client_free(c);
    for (i = 0; i < 4; i++)
        close(fill[i]);
    close(l);
}

static void test_ipv6_and_names(void)
{
    static const char *const v6[] = {"--user", "alice:secret", "--host",
                                     "::1", NULL};
    pop3_client *c = client_with(2000);

    start(USERS);
    /* "localhost" may resolve to ::1 first; every address is tried. */
    CU_ASSERT(pop3_connect(c, "localhost", srv.port) == POP3_OK);
    pop3_client_free(c);
    test_server_stop(&srv);

    CU_ASSERT_FATAL(test_server_prepare(&srv) == 0);
    test_server_add(&srv, "alice", "uid-one", MSG1, sizeof MSG1 - 1);
    if (test_server_start(&srv, v6) == 0) {
        c = client_with(2000);
        CU_ASSERT(pop3_connect(c, "::1", srv.port) == POP3_OK);
        CU_ASSERT(pop3_login(c, "alice", "secret") == POP3_OK);
        pop3_client_free(c);
    } else {
        fprintf(stderr, "(no IPv6 loopback here: ::1 part skipped) ");
    }
    test_server_stop(&srv);
}

int main(void)
{
    static const test_case tests[] = {
        {"APOP digest of RFC 1939", test_apop_vector},
        {"a full session", test_full_session},
        {"DELE then a dropped connection", test_dele_then_drop_keeps_mail},
        {"APOP login", test_apop_login},
        {"state rules", test_state_rules},
        {"QUIT in AUTHORIZATION", test_quit_in_authorization},
        {"CR/LF injection refused", test_injection_refused},
        {"trace masks secrets", test_trace_masks_secrets},
        {"-ERR text and response codes", test_err_text_and_codes},
        {"commands refused mid-body", test_busy_body},
        {"NULL and bad arguments", test_null_arguments},
        {"connect failures", test_connect_failures},
        {"IPv6 and host names", test_ipv6_and_names},
        {"connect deadline", test_connect_deadline},
        {NULL, NULL}};
    return test_run_suite("client", tests);
}
