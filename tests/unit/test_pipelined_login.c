/*
 * Round trips saved by pipelining (RFC 2449 6.6): when a CAPA before
 * login listed PIPELINING, USER and PASS in one write and CAPA and STAT in
 * the next (all four in one with opts.pipeline_login), and QUIT in the
 * same write as a batch's last command.  The scenarios answer only
 * once every pipelined command has arrived, so a client that waited for
 * each reply would time out; a command the client should not have sent
 * shows up as #MISMATCH in the server's log.
 */
#include <pop3/pop3.h>

#include "server.h"
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static test_server srv;

#define GREETING_AND_CAPA                                                     \
    "S +OK ready\\r\\n\n"                                                    \
    "C CAPA\n"                                                                \
    "S +OK\\r\\nUSER\\r\\nPIPELINING\\r\\n.\\r\\n\n"

/* Scenario mode: the script is written into the server's directory. */
static void start_scenario(const char *script)
{
    CU_ASSERT_FATAL(test_server_start_scenario(&srv, script) == 0);
}

/* Free the client, check the scenario saw only the lines it expected,
 * stop the server. */
static void end_scenario(pop3_client *c)
{
    pop3_client_free(c);
    CU_ASSERT(!test_server_sent(&srv, "#MISMATCH"));
    test_server_stop(&srv);
}

/* The lines the client traced, in order: ">" sent, "<" received. */
typedef struct trace_log {
    char text[2048];
    size_t len;
} trace_log;

static void on_trace(void *ctx, pop3_trace_dir dir, const char *line,
                     size_t len)
{
    trace_log *t = ctx;

    if (t->len + len + 3 < sizeof t->text) {
        t->text[t->len++] = dir == POP3_TRACE_SEND ? '>' : '<';
        memcpy(t->text + t->len, line, len);
        t->len += len;
        t->text[t->len++] = '\n';
        t->text[t->len] = '\0';
    }
}

static pop3_client *client_with(int pipeline_login, int early_capa,
                                pop3_tls_mode tls, trace_log *t,
                                pop3_pipelining pipelining)
{
    pop3_options o;
    pop3_client *c = NULL;

    pop3_options_init(&o);
    o.pipeline_login = pipeline_login;
    o.early_capa = early_capa;
    o.pipelining = pipelining;
    o.tls = tls;
    o.io_timeout_ms = 3000; /* a client that waits times out */
    if (t != NULL) {
        o.trace = on_trace;
        o.trace_ctx = t;
    }
    CU_ASSERT_FATAL(pop3_client_new(&o, &c) == POP3_OK);
    return c;
}

static pop3_client *connected_traced(int pipeline_login, trace_log *t)
{
    pop3_client *c = client_with(pipeline_login, 0, POP3_TLS_NONE, t,
                                 POP3_PIPELINING_AUTO);

    CU_ASSERT_FATAL(pop3_connect(c, "127.0.0.1", srv.port) == POP3_OK);
    return c;
}

static pop3_client *connected_with(int pipeline_login)
{
    return connected_traced(pipeline_login, NULL);
}

static pop3_client *connected(void)
{
    return connected_with(0);
}

/* Read the current body into buf (NUL-terminated); its length, or -1. */
static long body(pop3_client *c, char *buf, size_t cap)
{
    const char *data;
    size_t len, total = 0;
    pop3_status st;

    while ((st = pop3_body_next(c, &data, &len)) == POP3_OK) {
        if (total + len >= cap)
            return -1;
        memcpy(buf + total, data, len);
        total += len;
    }
    buf[total] = '\0';
    return st == POP3_DONE ? (long)total : -1;
}

static int count_in_log(const char *needle)
{
    char *log = test_server_log(&srv), *p = log;
    int n = 0;

    while (p != NULL && (p = strstr(p, needle)) != NULL) {
        n++;
        p += strlen(needle);
    }
    free(log);
    return n;
}

/* The whole fast path: CAPA, one write for the login (pipeline_login),
 * STAT answered from it, a batch with QUIT after its last RETR. */
