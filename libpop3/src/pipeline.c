/*
 * Pipelined batches (RFC 2449 6.6): RETR/TOP, DELE and LIST of many
 * messages.  Commands go out ahead of their replies, at most
 * POP3_PIPELINE_WINDOW at a time: the commands in flight are a few
 * hundred bytes, far below any socket buffer, so the client's writes never
 * block while the server's replies wait to be read (the deadlock that a
 * "write everything, then read" client runs into on large batches).
 */
#include "client.h"
#include "parse.h"

#include <stdlib.h>
#include <string.h>

/* Commands in flight: a window when the server pipelines, else one. */
static size_t window(const pop3_client *c)
{
    return pop3_has_capa(c, "PIPELINING") ? POP3_PIPELINE_WINDOW : 1;
}

void pop3__batch_clear(pop3_client *c)
{
    free(c->batch.msgs);
    memset(&c->batch, 0, sizeof c->batch);
}

void pop3__body_ended(pop3_client *c)
{
    c->busy = c->batch.msgs != NULL ? POP3_BUSY_BATCH : POP3_BUSY_NONE;
}

/* Check and copy the message numbers. */
static pop3_status copy_msgs(const unsigned int *msgs, size_t count,
                             unsigned int **out)
{
    size_t i;

    if (msgs == NULL || count == 0 || count > (size_t)-1 / sizeof *msgs)
        return POP3_E_ARG;
    for (i = 0; i < count; i++)
        if (msgs[i] == 0)
            return POP3_E_ARG;
    *out = malloc(count * sizeof **out);
    if (*out == NULL)
        return POP3_E_NOMEM;
    memcpy(*out, msgs, count * sizeof **out);
    return POP3_OK;
}

static pop3_status begin_batch(pop3_client *c, const unsigned int *msgs,
                               size_t count, const char *lines)
{
    unsigned int *copy = NULL;
    pop3_status st;

    if (c == NULL)
        return POP3_E_ARG;
    st = pop3__begin(c, POP3_IN_TRANS);
    if (st == POP3_OK)
        st = copy_msgs(msgs, count, &copy);
    if (st != POP3_OK)
        return pop3__done(c, st);
    pop3__batch_clear(c);
    c->batch.msgs = copy;
    c->batch.count = count;
    if (lines != NULL)
        pop3__utoa(strtoul(lines, NULL, 10), c->batch.lines);
    c->busy = POP3_BUSY_BATCH;
    return pop3__done(c, POP3_OK);
}

pop3_status pop3_retr_many_begin(pop3_client *c, const unsigned int *msgs,
                                 size_t count)
{
    return begin_batch(c, msgs, count, NULL);
}

pop3_status pop3_top_many_begin(pop3_client *c, const unsigned int *msgs,
                                size_t count, unsigned long lines)
{
    char n[24];
    return begin_batch(c, msgs, count, pop3__utoa(lines, n));
}

/* Top up the window of commands in flight. */
static pop3_status fill(pop3_client *c)
{
    pop3_batch *b = &c->batch;
    size_t w = window(c);

    while (b->sent < b->count && b->sent - b->done < w) {
        char num[24];
        const char *verb = b->lines[0] ? "TOP" : "RETR";
        pop3_status st = pop3__send(c, verb, pop3__utoa(b->msgs[b->sent], num),
                                    b->lines[0] ? b->lines : NULL, 0);
        if (st != POP3_OK)
            return st;
        b->sent++;
    }
    return POP3_OK;
}

/* Read and drop the rest of the current body, if one is open. */
static pop3_status skip_body(pop3_client *c)
{
    pop3_event ev;

    while (c->busy == POP3_BUSY_BODY) {
        pop3_status st = pop3__event(c, &ev);
        if (st != POP3_OK)
            return st;
        if (ev.type == POP3_EV_END)
            pop3__body_ended(c);
    }
    return POP3_OK;
}

