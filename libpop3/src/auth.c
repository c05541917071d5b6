/* Authorization with USER/PASS and APOP (RFC 1939 7). */
#include "client.h"

#include <openssl/crypto.h>
#include <string.h>

static pop3_status logged_in(pop3_client *c)
{
    c->state = POP3_STATE_TRANSACTION;
    return pop3__done(c, POP3_OK);
}

/* Check every argument before the first byte goes out, so a bad password
 * cannot leave a half-finished USER/PASS exchange behind. */
static pop3_status check_args(const char *a, const char *b)
{
    if (!pop3__arg_ok(a) || !pop3__arg_ok(b) || *a == '\0')
        return POP3_E_ARG;
    if (strlen(a) + 7 > POP3_MAX_COMMAND || strlen(b) + 7 > POP3_MAX_COMMAND)
        return POP3_E_ARG;
    return POP3_OK;
}

pop3_status pop3_login(pop3_client *c, const char *user, const char *password)
{
    pop3_event ev;
    pop3_status st;

    if (c == NULL)
        return POP3_E_ARG;
    st = pop3__begin(c, POP3_IN_AUTH);
    if (st == POP3_OK)
        st = check_args(user, password);
    if (st != POP3_OK)
        return pop3__done(c, st);

    st = pop3__simple(c, "USER", user, NULL, POP3_E_AUTH);
    if (st != POP3_OK)
        return pop3__done(c, st);
    st = pop3__send(c, "PASS", password, NULL, 1);
    if (st == POP3_OK)
        st = pop3__reply(c, POP3_EXPECT_STATUS, POP3_E_AUTH, &ev);
    return st == POP3_OK ? logged_in(c) : pop3__done(c, st);
}

pop3_status pop3_apop(pop3_client *c, const char *user, const char *secret)
{
    char digest[33];
    pop3_event ev;
    pop3_status st;

    if (c == NULL)
        return POP3_E_ARG;
    st = pop3__begin(c, POP3_IN_AUTH);
    if (st == POP3_OK)
        st = check_args(user, secret);
    if (st == POP3_OK && c->stamp[0] == '\0')
        st = POP3_E_AUTH_UNAVAILABLE;
    if (st == POP3_OK)
        st = pop3_apop_digest(c->stamp, secret, digest);
    if (st != POP3_OK)
        return pop3__done(c, st);

    /* The trace hides the digest too: it is a password equivalent for
     * this timestamp. */
    st = pop3__send(c, "APOP", user, digest, 1);
    OPENSSL_cleanse(digest, sizeof digest);
    if (st == POP3_OK)
        st = pop3__reply(c, POP3_EXPECT_STATUS, POP3_E_AUTH, &ev);
    return st == POP3_OK ? logged_in(c) : pop3__done(c, st);
}