static void test_one_round_trip_login_and_quit(void)
{
    static const unsigned int msgs[] = {1, 2};
    unsigned int got;
    uint64_t n = 0, size = 0;
    char buf[64];
    pop3_client *c;

    start_scenario(GREETING_AND_CAPA
                   "C USER alice\n"
                   "C*\n"
                   "C CAPA\n"
                   "C STAT\n"
                   "S +OK\\r\\n+OK logged in\\r\\n"
                   "+OK\\r\\nPIPELINING\\r\\nTOP\\r\\n.\\r\\n+OK 2 20\\r\\n\n"
                   "C NOOP\n"
                   "S -ERR [SYS/TEMP] not now\\r\\n\n"
                   "C RETR 1\n"
                   "C RETR 2\n"
                   "C QUIT\n"
                   "S +OK\\r\\nmsg1\\r\\n.\\r\\n+OK\\r\\nmsg2\\r\\n.\\r\\n"
                   "+OK bye\\r\\n\n"
                   "E\n");
    c = connected_with(1);
    CU_ASSERT(pop3_capa(c) == POP3_OK);
    CU_ASSERT(pop3_login(c, "alice", "secret") == POP3_OK);
    CU_ASSERT(pop3_get_state(c) == POP3_STATE_TRANSACTION);
    CU_ASSERT_STRING_EQUAL(pop3_auth_used(c), "USER");
    /* The capabilities are those listed after login. */
    CU_ASSERT(pop3_has_capa(c, "TOP"));
    CU_ASSERT(!pop3_has_capa(c, "USER"));
    /* Answered without a command: the scenario has no STAT here. */
    CU_ASSERT(pop3_noop(c) == POP3_E_SYS_TEMP); /* leaves a -ERR text */
    CU_ASSERT(pop3_stat(c, &n, &size) == POP3_OK);
    CU_ASSERT(n == 2 && size == 20);
    CU_ASSERT_STRING_EQUAL(pop3_server_text(c), "2 20");
    CU_ASSERT_STRING_EQUAL(pop3_resp_code(c), "");

    CU_ASSERT(pop3_many_then_quit(c) == POP3_E_STATE); /* no batch yet */
    CU_ASSERT(pop3_retr_many_begin(c, msgs, 2) == POP3_OK);
    CU_ASSERT(pop3_many_then_quit(c) == POP3_OK);
    CU_ASSERT(pop3_many_next(c, &got) == POP3_OK && got == 1);
    CU_ASSERT(body(c, buf, sizeof buf) == 6 && strcmp(buf, "msg1\r\n") == 0);
    CU_ASSERT(pop3_many_next(c, &got) == POP3_OK && got == 2);
    CU_ASSERT(body(c, buf, sizeof buf) == 6 && strcmp(buf, "msg2\r\n") == 0);
    CU_ASSERT(pop3_many_next(c, &got) == POP3_DONE);
    /* QUIT is out: nothing else may be sent. */
    CU_ASSERT(pop3_noop(c) == POP3_E_STATE);
    CU_ASSERT(pop3_stat(c, &n, &size) == POP3_E_STATE);
    CU_ASSERT(pop3_quit(c) == POP3_OK);
    CU_ASSERT_STRING_EQUAL(pop3_server_text(c), "bye");
    CU_ASSERT(pop3_get_state(c) == POP3_STATE_UPDATE);
    pop3_client_free(c);
    CU_ASSERT(!test_server_sent(&srv, "#MISMATCH"));
    CU_ASSERT(count_in_log("QUIT") == 1);
    test_server_stop(&srv);
}

/* The default: USER and PASS in one write, then CAPA and STAT in one
 * write, only after PASS was accepted (the server answers each pair only
 * once both lines are in; the trace shows CAPA and STAT sent after
 * PASS's reply came, which a client writing all four at once fails). */
