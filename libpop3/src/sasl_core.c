/* The mechanism table and the bookkeeping every exchange shares. */
#include "sasl.h"

#include <openssl/crypto.h>
#include <string.h>

#include "ascii.h"

/* Strongest first: SCRAM proves both sides and keeps the password off
 * the wire; CRAM-MD5 keeps it off the wire; the token mechanisms and
 * PLAIN/LOGIN send what they have as it is. */
const pop3_sasl_mech *const pop3_sasl_ranked[] = {
    &pop3_sasl_scram_sha256, &pop3_sasl_scram_sha1,  &pop3_sasl_cram_md5,
    &pop3_sasl_oauthbearer,  &pop3_sasl_xoauth2,     &pop3_sasl_plain,
    &pop3_sasl_login,        NULL};

const pop3_sasl_mech *pop3_sasl_find(const char *name)
{
    size_t i, n;

    if (name == NULL)
        return NULL;
    n = strlen(name);
    for (i = 0; pop3_sasl_ranked[i] != NULL; i++)
        if (strlen(pop3_sasl_ranked[i]->name) == n &&
            pop3_ascii_ncaseeq(pop3_sasl_ranked[i]->name, name, n))
            return pop3_sasl_ranked[i];
    return NULL;
}

void pop3_sasl_init(pop3_sasl *s, const pop3_sasl_mech *m, const char *user,
                    const char *secret)
{
    memset(s, 0, sizeof *s);
    s->mech = m;
    s->user = user;
    s->secret = secret;
}

pop3_status pop3_sasl_step(pop3_sasl *s, const unsigned char *in,
                           size_t len, pop3_secbuf *out)
{
    pop3_status st;

    pop3_secbuf_reset(out);
    st = s->mech->step(s, in, len, out);
    s->steps++;
    return st;
}

pop3_status pop3_sasl_finish(const pop3_sasl *s)
{
    if ((s->mech->flags & POP3_SASL_MUTUAL) && !s->server_ok)
        return POP3_E_AUTH_SERVER;
    return POP3_OK;
}

void pop3_sasl_clear(pop3_sasl *s)
{
    pop3_secbuf_free(&s->first_bare);
    OPENSSL_cleanse(s->server_sig, sizeof s->server_sig);
    s->sig_len = 0;
    s->user = s->secret = NULL;
}

int pop3_sasl_add_saslname(pop3_secbuf *b, const char *name)
{
    for (; *name != '\0'; name++) {
        int rc = *name == ',' ? pop3_secbuf_adds(b, "=2C")
                 : *name == '=' ? pop3_secbuf_adds(b, "=3D")
                                : pop3_secbuf_add(b, name, 1);
        if (rc != 0)
            return -1;
    }
    return 0;
}

void pop3_sasl_note(pop3_sasl *s, const char *what,
                    const unsigned char *text, size_t len)
{
    size_t n = strlen(what), i;

    if (n > sizeof s->detail - 1)
        n = sizeof s->detail - 1;
    memcpy(s->detail, what, n);
    /* Server text, but only what is safe to print in a log line. */
    for (i = 0; i < len && n < sizeof s->detail - 1; i++)
        s->detail[n++] = text[i] >= 0x20 && text[i] < 0x7f ? (char)text[i]
                                                           : '?';
    s->detail[n] = '\0';
}
