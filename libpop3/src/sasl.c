/*
 * SASL AUTH over the client (RFC 5034), and the automatic choice of a
 * login method.  The exchange's rules (base64, where the initial
 * response goes, the bound on rounds, cancel, the checks on +OK, the
 * retry) live in pop3_codec_sasl (sasl_codec.c), the same code the
 * event-loop clients use; this file only moves its lines to the server
 * and the server's replies back to it, and traces them masked.
 *
 *   C: AUTH MECH [initial-response]      ("=" for an empty one)
 *   S: + challenge                       (base64; may repeat)
 *   C: response                          (base64; "*" cancels)
 *   S: +OK / -ERR [CODE] text
 */
#include "client.h"

#include <string.h>

#include "sasl.h"

/* The methods pop3_authenticate may use when opts.auth_methods is 0:
 * every password method; tokens only when asked for. */
#define DEFAULT_METHODS                                                   \
    (POP3_AUTH_USER | POP3_AUTH_APOP | POP3_AUTH_PLAIN | POP3_AUTH_LOGIN | \
     POP3_AUTH_CRAM_MD5 | POP3_AUTH_SCRAM_SHA_1 | POP3_AUTH_SCRAM_SHA_256)

/* Send a line the codec made, traced as `shown` (never the secret). */
static pop3_status send_codec_line(pop3_client *c, const char *line,
                                   size_t len, const char *shown)
{
    return pop3__send_line(c, line, len, shown, strlen(shown));
}

/* Send the AUTH line, traced as "AUTH NAME", with " ****" when it
 * carries the initial response. */
static pop3_status send_auth(pop3_client *c, const pop3_codec_sasl *x,
                             const char *line, size_t len)
{
    char shown[64];
    size_t n = 5 + strlen(pop3_codec_sasl_name(x)); /* "AUTH " name */

    if (n + 6 > sizeof shown || len < n + 2)
        return POP3_E_ARG; /* cannot be: names are short constants */
    memcpy(shown, line, n);
    shown[n] = '\0';
    if (len > n + 2) /* the initial response is on the line */
        memcpy(shown + n, " ****", 6);
    return send_codec_line(c, line, len, shown);
}

/* Cancel the exchange (RFC 5034 4: the codec's "*") and read the
 * server's -ERR. */
static pop3_status cancel(pop3_client *c, const char *line, size_t len,
                          pop3_status why)
{
    pop3_event ev;
    pop3_status st = send_codec_line(c, line, len, "*");

    if (st == POP3_OK)
        st = pop3__reply(c, POP3_EXPECT_STATUS, why, &ev);
    if (c->failed != POP3_OK)
        return st;
    if (st == POP3_OK) /* +OK to a cancelled login: not a server to trust */
        return pop3__fail(c, POP3_E_PROTOCOL);
    return why;
}

/*
 * One AUTH exchange, driven by the codec (sasl_codec.c holds the rules:
 * the initial response on the AUTH line or after an empty challenge,
 * strict base64, the bound on rounds, the checks on +OK).  This moves
 * its lines to the server and the server's replies to it.  *retry is set
 * when the codec says the two-step form should be tried.
 */
static pop3_status exchange(pop3_client *c, pop3_codec_sasl *x,
                            int allow_ir, int *retry)
{
    const char *line = NULL, *detail;
    size_t len = 0;
    pop3_status st, err = pop3__auth_err(c);
    pop3_event ev;

    *retry = 0;
    st = pop3_codec_sasl_start(x, allow_ir, &line, &len);
    if (st == POP3_OK) /* else nothing was sent */
        st = send_auth(c, x, line, len);
    while (st == POP3_OK) {
        st = pop3__reply(c, POP3_EXPECT_STATUS_CONT, err, &ev);
        if (c->failed != POP3_OK)
            break;
        if (ev.reply == POP3_REPLY_ERR) {
            *retry = pop3_codec_sasl_retry(x, c->code);
            break; /* st is the -ERR's status */
        }
        if (ev.reply == POP3_REPLY_OK) {
            st = pop3_codec_sasl_finish(x);
            if (st != POP3_OK) {
                pop3__detail(c, pop3_sasl_codec_refusal(x, st));
                st = pop3__fail(c, st);
            }
            break;
        }
        /* A "+ " challenge. */
        st = pop3_codec_sasl_step(x, ev.text, ev.text_len, &line, &len);
        if (st == POP3_OK)
            st = send_codec_line(c, line, len, "****");
        else if (line != NULL) /* e.g. SCRAM's e=: the server gave up */
            st = cancel(c, line, len, st);
        else /* malformed, or a wrong server signature */
            st = pop3__fail(c, st);
    }
    detail = pop3_codec_sasl_detail(x);
    if (detail[0] != '\0')
        pop3__detail(c, detail);
    return st;
}

/* AUTH with m after pop3__begin (the codec checks the arguments before
 * anything is sent); a token mechanism whose one-step form is refused
 * tries the two-step form once. */
