/*
 * pop3_codec_sasl: the SASL exchange's rules in one place (RFC 5034 4),
 * for every client: the blocking one (sasl.c moves its lines over the
 * session) and the callers that move the bytes themselves (pop3.aio,
 * pop3.cosocket).  The initial response on the AUTH line only when the
 * line stays within 255 octets, else after an empty first challenge;
 * strict base64; a bounded number of rounds; "*" to cancel; SCRAM's +OK
 * counts only after the server's proof; the token mechanisms' retry.
 * What the caller gets are whole lines to write, CRLF included.
 */
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "sasl.h"
#include "secbuf.h"

#define MAX_ROUNDS 8     /* no mechanism here needs more challenges */
#define MAX_COMMAND 255  /* RFC 2449 4, CRLF included */

struct pop3_codec_sasl {
    pop3_sasl s;
    char *user, *secret, *host; /* OWNED copies, wiped on free */
    unsigned int port;
    pop3_secbuf ir;             /* the initial response, raw */
    pop3_secbuf msg;            /* the last message, raw */
    pop3_secbuf line;           /* the last line handed out */
    int pending;                /* ir still to go, after an empty challenge */
    int ir_on_line;             /* the AUTH line carried it */
    unsigned int rounds;        /* challenges answered since start */
    unsigned int starts;
    pop3_status failed;         /* the exchange's failure, until start */
};

static char *dup_secret(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);

    if (p != NULL)
        memcpy(p, s, n);
    return p;
}

static void free_secret(char *s)
{
    if (s != NULL) {
        pop3_secbuf wipe = {0}; /* wipe through a path the optimiser keeps */
        wipe.data = (unsigned char *)s;
        wipe.len = wipe.cap = strlen(s) + 1;
        pop3_secbuf_free(&wipe);
    }
}

void pop3_codec_sasl_free(pop3_codec_sasl *x)
{
    if (x == NULL)
        return;
    pop3_sasl_clear(&x->s);
    free_secret(x->user);
    free_secret(x->secret);
    free_secret(x->host);
    pop3_secbuf_free(&x->ir);
    pop3_secbuf_free(&x->msg);
    pop3_secbuf_free(&x->line);
    free(x);
}

pop3_status pop3_codec_sasl_new(const char *mechanism, const char *user,
                                const char *secret, const char *host,
                                unsigned int port, pop3_codec_sasl **out)
{
    const pop3_sasl_mech *m;
    pop3_codec_sasl *x;

    if (out == NULL)
        return POP3_E_ARG;
    *out = NULL;
    if (mechanism == NULL || user == NULL || secret == NULL ||
        *secret == '\0' || strlen(user) > POP3_SASL_MAX_USER ||
        strlen(secret) > POP3_SASL_MAX_SECRET || port > 65535)
        return POP3_E_ARG;
    m = pop3_sasl_find(mechanism);
    if (m == NULL)
        return POP3_E_UNSUPPORTED;
    if (*user == '\0' && m != &pop3_sasl_oauthbearer)
        return POP3_E_ARG;
    x = calloc(1, sizeof *x);
    if (x == NULL)
        return POP3_E_NOMEM;
    x->user = dup_secret(user);
    x->secret = dup_secret(secret);
    x->host = host != NULL && *host != '\0' ? dup_secret(host) : NULL;
    if (x->user == NULL || x->secret == NULL ||
        (host != NULL && *host != '\0' && x->host == NULL)) {
        pop3_codec_sasl_free(x);
        return POP3_E_NOMEM;
    }
    x->port = port;
    pop3_sasl_init(&x->s, m, x->user, x->secret);
    *out = x;
    return POP3_OK;
}

/* x->line = base64(raw) CRLF; an empty message is an empty line. */
static pop3_status b64_line(pop3_codec_sasl *x, const pop3_secbuf *raw,
                            const char **data_out, size_t *len_out)
{
    size_t n = pop3_b64_encoded_len(raw->len);
    char *p;

    pop3_secbuf_reset(&x->line);
    p = (char *)pop3_secbuf_extend(&x->line, n + 3);
    if (p == NULL || pop3_b64_encode(raw->data, raw->len, p, n + 1) != 0)
        return POP3_E_NOMEM;
    memcpy(p + n, "\r\n", 3);
    x->line.len = n + 2;
    *data_out = p;
    *len_out = n + 2;
    return POP3_OK;
}

/* The AUTH line of a fresh exchange; start() latches its failure. */
static pop3_status start_line(pop3_codec_sasl *x, int initial_response,
                              const char **data_out, size_t *len_out)
{
    const pop3_sasl_mech *m = x->s.mech;
    size_t name, b64;
    pop3_status st;
    char *p;

    /* A fresh exchange (a retry starts over). */
    pop3_sasl_clear(&x->s);
    pop3_sasl_init(&x->s, m, x->user, x->secret);
    x->s.host = x->host;
    x->s.port = x->port;
    pop3_secbuf_reset(&x->ir);
    x->pending = x->ir_on_line = 0;
    x->rounds = 0;
    x->failed = POP3_OK;
    x->starts++;
    if (m->flags & POP3_SASL_CLIENT_FIRST) {
        st = pop3_sasl_step(&x->s, NULL, 0, &x->ir);
        if (st != POP3_OK)
            return st; /* e.g. a token with a control character */
    }
    name = strlen(m->name);
    b64 = pop3_b64_encoded_len(x->ir.len);
    pop3_secbuf_reset(&x->line);
    p = (char *)pop3_secbuf_extend(&x->line, 5 + name + 1 + b64 + 4);
    if (p == NULL)
        return POP3_E_NOMEM;
    memcpy(p, "AUTH ", 5);
    memcpy(p + 5, m->name, name);
    x->line.len = 5 + name;
    if ((m->flags & POP3_SASL_CLIENT_FIRST) && initial_response &&
        x->line.len + 1 + (b64 ? b64 : 1) + 2 <= MAX_COMMAND) {
        p[x->line.len++] = ' ';
        if (x->ir.len == 0)
            p[x->line.len++] = '=';
        else if (pop3_b64_encode(x->ir.data, x->ir.len, p + x->line.len,
                                 b64 + 1) == 0)
            x->line.len += b64;
        else
            return POP3_E_NOMEM;
        x->ir_on_line = 1;
    } else {
        x->pending = (m->flags & POP3_SASL_CLIENT_FIRST) != 0;
    }
    memcpy(p + x->line.len, "\r\n", 3);
    x->line.len += 2;
    *data_out = p;
    *len_out = x->line.len;
    return POP3_OK;
}

