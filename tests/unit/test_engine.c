/*
 * The protocol engine under every split of its input: whole, one byte at
 * a time, every two-way and every three-way cut.  Each must give the same
 * transcript of events as the expected one.
 */
#include "engine.h"
#include "parse.h"
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUF_CAP 65536

typedef struct transcript {
    char *s;
    size_t len, cap;
    char *body; /* chunks joined until END: boundaries follow reads */
    size_t body_len, body_cap;
} transcript;

static void put(char **s, size_t *len, size_t *cap, const char *d, size_t n)
{
    if (*len + n + 1 > *cap) {
        *cap = (*len + n + 1) * 2;
        *s = realloc(*s, *cap);
        CU_ASSERT_FATAL(*s != NULL);
    }
    memcpy(*s + *len, d, n);
    *len += n;
    (*s)[*len] = '\0';
}

static void say(transcript *t, const char *d, size_t n)
{
    put(&t->s, &t->len, &t->cap, d, n);
}

static void says(transcript *t, const char *d)
{
    say(t, d, strlen(d));
}

static void flush_body(transcript *t)
{
    char head[32];
    if (t->body_len == 0)
        return;
    snprintf(head, sizeof head, "B%zu:", t->body_len);
    says(t, head);
    say(t, t->body, t->body_len);
    says(t, "\n");
    t->body_len = 0;
}

static void record(transcript *t, const pop3_event *ev)
{
    static const char kind[] = "-+c";
    char head[8];

    if (ev->type != POP3_EV_CHUNK)
        flush_body(t);
    switch (ev->type) {
    case POP3_EV_STATUS:
        snprintf(head, sizeof head, "S%c", kind[ev->reply]);
        says(t, head);
        if (ev->code) {
            says(t, "[");
            say(t, ev->code, ev->code_len);
            says(t, "]");
        }
        say(t, ev->text, ev->text_len);
        says(t, "\n");
        break;
    case POP3_EV_LINE:
        says(t, "L");
        say(t, ev->text, ev->text_len);
        says(t, "\n");
        break;
    case POP3_EV_CHUNK:
        CU_ASSERT(ev->text_len > 0);
        put(&t->body, &t->body_len, &t->body_cap, ev->text, ev->text_len);
        break;
    case POP3_EV_END:
        says(t, "E\n");
        break;
    default:
        break;
    }
}

/*
 * Replay input cut at the given offsets, as the client does: unconsumed
 * bytes stay at the front of the buffer, the next piece is appended.
 */
static void replay(const char *input, size_t n, const pop3_expect *expects,
                   size_t nexp, const size_t *cuts, size_t ncuts,
                   size_t max_line, transcript *t)
{
    char *buf = malloc(BUF_CAP);
    size_t start = 0, end = 0, fed = 0, cut = 0, e = 0;
    pop3_engine eng;

    CU_ASSERT_FATAL(buf != NULL);
    pop3_engine_init(&eng, max_line);
    t->len = 0;
    t->body_len = 0;
    says(t, "");
    if (nexp > 0)
        pop3_engine_expect(&eng, expects[e++]);
    for (;;) {
        size_t used;
        pop3_event ev;
        pop3_status st = pop3_engine_feed(&eng, buf + start, end - start,
                                          &used, &ev);
        if (st != POP3_OK) {
            char line[32];
            flush_body(t);
            snprintf(line, sizeof line, "X%d\n", (int)st);
            says(t, line);
            /* Errors stick. */
            CU_ASSERT(pop3_engine_feed(&eng, buf, 0, &used, &ev) == st);
            break;
        }
        CU_ASSERT(used <= end - start);
        start += used;
        if (ev.type != POP3_EV_NEED_MORE) {
            record(t, &ev);
            if (eng.expect == POP3_EXPECT_NOTHING && e < nexp)
                pop3_engine_expect(&eng, expects[e++]);
            continue;
        }
        CU_ASSERT(start == end || used == 0);
        if (fed == n) {
            flush_body(t);
            if (start != end || eng.expect != POP3_EXPECT_NOTHING)
                says(t, "N\n"); /* incomplete at end of input */
            break;
        }
        {
            size_t next = cut < ncuts ? cuts[cut++] : n;
            memmove(buf, buf + start, end - start);
            end -= start;
            start = 0;
            CU_ASSERT_FATAL(end + (next - fed) <= BUF_CAP);
            memcpy(buf + end, input + fed, next - fed);
            end += next - fed;
            fed = next;
        }
    }
    free(buf);
}

