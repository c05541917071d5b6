/*
 * The session extensions that are commands of their own: CAPA (RFC 2449),
 * STLS (RFC 2595) and UTF8 (RFC 6856), and the TLS handshake they share
 * with implicit TLS.
 */
#include "client.h"

#include <string.h>

/* ---- CAPA -------------------------------------------------------------- */

pop3_status pop3__capa_fetch(pop3_client *c)
{
    pop3_status st = pop3__send(c, "CAPA", NULL, NULL, POP3_MASK_NONE);

    if (st != POP3_OK) {
        pop3_capa_clear(&c->capa);
        c->capa_known = POP3_CAPA_UNKNOWN;
        return st;
    }
    return pop3__capa_read(c);
}

pop3_status pop3__capa_read(pop3_client *c)
{
    pop3_event ev;
    pop3_status st;

    pop3_capa_clear(&c->capa);
    c->capa_known = POP3_CAPA_UNKNOWN;
    st = pop3__reply(c, POP3_EXPECT_STATUS_LINES, POP3_E_SERVER, &ev);
    if (st != POP3_OK) {
        if (c->failed == POP3_OK)
            c->capa_known = POP3_CAPA_REFUSED; /* RFC 1939 only */
        return st;
    }
    /* Read the whole list here: nothing else may be sent before its end.
     * A malformed line is left out; the framing is still sound. */
    for (;;) {
        st = pop3__event(c, &ev);
        if (st != POP3_OK)
            return st;
        if (ev.type == POP3_EV_END)
            break;
        if (ev.type != POP3_EV_LINE)
            return pop3__fail(c, POP3_E_PROTOCOL);
        pop3_capa_add(&c->capa, ev.text, ev.text_len);
    }
    c->capa_known = POP3_CAPA_LISTED;
    return POP3_OK;
}

pop3_status pop3_capa(pop3_client *c)
{
    pop3_status st;

    if (c == NULL)
        return POP3_E_ARG;
    st = pop3__begin(c, POP3_IN_AUTH | POP3_IN_TRANS);
    if (st == POP3_OK)
        st = pop3__capa_fetch(c);
    return pop3__done(c, st);
}

int pop3_has_capa(const pop3_client *c, const char *name)
{
    return c != NULL && pop3_capa_find(&c->capa, name) != NULL;
}

const char *pop3_capa_arg(const pop3_client *c, const char *name)
{
    return c != NULL ? pop3_capa_args(&c->capa, name) : NULL;
}

int pop3_has_sasl(const pop3_client *c, const char *mechanism)
{
    return c != NULL && pop3_capa_has_word(&c->capa, "SASL", mechanism);
}

const char *pop3_capa_line(const pop3_client *c, size_t index)
{
    return c != NULL ? pop3_capa_get(&c->capa, index) : NULL;
}

/* ---- TLS --------------------------------------------------------------- */

pop3_status pop3__tls_handshake(pop3_client *c)
{
    const char *name =
        c->opts.server_name != NULL ? c->opts.server_name : c->host;
    pop3_status st = POP3_OK;

    if (c->tls == NULL)
        st = pop3_tls_config_new(&c->opts, &c->tls, c->detail,
                                 sizeof c->detail);
    if (st == POP3_OK)
        st = pop3_tls_start(&c->tp, c->tls, name, &c->deadline, c->detail,
                            sizeof c->detail);
    return st == POP3_OK ? POP3_OK : pop3__fail(c, st);
}

pop3_status pop3__stls(pop3_client *c, int required)
{
    pop3_event ev;
    pop3_status st = pop3__send(c, "STLS", NULL, NULL, POP3_MASK_NONE);

    if (st == POP3_OK)
        st = pop3__reply(c, POP3_EXPECT_STATUS, POP3_E_TLS_UNAVAILABLE, &ev);
    if (c->failed != POP3_OK)
        return st;
    if (st != POP3_OK) {
        /* -ERR: never retried (a Thunderbird loop), never followed by a
         * login in cleartext when TLS was required (curl CVE-2021-22946,
         * fetchmail CVE-2006-5867). */
        pop3__detail(c, "the server refused STLS");
        return required ? pop3__fail(c, POP3_E_TLS_UNAVAILABLE)
                        : POP3_E_TLS_UNAVAILABLE;
    }
    /* Whatever arrived with the +OK was sent before the handshake, so a
     * man in the middle may have written it; it must not be read as if
     * TLS protected it (curl CVE-2021-22947, libetpan CVE-2020-15953).
     * The session is not worth saving: end it. */
    if (c->start != c->end) {
        pop3__detail(c, "data after the +OK to STLS (response injection)");
        return pop3__fail(c, POP3_E_PROTOCOL);
    }
    st = pop3__tls_handshake(c);
    if (st != POP3_OK)
        return st;
    /* RFC 2595 4: forget what was learnt in cleartext, ask again. */
    st = pop3__capa_fetch(c);
    return c->failed != POP3_OK ? st : POP3_OK;
}

pop3_status pop3_stls(pop3_client *c)
{
    pop3_status st;

    if (c == NULL)
        return POP3_E_ARG;
    st = pop3__begin(c, POP3_IN_AUTH);
    if (st == POP3_OK && pop3_tls_active(&c->tp))
        st = POP3_E_STATE;
    if (st == POP3_OK)
        st = pop3__stls(c, 1);
    return pop3__done(c, st);
}

int pop3_is_tls(const pop3_client *c)
{
    return c != NULL && pop3_tls_active(&c->tp);
}

/* ---- UTF8 -------------------------------------------------------------- */

pop3_status pop3__utf8(pop3_client *c)
{
    pop3_status st;

    if (c->utf8)
        return POP3_OK;
    if (c->capa_known == POP3_CAPA_UNKNOWN) {
        st = pop3__capa_fetch(c);
        if (c->failed != POP3_OK)
            return st;
    }
    if (pop3_capa_find(&c->capa, "UTF8") == NULL) {
        pop3__detail(c, "the server does not offer UTF8");
        return POP3_E_UNSUPPORTED;
    }
    st = pop3__simple(c, "UTF8", NULL, NULL, POP3_E_SERVER);
    if (st == POP3_OK)
        c->utf8 = 1;
    return st;
}

pop3_status pop3_utf8(pop3_client *c)
{
    pop3_status st;

    if (c == NULL)
        return POP3_E_ARG;
    st = pop3__begin(c, POP3_IN_AUTH);
    if (st == POP3_OK)
        st = pop3__utf8(c);
    return pop3__done(c, st);
}

int pop3_is_utf8(const pop3_client *c)
{
    return c != NULL && c->utf8;
}

const char *pop3_error_detail(const pop3_client *c)
{
    return c != NULL ? c->detail : "";
}