static void test_two_round_trips_by_default(void)
{
    uint64_t n = 0, size = 0;
    trace_log t = {{0}, 0};
    pop3_client *c;

    start_scenario(GREETING_AND_CAPA
                   "C USER alice\n"
                   "C*\n"
                   "D 0.2\n"
                   "S +OK\\r\\n+OK logged in\\r\\n\n"
                   "C CAPA\n"
                   "C STAT\n"
                   "S +OK\\r\\nPIPELINING\\r\\nTOP\\r\\n.\\r\\n"
                   "+OK 2 20\\r\\n\n"
                   "C QUIT\n"
                   "S +OK bye\\r\\n\n"
                   "E\n");
    c = connected_traced(0, &t);
    CU_ASSERT(pop3_capa(c) == POP3_OK);
    CU_ASSERT(pop3_login(c, "alice", "secret") == POP3_OK);
    CU_ASSERT(pop3_has_capa(c, "TOP"));
    CU_ASSERT(pop3_stat(c, &n, &size) == POP3_OK && n == 2 && size == 20);
    CU_ASSERT(pop3_quit(c) == POP3_OK);
    pop3_client_free(c);
    CU_ASSERT(strstr(t.text, ">USER alice\n>PASS ****\n<+OK\n"
                             "<+OK logged in\n>CAPA\n>STAT\n") != NULL);
    CU_ASSERT(!test_server_sent(&srv, "#MISMATCH"));
    test_server_stop(&srv);
}

/* The same on the wire: a server that never answers USER and PASS sees
 * nothing after them (the lines that arrived unread are logged when it
 * closes), and the login fails as the connection does. */
static void test_nothing_more_before_pass_is_answered(void)
{
    pop3_client *c;

    start_scenario(GREETING_AND_CAPA
                   "C USER alice\n"
                   "C*\n"
                   "D 0.3\n"
                   "X\n");
    c = connected();
    CU_ASSERT(pop3_capa(c) == POP3_OK);
    CU_ASSERT(pop3_login(c, "alice", "secret") == POP3_E_EOF);
    pop3_client_free(c);
    CU_ASSERT(test_server_sent(&srv, "PASS secret"));
    CU_ASSERT(count_in_log("CAPA") == 1); /* the one before login */
    CU_ASSERT(count_in_log("STAT") == 0);
    test_server_stop(&srv);
}

/* The default, PASS refused: neither CAPA nor STAT is sent (so they are
 * not written with USER and PASS either). */
static void test_refused_sends_no_more(void)
{
    pop3_client *c;

    start_scenario(GREETING_AND_CAPA
                   "C USER alice\n"
                   "C*\n"
                   "S +OK\\r\\n-ERR [AUTH] invalid credentials\\r\\n\n"
                   "C QUIT\n"
                   "S +OK bye\\r\\n\n"
                   "E\n");
    c = connected();
    CU_ASSERT(pop3_capa(c) == POP3_OK);
    CU_ASSERT(pop3_login(c, "alice", "wrong") == POP3_E_AUTH);
    CU_ASSERT_STRING_EQUAL(pop3_server_text(c), "invalid credentials");
    CU_ASSERT(pop3_get_state(c) == POP3_STATE_AUTHORIZATION);
    CU_ASSERT(pop3_quit(c) == POP3_OK);
    pop3_client_free(c);
    CU_ASSERT(!test_server_sent(&srv, "#MISMATCH"));
    CU_ASSERT(count_in_log("CAPA") == 1);
    test_server_stop(&srv);
}

/* USER refused: PASS, CAPA and STAT were answered too, but the caller
 * sees USER's status and text, and the session goes on unauthenticated. */
static void test_user_refused(void)
{
    uint64_t n, size;
    pop3_client *c;

    start_scenario(GREETING_AND_CAPA
                   "C USER nobody\n"
                   "C*\n"
                   "C CAPA\n"
                   "C STAT\n"
                   "S -ERR [AUTH] no such mailbox\\r\\n-ERR no USER\\r\\n"
                   "+OK\\r\\nUSER\\r\\nPIPELINING\\r\\n.\\r\\n"
                   "-ERR not logged in\\r\\n\n"
                   "C QUIT\n"
                   "S +OK bye\\r\\n\n"
                   "E\n");
    c = connected_with(1);
    CU_ASSERT(pop3_capa(c) == POP3_OK);
    CU_ASSERT(pop3_login(c, "nobody", "secret") == POP3_E_AUTH);
    CU_ASSERT_STRING_EQUAL(pop3_server_text(c), "no such mailbox");
    CU_ASSERT_STRING_EQUAL(pop3_resp_code(c), "AUTH");
    CU_ASSERT(pop3_get_state(c) == POP3_STATE_AUTHORIZATION);
    CU_ASSERT(pop3_has_capa(c, "PIPELINING"));
    CU_ASSERT(pop3_stat(c, &n, &size) == POP3_E_STATE);
    CU_ASSERT(pop3_quit(c) == POP3_OK);
    end_scenario(c);
}