static size_t g_checked; /* replays run by the current test */

/* Compare every split's transcript with the expected one. */
static void check_all_splits(const char *input, size_t n,
                             const pop3_expect *expects, size_t nexp,
                             size_t max_line, const char *want)
{
    transcript t = {0};
    size_t *cuts = calloc(n + 1, sizeof *cuts);
    size_t i, j;

    CU_ASSERT_FATAL(cuts != NULL);
    replay(input, n, expects, nexp, NULL, 0, max_line, &t);
    CU_ASSERT_STRING_EQUAL(t.s, want);
    if (strcmp(t.s, want) != 0)
        fprintf(stderr, "\n--- want:\n%s--- got:\n%s---\n", want, t.s);

    for (i = 1; i < n; i++) /* one byte per read */
        cuts[i - 1] = i;
    replay(input, n, expects, nexp, cuts, n ? n - 1 : 0, max_line, &t);
    CU_ASSERT_STRING_EQUAL(t.s, want);

    for (i = 1; i < n; i++) { /* every two-way split */
        cuts[0] = i;
        replay(input, n, expects, nexp, cuts, 1, max_line, &t);
        CU_ASSERT_STRING_EQUAL(t.s, want);
        if (strcmp(t.s, want) != 0) {
            fprintf(stderr, "\nsplit at %zu:\n%s", i, t.s);
            break;
        }
        g_checked++;
    }
    if (n <= 400) {
        for (i = 1; i < n; i++) /* every three-way split */
            for (j = i + 1; j < n; j++) {
                cuts[0] = i;
                cuts[1] = j;
                replay(input, n, expects, nexp, cuts, 2, max_line, &t);
                if (strcmp(t.s, want) != 0) {
                    CU_FAIL("three-way split differs");
                    fprintf(stderr, "\nsplit at %zu,%zu:\n%s", i, j, t.s);
                    i = n;
                    break;
                }
                g_checked++;
            }
    }
    free(cuts);
    free(t.s);
    free(t.body);
}

#define S POP3_EXPECT_STATUS
#define SL POP3_EXPECT_STATUS_LINES
#define SB POP3_EXPECT_STATUS_BODY
#define SC POP3_EXPECT_STATUS_CONT

static void check(const char *input, const pop3_expect *ex, size_t nexp,
                  const char *want)
{
    check_all_splits(input, strlen(input), ex, nexp, 512, want);
}

static void test_status_lines(void)
{
    static const pop3_expect ex[] = {S, S, S, S, S, S};
    check("+OK POP3 ready <1.2@x>\r\n-ERR [IN-USE] locked\r\n+OK\r\n"
          "-ERR\r\n+OK [SYS/TEMP/x] a  b\r\n-ERR [] odd\r\n",
          ex, 6,
          "S+POP3 ready <1.2@x>\nS-[IN-USE]locked\nS+\nS-\n"
          "S+[SYS/TEMP/x]a  b\nS-[] odd\n");
}

static void test_status_rejects(void)
{
    static const pop3_expect ex[] = {S};
    char line[600];

    check("+OKAY\r\n", ex, 1, "X500\n");
    check("HELLO there\r\n", ex, 1, "X500\n");
    check("+OK bare LF\n", ex, 1, "X500\n");
    check("+OK stray\rCR\r\n", ex, 1, "X500\n");
    check_all_splits("+OK a\0b\r\n", 9, ex, 1, 512, "X500\n");
    check("+ go on\r\n", ex, 1, "X500\n"); /* only after AUTH */

    /* 512 octets with CRLF is the limit (RFC 2449 4); 513 is too long. */
    memset(line, 'x', sizeof line);
    memcpy(line, "+OK ", 4);
    memcpy(line + 510, "\r\n", 3);
    {
        transcript t = {0};
        replay(line, 512, ex, 1, NULL, 0, 512, &t);
        CU_ASSERT(t.s[0] == 'S');
        free(t.s);
        free(t.body);
    }
    memset(line, 'x', sizeof line);
    memcpy(line, "+OK ", 4);
    memcpy(line + 511, "\r\n", 3);
    check_all_splits(line, 513, ex, 1, 512, "X501\n");
}

