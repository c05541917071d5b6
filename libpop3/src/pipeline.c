/*
 * Pipelined batches (RFC 2449 6.6): RETR/TOP, DELE and LIST of many
 * messages.  Commands go out ahead of their replies, at most
 * POP3_PIPELINE_WINDOW octets of them at a time, in one write per top-up,
 * and a top-up waits until half the window has been answered (one write
 * per few hundred messages, not one per message).  The window is far
 * below any socket buffer, so the client's writes never block while the
 * server's replies wait to be read (the deadlock a "write everything,
 * then read" client runs into on large batches).
 */
#include "client.h"
#include "parse.h"

#include <stdlib.h>
#include <string.h>

int pop3__pipelines(pop3_client *c, int ask)
{
    if (c->opts.pipelining == POP3_PIPELINING_OFF)
        return 0;
    if (c->capa_known == POP3_CAPA_UNKNOWN) {
        if (c->opts.pipelining == POP3_PIPELINING_ASSUME)
            return 1;
        if (!ask)
            return 0;
        pop3__capa_fetch(c); /* -ERR: RFC 1939 only, so no pipelining */
    }
    return c->capa_known == POP3_CAPA_LISTED &&
           pop3_capa_find(&c->capa, "PIPELINING") != NULL;
}

/* Octets of commands in flight: a window when the server pipelines,
 * else 1 (one command at a time). */
static size_t window(pop3_client *c)
{
    return pop3__pipelines(c, 1) ? POP3_PIPELINE_WINDOW : 1;
}

/* Append "VERB n[ lines]\r\n" to buf at *len (room is checked by the
 * caller) and trace it; returns its length. */
static size_t put_command(pop3_client *c, char *buf, size_t *len,
                          const char *verb, unsigned int msg,
                          const char *lines)
{
    char num[24];
    size_t start = *len, n;

    n = strlen(verb);
    memcpy(buf + *len, verb, n);
    *len += n;
    buf[(*len)++] = ' ';
    pop3__utoa(msg, num);
    n = strlen(num);
    memcpy(buf + *len, num, n);
    *len += n;
    if (lines != NULL && lines[0] != '\0') {
        buf[(*len)++] = ' ';
        n = strlen(lines);
        memcpy(buf + *len, lines, n);
        *len += n;
    }
    pop3__trace(c, POP3_TRACE_SEND, buf + start, *len - start);
    buf[(*len)++] = '\r';
    buf[(*len)++] = '\n';
    return *len - start;
}

/* Longest command put_command writes: verb, two numbers, spaces, CRLF. */
#define MAX_BATCH_COMMAND 64

/*
 * Send commands for msgs[*sent..count) while the octets in flight stay
 * within the window (one command is always allowed when none is in
 * flight), all in one write; nothing while more than half the window is
 * still in flight.  With *quit set, QUIT follows the last command in the
 * same write (and *quit is cleared once it has gone).
 */
static pop3_status send_window(pop3_client *c, const char *verb,
                               const unsigned int *msgs, size_t count,
                               const char *lines, size_t win, size_t *sent,
                               size_t *in_flight, int *quit)
{
    char buf[POP3_PIPELINE_WINDOW + MAX_BATCH_COMMAND];
    size_t len = 0;

    if (*in_flight > win / 2)
        return POP3_OK;
    while (*sent < count &&
           (*in_flight == 0 || *in_flight + MAX_BATCH_COMMAND <= win) &&
           len + MAX_BATCH_COMMAND <= sizeof buf) {
        *in_flight += put_command(c, buf, &len, verb, msgs[*sent], lines);
        (*sent)++;
    }
    if (quit != NULL && *quit && *sent == count && win > 1) {
        pop3__trace(c, POP3_TRACE_SEND, "QUIT", 4);
        memcpy(buf + len, "QUIT\r\n", 6);
        len += 6;
        *quit = 0;
        c->quit_sent = 1;
    }
    return len == 0 ? POP3_OK : pop3__send_line(c, buf, len, NULL, 0);
}

/* Length of the command for one message, to take off the window. */
static size_t command_length(const char *verb, unsigned int msg,
                             const char *lines)
{
    char num[24];
    size_t n = strlen(verb) + 1 + strlen(pop3__utoa(msg, num)) + 2;
    if (lines != NULL && lines[0] != '\0')
        n += 1 + strlen(lines);
    return n;
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

/* Message numbers a batch may send: at least one, none of them 0. */
static pop3_status check_msgs(const unsigned int *msgs, size_t count)
{
    size_t i;

    if (msgs == NULL || count == 0 || count > (size_t)-1 / sizeof *msgs)
        return POP3_E_ARG;
    for (i = 0; i < count; i++)
        if (msgs[i] == 0)
            return POP3_E_ARG;
    return POP3_OK;
}

/* Check and copy the message numbers. */
static pop3_status copy_msgs(const unsigned int *msgs, size_t count,
                             unsigned int **out)
{
    pop3_status st = check_msgs(msgs, count);

    if (st != POP3_OK)
        return st;
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
    pop3__pipelines(c, 1); /* CAPA now, not between a batch's commands */
    if (c->failed != POP3_OK) {
        free(copy);
        return pop3__done(c, c->failed);
    }
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

    return send_window(c, b->lines[0] ? "TOP" : "RETR", b->msgs, b->count,
                       b->lines, window(c), &b->sent, &b->in_flight,
                       &b->then_quit);
}

/* The reply for the oldest command in flight is being read. */
static void answered(pop3_batch *b)
{
    size_t n = command_length(b->lines[0] ? "TOP" : "RETR",
                              b->msgs[b->done], b->lines);
    b->in_flight = b->in_flight > n ? b->in_flight - n : 0;
    b->done++;
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

pop3_status pop3_many_then_quit(pop3_client *c)
{
    if (c == NULL)
        return POP3_E_ARG;
    if (c->failed != POP3_OK)
        return pop3__done(c, c->failed);
    if (c->batch.msgs == NULL || c->quit_sent)
        return pop3__done(c, POP3_E_STATE);
    c->batch.then_quit = 1;
    return pop3__done(c, POP3_OK);
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
    answered(b);
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
        answered(b);
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
    size_t sent = 0, done = 0, in_flight = 0, w;
    pop3_status st, overall = POP3_OK;

    if (c == NULL)
        return POP3_E_ARG;
    st = pop3__begin(c, POP3_IN_TRANS);
    if (st == POP3_OK)
        st = check_msgs(msgs, count); /* before anything is sent */
    if (st != POP3_OK)
        return pop3__done(c, st);
    w = window(c);
    if (c->failed != POP3_OK)
        return pop3__done(c, c->failed);
    while (done < count) {
        pop3_event ev;
        pop3_status one;
        size_t n;

        st = send_window(c, verb, msgs, count, NULL, w, &sent, &in_flight,
                         NULL);
        if (st != POP3_OK)
            return pop3__done(c, st);
        n = command_length(verb, msgs[done], NULL);
        in_flight = in_flight > n ? in_flight - n : 0;
        one = pop3__reply(c, POP3_EXPECT_STATUS, POP3_E_SERVER, &ev);
        if (c->failed != POP3_OK)
            return pop3__done(c, one);
        if (one == POP3_OK && sizes_out != NULL) {
            uint64_t num, size;
            if (pop3_parse_num_size(c->text, strlen(c->text), &num,
                                    &size) != 0 ||
                num != msgs[done])
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
    if (c != NULL)
        c->stat_cached = 0; /* STAT leaves deleted messages out */
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
