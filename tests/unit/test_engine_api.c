/*
 * pop3_codec, the public engine: pipelined replies under every split of
 * the input and through a buffer smaller than the input, sticky errors,
 * the expectation queue, STLS injection, the command formatter, and the
 * rules for response codes and APOP timestamps.
 */
#include "pop3/pop3.h"
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct out {
    char s[8192];
    size_t len;
} out;

static void put(out *o, const char *d, size_t n)
{
    CU_ASSERT_FATAL(o->len + n < sizeof o->s);
    if (n == 0)
        return; /* d may be NULL (END) */
    memcpy(o->s + o->len, d, n);
    o->len += n;
    o->s[o->len] = '\0';
}

/* Record one event; chunks are joined so boundaries do not matter. */
static void record(out *o, pop3_codec *c, pop3_codec_event ev,
                   const char *d, size_t n)
{
    static const char *names[] = {"?", "OK", "ERR", "CONT", "L", "", "END"};
    const char *code;
    size_t code_len;

    if (ev == POP3_CODEC_CHUNK) {
        put(o, d, n);
        return;
    }
    put(o, "<", 1);
    put(o, names[ev], strlen(names[ev]));
    if (ev == POP3_CODEC_OK || ev == POP3_CODEC_ERR) {
        CU_ASSERT(pop3_codec_resp_code(c, &code, &code_len) == POP3_OK);
        if (code_len > 0) {
            put(o, "[", 1);
            put(o, code, code_len);
            put(o, "]", 1);
        }
    }
    put(o, " ", 1);
    put(o, d, n);
    put(o, ">", 1);
}

/* Drain events; returns the status that stopped it (POP3_OK at NEED_MORE) */
static pop3_status drain(pop3_codec *c, out *o)
{
    for (int guard = 0; guard < 100000; guard++) {
        pop3_codec_event ev;
        const char *d;
        size_t n;
        pop3_status st = pop3_codec_next(c, &ev, &d, &n);
        if (st != POP3_OK)
            return st;
        if (ev == POP3_CODEC_NEED_MORE)
            return POP3_OK;
        record(o, c, ev, d, n);
    }
    CU_FAIL("drain did not end");
    return POP3_E_PROTOCOL;
}

/* Feed `in` in pieces of `step` bytes (the last piece may be shorter),
 * draining after every feed; a piece the buffer cannot take whole is
 * fed again after the drain.  Returns the first error, or POP3_OK. */
static pop3_status run(pop3_codec *c, const char *in, size_t len, size_t step,
                       size_t cut, out *o)
{
    size_t pos = 0;
    pop3_status st;

    o->len = 0;
    o->s[0] = '\0';
    while (pos < len) {
        size_t piece = pos < cut && cut < len ? cut - pos : step;
        size_t taken;
        if (piece > len - pos)
            piece = len - pos;
        st = pop3_codec_feed(c, in + pos, piece, &taken);
        if (st != POP3_OK)
            return st;
        pos += taken;
        st = drain(c, o);
        if (st != POP3_OK)
            return st;
    }
    return drain(c, o);
}

static const char session[] =
    "+OK POP3 ready <1.2@x>\r\n"
    "+OK 2 320\r\n"
    "+OK 2 messages\r\n1 120\r\n2 200\r\n.\r\n"
    "+OK [UTF8] here\r\nSubject: a\r\n\r\n..stuffed\r\n.\r.\r\nx\r\n.\r\n"
    "-ERR [IN-USE] locked\r\n"
    "+ PDEyPg==\r\n"
    "+OK\r\n.\r\n"
    "-ERR\r\n";
static const pop3_codec_reply session_expect[] = {
    POP3_CODEC_STATUS, POP3_CODEC_STATUS, POP3_CODEC_LISTING,
    POP3_CODEC_BODY,   POP3_CODEC_BODY,   POP3_CODEC_SASL,
    POP3_CODEC_BODY,   POP3_CODEC_STATUS};