static void test_continuation(void)
{
    static const pop3_expect ex[] = {SC, SC, SC};
    check("+ PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2U+\r\n+\r\n+OK done\r\n",
          ex, 3, "ScPDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2U+\nSc\nS+done\n");
}

static void test_listing(void)
{
    static const pop3_expect ex[] = {SL, SL, SL};
    check("+OK 2 messages\r\n1 120\r\n2 200\r\n.\r\n"
          "+OK\r\n.\r\n"
          "-ERR no\r\n",
          ex, 3, "S+2 messages\nL1 120\nL2 200\nE\nS+\nE\nS-no\n");
    check("+OK\r\n..odd\r\n.\r\n", ex, 1, "S+\nL.odd\nE\n");
    check("+OK\r\n1 1\n.\r\n", ex, 1, "S+\nX500\n");
}

static void test_body_unstuffing(void)
{
    static const pop3_expect ex[] = {SB, S};
    check("+OK 51 octets\r\n"
          "Subject: x\r\n\r\n..leading dot\r\n...\r\n..\r\n"
          "a.b\r\n.\r\n+OK next\r\n",
          ex, 2,
          "S+51 octets\n"
          "B40:Subject: x\r\n\r\n.leading dot\r\n..\r\n.\r\na.b\r\n\n"
          "E\nS+next\n");
}

static void test_body_held_cr(void)
{
    static const pop3_expect ex[] = {SB};
    /* ".\r" at a line start that is not the terminator: the dot goes, the
     * CR stays, whatever the split. */
    check("+OK\r\n.\rX\r\n.\r\n", ex, 1, "S+\nB4:\rX\r\n\nE\n");
    check("+OK\r\n.\r.\r\n.\r\n", ex, 1, "S+\nB4:\r.\r\n\nE\n");
}

static void test_body_empty_and_bare_lf(void)
{
    static const pop3_expect ex[] = {SB, SB, SB};
    check("+OK\r\n.\r\n-ERR no such message\r\n+OK\r\na\n.b\n\r\n.\r\n",
          ex, 3, "S+\nE\nS-no such message\nS+\nB6:a\nb\n\r\n\nE\n");
}

static void test_body_never_ends(void)
{
    static const pop3_expect ex[] = {SB};
    check("+OK\r\nline\r\n.", ex, 1, "S+\nB6:line\r\n\nN\n");
    check("+OK\r\nline\r\n.\r", ex, 1, "S+\nB6:line\r\n\nN\n");
}

static void test_unsolicited(void)
{
    static const pop3_expect ex[] = {S};
    check("+OK\r\n+OK extra\r\n", ex, 1, "S+\nX500\n");
}

static void test_large_body_is_constant_memory(void)
{
    /* 4 MB of body through a 64 KB buffer, the chunk count shows the
     * engine streams instead of collecting. */
    static const char line[] = "..0123456789012345678901234567890123456789\r\n";
    size_t lines = 100000, i, total = 0, chunks = 0, used;
    char *buf = malloc(BUF_CAP);
    size_t fill = 0, pos = 0, llen = sizeof line - 1;
    pop3_engine eng;
    pop3_event ev;

    pop3_engine_init(&eng, 512);
    pop3_engine_expect(&eng, POP3_EXPECT_BODY);
    i = 0;
    for (;;) {
        /* refill the buffer with whole or partial lines */
        while (fill < BUF_CAP && i < lines) {
            size_t n = llen - pos < BUF_CAP - fill ? llen - pos
                                                   : BUF_CAP - fill;
            memcpy(buf + fill, line + pos, n);
            fill += n;
            pos += n;
            if (pos == llen) {
                pos = 0;
                i++;
            }
        }
        if (i == lines && fill + 3 <= BUF_CAP && pos == 0) {
            memcpy(buf + fill, ".\r\n", 3);
            fill += 3;
            i++;
        }
        CU_ASSERT_FATAL(pop3_engine_feed(&eng, buf, fill, &used, &ev) ==
                        POP3_OK);
        if (ev.type == POP3_EV_CHUNK) {
            total += ev.text_len;
            chunks++;
        }
        memmove(buf, buf + used, fill - used);
        fill -= used;
        if (ev.type == POP3_EV_END)
            break;
    }
    CU_ASSERT_EQUAL(total, lines * (llen - 1));
    CU_ASSERT(chunks > 60);
    free(buf);
}

