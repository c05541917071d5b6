/*
 * pop3_codec: the public face of the protocol engine, for callers that
 * move the bytes themselves (event loops).  The engine parses in place;
 * this file adds what a caller would otherwise have to get right alone:
 * a buffer that keeps partial lines, and a queue of expected replies so
 * that pipelined replies (RFC 2449 6.6) are matched in order.
 */
#include <stdlib.h>
#include <string.h>

#include "engine.h"

#define DEFAULT_BUFFER 65536
#define MIN_LINE 64
#define MAX_COMMAND 255 /* RFC 2449 4, CRLF included */

struct pop3_codec {
    pop3_engine eng;
    char *buf;
    size_t cap, start, end; /* unparsed input is buf[start..end) */
    pop3_codec_reply queue[POP3_CODEC_MAX_PENDING];
    size_t head, queued; /* ring of expectations; the head is current */
    int active;          /* the head has been handed to the engine */
    const char *code;    /* response code of the last status event */
    size_t code_len;
    pop3_status failed; /* sticky */
};

pop3_status pop3_codec_new(size_t max_line, size_t buffer_size,
                           pop3_codec **codec_out)
{
    pop3_codec *c;

    if (codec_out == NULL)
        return POP3_E_ARG;
    *codec_out = NULL;
    if (max_line == 0)
        max_line = POP3_DEFAULT_MAX_LINE;
    if (buffer_size == 0)
        buffer_size = DEFAULT_BUFFER > 2 * max_line ? DEFAULT_BUFFER
                                                    : 2 * max_line;
    /* A partial line stays in the buffer while the rest arrives, so the
     * buffer needs room for it and for a read besides. */
    if (max_line < MIN_LINE || max_line > buffer_size / 2)
        return POP3_E_ARG;
    c = calloc(1, sizeof *c);
    if (c == NULL)
        return POP3_E_NOMEM;
    c->buf = malloc(buffer_size);
    if (c->buf == NULL) {
        free(c);
        return POP3_E_NOMEM;
    }
    c->cap = buffer_size;
    pop3_engine_init(&c->eng, max_line);
    *codec_out = c;
    return POP3_OK;
}

void pop3_codec_free(pop3_codec *c)
{
    if (c == NULL)
        return;
    free(c->buf);
    free(c);
}

pop3_status pop3_codec_expect(pop3_codec *c, pop3_codec_reply reply)
{
    if (c == NULL || reply < POP3_CODEC_STATUS || reply > POP3_CODEC_SASL)
        return POP3_E_ARG;
    if (c->failed != POP3_OK)
        return c->failed;
    if (c->queued == POP3_CODEC_MAX_PENDING)
        return POP3_E_BUSY;
    c->queue[(c->head + c->queued) % POP3_CODEC_MAX_PENDING] = reply;
    c->queued++;
    return POP3_OK;
}

pop3_status pop3_codec_feed(pop3_codec *c, const char *input,
                            size_t input_len, size_t *taken_out)
{
    size_t n;

    if (taken_out != NULL)
        *taken_out = 0;
    if (c == NULL || taken_out == NULL || (input == NULL && input_len > 0))
        return POP3_E_ARG;
    if (c->failed != POP3_OK)
        return c->failed;
    /* Spans from earlier events die here, so the unparsed rest (at most a
     * partial line after NEED_MORE) may move to the front. */
    if (c->start > 0) {
        memmove(c->buf, c->buf + c->start, c->end - c->start);
        c->end -= c->start;
        c->start = 0;
    }
    n = c->cap - c->end < input_len ? c->cap - c->end : input_len;
    if (n > 0)
        memcpy(c->buf + c->end, input, n);
    c->end += n;
    *taken_out = n;
    return POP3_OK;
}

static pop3_expect engine_expect(pop3_codec_reply r)
{
    switch (r) {
    case POP3_CODEC_LISTING:
        return POP3_EXPECT_STATUS_LINES;
    case POP3_CODEC_BODY:
        return POP3_EXPECT_STATUS_BODY;
    case POP3_CODEC_SASL:
        return POP3_EXPECT_STATUS_CONT;
    default:
        return POP3_EXPECT_STATUS;
    }
}

static pop3_codec_event status_event(pop3_reply_kind k)
{
    if (k == POP3_REPLY_OK)
        return POP3_CODEC_OK;
    return k == POP3_REPLY_CONT ? POP3_CODEC_CONT : POP3_CODEC_ERR;
}