/* PASS refused and the server hangs up: the caller learns why the login
 * failed (not just that the connection ended); the next call gets the
 * connection's end. */
static void test_pass_refused_then_closed(void)
{
    pop3_client *c;

    start_scenario(GREETING_AND_CAPA
                   "C USER alice\n"
                   "C*\n"
                   "C CAPA\n"
                   "C STAT\n"
                   "S +OK\\r\\n-ERR [IN-USE] locked by another session\\r\\n\n"
                   "X\n");
    c = connected_with(1);
    CU_ASSERT(pop3_capa(c) == POP3_OK);
    CU_ASSERT(pop3_login(c, "alice", "secret") == POP3_E_IN_USE);
    CU_ASSERT_STRING_EQUAL(pop3_server_text(c), "locked by another session");
    CU_ASSERT(pop3_get_state(c) == POP3_STATE_DISCONNECTED);
    CU_ASSERT(pop3_noop(c) == POP3_E_EOF);
    end_scenario(c);
}

/* DELE and RSET change what STAT says: after either, STAT is asked. */
static void test_stat_after_dele_and_rset(void)
{
    uint64_t n = 0, size = 0;
    pop3_client *c;

    start_scenario(GREETING_AND_CAPA
                   "C USER alice\n"
                   "C*\n"
                   "S +OK\\r\\n+OK\\r\\n\n"
                   "C CAPA\n"
                   "C STAT\n"
                   "S +OK\\r\\nPIPELINING\\r\\n.\\r\\n+OK 2 20\\r\\n\n"
                   "C DELE 1\n"
                   "S +OK deleted\\r\\n\n"
                   "C STAT\n"
                   "S +OK 1 10\\r\\n\n"
                   "C RSET\n"
                   "S +OK\\r\\n\n"
                   "C STAT\n"
                   "S +OK 2 20\\r\\n\n"
                   "C QUIT\n"
                   "S +OK\\r\\n\n"
                   "E\n");
    c = connected();
    CU_ASSERT(pop3_capa(c) == POP3_OK);
    CU_ASSERT(pop3_login(c, "alice", "secret") == POP3_OK);
    CU_ASSERT(pop3_dele(c, 1) == POP3_OK);
    CU_ASSERT(pop3_stat(c, &n, &size) == POP3_OK && n == 1 && size == 10);
    CU_ASSERT(pop3_rset(c) == POP3_OK);
    CU_ASSERT(pop3_stat(c, &n, &size) == POP3_OK && n == 2 && size == 20);
    CU_ASSERT(pop3_quit(c) == POP3_OK);
    end_scenario(c);
}

/* A malformed STAT reply in the pipelined login is not kept: pop3_stat
 * asks again and reports what it gets. */
static void test_bad_stat_not_kept(void)
{
    uint64_t n, size;
    pop3_client *c;

    start_scenario(GREETING_AND_CAPA
                   "C USER alice\n"
                   "C*\n"
                   "S +OK\\r\\n+OK\\r\\n\n"
                   "C CAPA\n"
                   "C STAT\n"
                   "S -ERR no CAPA now\\r\\n+OK lots\\r\\n\n"
                   "C STAT\n"
                   "S +OK -1 x\\r\\n\n"
                   "E\n");
    c = connected();
    CU_ASSERT(pop3_capa(c) == POP3_OK);
    CU_ASSERT(pop3_login(c, "alice", "secret") == POP3_OK);
    CU_ASSERT(!pop3_has_capa(c, "PIPELINING")); /* refused after login */
    CU_ASSERT(pop3_stat(c, &n, &size) == POP3_E_PROTOCOL);
    end_scenario(c);
}

/* Without PIPELINING: USER and PASS one at a time, and pop3_quit sends
 * QUIT itself after a batch that asked for it. */