static void test_parse_numbers(void)
{
    unsigned long long v;
    uint64_t n, size;
    const char *uid;
    size_t len;
    char uid70[80], uid71[80];

    CU_ASSERT(pop3_parse_u64("18446744073709551615", 20, &v) == 0);
    CU_ASSERT(v == 18446744073709551615ULL);
    CU_ASSERT(pop3_parse_u64("18446744073709551616", 20, &v) == -1);
    CU_ASSERT(pop3_parse_u64("99999999999999999999999", 23, &v) == -1);
    CU_ASSERT(pop3_parse_u64("", 0, &v) == -1);
    CU_ASSERT(pop3_parse_u64("-1", 2, &v) == -1);
    CU_ASSERT(pop3_parse_u64("+1", 2, &v) == -1);
    CU_ASSERT(pop3_parse_u64("0", 1, &v) == 0 && v == 0);

    CU_ASSERT(pop3_parse_num_size("2 320", 5, &n, &size) == 0);
    CU_ASSERT(n == 2 && size == 320);
    CU_ASSERT(pop3_parse_num_size("2 320 extra", 11, &n, &size) == 0);
    CU_ASSERT(pop3_parse_num_size("2 320x", 6, &n, &size) == -1);
    CU_ASSERT(pop3_parse_num_size("2  320", 6, &n, &size) == -1);
    CU_ASSERT(pop3_parse_num_size("2", 1, &n, &size) == -1);
    CU_ASSERT(pop3_parse_num_size("many lots", 9, &n, &size) == -1);
    CU_ASSERT(pop3_parse_num_size("-1 100", 6, &n, &size) == -1);
    CU_ASSERT(pop3_parse_num_size("1 99999999999999999999999", 25, &n,
                                  &size) == -1);
    CU_ASSERT(pop3_msg_ok(1) && !pop3_msg_ok(0) && !pop3_msg_ok(1ULL << 32));

    memset(uid70, 'u', sizeof uid70);
    memcpy(uid70, "1 ", 2);
    memcpy(uid71, uid70, sizeof uid71);
    CU_ASSERT(pop3_parse_num_uid(uid70, 72, &n, &uid, &len) == 0);
    CU_ASSERT(len == 70 && uid == uid70 + 2);
    CU_ASSERT(pop3_parse_num_uid(uid71, 73, &n, &uid, &len) == -1);
    CU_ASSERT(pop3_parse_num_uid("1 ", 2, &n, &uid, &len) == -1);
    CU_ASSERT(pop3_parse_num_uid("1 a b", 5, &n, &uid, &len) == -1);
    CU_ASSERT(pop3_parse_num_uid("1 a\x01", 4, &n, &uid, &len) == -1);
    CU_ASSERT(pop3_parse_num_uid("1 ../x", 6, &n, &uid, &len) == 0);
}

int main(void)
{
    static const test_case tests[] = {
        {"status lines and response codes", test_status_lines},
        {"bad status lines", test_status_rejects},
        {"SASL continuation", test_continuation},
        {"listings", test_listing},
        {"body dot-unstuffing", test_body_unstuffing},
        {"held CR across feeds", test_body_held_cr},
        {"empty body and bare LF", test_body_empty_and_bare_lf},
        {"body without terminator", test_body_never_ends},
        {"unsolicited bytes", test_unsolicited},
        {"large body streams", test_large_body_is_constant_memory},
        {"number and UID parsing", test_parse_numbers},
        {NULL, NULL}};
    return test_run_suite("engine", tests);
}
