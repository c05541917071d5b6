/* Authorization with USER/PASS and APOP (RFC 1939 7), and what every
 * login does once it succeeded. */
#include "client.h"

#include <openssl/crypto.h>
#include <string.h>

pop3_status pop3__logged_in(pop3_client *c, const char *method)
{
    c->auth_used = method;
    c->state = POP3_STATE_TRANSACTION;
    /* RFC 2449 5: capabilities may differ after login (LOGIN-DELAY and
     * EXPIRE with USER, for instance).  A -ERR leaves the list empty. */
    if (c->capa_known == POP3_CAPA_LISTED) {
        pop3_status st = pop3__capa_fetch(c);
        if (c->failed != POP3_OK)
            return st;
    }
    return POP3_OK;
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

pop3_status pop3__user_pass(pop3_client *c, const char *user,
                            const char *password)
{
    pop3_event ev;
    pop3_status st = check_args(user, password);

    if (st != POP3_OK)
        return st;
    if (pop3__pipelines(c, 0)) /* CAPA is not asked for a login */
        return pop3__user_pass_pipelined(c, user, password);
    c->auth_used = "USER";
    st = pop3__simple(c, "USER", user, NULL, pop3__auth_err(c));
    if (st != POP3_OK)
        return st;
    st = pop3__send(c, "PASS", password, NULL, POP3_MASK_ARGS);
    if (st == POP3_OK)
        st = pop3__reply(c, POP3_EXPECT_STATUS, pop3__auth_err(c), &ev);
    return st == POP3_OK ? pop3__logged_in(c, "USER") : st;
}

pop3_status pop3__apop(pop3_client *c, const char *user, const char *secret)
{
    char digest[33];
    pop3_event ev;
    pop3_status st = check_args(user, secret);

    /* Only a greeting timestamp that passed the msg-id check is kept
     * (client.c), so APOP never hashes a man in the middle's choice of
     * text (CVE-2007-1558). */
    if (st == POP3_OK && c->stamp[0] == '\0')
        st = POP3_E_AUTH_UNAVAILABLE;
    if (st == POP3_OK)
        st = pop3_apop_digest(c->stamp, secret, digest);
    if (st != POP3_OK)
        return st;
    c->auth_used = "APOP";
    /* The trace hides the digest too: it is a password equivalent for
     * this timestamp. */
    st = pop3__send(c, "APOP", user, digest, POP3_MASK_ARGS);
    OPENSSL_cleanse(digest, sizeof digest);
    if (st == POP3_OK)
        st = pop3__reply(c, POP3_EXPECT_STATUS, pop3__auth_err(c), &ev);
    return st == POP3_OK ? pop3__logged_in(c, "APOP") : st;
}

pop3_status pop3_login(pop3_client *c, const char *user, const char *password)
{
    pop3_status st;

    if (c == NULL)
        return POP3_E_ARG;
    st = pop3__begin(c, POP3_IN_AUTH);
    if (st == POP3_OK)
        st = pop3__user_pass(c, user, password);
    return pop3__done(c, st);
}

pop3_status pop3_apop(pop3_client *c, const char *user, const char *secret)
{
    pop3_status st;

    if (c == NULL)
        return POP3_E_ARG;
    st = pop3__begin(c, POP3_IN_AUTH);
    if (st == POP3_OK)
        st = pop3__apop(c, user, secret);
    return pop3__done(c, st);
}