static void test_without_pipelining(void)
{
    static const unsigned int msgs[] = {1};
    unsigned int got;
    char buf[64];
    pop3_client *c;

    start_scenario("S +OK ready\\r\\n\n"
                   "C CAPA\n"
                   "S +OK\\r\\nUSER\\r\\n.\\r\\n\n"
                   "C USER alice\n"
                   "S +OK\\r\\n\n"
                   "C*\n"
                   "S +OK in\\r\\n\n"
                   "C CAPA\n"
                   "S +OK\\r\\nTOP\\r\\n.\\r\\n\n"
                   "C RETR 1\n"
                   "S +OK\\r\\nmsg1\\r\\n.\\r\\n\n"
                   "C QUIT\n"
                   "S +OK bye\\r\\n\n"
                   "E\n");
    c = connected();
    CU_ASSERT(pop3_capa(c) == POP3_OK);
    CU_ASSERT(pop3_login(c, "alice", "secret") == POP3_OK);
    CU_ASSERT(pop3_retr_many_begin(c, msgs, 1) == POP3_OK);
    CU_ASSERT(pop3_many_then_quit(c) == POP3_OK);
    CU_ASSERT(pop3_many_next(c, &got) == POP3_OK && got == 1);
    CU_ASSERT(body(c, buf, sizeof buf) == 6);
    CU_ASSERT(pop3_many_next(c, &got) == POP3_DONE);
    CU_ASSERT(pop3_quit(c) == POP3_OK);
    pop3_client_free(c);
    CU_ASSERT(!test_server_sent(&srv, "#MISMATCH"));
    CU_ASSERT(count_in_log("QUIT") == 1);
    test_server_stop(&srv);
}

/* A batch ended early with QUIT already out: the replies still owed are
 * dropped, then pop3_quit reads QUIT's. */
static void test_discard_after_quit_sent(void)
{
    static const unsigned int msgs[] = {1, 2};
    unsigned int got;
    pop3_client *c;

    start_scenario(GREETING_AND_CAPA
                   "C USER alice\n"
                   "C*\n"
                   "S +OK\\r\\n+OK\\r\\n\n"
                   "C CAPA\n"
                   "C STAT\n"
                   "S +OK\\r\\nPIPELINING\\r\\n.\\r\\n+OK 2 20\\r\\n\n"
                   "C RETR 1\n"
                   "C RETR 2\n"
                   "C QUIT\n"
                   "S +OK\\r\\nmsg1\\r\\n.\\r\\n-ERR gone\\r\\n"
                   "+OK bye\\r\\n\n"
                   "E\n");
    c = connected();
    CU_ASSERT(pop3_capa(c) == POP3_OK);
    CU_ASSERT(pop3_login(c, "alice", "secret") == POP3_OK);
    CU_ASSERT(pop3_retr_many_begin(c, msgs, 2) == POP3_OK);
    CU_ASSERT(pop3_many_then_quit(c) == POP3_OK);
    CU_ASSERT(pop3_many_next(c, &got) == POP3_OK && got == 1);
    CU_ASSERT(pop3_many_then_quit(c) == POP3_E_STATE); /* already out */
    CU_ASSERT(pop3_discard(c) == POP3_OK);
    CU_ASSERT(pop3_quit(c) == POP3_OK);
    CU_ASSERT_STRING_EQUAL(pop3_server_text(c), "bye");
    end_scenario(c);
}

/* early_capa: CAPA goes out before the greeting comes (the scenario
 * greets only once CAPA is in, so a client that waited would time out),
 * its reply is read after the greeting, and the login that follows
 * pipelines on it without asking again. */
