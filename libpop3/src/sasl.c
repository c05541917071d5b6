/*
 * SASL AUTH over the client (RFC 5034), and the automatic choice of a
 * login method.  The mechanisms (sasl_*.c) never see the wire; this file
 * does the base64, the continuation lines and the rules around them.
 *
 *   C: AUTH MECH [initial-response]      ("=" for an empty one)
 *   S: + challenge                       (base64; may repeat)
 *   C: response                          (base64; "*" cancels)
 *   S: +OK / -ERR [CODE] text
 */
#include "client.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "sasl.h"

#define MAX_ROUNDS 8 /* no mechanism here needs more challenges */

/* The methods pop3_authenticate may use when opts.auth_methods is 0:
 * every password method; tokens only when asked for. */
#define DEFAULT_METHODS                                                   \
    (POP3_AUTH_USER | POP3_AUTH_APOP | POP3_AUTH_PLAIN | POP3_AUTH_LOGIN | \
     POP3_AUTH_CRAM_MD5 | POP3_AUTH_SCRAM_SHA_1 | POP3_AUTH_SCRAM_SHA_256)

/* Send one client response line: base64 of msg, traced as "****". */
static pop3_status send_response(pop3_client *c, const pop3_secbuf *msg)
{
    size_t n = pop3_b64_encoded_len(msg->len);
    pop3_secbuf line = {0};
    char *p = (char *)pop3_secbuf_extend(&line, n + 2);
    pop3_status st = POP3_E_NOMEM;

    if (p != NULL && pop3_b64_encode(msg->data, msg->len, p, n + 3) == 0) {
        memcpy(p + n, "\r\n", 2);
        st = pop3__send_line(c, p, n + 2, "****", 4);
    }
    pop3_secbuf_free(&line);
    return st;
}

/* Cancel the exchange (RFC 5034 4: "*") and read the server's -ERR. */
static pop3_status cancel(pop3_client *c, pop3_status why)
{
    pop3_event ev;
    pop3_status st = pop3__send_line(c, "*\r\n", 3, "*", 1);

    if (st == POP3_OK)
        st = pop3__reply(c, POP3_EXPECT_STATUS, why, &ev);
    if (c->failed != POP3_OK)
        return st;
    if (st == POP3_OK) /* +OK to a cancelled login: not a server to trust */
        return pop3__fail(c, POP3_E_PROTOCOL);
    return why;
}

/*
 * One AUTH exchange.  With allow_ir, the first message goes with the
 * command if the line stays within 255 octets (RFC 5034 4); else it
 * answers the server's first, empty, challenge.  *ir_refused is set when
 * a token mechanism's one-step form got an immediate plain -ERR.
 */
