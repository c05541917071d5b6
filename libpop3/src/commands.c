/* The single-line transaction commands (RFC 1939 5, 6). */
#include "client.h"
#include "parse.h"

#include <string.h>

pop3_status pop3_stat(pop3_client *c, uint64_t *count_out,
                      uint64_t *size_out)
{
    uint64_t count, size;
    pop3_status st;

    if (c == NULL)
        return POP3_E_ARG;
    if (count_out == NULL || size_out == NULL)
        return pop3__done(c, POP3_E_ARG);
    st = pop3__begin(c, POP3_IN_TRANS);
    if (st == POP3_OK && c->stat_cached) {
        /* Read with a pipelined login; the maildrop is locked, and no
         * DELE or RSET has changed it since (RFC 1939 8).  The server
         * text becomes that reply's numbers, as if it had just come. */
        char num[24];
        *count_out = c->stat_count;
        *size_out = c->stat_size;
        strcpy(c->text, pop3__utoa(c->stat_count, num));
        strcat(c->text, " ");
        strcat(c->text, pop3__utoa(c->stat_size, num));
        c->code[0] = '\0';
        return pop3__done(c, POP3_OK);
    }
    if (st == POP3_OK)
        st = pop3__simple(c, "STAT", NULL, NULL, POP3_E_SERVER);
    if (st != POP3_OK)
        return pop3__done(c, st);
    /* "+OK nn mm": a drop listing (RFC 1939 5). */
    if (pop3_parse_num_size(c->text, strlen(c->text), &count, &size) != 0)
        return pop3__done(c, pop3__fail(c, POP3_E_PROTOCOL));
    *count_out = count;
    *size_out = size;
    return pop3__done(c, POP3_OK);
}

/* Begin a command about one message: state and number checks. */
static pop3_status begin_msg(pop3_client *c, unsigned int msg, char *num)
{
    pop3_status st = pop3__begin(c, POP3_IN_TRANS);
    if (st == POP3_OK && msg == 0)
        st = POP3_E_ARG;
    pop3__utoa(msg, num);
    return st;
}

pop3_status pop3_list_one(pop3_client *c, unsigned int msg,
                          uint64_t *size_out)
{
    char num[24];
    uint64_t n, size;
    pop3_status st;

    if (c == NULL)
        return POP3_E_ARG;
    st = size_out ? begin_msg(c, msg, num) : POP3_E_ARG;
    if (st == POP3_OK)
        st = pop3__simple(c, "LIST", num, NULL, POP3_E_SERVER);
    if (st != POP3_OK)
        return pop3__done(c, st);
    if (pop3_parse_num_size(c->text, strlen(c->text), &n, &size) != 0 ||
        n != msg)
        return pop3__done(c, pop3__fail(c, POP3_E_PROTOCOL));
    *size_out = size;
    return pop3__done(c, POP3_OK);
}

pop3_status pop3_uidl_one(pop3_client *c, unsigned int msg,
                          const char **uid_out)
{
    char num[24];
    uint64_t n;
    const char *uid;
    size_t len;
    pop3_status st;

    if (c == NULL)
        return POP3_E_ARG;
    st = uid_out ? begin_msg(c, msg, num) : POP3_E_ARG;
    if (st == POP3_OK)
        st = pop3__simple(c, "UIDL", num, NULL, POP3_E_SERVER);
    if (st != POP3_OK)
        return pop3__done(c, st);
    if (pop3_parse_num_uid(c->text, strlen(c->text), &n, &uid, &len) != 0 ||
        n != msg)
        return pop3__done(c, pop3__fail(c, POP3_E_PROTOCOL));
    memcpy(c->uid, uid, len);
    c->uid[len] = '\0';
    *uid_out = c->uid;
    return pop3__done(c, POP3_OK);
}

pop3_status pop3_dele(pop3_client *c, unsigned int msg)
{
    char num[24];
    pop3_status st;

    if (c == NULL)
        return POP3_E_ARG;
    st = begin_msg(c, msg, num);
    if (st == POP3_OK) {
        c->stat_cached = 0; /* STAT leaves deleted messages out */
        st = pop3__simple(c, "DELE", num, NULL, POP3_E_SERVER);
    }
    return pop3__done(c, st);
}

pop3_status pop3_noop(pop3_client *c)
{
    pop3_status st;

    if (c == NULL)
        return POP3_E_ARG;
    st = pop3__begin(c, POP3_IN_TRANS);
    if (st == POP3_OK)
        st = pop3__simple(c, "NOOP", NULL, NULL, POP3_E_SERVER);
    return pop3__done(c, st);
}

pop3_status pop3_rset(pop3_client *c)
{
    pop3_status st;

    if (c == NULL)
        return POP3_E_ARG;
    st = pop3__begin(c, POP3_IN_TRANS);
    if (st == POP3_OK) {
        c->stat_cached = 0;
        st = pop3__simple(c, "RSET", NULL, NULL, POP3_E_SERVER);
    }
    return pop3__done(c, st);
}

pop3_status pop3_quit(pop3_client *c)
{
    pop3_state after;
    pop3_event ev;
    pop3_status st;

    if (c == NULL)
        return POP3_E_ARG;
    st = pop3__begin(c, POP3_IN_AUTH | POP3_IN_TRANS | POP3_QUIT_PENDING);
    if (st != POP3_OK)
        return pop3__done(c, st);
    /* RFC 1939 6: QUIT in TRANSACTION enters UPDATE, where the server
     * commits deletions; -ERR there means some could not be removed. */
    after = c->state == POP3_STATE_TRANSACTION ? POP3_STATE_UPDATE
                                               : POP3_STATE_DISCONNECTED;
    if (after == POP3_STATE_UPDATE)
        c->state = POP3_STATE_UPDATE;
    if (c->quit_sent) /* with the last command of a batch */
        st = pop3__reply(c, POP3_EXPECT_STATUS, POP3_E_SERVER, &ev);
    else
        st = pop3__simple(c, "QUIT", NULL, NULL, POP3_E_SERVER);
    c->quit_sent = 0;
    if (c->failed == POP3_OK) {
        pop3_transport_close(&c->tp);
        c->state = after;
    }
    return pop3__done(c, st);
}