static void test_early_capa(void)
{
    trace_log t = {{0}, 0};
    pop3_client *c;

    start_scenario("C CAPA\n"
                   "S +OK ready <1.2@x>\\r\\n"
                   "+OK\\r\\nUSER\\r\\nPIPELINING\\r\\n.\\r\\n\n"
                   "C USER alice\n"
                   "C*\n"
                   "C CAPA\n"
                   "C STAT\n"
                   "S +OK\\r\\n+OK logged in\\r\\n"
                   "+OK\\r\\nPIPELINING\\r\\nTOP\\r\\n.\\r\\n+OK 2 20\\r\\n\n"
                   "C QUIT\n"
                   "S +OK bye\\r\\n\n"
                   "E\n");
    c = client_with(1, 1, POP3_TLS_NONE, &t, POP3_PIPELINING_AUTO);
    CU_ASSERT_FATAL(pop3_connect(c, "127.0.0.1", srv.port) == POP3_OK);
    CU_ASSERT_STRING_EQUAL(pop3_greeting(c), "ready <1.2@x>");
    CU_ASSERT_STRING_EQUAL(pop3_apop_timestamp(c), "<1.2@x>");
    CU_ASSERT(pop3_has_capa(c, "PIPELINING") && pop3_has_capa(c, "USER"));
    CU_ASSERT(strncmp(t.text, ">CAPA\n<+OK ready", 16) == 0);
    CU_ASSERT(pop3_login(c, "alice", "secret") == POP3_OK);
    CU_ASSERT(pop3_has_capa(c, "TOP") && !pop3_has_capa(c, "USER"));
    CU_ASSERT(pop3_quit(c) == POP3_OK);
    pop3_client_free(c);
    CU_ASSERT(!test_server_sent(&srv, "#MISMATCH"));
    CU_ASSERT(count_in_log("CAPA") == 2);
    test_server_stop(&srv);
}

/* A -ERR to the early CAPA is an RFC 1939 server: connected, nothing
 * listed, and the login goes one command at a time. */
static void test_early_capa_refused(void)
{
    pop3_client *c;

    start_scenario("C CAPA\n"
                   "S +OK ready\\r\\n-ERR what\\r\\n\n"
                   "C USER alice\n"
                   "S +OK\\r\\n\n"
                   "C*\n"
                   "S +OK in\\r\\n\n"
                   "C QUIT\n"
                   "S +OK bye\\r\\n\n"
                   "E\n");
    c = client_with(1, 1, POP3_TLS_NONE, NULL, POP3_PIPELINING_AUTO);
    CU_ASSERT_FATAL(pop3_connect(c, "127.0.0.1", srv.port) == POP3_OK);
    CU_ASSERT(pop3_capa_line(c, 0) == NULL);
    CU_ASSERT(pop3_login(c, "alice", "secret") == POP3_OK);
    CU_ASSERT(pop3_quit(c) == POP3_OK);
    end_scenario(c);
}

/* A -ERR greeting fails the connect with its text, CAPA's reply unread;
 * a server that hangs up on the early CAPA fails it too; either way the
 * client can connect again. */
static void test_early_capa_bad_greeting(void)
{
    pop3_client *c;

    start_scenario("C CAPA\n"
                   "S -ERR [SYS/TEMP] busy\\r\\n+OK\\r\\nUSER\\r\\n.\\r\\n\n"
                   "E\n");
    c = client_with(0, 1, POP3_TLS_NONE, NULL, POP3_PIPELINING_AUTO);
    CU_ASSERT(pop3_connect(c, "127.0.0.1", srv.port) == POP3_E_SYS_TEMP);
    CU_ASSERT_STRING_EQUAL(pop3_server_text(c), "busy");
    CU_ASSERT(pop3_get_state(c) == POP3_STATE_DISCONNECTED);
    CU_ASSERT(pop3_capa_line(c, 0) == NULL);
    test_server_stop(&srv);

    start_scenario("C CAPA\n"
                   "X\n");
    CU_ASSERT(pop3_connect(c, "127.0.0.1", srv.port) == POP3_E_EOF);
    CU_ASSERT(pop3_get_state(c) == POP3_STATE_DISCONNECTED);
    pop3_client_free(c);
    test_server_stop(&srv);
}

/* STLS required: the early CAPA is the one the STLS check uses (no second
 * CAPA in cleartext); without STLS in it nothing else is sent. */
static void test_early_capa_stls_required(void)
{
    pop3_client *c;

    start_scenario("C CAPA\n"
                   "S +OK ready\\r\\n+OK\\r\\nUSER\\r\\n.\\r\\n\n"
                   "E\n");
    c = client_with(0, 1, POP3_TLS_STLS_REQUIRED, NULL,
                    POP3_PIPELINING_AUTO);
    CU_ASSERT(pop3_connect(c, "127.0.0.1", srv.port) ==
              POP3_E_TLS_UNAVAILABLE);
    pop3_client_free(c);
    CU_ASSERT(!test_server_sent(&srv, "#MISMATCH"));
    CU_ASSERT(count_in_log("CAPA") == 1);
    test_server_stop(&srv);
}