static const char session_events[] =
    "<OK POP3 ready <1.2@x>><OK 2 320><OK 2 messages><L 1 120><L 2 200>"
    "<END ><OK[UTF8] here>Subject: a\r\n\r\n.stuffed\r\n\r.\r\nx\r\n"
    "<END ><ERR[IN-USE] locked><CONT PDEyPg==><OK ><END ><ERR >";

static pop3_codec *make(size_t max_line, size_t buf)
{
    pop3_codec *c = NULL;
    size_t i;

    CU_ASSERT_FATAL(pop3_codec_new(max_line, buf, &c) == POP3_OK);
    for (i = 0; i < sizeof session_expect / sizeof *session_expect; i++)
        CU_ASSERT(pop3_codec_expect(c, session_expect[i]) == POP3_OK);
    return c;
}

static void check_split(size_t max_line, size_t buf)
{
    size_t len = sizeof session - 1, step, cut;
    out o;

    for (step = 1; step <= len; step = step < 8 ? step + 1 : step * 2) {
        pop3_codec *c = make(max_line, buf);
        CU_ASSERT(run(c, session, len, step, len, &o) == POP3_OK);
        CU_ASSERT_STRING_EQUAL(o.s, session_events);
        CU_ASSERT(pop3_codec_expected(c) == 0);
        pop3_codec_free(c);
    }
    for (cut = 1; cut < len; cut++) {
        pop3_codec *c = make(max_line, buf);
        CU_ASSERT(run(c, session, len, len, cut, &o) == POP3_OK);
        CU_ASSERT_STRING_EQUAL(o.s, session_events);
        pop3_codec_free(c);
    }
}

static void test_pipelined_splits(void)
{
    check_split(0, 0);
}

static void test_small_buffer(void)
{
    /* The buffer holds less than the input: feed takes part of it. */
    check_split(64, 128);
}

static void test_big_body(void)
{
    size_t lines = 3000, i, len = 0;
    char *in = malloc(lines * 40 + 64), *want = malloc(lines * 40);
    size_t want_len = 0;
    pop3_codec *c = NULL;
    pop3_status st;
    size_t pos = 0, got = 0;
    int ended = 0;

    CU_ASSERT_FATAL(in != NULL && want != NULL);
    len += (size_t)sprintf(in, "+OK\r\n");
    for (i = 0; i < lines; i++) {
        len += (size_t)sprintf(in + len, "..line %05zu\r\n", i);
        want_len += (size_t)sprintf(want + want_len, ".line %05zu\r\n", i);
    }
    len += (size_t)sprintf(in + len, ".\r\n");
    CU_ASSERT_FATAL(pop3_codec_new(64, 128, &c) == POP3_OK);
    CU_ASSERT(pop3_codec_expect(c, POP3_CODEC_BODY) == POP3_OK);
    while (!ended) {
        size_t taken;
        pop3_codec_event ev;
        const char *d;
        size_t n;
        st = pop3_codec_feed(c, in + pos, len - pos, &taken);
        CU_ASSERT_FATAL(st == POP3_OK);
        CU_ASSERT(taken <= 128);
        pos += taken;
        while ((st = pop3_codec_next(c, &ev, &d, &n)) == POP3_OK &&
               ev != POP3_CODEC_NEED_MORE) {
            if (ev == POP3_CODEC_CHUNK) {
                CU_ASSERT_FATAL(got + n <= want_len);
                CU_ASSERT(memcmp(want + got, d, n) == 0);
                got += n;
            } else if (ev == POP3_CODEC_END) {
                ended = 1;
            }
        }
        CU_ASSERT_FATAL(st == POP3_OK);
        CU_ASSERT_FATAL(ended || pos < len);
    }
    CU_ASSERT(got == want_len);
    pop3_codec_free(c);
    free(in);
    free(want);
}

/* After an error every call returns it again and nothing moves. */
static void check_sticky(pop3_codec *c, pop3_status want)
{
    pop3_codec_event ev;
    const char *d;
    size_t n, taken = 99;

    CU_ASSERT(pop3_codec_next(c, &ev, &d, &n) == want);
    CU_ASSERT(ev == POP3_CODEC_NEED_MORE && d == NULL && n == 0);
    CU_ASSERT(pop3_codec_feed(c, "+OK\r\n", 5, &taken) == want);
    CU_ASSERT(taken == 0);
    CU_ASSERT(pop3_codec_expect(c, POP3_CODEC_STATUS) == want);
}