pop3_status pop3_codec_next(pop3_codec *c, pop3_codec_event *event_out,
                            const char **data_out, size_t *len_out)
{
    pop3_event ev;
    size_t used;
    pop3_status st;

    if (event_out != NULL)
        *event_out = POP3_CODEC_NEED_MORE;
    if (data_out != NULL)
        *data_out = NULL;
    if (len_out != NULL)
        *len_out = 0;
    if (c == NULL || event_out == NULL || data_out == NULL || len_out == NULL)
        return POP3_E_ARG;
    c->code = NULL;
    c->code_len = 0;
    if (c->failed != POP3_OK)
        return c->failed;

    if (!c->active && c->queued > 0) {
        pop3_engine_expect(&c->eng, engine_expect(c->queue[c->head]));
        c->active = 1;
    }
    /* With nothing expected the engine refuses any byte: unsolicited
     * input is a protocol error, not something to guess about. */
    st = pop3_engine_feed(&c->eng, c->buf + c->start, c->end - c->start,
                          &used, &ev);
    if (st != POP3_OK) {
        c->failed = st;
        return st;
    }
    c->start += used;
    if (c->start == c->end)
        c->start = c->end = 0;
    if (c->active && c->eng.expect == POP3_EXPECT_NOTHING) {
        /* That reply is complete: the next one starts with the next call */
        c->active = 0;
        c->head = (c->head + 1) % POP3_CODEC_MAX_PENDING;
        c->queued--;
    }

    switch (ev.type) {
    case POP3_EV_STATUS:
        *event_out = status_event(ev.reply);
        c->code = ev.code;
        c->code_len = ev.code_len;
        break;
    case POP3_EV_LINE:
        *event_out = POP3_CODEC_LINE;
        break;
    case POP3_EV_CHUNK:
        *event_out = POP3_CODEC_CHUNK;
        break;
    case POP3_EV_END:
        *event_out = POP3_CODEC_END;
        return POP3_OK;
    default:
        return POP3_OK;
    }
    *data_out = ev.text;
    *len_out = ev.text_len;
    return POP3_OK;
}

pop3_status pop3_codec_resp_code(const pop3_codec *c, const char **data_out,
                                 size_t *len_out)
{
    if (c == NULL || data_out == NULL || len_out == NULL)
        return POP3_E_ARG;
    *data_out = c->code != NULL ? c->code : "";
    *len_out = c->code_len;
    return POP3_OK;
}

size_t pop3_codec_pending(const pop3_codec *c)
{
    return c != NULL ? c->end - c->start : 0;
}

size_t pop3_codec_expected(const pop3_codec *c)
{
    return c != NULL ? c->queued : 0;
}

static int verb_ok(const char *verb)
{
    size_t i;

    for (i = 0; verb[i] != '\0'; i++) {
        char ch = verb[i];
        if (i == 8 || !((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                        (ch >= '0' && ch <= '9')))
            return 0;
    }
    return i > 0;
}

pop3_status pop3_codec_format(const char *verb, const char *a1,
                              const char *a2, char *line_out,
                              size_t *len_out)
{
    const char *parts[2];
    size_t n, i;

    if (len_out != NULL)
        *len_out = 0;
    if (line_out == NULL || len_out == NULL)
        return POP3_E_ARG;
    line_out[0] = '\0';
    if (verb == NULL || !verb_ok(verb) || (a1 == NULL && a2 != NULL))
        return POP3_E_ARG;
    n = strlen(verb);
    memcpy(line_out, verb, n);
    parts[0] = a1;
    parts[1] = a2;
    for (i = 0; i < 2 && parts[i] != NULL; i++) {
        size_t alen = strlen(parts[i]);
        /* CR or LF would end this command and start another one. */
        if (strpbrk(parts[i], "\r\n") != NULL ||
            n + 1 + alen + 2 > MAX_COMMAND) {
            memset(line_out, 0, n); /* may hold a secret already */
            line_out[0] = '\0';
            return POP3_E_ARG;
        }
        line_out[n++] = ' ';
        memcpy(line_out + n, parts[i], alen);
        n += alen;
    }
    line_out[n++] = '\r';
    line_out[n++] = '\n';
    line_out[n] = '\0';
    *len_out = n;
    return POP3_OK;
}
