/*
 * Protocol engine: status lines, listing lines and bodies (RFC 1939 3,
 * RFC 2449 8 for response codes and line limits).
 */
#include "engine.h"

#include <string.h>

#include "respcode.h"

/* Where a body is relative to the start of a line.  Only the terminator
 * ".\r\n" at a line start needs state across feeds: a partial match is
 * held back until the next byte decides it. */
enum {
    BS_BOL = 0, /* at the start of a line */
    BS_MID,     /* inside a line */
    BS_DOT,     /* saw "." at a line start */
    BS_DOTCR,   /* saw ".\r" at a line start */
    BS_ENDED    /* consumed the terminator; END is next */
};

void pop3_engine_init(pop3_engine *eng, size_t max_line)
{
    memset(eng, 0, sizeof *eng);
    eng->max_line = max_line ? max_line : POP3_DEFAULT_MAX_LINE;
}

void pop3_engine_expect(pop3_engine *eng, pop3_expect expect)
{
    eng->expect = expect;
    eng->body_state = BS_BOL;
}

int pop3_parse_u64(const char *s, size_t len, unsigned long long *out)
{
    unsigned long long v = 0;
    size_t i;

    if (len == 0 || len > 20)
        return -1;
    for (i = 0; i < len; i++) {
        unsigned d;
        if (s[i] < '0' || s[i] > '9')
            return -1;
        d = (unsigned)(s[i] - '0');
        if (v > (~0ULL - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

static pop3_status fail(pop3_engine *eng, pop3_status st)
{
    eng->failed = st;
    eng->expect = POP3_EXPECT_NOTHING;
    return st;
}

/* Find a complete line within the limit.  Returns POP3_OK with *line_len
 * (without CRLF) and *total (with it), POP3_DONE when more input is
 * needed, or an error. */
static pop3_status find_line(const pop3_engine *eng, const char *data,
                             size_t len, size_t *line_len, size_t *total)
{
    size_t scan = len < eng->max_line ? len : eng->max_line;
    const char *nl = memchr(data, '\n', scan);
    size_t i, n;

    if (nl == NULL)
        return len >= eng->max_line ? POP3_E_LINE_TOO_LONG : POP3_DONE;
    n = (size_t)(nl - data);
    if (n == 0 || data[n - 1] != '\r')
        return POP3_E_PROTOCOL; /* bare LF */
    /* NUL or a stray CR inside a line has no meaning in POP3. */
    for (i = 0; i + 1 < n; i++)
        if (data[i] == '\0' || data[i] == '\r')
            return POP3_E_PROTOCOL;
    *line_len = n - 1;
    *total = n + 1;
    return POP3_OK;
}

/* Split "+OK [CODE] text" into its parts. */
static pop3_status parse_status(pop3_engine *eng, const char *line,
                                size_t len, pop3_event *ev)
{
    size_t skip;

    if (len >= 3 && memcmp(line, "+OK", 3) == 0 &&
        (len == 3 || line[3] == ' ')) {
        ev->reply = POP3_REPLY_OK;
        skip = 3;
    } else if (len >= 4 && memcmp(line, "-ERR", 4) == 0 &&
               (len == 4 || line[4] == ' ')) {
        ev->reply = POP3_REPLY_ERR;
        skip = 4;
    } else if (eng->expect == POP3_EXPECT_STATUS_CONT && len >= 1 &&
               line[0] == '+' && (len == 1 || line[1] == ' ')) {
        ev->reply = POP3_REPLY_CONT;
        skip = 1;
    } else {
        return POP3_E_PROTOCOL;
    }
    if (skip < len)
        skip++; /* the space */
    ev->type = POP3_EV_STATUS;
    ev->text = line + skip;
    ev->text_len = len - skip;
    ev->code = NULL;
    ev->code_len = 0;

    /* RFC 2449 8: a response code is "[...]" right after the indicator. */
    if (ev->reply != POP3_REPLY_CONT && ev->text_len > 2 &&
        ev->text[0] == '[') {
        const char *end = memchr(ev->text, ']', ev->text_len);
        /* Only a well-formed code counts; "[whatever text" stays text. */
        if (end != NULL &&
            pop3_resp_code_valid(ev->text + 1, (size_t)(end - ev->text) - 1)) {
            size_t used = (size_t)(end - ev->text) + 1;
            ev->code = ev->text + 1;
            ev->code_len = used - 2;
            if (used < ev->text_len && ev->text[used] == ' ')
                used++;
            ev->text += used;
            ev->text_len -= used;
        }
    }
    return POP3_OK;
}

static pop3_status feed_status(pop3_engine *eng, char *data, size_t len,
                               size_t *consumed, pop3_event *ev)
{
    size_t line_len, total;
    pop3_status st = find_line(eng, data, len, &line_len, &total);

    if (st == POP3_DONE) {
        ev->type = POP3_EV_NEED_MORE;
        return POP3_OK;
    }
    if (st != POP3_OK)
        return fail(eng, st);
    st = parse_status(eng, data, line_len, ev);
    if (st != POP3_OK)
        return fail(eng, st);
    *consumed = total;

    if (ev->reply == POP3_REPLY_OK && eng->expect == POP3_EXPECT_STATUS_LINES)
        pop3_engine_expect(eng, POP3_EXPECT_LINES);
    else if (ev->reply == POP3_REPLY_OK &&
             eng->expect == POP3_EXPECT_STATUS_BODY)
        pop3_engine_expect(eng, POP3_EXPECT_BODY);
    else
        eng->expect = POP3_EXPECT_NOTHING;
    return POP3_OK;
}

static pop3_status feed_lines(pop3_engine *eng, char *data, size_t len,
                              size_t *consumed, pop3_event *ev)
{
    size_t line_len, total;
    pop3_status st = find_line(eng, data, len, &line_len, &total);

    if (st == POP3_DONE) {
        ev->type = POP3_EV_NEED_MORE;
        return POP3_OK;
    }
    if (st != POP3_OK)
        return fail(eng, st);
    *consumed = total;
    if (line_len == 1 && data[0] == '.') {
        ev->type = POP3_EV_END;
        eng->expect = POP3_EXPECT_NOTHING;
        return POP3_OK;
    }
    ev->type = POP3_EV_LINE;
    ev->text = data;
    ev->text_len = line_len;
    if (line_len > 0 && data[0] == '.') { /* RFC 1939 3: byte-stuffed */
        ev->text++;
        ev->text_len--;
    }
    return POP3_OK;
}

/* Unstuff a body in place: bytes are read at r and written at w <= r.
 * The only byte ever held back across feeds is the CR of a line that
 * began ".\r" but was not the terminator. */
static pop3_status feed_body(pop3_engine *eng, char *data, size_t len,
                             size_t *consumed, pop3_event *ev)
{
    size_t r = 0, w = 0;
    unsigned s = eng->body_state;

    if (s == BS_ENDED) {
        ev->type = POP3_EV_END;
        eng->expect = POP3_EXPECT_NOTHING;
        return POP3_OK;
    }
    if (s == BS_DOTCR && len > 0 && data[0] != '\n') {
        /* No room to write the held CR in place: hand it out alone. */
        eng->held[0] = '\r';
        eng->body_state = BS_MID;
        ev->type = POP3_EV_CHUNK;
        ev->text = eng->held;
        ev->text_len = 1;
        return POP3_OK;
    }
    while (r < len && s != BS_ENDED) {
        switch (s) {
        case BS_BOL:
            if (data[r] == '.') {
                r++;
                s = BS_DOT;
            } else {
                s = BS_MID;
            }
            break;
        case BS_DOT:
            if (data[r] == '\r') {
                r++;
                s = BS_DOTCR;
            } else {
                s = BS_MID; /* a stuffed dot: dropped */
            }
            break;
        case BS_DOTCR:
            if (data[r] == '\n') {
                r++;
                s = BS_ENDED;
            } else {
                data[w++] = '\r'; /* w < r: the dot was dropped */
                s = BS_MID;
            }
            break;
        default: { /* BS_MID: copy through the end of the line */
            const char *nl = memchr(data + r, '\n', len - r);
            size_t n = nl ? (size_t)(nl - (data + r)) + 1 : len - r;
            if (w != r)
                memmove(data + w, data + r, n);
            w += n;
            r += n;
            if (nl)
                s = BS_BOL;
            break;
        }
        }
    }
    eng->body_state = s;
    *consumed = r;
    if (w > 0) {
        ev->type = POP3_EV_CHUNK;
        ev->text = data;
        ev->text_len = w;
    } else if (s == BS_ENDED) {
        ev->type = POP3_EV_END;
        eng->expect = POP3_EXPECT_NOTHING;
    } else {
        ev->type = POP3_EV_NEED_MORE;
    }
    return POP3_OK;
}

pop3_status pop3_engine_feed(pop3_engine *eng, char *data, size_t len,
                             size_t *consumed_out, pop3_event *ev_out)
{
    memset(ev_out, 0, sizeof *ev_out);
    *consumed_out = 0;
    if (eng->failed != POP3_OK)
        return eng->failed;
    if (eng->max_line == 0)
        eng->max_line = POP3_DEFAULT_MAX_LINE;

    switch (eng->expect) {
    case POP3_EXPECT_STATUS:
    case POP3_EXPECT_STATUS_LINES:
    case POP3_EXPECT_STATUS_BODY:
    case POP3_EXPECT_STATUS_CONT:
        return feed_status(eng, data, len, consumed_out, ev_out);
    case POP3_EXPECT_LINES:
        return feed_lines(eng, data, len, consumed_out, ev_out);
    case POP3_EXPECT_BODY:
        return feed_body(eng, data, len, consumed_out, ev_out);
    default:
        if (len == 0) {
            ev_out->type = POP3_EV_NEED_MORE;
            return POP3_OK;
        }
        return fail(eng, POP3_E_PROTOCOL); /* bytes nobody asked for */
    }
}
