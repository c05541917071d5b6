/*
 * USER/PASS pipelined (RFC 2449 6.6).  When the server listed PIPELINING
 * before login (or opts.pipelining assumes it), USER and PASS go out in
 * one write, then CAPA and STAT (the capabilities of the new state, RFC
 * 2449 5, and the maildrop's size) in another once PASS is accepted: two
 * round trips instead of four.  With opts.pipeline_login all four go in
 * one write, one round trip; that asks the server to keep what arrived
 * before the login for the session after it, which a server that hands
 * the connection to another process may not do, so it is the caller's
 * choice.  The STAT reply is kept for pop3_stat
 * (commands.c).
 */
#include "client.h"
#include "parse.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

/* Append "VERB[ arg]\r\n" at buf + *len and trace it, the argument shown
 * as "****" when secret.  The caller checked the lengths. */
static void put(pop3_client *c, char *buf, size_t *len, const char *verb,
                const char *arg, int secret)
{
    size_t start = *len, n = strlen(verb);

    memcpy(buf + *len, verb, n);
    *len += n;
    if (arg != NULL) {
        buf[(*len)++] = ' ';
        if (secret)
            pop3__trace(c, POP3_TRACE_SEND, "PASS ****", 9);
        n = strlen(arg);
        memcpy(buf + *len, arg, n);
        *len += n;
    }
    if (!secret)
        pop3__trace(c, POP3_TRACE_SEND, buf + start, *len - start);
    buf[(*len)++] = '\r';
    buf[(*len)++] = '\n';
}

/* The server text and code of a failed login, kept while the replies
 * after it are read, so the caller sees the one that explains it. */
typedef struct saved_reply {
    int kept;
    char *text; /* malloc'd; NULL when memory ran out (text not kept) */
    char code[sizeof ((pop3_client *)0)->code];
} saved_reply;

static void save(const pop3_client *c, saved_reply *s)
{
    s->kept = 1;
    s->text = strdup(c->text);
    memcpy(s->code, c->code, sizeof s->code);
}

static void restore(pop3_client *c, saved_reply *s)
{
    if (!s->kept)
        return;
    if (s->text != NULL)
        strcpy(c->text, s->text); /* it came from there: it fits */
    memcpy(c->code, s->code, sizeof c->code);
    free(s->text);
}

/* STAT's reply: kept when it parses; otherwise pop3_stat asks again
 * and reports the problem itself. */
static pop3_status read_stat(pop3_client *c)
{
    pop3_event ev;
    uint64_t count, size;
    pop3_status st = pop3__reply(c, POP3_EXPECT_STATUS, POP3_E_SERVER, &ev);

    if (st == POP3_OK &&
        pop3_parse_num_size(c->text, strlen(c->text), &count, &size) == 0) {
        c->stat_cached = 1;
        c->stat_count = count;
        c->stat_size = size;
    }
    return st;
}

pop3_status pop3__user_pass_pipelined(pop3_client *c, const char *user,
                                      const char *password)
{
    /* Two commands of at most POP3_MAX_COMMAND octets (checked by the
     * caller), CAPA and STAT. */
    char buf[2 * POP3_MAX_COMMAND + 16];
    size_t len = 0;
    pop3_status err = pop3__auth_err(c), login, st;
    saved_reply why = {0, NULL, ""};
    pop3_event ev;

    put(c, buf, &len, "USER", user, 0);
    put(c, buf, &len, "PASS", password, 1);
    if (c->opts.pipeline_login) {
        put(c, buf, &len, "CAPA", NULL, 0);
        put(c, buf, &len, "STAT", NULL, 0);
    }
    c->auth_used = "USER";
    st = pop3__send_line(c, buf, len, NULL, 0);
    OPENSSL_cleanse(buf, sizeof buf); /* holds the password */
    if (st != POP3_OK)
        return st;

    /* A -ERR to USER fails the login although PASS is answered too (a
     * -ERR, no user having been accepted); its text is the one kept. */
    login = pop3__reply(c, POP3_EXPECT_STATUS, err, &ev);
    if (login != POP3_OK && c->failed == POP3_OK)
        save(c, &why);
    if (c->failed == POP3_OK) {
        st = pop3__reply(c, POP3_EXPECT_STATUS, err, &ev);
        if (login == POP3_OK && st != POP3_OK && c->failed == POP3_OK)
            save(c, &why);
        if (login == POP3_OK)
            login = st;
    }
    if (!c->opts.pipeline_login) {
        /* CAPA and STAT only once logged in. */
        if (login != POP3_OK || c->failed != POP3_OK) {
            restore(c, &why);
            return login != POP3_OK ? login : c->failed;
        }
        len = 0;
        put(c, buf, &len, "CAPA", NULL, 0);
        put(c, buf, &len, "STAT", NULL, 0);
        st = pop3__send_line(c, buf, len, NULL, 0);
        if (st != POP3_OK)
            return st;
    }
    /* The rest is read whatever the login's fate, to stay in step. */
    if (c->failed == POP3_OK && login == POP3_OK)
        c->state = POP3_STATE_TRANSACTION;
    if (c->failed == POP3_OK)
        st = pop3__capa_read(c);
    if (c->failed == POP3_OK) {
        st = read_stat(c);
        if (login != POP3_OK)
            c->stat_cached = 0; /* not logged in: that was a -ERR */
    }
    restore(c, &why);
    if (login != POP3_OK)
        return login; /* even if reading on then failed: it says why */
    if (c->failed != POP3_OK)
        return c->failed;
    return POP3_OK; /* auth_used was set before sending */
}