/* The rest of a batch of messages 1 and 2, each "msgN\r\n". */
static void read_msg1_msg2(pop3_client *c)
{
    unsigned int got, n;
    char buf[64], want[8];

    for (n = 1; n <= 2; n++) {
        snprintf(want, sizeof want, "msg%u\r\n", n);
        CU_ASSERT(pop3_many_next(c, &got) == POP3_OK && got == n);
        CU_ASSERT(body(c, buf, sizeof buf) == 6 && strcmp(buf, want) == 0);
    }
    CU_ASSERT(pop3_many_next(c, &got) == POP3_DONE);
}

/* POP3_PIPELINING_ASSUME: no CAPA before the login, which goes in one
 * write (the scenario answers once all four lines are in; a client that
 * asked CAPA first would be a #MISMATCH); the CAPA read with it lists no
 * PIPELINING, and that list wins: the batch goes one RETR at a time. */
static void test_assume_pipelining(void)
{
    static const unsigned int msgs[] = {1, 2};
    trace_log t = {{0}, 0};
    pop3_client *c;

    start_scenario("S +OK ready\\r\\n\n"
                   "C USER alice\n"
                   "C*\n"
                   "C CAPA\n"
                   "C STAT\n"
                   "S +OK\\r\\n+OK in\\r\\n+OK\\r\\nTOP\\r\\n.\\r\\n"
                   "+OK 2 20\\r\\n\n"
                   "C RETR 1\n"
                   "S +OK one\\r\\nmsg1\\r\\n.\\r\\n\n"
                   "C RETR 2\n"
                   "S +OK two\\r\\nmsg2\\r\\n.\\r\\n\n"
                   "C QUIT\n"
                   "S +OK bye\\r\\n\n"
                   "E\n");
    c = client_with(1, 0, POP3_TLS_NONE, &t, POP3_PIPELINING_ASSUME);
    CU_ASSERT_FATAL(pop3_connect(c, "127.0.0.1", srv.port) == POP3_OK);
    CU_ASSERT(pop3_login(c, "alice", "secret") == POP3_OK);
    CU_ASSERT(pop3_has_capa(c, "TOP") && !pop3_has_capa(c, "PIPELINING"));
    CU_ASSERT(pop3_retr_many_begin(c, msgs, 2) == POP3_OK);
    read_msg1_msg2(c);
    CU_ASSERT(pop3_quit(c) == POP3_OK);
    pop3_client_free(c);
    CU_ASSERT(!test_server_sent(&srv, "#MISMATCH"));
    CU_ASSERT(strstr(t.text, ">RETR 1\n<+OK one\n>RETR 2\n") != NULL);
    test_server_stop(&srv);
}

/* ASSUME with no CAPA read at all (APOP logs in without one): a batch
 * goes in one write without asking CAPA first. */
static void test_assume_pipelining_batch(void)
{
    static const unsigned int msgs[] = {1, 2};
    pop3_client *c;

    start_scenario("S +OK ready <1.2@x>\\r\\n\n"
                   "C*\n"
                   "S +OK in\\r\\n\n"
                   "C RETR 1\n"
                   "C RETR 2\n"
                   "C QUIT\n"
                   "S +OK\\r\\nmsg1\\r\\n.\\r\\n+OK\\r\\nmsg2\\r\\n.\\r\\n"
                   "+OK bye\\r\\n\n"
                   "E\n");
    c = client_with(0, 0, POP3_TLS_NONE, NULL, POP3_PIPELINING_ASSUME);
    CU_ASSERT_FATAL(pop3_connect(c, "127.0.0.1", srv.port) == POP3_OK);
    CU_ASSERT(pop3_apop(c, "alice", "secret") == POP3_OK);
    CU_ASSERT(pop3_retr_many_begin(c, msgs, 2) == POP3_OK);
    CU_ASSERT(pop3_many_then_quit(c) == POP3_OK);
    read_msg1_msg2(c);
    CU_ASSERT(pop3_quit(c) == POP3_OK);
    end_scenario(c);
}