static pop3_status sasl_login(pop3_client *c, const pop3_sasl_mech *m,
                              const char *user, const char *secret)
{
    pop3_codec_sasl *x = NULL;
    const char *host =
        c->opts.server_name != NULL ? c->opts.server_name : c->host;
    pop3_status st =
        pop3_codec_sasl_new(m->name, user, secret, host, c->port, &x);
    int retry = 0, attempt;

    if (st != POP3_OK)
        return st;
    c->auth_used = m->name;
    for (attempt = 0; attempt < 2; attempt++) {
        st = exchange(c, x, attempt == 0, &retry);
        if (!retry || c->failed != POP3_OK)
            break;
    }
    pop3_codec_sasl_free(x);
    return st == POP3_OK ? pop3__logged_in(c, m->name) : st;
}

pop3_status pop3_auth(pop3_client *c, const char *mechanism,
                      const char *user, const char *secret)
{
    const pop3_sasl_mech *m;
    pop3_status st;

    if (c == NULL)
        return POP3_E_ARG;
    st = pop3__begin(c, POP3_IN_AUTH);
    if (st == POP3_OK && mechanism == NULL)
        st = POP3_E_ARG;
    if (st == POP3_OK && (m = pop3_sasl_find(mechanism)) == NULL) {
        pop3__detail(c, "no such SASL mechanism in this library");
        st = POP3_E_UNSUPPORTED;
    }
    if (st == POP3_OK)
        st = sasl_login(c, m, user, secret);
    return pop3__done(c, st);
}

/* The strongest SASL mechanism both sides allow, among those that do
 * (reveals) or do not reveal the secret; NULL when there is none. */
static const pop3_sasl_mech *pick_sasl(const pop3_client *c,
                                       unsigned int allowed, int reveals)
{
    size_t i;

    for (i = 0; pop3_sasl_ranked[i] != NULL; i++) {
        const pop3_sasl_mech *m = pop3_sasl_ranked[i];
        if ((allowed & m->method) &&
            !(m->flags & POP3_SASL_REVEALS) == !reveals &&
            pop3_capa_has_word(&c->capa, "SASL", m->name))
            return m;
    }
    return NULL;
}

/*
 * The automatic choice (see pop3_authenticate in pop3.h): SASL that keeps
 * the secret off the wire, then SASL that sends it, then APOP, then
 * USER/PASS.  Without TLS, APOP moves ahead of the SASL mechanisms that
 * send the secret: hashed beats readable.
 */
static pop3_status choose(pop3_client *c, const char *user,
                          const char *secret)
{
    unsigned int allowed =
        c->opts.auth_methods ? c->opts.auth_methods : DEFAULT_METHODS;
    int secure = pop3_tls_active(&c->tp);
    /* Revealing the secret is fine under TLS, and where the caller chose
     * cleartext: by name (POP3_TLS_NONE) or with opts.allow_cleartext.
     * Not where STLS_IF_OFFERED found no STLS -- an attacker can strip it
     * from CAPA. */
    int cleartext_ok = secure || c->opts.tls == POP3_TLS_NONE ||
                       c->opts.allow_cleartext;
    /* Only a greeting timestamp that passed the msg-id check is kept. */
    int apop = (allowed & POP3_AUTH_APOP) && c->stamp[0] != '\0';
    const pop3_sasl_mech *m = pick_sasl(c, allowed, 0);
    int held_back = 0; /* a method skipped only for want of TLS */

    if (m != NULL)
        return sasl_login(c, m, user, secret);
    if (apop && !secure)
        return pop3__apop(c, user, secret);
    m = pick_sasl(c, allowed, 1);
    if (m != NULL && cleartext_ok)
        return sasl_login(c, m, user, secret);
    held_back = m != NULL;
    if (apop)
        return pop3__apop(c, user, secret);
    /* RFC 2449 6.3: USER is listed when USER/PASS works; a server
     * without CAPA predates that, so it is assumed. */
    if ((allowed & POP3_AUTH_USER) &&
        (c->capa_known != POP3_CAPA_LISTED ||
         pop3_capa_find(&c->capa, "USER") != NULL)) {
        if (cleartext_ok)
            return pop3__user_pass(c, user, secret);
        held_back = 1;
    }
    pop3__detail(c, held_back
                        ? "no login method left that keeps the password "
                          "off a connection without TLS (see "
                          "opts.allow_cleartext)"
                        : "no login method that both sides allow");
    return POP3_E_AUTH_UNAVAILABLE;
}

pop3_status pop3_authenticate(pop3_client *c, const char *user,
                              const char *secret)
{
    pop3_status st;

    if (c == NULL)
        return POP3_E_ARG;
    st = pop3__begin(c, POP3_IN_AUTH);
    if (st == POP3_OK && (user == NULL || secret == NULL))
        st = POP3_E_ARG;
    if (st == POP3_OK && c->capa_known == POP3_CAPA_UNKNOWN) {
        st = pop3__capa_fetch(c);
        if (c->failed == POP3_OK)
            st = POP3_OK; /* -ERR: an RFC 1939 server, no SASL */
    }
    if (st == POP3_OK)
        st = choose(c, user, secret);
    return pop3__done(c, st);
}

const char *pop3_auth_used(const pop3_client *c)
{
    return c != NULL ? c->auth_used : NULL;
}