static void check_bad(const char *in, pop3_codec_reply expect,
                      pop3_status want)
{
    pop3_codec *c = NULL;
    out o;

    CU_ASSERT_FATAL(pop3_codec_new(64, 256, &c) == POP3_OK);
    if (expect != 0)
        CU_ASSERT(pop3_codec_expect(c, expect) == POP3_OK);
    CU_ASSERT(run(c, in, strlen(in), 1, strlen(in), &o) == want);
    check_sticky(c, want);
    pop3_codec_free(c);
}

static void test_errors(void)
{
    check_bad("+OK hello\r\n", 0, POP3_E_PROTOCOL); /* unsolicited */
    check_bad("+OK\r\n+OK\r\n", POP3_CODEC_STATUS, POP3_E_PROTOCOL);
    check_bad("+OK bare LF\n", POP3_CODEC_STATUS, POP3_E_PROTOCOL);
    check_bad("+OK a\rb\r\n", POP3_CODEC_STATUS, POP3_E_PROTOCOL);
    check_bad("* OK imap?\r\n", POP3_CODEC_STATUS, POP3_E_PROTOCOL);
    check_bad("+ abc\r\n", POP3_CODEC_STATUS, POP3_E_PROTOCOL); /* not SASL */
    check_bad("+OK 0123456789012345678901234567890123456789012345678901234567"
              "89\r\n",
              POP3_CODEC_STATUS, POP3_E_LINE_TOO_LONG);
    check_bad("+OK\r\n1 100\n.\r\n", POP3_CODEC_LISTING, POP3_E_PROTOCOL);
}

static void test_nul_in_status(void)
{
    static const char in[] = "+OK a\0b\r\n";
    pop3_codec *c = NULL;
    out o;

    CU_ASSERT_FATAL(pop3_codec_new(0, 0, &c) == POP3_OK);
    CU_ASSERT(pop3_codec_expect(c, POP3_CODEC_STATUS) == POP3_OK);
    CU_ASSERT(run(c, in, sizeof in - 1, 3, sizeof in, &o) == POP3_E_PROTOCOL);
    pop3_codec_free(c);
}

