/*
 * LIST and UIDL of the whole maildrop, as iterators (RFC 1939 5, 7).
 *
 * A malformed listing line is reported as POP3_E_PROTOCOL for that line
 * only: the listing's framing is intact, so the iteration can go on and
 * one bad line does not cost the caller the whole maildrop (getmail6 #277).
 */
#include "client.h"
#include "parse.h"

#include <string.h>

static pop3_status begin_listing(pop3_client *c, const char *verb,
                                 pop3_busy kind)
{
    pop3_event ev;
    pop3_status st;

    if (c == NULL)
        return POP3_E_ARG;
    st = pop3__begin(c, POP3_IN_TRANS);
    if (st == POP3_OK)
        st = pop3__send(c, verb, NULL, NULL, 0);
    if (st == POP3_OK)
        st = pop3__reply(c, POP3_EXPECT_STATUS_LINES, POP3_E_SERVER, &ev);
    if (st == POP3_OK)
        c->busy = kind;
    return pop3__done(c, st);
}

/* The next listing line, or POP3_DONE at its end. */
static pop3_status next_line(pop3_client *c, pop3_busy kind,
                             pop3_event *ev)
{
    pop3_status st;

    if (c->failed != POP3_OK)
        return c->failed;
    if (c->busy != kind)
        return POP3_E_STATE;
    c->deadline = pop3_deadline_in(c->opts.io_timeout_ms);
    st = pop3__event(c, ev);
    if (st != POP3_OK)
        return st;
    if (ev->type == POP3_EV_END) {
        c->busy = POP3_BUSY_NONE;
        return POP3_DONE;
    }
    return ev->type == POP3_EV_LINE ? POP3_OK
                                    : pop3__fail(c, POP3_E_PROTOCOL);
}

pop3_status pop3_list_begin(pop3_client *c)
{
    return begin_listing(c, "LIST", POP3_BUSY_LIST);
}

pop3_status pop3_uidl_begin(pop3_client *c)
{
    return begin_listing(c, "UIDL", POP3_BUSY_UIDL);
}

pop3_status pop3_list_next(pop3_client *c, unsigned int *msg_out,
                           uint64_t *size_out)
{
    pop3_event ev;
    uint64_t n, size;
    pop3_status st;

    if (c == NULL)
        return POP3_E_ARG;
    if (msg_out == NULL || size_out == NULL)
        return pop3__done(c, POP3_E_ARG);
    *msg_out = 0;
    *size_out = 0;
    st = next_line(c, POP3_BUSY_LIST, &ev);
    if (st != POP3_OK)
        return pop3__done(c, st);
    if (pop3_parse_num_size(ev.text, ev.text_len, &n, &size) != 0 ||
        !pop3_msg_ok(n))
        return pop3__done(c, POP3_E_PROTOCOL);
    *msg_out = (unsigned int)n;
    *size_out = size;
    return pop3__done(c, POP3_OK);
}

pop3_status pop3_uidl_next(pop3_client *c, unsigned int *msg_out,
                           const char **uid_out)
{
    pop3_event ev;
    uint64_t n;
    const char *uid;
    size_t len;
    pop3_status st;

    if (c == NULL)
        return POP3_E_ARG;
    if (msg_out == NULL || uid_out == NULL)
        return pop3__done(c, POP3_E_ARG);
    *msg_out = 0;
    *uid_out = NULL;
    st = next_line(c, POP3_BUSY_UIDL, &ev);
    if (st != POP3_OK)
        return pop3__done(c, st);
    if (pop3_parse_num_uid(ev.text, ev.text_len, &n, &uid, &len) != 0 ||
        !pop3_msg_ok(n))
        return pop3__done(c, POP3_E_PROTOCOL);
    memcpy(c->uid, uid, len);
    c->uid[len] = '\0';
    *msg_out = (unsigned int)n;
    *uid_out = c->uid;
    return pop3__done(c, POP3_OK);
}
