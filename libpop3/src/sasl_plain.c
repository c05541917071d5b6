/* The mechanisms that send the secret itself: PLAIN (RFC 4616) and LOGIN
 * (draft-murchison-sasl-login).  Only over TLS, or when the caller allows
 * cleartext (see pop3_authenticate). */
#include "sasl.h"

static pop3_status plain_step(pop3_sasl *s, const unsigned char *in,
                              size_t len, pop3_secbuf *out)
{
    static const char nul = '\0';

    /* Client-first: the one message is the initial response, or the
     * answer to the server's empty challenge (RFC 4616 2).  Anything
     * else from the server is not PLAIN. */
    if (s->steps > 0 || (in != NULL && len != 0))
        return POP3_E_PROTOCOL;
    /* message = [authzid] UTF8NUL authcid UTF8NUL passwd */
    if ((s->authzid != NULL && pop3_secbuf_adds(out, s->authzid) != 0) ||
        pop3_secbuf_add(out, &nul, 1) != 0 ||
        pop3_secbuf_adds(out, s->user) != 0 ||
        pop3_secbuf_add(out, &nul, 1) != 0 ||
        pop3_secbuf_adds(out, s->secret) != 0)
        return POP3_E_NOMEM;
    return POP3_OK;
}

const pop3_sasl_mech pop3_sasl_plain = {
    "PLAIN", POP3_AUTH_PLAIN, POP3_SASL_CLIENT_FIRST | POP3_SASL_REVEALS,
    plain_step};

static pop3_status login_step(pop3_sasl *s, const unsigned char *in,
                              size_t len, pop3_secbuf *out)
{
    (void)len;
    /* Two prompts ("Username:", "Password:" in practice; their text is
     * not standard, so only their number counts). */
    if (in == NULL || s->steps > 1)
        return POP3_E_PROTOCOL;
    if (pop3_secbuf_adds(out, s->steps == 0 ? s->user : s->secret) != 0)
        return POP3_E_NOMEM;
    return POP3_OK;
}

const pop3_sasl_mech pop3_sasl_login = {"LOGIN", POP3_AUTH_LOGIN,
                                        POP3_SASL_REVEALS, login_step};