static void test_args(void)
{
    pop3_codec *c = NULL;
    pop3_codec_event ev;
    const char *d;
    size_t n, taken;
    int i;

    CU_ASSERT(pop3_codec_new(0, 0, NULL) == POP3_E_ARG);
    CU_ASSERT(pop3_codec_new(63, 0, &c) == POP3_E_ARG && c == NULL);
    CU_ASSERT(pop3_codec_new(512, 1000, &c) == POP3_E_ARG && c == NULL);
    pop3_codec_free(NULL);
    CU_ASSERT(pop3_codec_expect(NULL, POP3_CODEC_STATUS) == POP3_E_ARG);
    CU_ASSERT(pop3_codec_feed(NULL, "x", 1, &taken) == POP3_E_ARG);
    CU_ASSERT(pop3_codec_next(NULL, &ev, &d, &n) == POP3_E_ARG);
    CU_ASSERT(pop3_codec_pending(NULL) == 0);
    CU_ASSERT(pop3_codec_expected(NULL) == 0);

    CU_ASSERT_FATAL(pop3_codec_new(512, 1024, &c) == POP3_OK);
    CU_ASSERT(pop3_codec_expect(c, (pop3_codec_reply)0) == POP3_E_ARG);
    CU_ASSERT(pop3_codec_expect(c, (pop3_codec_reply)5) == POP3_E_ARG);
    CU_ASSERT(pop3_codec_feed(c, NULL, 1, &taken) == POP3_E_ARG);
    CU_ASSERT(pop3_codec_feed(c, "x", 1, NULL) == POP3_E_ARG);
    CU_ASSERT(pop3_codec_feed(c, NULL, 0, &taken) == POP3_OK && taken == 0);
    CU_ASSERT(pop3_codec_next(c, NULL, &d, &n) == POP3_E_ARG);
    CU_ASSERT(pop3_codec_resp_code(c, NULL, &n) == POP3_E_ARG);
    /* Nothing expected, nothing fed: simply nothing to do. */
    CU_ASSERT(pop3_codec_next(c, &ev, &d, &n) == POP3_OK);
    CU_ASSERT(ev == POP3_CODEC_NEED_MORE);
    /* A full queue refuses more, and loses none already queued. */
    for (i = 0; i < POP3_CODEC_MAX_PENDING; i++)
        CU_ASSERT(pop3_codec_expect(c, POP3_CODEC_STATUS) == POP3_OK);
    CU_ASSERT(pop3_codec_expect(c, POP3_CODEC_STATUS) == POP3_E_BUSY);
    CU_ASSERT(pop3_codec_expected(c) == POP3_CODEC_MAX_PENDING);
    CU_ASSERT(pop3_codec_feed(c, "+OK\r\n-ERR\r\n", 11, &taken) == POP3_OK);
    CU_ASSERT(pop3_codec_next(c, &ev, &d, &n) == POP3_OK &&
              ev == POP3_CODEC_OK);
    CU_ASSERT(pop3_codec_next(c, &ev, &d, &n) == POP3_OK &&
              ev == POP3_CODEC_ERR);
    CU_ASSERT(pop3_codec_expected(c) == POP3_CODEC_MAX_PENDING - 2);
    CU_ASSERT(pop3_codec_expect(c, POP3_CODEC_STATUS) == POP3_OK);
    pop3_codec_free(c);
}

static void test_stls_injection(void)
{
    static const char in[] = "+OK begin TLS\r\n+OK injected\r\n";
    pop3_codec *c = NULL;
    pop3_codec_event ev;
    const char *d;
    size_t n, taken;

    CU_ASSERT_FATAL(pop3_codec_new(0, 0, &c) == POP3_OK);
    CU_ASSERT(pop3_codec_expect(c, POP3_CODEC_STATUS) == POP3_OK);
    CU_ASSERT(pop3_codec_feed(c, in, sizeof in - 1, &taken) == POP3_OK);
    CU_ASSERT(pop3_codec_next(c, &ev, &d, &n) == POP3_OK);
    CU_ASSERT(ev == POP3_CODEC_OK);
    CU_ASSERT(pop3_codec_pending(c) == 14); /* the caller must refuse */
    pop3_codec_free(c);
}

