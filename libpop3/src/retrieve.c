/*
 * RETR and TOP as iterators over body chunks (RFC 1939 7).  Chunks are
 * spans of the client's read buffer, unstuffed in place by the engine, so
 * a message of any size streams through the same few kilobytes.
 */
#include "client.h"

static pop3_status begin_body(pop3_client *c, unsigned int msg,
                              const char *verb, const char *lines)
{
    char num[24];
    pop3_event ev;
    pop3_status st;

    if (c == NULL)
        return POP3_E_ARG;
    st = pop3__begin(c, POP3_IN_TRANS);
    if (st == POP3_OK && msg == 0)
        st = POP3_E_ARG;
    if (st == POP3_OK)
        st = pop3__send(c, verb, pop3__utoa(msg, num), lines, 0);
    if (st == POP3_OK)
        st = pop3__reply(c, POP3_EXPECT_STATUS_BODY, POP3_E_SERVER, &ev);
    if (st == POP3_OK)
        c->busy = POP3_BUSY_BODY;
    return pop3__done(c, st);
}

pop3_status pop3_retr_begin(pop3_client *c, unsigned int msg)
{
    return begin_body(c, msg, "RETR", NULL);
}

pop3_status pop3_top_begin(pop3_client *c, unsigned int msg,
                           unsigned long lines)
{
    char n[24];
    return begin_body(c, msg, "TOP", pop3__utoa(lines, n));
}

pop3_status pop3_body_next(pop3_client *c, const char **data_out,
                           size_t *len_out)
{
    pop3_event ev;
    pop3_status st;

    if (c == NULL)
        return POP3_E_ARG;
    if (data_out == NULL || len_out == NULL)
        return pop3__done(c, POP3_E_ARG);
    *data_out = NULL;
    *len_out = 0;
    if (c->failed != POP3_OK)
        return pop3__done(c, c->failed);
    if (c->busy != POP3_BUSY_BODY)
        return pop3__done(c, POP3_E_STATE);
    /* Each call is one operation with its own deadline: a server that
     * stops mid-body times out instead of hanging the caller. */
    c->deadline = pop3_deadline_in(c->opts.io_timeout_ms);
    st = pop3__event(c, &ev);
    if (st != POP3_OK)
        return pop3__done(c, st);
    if (ev.type == POP3_EV_END) {
        pop3__body_ended(c);
        return pop3__done(c, POP3_DONE);
    }
    if (ev.type != POP3_EV_CHUNK)
        return pop3__done(c, pop3__fail(c, POP3_E_PROTOCOL));
    *data_out = ev.text;
    *len_out = ev.text_len;
    return pop3__done(c, POP3_OK);
}

pop3_status pop3_discard(pop3_client *c)
{
    pop3_event ev;
    pop3_status st;

    if (c == NULL)
        return POP3_E_ARG;
    if (c->failed != POP3_OK)
        return pop3__done(c, c->failed);
    c->deadline = pop3_deadline_in(c->opts.io_timeout_ms);
    if (c->batch.msgs != NULL) /* a pipelined batch: drop what is owed */
        return pop3__done(c, pop3__batch_drain(c));
    while (c->busy != POP3_BUSY_NONE) {
        st = pop3__event(c, &ev);
        if (st != POP3_OK)
            return pop3__done(c, st);
        if (ev.type == POP3_EV_END)
            c->busy = POP3_BUSY_NONE;
    }
    return pop3__done(c, POP3_OK);
}
