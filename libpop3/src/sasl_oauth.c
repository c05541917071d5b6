/*
 * Token logins: XOAUTH2 (Google's and Microsoft's) and OAUTHBEARER
 * (RFC 7628).  The secret is an OAuth 2.0 access token, sent as it is
 * (so: over TLS).  A refused token comes back as a challenge holding a
 * JSON error; the client answers it with the dummy message each
 * mechanism defines, and the server then sends -ERR.
 */
#include "sasl.h"

#include <stdio.h>
#include <string.h>

/* A token or user that would break the message's ^A framing. */
static int framing_ok(const char *s)
{
    for (; *s != '\0'; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return 0;
    return 1;
}

/* An error challenge: keep what it says, answer with `dummy`. */
static pop3_status error_reply(pop3_sasl *s, const unsigned char *in,
                               size_t len, const char *dummy,
                               pop3_secbuf *out)
{
    if (s->steps != 1 || s->server_error)
        return POP3_E_PROTOCOL; /* one error challenge, nothing more */
    s->server_error = 1;
    pop3_sasl_note(s, "token refused: ", in, len);
    return pop3_secbuf_adds(out, dummy) == 0 ? POP3_OK : POP3_E_NOMEM;
}

/* "user=" user ^A "auth=Bearer " token ^A ^A */
static pop3_status xoauth2_step(pop3_sasl *s, const unsigned char *in,
                                size_t len, pop3_secbuf *out)
{
    if (in != NULL)
        return error_reply(s, in, len, "", out);
    if (s->steps != 0)
        return POP3_E_PROTOCOL;
    if (!framing_ok(s->user) || !framing_ok(s->secret))
        return POP3_E_ARG;
    if (pop3_secbuf_adds(out, "user=") != 0 ||
        pop3_secbuf_adds(out, s->user) != 0 ||
        pop3_secbuf_adds(out, "\001auth=Bearer ") != 0 ||
        pop3_secbuf_adds(out, s->secret) != 0 ||
        pop3_secbuf_adds(out, "\001\001") != 0)
        return POP3_E_NOMEM;
    return POP3_OK;
}

const pop3_sasl_mech pop3_sasl_xoauth2 = {
    "XOAUTH2", POP3_AUTH_XOAUTH2,
    POP3_SASL_CLIENT_FIRST | POP3_SASL_REVEALS | POP3_SASL_TOKEN,
    xoauth2_step};

/* gs2-header ^A ["host=" host ^A] ["port=" port ^A] "auth=Bearer " token
 * ^A ^A, where gs2-header = "n," ["a=" saslname] "," (RFC 7628 3.1). */
static pop3_status oauthbearer_step(pop3_sasl *s, const unsigned char *in,
                                    size_t len, pop3_secbuf *out)
{
    char port[24];
    int rc = 0;

    if (in != NULL) /* RFC 7628 3.2.3: the dummy answer is one ^A */
        return error_reply(s, in, len, "\001", out);
    if (s->steps != 0)
        return POP3_E_PROTOCOL;
    if (!framing_ok(s->user) || !framing_ok(s->secret) ||
        (s->host != NULL && !framing_ok(s->host)))
        return POP3_E_ARG;
    rc |= pop3_secbuf_adds(out, "n,");
    if (*s->user != '\0') {
        rc |= pop3_secbuf_adds(out, "a=");
        rc |= pop3_sasl_add_saslname(out, s->user);
    }
    rc |= pop3_secbuf_adds(out, ",\001");
    if (s->host != NULL) {
        rc |= pop3_secbuf_adds(out, "host=");
        rc |= pop3_secbuf_adds(out, s->host);
        rc |= pop3_secbuf_adds(out, "\001");
    }
    if (s->port != 0) {
        snprintf(port, sizeof port, "port=%u\001", s->port);
        rc |= pop3_secbuf_adds(out, port);
    }
    rc |= pop3_secbuf_adds(out, "auth=Bearer ");
    rc |= pop3_secbuf_adds(out, s->secret);
    rc |= pop3_secbuf_adds(out, "\001\001");
    return rc == 0 ? POP3_OK : POP3_E_NOMEM;
}

const pop3_sasl_mech pop3_sasl_oauthbearer = {
    "OAUTHBEARER", POP3_AUTH_OAUTHBEARER,
    POP3_SASL_CLIENT_FIRST | POP3_SASL_REVEALS | POP3_SASL_TOKEN,
    oauthbearer_step};
