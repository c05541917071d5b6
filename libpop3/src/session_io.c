/*
 * The client's conversation with the engine and the transport: sending
 * commands, reading events, and the rules every public call follows.
 */
#include "client.h"

#include <openssl/crypto.h>
#include <string.h>

#include "respcode.h"

pop3_status pop3__done(pop3_client *c, pop3_status st)
{
    c->last = st;
    return st;
}

pop3_status pop3__fail(pop3_client *c, pop3_status st)
{
    c->failed = st;
    c->busy = POP3_BUSY_NONE;
    pop3__batch_clear(c);
    pop3_transport_close(&c->tp);
    c->state = POP3_STATE_DISCONNECTED;
    return st;
}

pop3_status pop3__begin(pop3_client *c, unsigned int states)
{
    if (c->failed != POP3_OK)
        return c->failed;
    if (c->busy != POP3_BUSY_NONE)
        return POP3_E_BUSY;
    if ((states & (1u << c->state)) == 0)
        return POP3_E_STATE;
    if (c->quit_sent && (states & POP3_QUIT_PENDING) == 0)
        return POP3_E_STATE; /* the server is ending the session */
    c->detail[0] = '\0';
    c->deadline = pop3_deadline_in(c->opts.io_timeout_ms);
    return POP3_OK;
}

int pop3__arg_ok(const char *arg)
{
    /* A CR or LF would end the command early and start another one
     * (command injection); NUL cannot get past a C string at all. */
    return arg != NULL && strpbrk(arg, "\r\n") == NULL;
}

const char *pop3__utoa(unsigned long long v, char *buf)
{
    char tmp[24];
    size_t n = 0, i;

    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    for (i = 0; i < n; i++)
        buf[i] = tmp[n - 1 - i];
    buf[n] = '\0';
    return buf;
}

void pop3__trace(pop3_client *c, pop3_trace_dir dir, const char *line,
                 size_t len)
{
    if (c->opts.trace != NULL)
        c->opts.trace(c->opts.trace_ctx, dir, line, len);
}

pop3_status pop3__send_line(pop3_client *c, const char *line, size_t len,
                            const char *trace_text, size_t trace_len)
{
    pop3_status st;

    if (c->tp.ops == NULL)
        return POP3_E_STATE;
    if (trace_text != NULL)
        pop3__trace(c, POP3_TRACE_SEND, trace_text, trace_len);
    st = c->tp.ops->write(&c->tp, line, len, &c->deadline);
    return st == POP3_OK ? POP3_OK : pop3__fail(c, st);
}

pop3_status pop3__send(pop3_client *c, const char *verb, const char *a1,
                       const char *a2, int mask)
{
    char line[POP3_MAX_COMMAND + 1];
    const char *parts[2];
    size_t n = strlen(verb), i, shown;
    pop3_status st;

    parts[0] = a1;
    parts[1] = a2;
    memcpy(line, verb, n);
    shown = n;
    for (i = 0; i < 2 && parts[i] != NULL; i++) {
        size_t alen = strlen(parts[i]);
        if (!pop3__arg_ok(parts[i]) || n + 1 + alen + 2 > POP3_MAX_COMMAND) {
            OPENSSL_cleanse(line, sizeof line);
            return POP3_E_ARG;
        }
        line[n++] = ' ';
        memcpy(line + n, parts[i], alen);
        n += alen;
        if (mask == POP3_MASK_NONE || (mask == POP3_MASK_LAST && i == 0))
            shown = n;
    }
    line[n++] = '\r';
    line[n++] = '\n';
    line[n] = '\0';
    if (mask != POP3_MASK_NONE) {
        /* The trace shows what is not secret, then " ****". */
        char masked[POP3_MAX_COMMAND + 8];
        memcpy(masked, line, shown);
        memcpy(masked + shown, " ****", 5);
        st = pop3__send_line(c, line, n, masked, shown + 5);
    } else {
        st = pop3__send_line(c, line, n, line, shown);
    }
    OPENSSL_cleanse(line, sizeof line); /* may hold a password */
    return st;
}

static void keep_status(pop3_client *c, const pop3_event *ev)
{
    size_t n = ev->text_len < c->opts.max_line - 1 ? ev->text_len
                                                   : c->opts.max_line - 1;
    memcpy(c->text, ev->text, n);
    c->text[n] = '\0';
    n = ev->code_len < sizeof c->code - 1 ? ev->code_len
                                          : sizeof c->code - 1;
    if (ev->code != NULL)
        memcpy(c->code, ev->code, n);
    else
        n = 0;
    c->code[n] = '\0';
}

pop3_status pop3__event(pop3_client *c, pop3_event *ev)
{
    for (;;) {
        size_t used, n;
        const char *raw = c->buf + c->start;
        pop3_status st = pop3_engine_feed(&c->eng, c->buf + c->start,
                                          c->end - c->start, &used, ev);
        if (st != POP3_OK)
            return pop3__fail(c, st);
        c->start += used;
        if (ev->type == POP3_EV_STATUS || ev->type == POP3_EV_LINE) {
            pop3__trace(c, POP3_TRACE_RECV, raw, used - 2);
            if (ev->type == POP3_EV_STATUS)
                keep_status(c, ev);
        }
        if (ev->type != POP3_EV_NEED_MORE)
            return POP3_OK;

        /* Need more: keep any partial line at the front, then read as
         * much as fits, so bodies move in large blocks. */
        if (c->start == c->end) {
            c->start = c->end = 0;
        } else if (c->start > 0 && c->cap - c->end < c->opts.max_line) {
            memmove(c->buf, c->buf + c->start, c->end - c->start);
            c->end -= c->start;
            c->start = 0;
        }
        if (c->tp.ops == NULL)
            return pop3__fail(c, POP3_E_EOF);
        st = c->tp.ops->read(&c->tp, c->buf + c->end, c->cap - c->end, &n,
                             &c->deadline);
        if (st != POP3_OK)
            return pop3__fail(c, st);
        c->end += n;
    }
}

pop3_status pop3__reply(pop3_client *c, pop3_expect expect, pop3_status err,
                        pop3_event *ev)
{
    pop3_status st;

    pop3_engine_expect(&c->eng, expect);
    st = pop3__event(c, ev);
    if (st != POP3_OK)
        return st;
    if (ev->type != POP3_EV_STATUS)
        return pop3__fail(c, POP3_E_PROTOCOL);
    if (ev->reply != POP3_REPLY_ERR)
        return POP3_OK;
    /* RFC 2449 8.1, RFC 3206: the code says what the caller should do. */
    return pop3_resp_code_status(c->code, err);
}

pop3_status pop3__auth_err(const pop3_client *c)
{
    return c->capa_known == POP3_CAPA_LISTED &&
                   pop3_capa_find(&c->capa, "AUTH-RESP-CODE") != NULL
               ? POP3_E_SERVER
               : POP3_E_AUTH;
}

void pop3__detail(pop3_client *c, const char *text)
{
    size_t n = strlen(text);
    if (n > sizeof c->detail - 1)
        n = sizeof c->detail - 1;
    memcpy(c->detail, text, n);
    c->detail[n] = '\0';
}

pop3_status pop3__simple(pop3_client *c, const char *verb, const char *a1,
                         const char *a2, pop3_status err)
{
    pop3_event ev;
    pop3_status st = pop3__send(c, verb, a1, a2, 0);

    if (st != POP3_OK)
        return st;
    return pop3__reply(c, POP3_EXPECT_STATUS, err, &ev);
}