static pop3_status exchange(pop3_client *c, pop3_sasl *s, int allow_ir,
                            int *ir_refused)
{
    const pop3_sasl_mech *m = s->mech;
    pop3_secbuf ir = {0}, msg = {0};
    unsigned char *chal = NULL;
    int pending = 0, ir_sent = 0, round;
    pop3_status st = POP3_OK, err = pop3__auth_err(c);
    pop3_event ev;

    *ir_refused = 0;
    if (m->flags & POP3_SASL_CLIENT_FIRST)
        st = pop3_sasl_step(s, NULL, 0, &ir);
    if (st != POP3_OK)
        goto out; /* nothing sent yet */
    if ((m->flags & POP3_SASL_CLIENT_FIRST) && allow_ir) {
        size_t b64 = pop3_b64_encoded_len(ir.len);
        /* "AUTH " name " " response CRLF */
        if (5 + strlen(m->name) + 1 + (b64 ? b64 : 1) + 2 <=
            POP3_MAX_COMMAND) {
            char arg[POP3_MAX_COMMAND];
            if (ir.len == 0)
                strcpy(arg, "=");
            else
                pop3_b64_encode(ir.data, ir.len, arg, sizeof arg);
            st = pop3__send(c, "AUTH", m->name, arg, POP3_MASK_LAST);
            /* memset could be dropped as a dead store: the initial
             * response holds the secret (PLAIN, XOAUTH2). */
            OPENSSL_cleanse(arg, sizeof arg);
            ir_sent = 1;
        }
    }
    if (!ir_sent) {
        pending = (m->flags & POP3_SASL_CLIENT_FIRST) != 0;
        st = pop3__send(c, "AUTH", m->name, NULL, POP3_MASK_NONE);
    }

    for (round = 0; st == POP3_OK; round++) {
        size_t len;

        st = pop3__reply(c, POP3_EXPECT_STATUS_CONT, err, &ev);
        if (c->failed != POP3_OK)
            break;
        if (ev.reply == POP3_REPLY_ERR) {
            *ir_refused = ir_sent && round == 0 && c->code[0] == '\0' &&
                          (m->flags & POP3_SASL_TOKEN);
            break; /* st is the -ERR's status */
        }
        if (ev.reply == POP3_REPLY_OK) {
            /* SCRAM: no +OK counts without the server's proof. */
            st = s->server_error ? POP3_E_PROTOCOL : pop3_sasl_finish(s);
            if (st != POP3_OK) {
                pop3__detail(c, st == POP3_E_AUTH_SERVER
                                    ? "the server did not prove that it "
                                      "knows the password"
                                    : "+OK after an error challenge");
                st = pop3__fail(c, st);
            }
            break;
        }
        /* A "+ " challenge: strict base64, bounded rounds. */
        free(chal);
        chal = malloc(ev.text_len / 4 * 3 + 1);
        if (chal == NULL) {
            st = cancel(c, POP3_E_NOMEM);
            break;
        }
        if (round >= MAX_ROUNDS ||
            pop3_b64_decode(ev.text, ev.text_len, chal,
                            ev.text_len / 4 * 3 + 1, &len) != 0 ||
            (pending && len != 0)) {
            pop3__detail(c, "malformed SASL challenge");
            st = pop3__fail(c, POP3_E_PROTOCOL);
            break;
        }
        if (pending) { /* the two-step form: now the first message */
            pending = 0;
            st = send_response(c, &ir);
            continue;
        }
        st = pop3_sasl_step(s, chal, len, &msg);
        if (st == POP3_E_PROTOCOL || st == POP3_E_AUTH_SERVER) {
            pop3__detail(c, st == POP3_E_PROTOCOL
                                ? "malformed SASL challenge"
                                : "wrong server signature: the server does "
                                  "not know the password");
            st = pop3__fail(c, st);
            break;
        }
        if (st != POP3_OK) { /* e.g. SCRAM's e=: the server gave up */
            st = cancel(c, st);
            break;
        }
        st = send_response(c, &msg);
    }
out:
    if (s->detail[0] != '\0')
        pop3__detail(c, s->detail);
    free(chal);
    pop3_secbuf_free(&ir);
    pop3_secbuf_free(&msg);
    return st;
}

/* Arguments every mechanism needs, checked before anything is sent. */
static pop3_status check_args(const pop3_sasl_mech *m, const char *user,
                              const char *secret)
{
    if (user == NULL || secret == NULL || *secret == '\0' ||
        strlen(user) > POP3_SASL_MAX_USER ||
        strlen(secret) > POP3_SASL_MAX_SECRET)
        return POP3_E_ARG;
    if (*user == '\0' && m != &pop3_sasl_oauthbearer)
        return POP3_E_ARG;
    return POP3_OK;
}

/* AUTH with m after pop3__begin; a token mechanism whose one-step form is
 * refused tries the two-step form once. */
static pop3_status sasl_login(pop3_client *c, const pop3_sasl_mech *m,
                              const char *user, const char *secret)
{
    pop3_sasl s;
    pop3_status st = check_args(m, user, secret);
    int refused = 0, attempt;

    if (st != POP3_OK)
        return st;
    c->auth_used = m->name;
    for (attempt = 0; attempt < 2; attempt++) {
        pop3_sasl_init(&s, m, user, secret);
        s.host = c->opts.server_name != NULL ? c->opts.server_name : c->host;
        s.port = c->port;
        st = exchange(c, &s, attempt == 0, &refused);
        pop3_sasl_clear(&s);
        if (!refused || c->failed != POP3_OK)
            break;
    }
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