pop3_status pop3_many_next(pop3_client *c, unsigned int *msg_out)
{
    pop3_batch *b;
    pop3_event ev;
    pop3_status st;

    if (c == NULL)
        return POP3_E_ARG;
    if (msg_out == NULL)
        return pop3__done(c, POP3_E_ARG);
    *msg_out = 0;
    if (c->failed != POP3_OK)
        return pop3__done(c, c->failed);
    b = &c->batch;
    if (b->msgs == NULL)
        return pop3__done(c, POP3_E_STATE);
    c->deadline = pop3_deadline_in(c->opts.io_timeout_ms);
    st = skip_body(c);
    if (st != POP3_OK)
        return pop3__done(c, st);
    if (b->done == b->count) {
        pop3__batch_clear(c);
        c->busy = POP3_BUSY_NONE;
        return pop3__done(c, POP3_DONE);
    }
    st = fill(c);
    if (st != POP3_OK)
        return pop3__done(c, st);
    *msg_out = b->msgs[b->done];
    b->done++;
    st = pop3__reply(c, POP3_EXPECT_STATUS_BODY, POP3_E_SERVER, &ev);
    if (st == POP3_OK)
        c->busy = POP3_BUSY_BODY;
    return pop3__done(c, st);
}

pop3_status pop3__batch_drain(pop3_client *c)
{
    pop3_batch *b = &c->batch;
    pop3_event ev;
    pop3_status st = skip_body(c);

    while (st == POP3_OK && b->done < b->sent) {
        b->done++;
        st = pop3__reply(c, POP3_EXPECT_STATUS_BODY, POP3_E_SERVER, &ev);
        if (st == POP3_OK) {
            c->busy = POP3_BUSY_BODY;
            st = skip_body(c);
        } else if (c->failed == POP3_OK) {
            st = POP3_OK; /* a -ERR: nothing to drop */
        }
    }
    if (c->failed == POP3_OK) {
        pop3__batch_clear(c);
        c->busy = POP3_BUSY_NONE;
    }
    return st;
}

/*
 * DELE or LIST of many messages: a window of single-line commands, each
 * reply recorded against its own message.
 */
static pop3_status many_simple(pop3_client *c, const char *verb,
                               const unsigned int *msgs, size_t count,
                               uint64_t *sizes_out, pop3_status *results_out)
{
    size_t sent = 0, done = 0, w;
    pop3_status st, overall = POP3_OK;
    unsigned int *check = NULL;

    if (c == NULL)
        return POP3_E_ARG;
    st = pop3__begin(c, POP3_IN_TRANS);
    if (st == POP3_OK)
        st = copy_msgs(msgs, count, &check); /* validates before sending */
    free(check);
    if (st != POP3_OK)
        return pop3__done(c, st);
    w = window(c);
    while (done < count) {
        pop3_event ev;
        char num[24];
        pop3_status one;

        while (sent < count && sent - done < w) {
            st = pop3__send(c, verb, pop3__utoa(msgs[sent], num), NULL, 0);
            if (st != POP3_OK)
                return pop3__done(c, st);
            sent++;
        }
        one = pop3__reply(c, POP3_EXPECT_STATUS, POP3_E_SERVER, &ev);
        if (c->failed != POP3_OK)
            return pop3__done(c, one);
        if (one == POP3_OK && sizes_out != NULL) {
            uint64_t n, size;
            if (pop3_parse_num_size(c->text, strlen(c->text), &n, &size) != 0 ||
                n != msgs[done])
                return pop3__done(c, pop3__fail(c, POP3_E_PROTOCOL));
            sizes_out[done] = size;
        } else if (sizes_out != NULL) {
            sizes_out[done] = 0;
        }
        if (results_out != NULL)
            results_out[done] = one;
        if (one != POP3_OK)
            overall = POP3_E_SERVER;
        done++;
    }
    return pop3__done(c, overall);
}

pop3_status pop3_dele_many(pop3_client *c, const unsigned int *msgs,
                           size_t count, pop3_status *results_out)
{
    return many_simple(c, "DELE", msgs, count, NULL, results_out);
}

pop3_status pop3_list_many(pop3_client *c, const unsigned int *msgs,
                           size_t count, uint64_t *sizes_out,
                           pop3_status *results_out)
{
    if (c != NULL && sizes_out == NULL)
        return pop3__done(c, POP3_E_ARG);
    return many_simple(c, "LIST", msgs, count, sizes_out, results_out);
}
