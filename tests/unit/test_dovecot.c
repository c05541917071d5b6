/*
 * The client against a real Dovecot POP3 server on loopback (started by
 * the CTest fixture "dovecot"): logins, every command, dot-stuffed and
 * large messages, and that deletions happen only through QUIT.
 */
#include <pop3/pop3.h>

#include "dovecot.h"
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static pop3_client *connect_plain(void)
{
    pop3_options o;
    pop3_client *c = NULL;

    pop3_options_init(&o);
    o.tls = POP3_TLS_NONE; /* loopback; TLS has tests of its own */
    o.io_timeout_ms = 20000;
    CU_ASSERT_FATAL(pop3_client_new(&o, &c) == POP3_OK);
    CU_ASSERT_FATAL(dovecot_port() != 0);
    CU_ASSERT_FATAL(pop3_connect(c, "127.0.0.1", dovecot_port()) ==
                    POP3_OK);
    return c;
}

static pop3_client *login(const char *user)
{
    pop3_client *c = connect_plain();
    CU_ASSERT_FATAL(pop3_login(c, user, "secret") == POP3_OK);
    return c;
}

/* The whole file, for comparing with what RETR gives. */
static char *slurp(const char *name, size_t *len)
{
    char path[600];
    FILE *f = fopen(dovecot_data(name, path, sizeof path), "rb");
    char *buf = malloc(65536);
    *len = f ? fread(buf, 1, 65536, f) : 0;
    if (f)
        fclose(f);
    return buf;
}

static char *retrieve(pop3_client *c, unsigned int msg, size_t *len)
{
    size_t cap = 65536, n;
    char *out = malloc(cap);
    const char *data;
    pop3_status st;

    *len = 0;
    CU_ASSERT_FATAL(pop3_retr_begin(c, msg) == POP3_OK);
    while ((st = pop3_body_next(c, &data, &n)) == POP3_OK) {
        CU_ASSERT_FATAL(*len + n <= cap);
        memcpy(out + *len, data, n);
        *len += n;
    }
    CU_ASSERT(st == POP3_DONE);
    return out;
}

static void test_user_pass_and_commands(void)
{
    static const char *const files[] = {"plain.eml", "dots.eml",
                                        "third.eml", NULL};
    pop3_client *c;
    uint64_t count, total, size, sz;
    unsigned int msg, seen = 0;
    const char *uid, *data;
    char first_uid[80];
    size_t len, want_len, top_len = 0;
    char *got, *want;
    pop3_status st;

    CU_ASSERT_FATAL(dovecot_seed("core1", files, NULL) == 0);
    c = login("core1");
    CU_ASSERT(pop3_stat(c, &count, &total) == POP3_OK);
    CU_ASSERT(count == 3);

    CU_ASSERT(pop3_list_begin(c) == POP3_OK);
    size = 0;
    while ((st = pop3_list_next(c, &msg, &sz)) == POP3_OK) {
        seen++;
        size += sz;
    }
    CU_ASSERT(st == POP3_DONE && seen == 3 && size == total);

    CU_ASSERT(pop3_uidl_begin(c) == POP3_OK);
    CU_ASSERT(pop3_uidl_next(c, &msg, &uid) == POP3_OK && msg == 1);
    snprintf(first_uid, sizeof first_uid, "%s", uid);
    while ((st = pop3_uidl_next(c, &msg, &uid)) == POP3_OK)
        ;
    CU_ASSERT(st == POP3_DONE);
    CU_ASSERT(pop3_uidl_one(c, 1, &uid) == POP3_OK);
    CU_ASSERT_STRING_EQUAL(uid, first_uid);

    /* Dot-stuffed lines come back exactly as stored. */
    got = retrieve(c, 2, &len);
    want = slurp("dots.eml", &want_len);
    CU_ASSERT(len == want_len && memcmp(got, want, len) == 0);
    CU_ASSERT(pop3_list_one(c, 2, &sz) == POP3_OK && sz == len);
    free(got);
    free(want);

    /* TOP 3 1: the header, the blank line and one body line. */
    CU_ASSERT(pop3_top_begin(c, 3, 1) == POP3_OK);
    while ((st = pop3_body_next(c, &data, &len)) == POP3_OK)
        top_len += len;
    CU_ASSERT(st == POP3_DONE);
    want = slurp("third.eml", &want_len);
    CU_ASSERT(top_len == want_len - strlen("line 2\r\nline 3\r\n"));
    free(want);

    CU_ASSERT(pop3_noop(c) == POP3_OK);
    CU_ASSERT(pop3_retr_begin(c, 99) == POP3_E_SERVER);
    CU_ASSERT(strlen(pop3_server_text(c)) > 0);
    CU_ASSERT(pop3_dele(c, 1) == POP3_OK);
    CU_ASSERT(pop3_rset(c) == POP3_OK);
    CU_ASSERT(pop3_quit(c) == POP3_OK);
    pop3_client_free(c);
    CU_ASSERT(dovecot_count("core1") == 3);
}

static void test_apop(void)
{
    static const char *const files[] = {"plain.eml", NULL};
    pop3_client *c;
    uint64_t n, sz;

    CU_ASSERT_FATAL(dovecot_seed("core2", files, NULL) == 0);
    c = connect_plain();
    CU_ASSERT_PTR_NOT_NULL_FATAL(pop3_apop_timestamp(c));
    CU_ASSERT(pop3_apop(c, "core2", "wrong") == POP3_E_AUTH);
    CU_ASSERT(pop3_apop(c, "core2", "secret") == POP3_OK);
    CU_ASSERT(pop3_stat(c, &n, &sz) == POP3_OK && n == 1);
    CU_ASSERT(pop3_quit(c) == POP3_OK);
    pop3_client_free(c);
}