/* POP3_PIPELINING_OFF: PIPELINING listed, yet every command waits for
 * the reply before it (the trace shows each reply before the next
 * command), and QUIT goes after the batch, not with it. */
static void test_pipelining_off(void)
{
    static const unsigned int msgs[] = {1, 2};
    trace_log t = {{0}, 0};
    pop3_client *c;
    pop3_options o;

    start_scenario(GREETING_AND_CAPA
                   "C USER alice\n"
                   "S +OK\\r\\n\n"
                   "C*\n"
                   "S +OK in\\r\\n\n"
                   "C CAPA\n"
                   "S +OK\\r\\nPIPELINING\\r\\n.\\r\\n\n"
                   "C RETR 1\n"
                   "S +OK one\\r\\nmsg1\\r\\n.\\r\\n\n"
                   "C RETR 2\n"
                   "S +OK two\\r\\nmsg2\\r\\n.\\r\\n\n"
                   "C QUIT\n"
                   "S +OK bye\\r\\n\n"
                   "E\n");
    c = client_with(1, 0, POP3_TLS_NONE, &t, POP3_PIPELINING_OFF);
    CU_ASSERT_FATAL(pop3_connect(c, "127.0.0.1", srv.port) == POP3_OK);
    CU_ASSERT(pop3_capa(c) == POP3_OK && pop3_has_capa(c, "PIPELINING"));
    CU_ASSERT(pop3_login(c, "alice", "secret") == POP3_OK);
    CU_ASSERT(pop3_retr_many_begin(c, msgs, 2) == POP3_OK);
    CU_ASSERT(pop3_many_then_quit(c) == POP3_OK);
    read_msg1_msg2(c);
    CU_ASSERT(pop3_quit(c) == POP3_OK);
    pop3_client_free(c);
    CU_ASSERT(!test_server_sent(&srv, "#MISMATCH"));
    CU_ASSERT(strstr(t.text, ">USER alice\n<+OK\n>PASS ****\n<+OK in\n") !=
              NULL);
    CU_ASSERT(strstr(t.text, ">RETR 1\n<+OK one\n>RETR 2\n<+OK two\n"
                             ">QUIT\n") != NULL);
    test_server_stop(&srv);

    /* Not one of the three: refused before anything is made. */
    pop3_options_init(&o);
    o.pipelining = (pop3_pipelining)3;
    c = NULL;
    CU_ASSERT(pop3_client_new(&o, &c) == POP3_E_ARG && c == NULL);
}

int main(void)
{
    static const test_case tests[] = {
        {"login, STAT and QUIT pipelined", test_one_round_trip_login_and_quit},
        {"by default USER+PASS, then CAPA+STAT",
         test_two_round_trips_by_default},
        {"by default nothing more until PASS is answered",
         test_nothing_more_before_pass_is_answered},
        {"by default nothing after a refused PASS", test_refused_sends_no_more},
        {"USER refused in a pipelined login", test_user_refused},
        {"PASS refused, then the server hangs up",
         test_pass_refused_then_closed},
        {"STAT asked again after DELE and RSET",
         test_stat_after_dele_and_rset},
        {"a malformed STAT reply is not kept", test_bad_stat_not_kept},
        {"no PIPELINING: one at a time", test_without_pipelining},
        {"discard after QUIT went out", test_discard_after_quit_sent},
        {"early_capa: CAPA before the greeting", test_early_capa},
        {"early_capa: -ERR to CAPA", test_early_capa_refused},
        {"early_capa: -ERR greeting, hang-up", test_early_capa_bad_greeting},
        {"early_capa: STLS required, not listed",
         test_early_capa_stls_required},
        {"pipelining ASSUME: login without CAPA, a CAPA read wins",
         test_assume_pipelining},
        {"pipelining ASSUME: a batch without CAPA",
         test_assume_pipelining_batch},
        {"pipelining OFF: one command at a time", test_pipelining_off},
        {NULL, NULL}};
    return test_run_suite("pipelined_login", tests);
}