pop3_status pop3_codec_sasl_start(pop3_codec_sasl *x, int initial_response,
                                  const char **data_out, size_t *len_out)
{
    pop3_status st;

    if (x == NULL || data_out == NULL || len_out == NULL)
        return POP3_E_ARG;
    *data_out = NULL;
    *len_out = 0;
    /* A start that fails leaves nothing to send: step() and finish() must
     * not carry on an exchange whose AUTH line never went out. */
    st = start_line(x, initial_response, data_out, len_out);
    if (st != POP3_OK) {
        x->failed = st;
        *data_out = NULL;
        *len_out = 0;
    }
    return st;
}

static pop3_status step(pop3_codec_sasl *x, const char *challenge,
                        size_t challenge_len, const char **data_out,
                        size_t *len_out)
{
    unsigned char *chal;
    size_t len = 0, cap;
    pop3_status st;

    cap = challenge_len / 4 * 3 + 1;
    chal = malloc(cap);
    if (chal == NULL)
        return POP3_E_NOMEM;
    if (x->rounds >= MAX_ROUNDS ||
        pop3_b64_decode(challenge != NULL ? challenge : "", challenge_len,
                        chal, cap, &len) != 0 ||
        (x->pending && len != 0)) {
        free(chal);
        pop3_sasl_note(&x->s, "malformed SASL challenge", NULL, 0);
        return POP3_E_PROTOCOL;
    }
    x->rounds++;
    if (x->pending) { /* the two-step form: now the first message */
        free(chal);
        x->pending = 0;
        return b64_line(x, &x->ir, data_out, len_out);
    }
    st = pop3_sasl_step(&x->s, chal, len, &x->msg);
    free(chal);
    if (st == POP3_OK)
        return b64_line(x, &x->msg, data_out, len_out);
    if (st == POP3_E_PROTOCOL && x->s.detail[0] == '\0')
        pop3_sasl_note(&x->s, "malformed SASL challenge", NULL, 0);
    if (st == POP3_E_AUTH_SERVER && x->s.detail[0] == '\0')
        pop3_sasl_note(&x->s, "wrong server signature: the server does not "
                              "know the password", NULL, 0);
    return st;
}

pop3_status pop3_codec_sasl_step(pop3_codec_sasl *x, const char *challenge,
                                 size_t challenge_len,
                                 const char **data_out, size_t *len_out)
{
    pop3_status st;

    if (x == NULL || data_out == NULL || len_out == NULL ||
        (challenge == NULL && challenge_len > 0))
        return POP3_E_ARG;
    *data_out = NULL;
    *len_out = 0;
    if (x->starts == 0)
        return POP3_E_STATE;
    /* A failed exchange stays failed: nothing more to send for it. */
    if (x->failed != POP3_OK)
        return x->failed;
    st = step(x, challenge, challenge_len, data_out, len_out);
    if (st == POP3_OK)
        return st;
    x->failed = st;
    if (st == POP3_E_PROTOCOL || st == POP3_E_AUTH_SERVER) {
        *data_out = NULL; /* the session is to be dropped */
        *len_out = 0;
    } else {
        /* The exchange cannot go on (SCRAM's e=, out of memory, ...)
         * and the server waits for an answer: cancel it. */
        *data_out = "*\r\n";
        *len_out = 3;
    }
    return st;
}

pop3_status pop3_codec_sasl_finish(const pop3_codec_sasl *x)
{
    if (x == NULL || x->starts == 0)
        return POP3_E_ARG;
    if (x->failed != POP3_OK)
        return x->failed;
    if (x->pending)
        return POP3_E_PROTOCOL; /* +OK before the client spoke */
    if (x->s.server_error)
        return POP3_E_PROTOCOL; /* +OK after an error challenge */
    return pop3_sasl_finish(&x->s);
}

const char *pop3_sasl_codec_refusal(const pop3_codec_sasl *x,
                                    pop3_status st)
{
    if (st == POP3_E_AUTH_SERVER)
        return "the server did not prove that it knows the password";
    if (x != NULL && x->failed == POP3_OK && x->pending)
        return "+OK before the client's first SASL message";
    return "+OK after an error challenge";
}

int pop3_codec_sasl_retry(const pop3_codec_sasl *x, const char *resp_code)
{
    /* A token mechanism whose one-step AUTH got a plain -ERR at once may
     * try the two-step form, once (Office 365 wants it). */
    return x != NULL && x->ir_on_line && x->rounds == 0 && x->starts == 1 &&
           (x->s.mech->flags & POP3_SASL_TOKEN) &&
           (resp_code == NULL || *resp_code == '\0');
}

const char *pop3_codec_sasl_name(const pop3_codec_sasl *x)
{
    return x != NULL ? x->s.mech->name : NULL;
}

const char *pop3_codec_sasl_detail(const pop3_codec_sasl *x)
{
    return x != NULL ? x->s.detail : "";
}