static void test_wrong_password(void)
{
    pop3_client *c = connect_plain();
    CU_ASSERT(pop3_login(c, "core2", "not-the-password") == POP3_E_AUTH);
    CU_ASSERT(strlen(pop3_server_text(c)) > 0);
    CU_ASSERT(pop3_get_state(c) == POP3_STATE_AUTHORIZATION);
    pop3_client_free(c);
}

static void test_dele_quit_and_drop(void)
{
    static const char *const files[] = {"plain.eml", "dots.eml", NULL};
    pop3_client *c;

    CU_ASSERT_FATAL(dovecot_seed("core3", files, NULL) == 0);
    /* DELE then a dropped connection: nothing is gone. */
    c = login("core3");
    CU_ASSERT(pop3_dele(c, 1) == POP3_OK);
    CU_ASSERT(pop3_dele(c, 2) == POP3_OK);
    pop3_client_free(c);
    CU_ASSERT(dovecot_count("core3") == 2);
    /* DELE then QUIT: the message is gone. */
    c = login("core3");
    CU_ASSERT(pop3_dele(c, 1) == POP3_OK);
    CU_ASSERT(pop3_quit(c) == POP3_OK);
    CU_ASSERT(pop3_get_state(c) == POP3_STATE_UPDATE);
    pop3_client_free(c);
    CU_ASSERT(dovecot_count("core3") == 1);
}

static long max_rss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static void test_large_message_streams(void)
{
    pop3_client *c;
    uint64_t size;
    const char *data;
    size_t len, total = 0, biggest = 0;
    long before;
    pop3_status st;

    CU_ASSERT_FATAL(dovecot_seed("core4", NULL, "1:30m") == 0);
    c = login("core4");
    CU_ASSERT(pop3_list_one(c, 1, &size) == POP3_OK);
    CU_ASSERT(size > 30000000);
    before = max_rss_kb();
    CU_ASSERT(pop3_retr_begin(c, 1) == POP3_OK);
    while ((st = pop3_body_next(c, &data, &len)) == POP3_OK) {
        total += len;
        if (len > biggest)
            biggest = len;
    }
    CU_ASSERT(st == POP3_DONE);
    CU_ASSERT(total == size);
    CU_ASSERT(biggest <= 65536);
    /* 30 MB went through; the process grew by far less. */
    CU_ASSERT(max_rss_kb() - before < 4096);
    CU_ASSERT(pop3_quit(c) == POP3_OK);
    pop3_client_free(c);
}

/* opts.pipelining ASSUME with pipeline_login against Dovecot: USER,
 * PASS, CAPA and STAT go out together right after the greeting (no CAPA
 * first), then every message as one batch with QUIT. */
static void test_assumed_pipelining(void)
{
    static const char *const files[] = {"plain.eml", "dots.eml", NULL};
    static const unsigned int msgs[] = {1, 2};
    char order[8] = "";
    pop3_options o;
    pop3_client *c = NULL;
    uint64_t count = 0, total = 0, octets = 0;
    unsigned int msg, seen = 0;
    const char *data;
    size_t len;

    CU_ASSERT_FATAL(dovecot_seed("core5", files, NULL) == 0);
    pop3_options_init(&o);
    o.tls = POP3_TLS_NONE;
    o.pipelining = POP3_PIPELINING_ASSUME;
    o.pipeline_login = 1;
    o.trace = test_trace_directions;
    o.trace_ctx = order;
    o.io_timeout_ms = 20000;
    CU_ASSERT_FATAL(pop3_client_new(&o, &c) == POP3_OK);
    CU_ASSERT_FATAL(pop3_connect(c, "127.0.0.1", dovecot_port()) ==
                    POP3_OK);
    CU_ASSERT(pop3_login(c, "core5", "secret") == POP3_OK);
    /* Greeting, then USER PASS CAPA STAT sent before any reply. */
    CU_ASSERT(strncmp(order, "<>>>><", 6) == 0);
    CU_ASSERT(pop3_has_capa(c, "PIPELINING"));
    CU_ASSERT(pop3_stat(c, &count, &total) == POP3_OK && count == 2);
    CU_ASSERT(pop3_retr_many_begin(c, msgs, 2) == POP3_OK);
    CU_ASSERT(pop3_many_then_quit(c) == POP3_OK);
    while (pop3_many_next(c, &msg) == POP3_OK) {
        seen++;
        while (pop3_body_next(c, &data, &len) == POP3_OK)
            octets += len;
    }
    CU_ASSERT(seen == 2 && octets == total);
    CU_ASSERT(pop3_quit(c) == POP3_OK);
    pop3_client_free(c);
    CU_ASSERT(dovecot_count("core5") == 2);
}

int main(void)
{
    static const test_case tests[] = {
        {"USER/PASS and every command", test_user_pass_and_commands},
        {"APOP", test_apop},
        {"wrong password", test_wrong_password},
        {"DELE with QUIT and with a dropped connection",
         test_dele_quit_and_drop},
        {"pipelining assumed: login and batch without CAPA",
         test_assumed_pipelining},
        {"30 MB message streams in constant memory",
         test_large_message_streams},
        {NULL, NULL}};
    return test_run_suite("dovecot", tests);
}