static void test_format(void)
{
    char line[POP3_CODEC_LINE_MAX], arg[300];
    size_t n = 99;

    CU_ASSERT(pop3_codec_format("STAT", NULL, NULL, line, &n) == POP3_OK);
    CU_ASSERT(n == 6 && strcmp(line, "STAT\r\n") == 0);
    CU_ASSERT(pop3_codec_format("TOP", "1", "10", line, &n) == POP3_OK);
    CU_ASSERT(n == 10 && strcmp(line, "TOP 1 10\r\n") == 0);
    CU_ASSERT(pop3_codec_format("PASS", "a b", NULL, line, &n) == POP3_OK);
    CU_ASSERT(strcmp(line, "PASS a b\r\n") == 0);
    CU_ASSERT(pop3_codec_format("UTF8", NULL, NULL, line, &n) == POP3_OK);

    /* Injection and malformed commands: refused, nothing left behind. */
    CU_ASSERT(pop3_codec_format("USER", "a\r\nDELE 1", NULL, line, &n) ==
              POP3_E_ARG);
    CU_ASSERT(n == 0 && line[0] == '\0');
    CU_ASSERT(pop3_codec_format("PASS", "x", "y\n", line, &n) == POP3_E_ARG);
    CU_ASSERT(n == 0 && line[0] == '\0' && line[1] == '\0');
    CU_ASSERT(pop3_codec_format("US ER", "a", NULL, line, &n) == POP3_E_ARG);
    CU_ASSERT(pop3_codec_format("", NULL, NULL, line, &n) == POP3_E_ARG);
    CU_ASSERT(pop3_codec_format("RETRRETRR", NULL, NULL, line, &n) ==
              POP3_E_ARG);
    CU_ASSERT(pop3_codec_format("S\r\n", NULL, NULL, line, &n) == POP3_E_ARG);
    CU_ASSERT(pop3_codec_format(NULL, NULL, NULL, line, &n) == POP3_E_ARG);
    CU_ASSERT(pop3_codec_format("TOP", NULL, "1", line, &n) == POP3_E_ARG);
    CU_ASSERT(pop3_codec_format("STAT", NULL, NULL, NULL, &n) == POP3_E_ARG);
    CU_ASSERT(pop3_codec_format("STAT", NULL, NULL, line, NULL) ==
              POP3_E_ARG);

    /* 255 octets with CRLF is the limit (RFC 2449 4). */
    memset(arg, 'a', sizeof arg);
    arg[255 - 7] = '\0'; /* "USER " + arg + CRLF = 255 */
    CU_ASSERT(pop3_codec_format("USER", arg, NULL, line, &n) == POP3_OK);
    CU_ASSERT(n == 255 && line[255] == '\0');
    arg[255 - 7] = 'a';
    arg[256 - 7] = '\0';
    CU_ASSERT(pop3_codec_format("USER", arg, NULL, line, &n) == POP3_E_ARG);
}

/* The reading rules event-loop clients share with the blocking client:
 * a -ERR's code to a status, and the greeting's APOP timestamp. */
static void test_reading_rules(void)
{
    const char *d = "x";
    size_t n = 1;

    CU_ASSERT(pop3_resp_code_status("IN-USE", POP3_E_SERVER) ==
              POP3_E_IN_USE);
    CU_ASSERT(pop3_resp_code_status("sys/temp/disk", POP3_E_SERVER) ==
              POP3_E_SYS_TEMP);
    CU_ASSERT(pop3_resp_code_status("AUTHX", POP3_E_AUTH_SERVER) ==
              POP3_E_AUTH_SERVER);
    CU_ASSERT(pop3_resp_code_status("", POP3_E_SERVER) == POP3_E_SERVER);
    CU_ASSERT(pop3_resp_code_status(NULL, POP3_E_SERVER) == POP3_E_SERVER);

    CU_ASSERT(pop3_apop_stamp("POP3 ready <1.2@host> now", &d, &n) ==
              POP3_OK);
    CU_ASSERT(n == 10 && memcmp(d, "<1.2@host>", 10) == 0);
    CU_ASSERT(pop3_apop_stamp("ready <a@b@c>", &d, &n) == POP3_OK);
    CU_ASSERT(d == NULL && n == 0); /* two "@" */
    CU_ASSERT(pop3_apop_stamp("ready <bad> <1@h>", &d, &n) == POP3_OK);
    CU_ASSERT(d == NULL); /* the first one counts, and it is malformed */
    CU_ASSERT(pop3_apop_stamp("ready <1@h", &d, &n) == POP3_OK && !d);
    CU_ASSERT(pop3_apop_stamp("ready", &d, &n) == POP3_OK && !d);
    CU_ASSERT(pop3_apop_stamp(NULL, &d, &n) == POP3_E_ARG);
    CU_ASSERT(pop3_apop_stamp("x", NULL, &n) == POP3_E_ARG);
}

int main(void)
{
    static const test_case tests[] = {
        {"pipelined replies, every split", test_pipelined_splits},
        {"buffer smaller than the input", test_small_buffer},
        {"big body through a small buffer", test_big_body},
        {"errors stick", test_errors},
        {"NUL in a status line", test_nul_in_status},
        {"arguments and the queue", test_args},
        {"bytes after +OK to STLS", test_stls_injection},
        {"command formatter", test_format},
        {"response codes and APOP timestamps", test_reading_rules},
        {NULL, NULL}};
    return test_run_suite("engine_api", tests);
}
