/*
 * SASL mechanisms, sans I/O: each turns the server's decoded challenge
 * into the client's next message (raw bytes; pop3_codec_sasl in
 * sasl_codec.c does the base64 and the exchange's rules, sasl.c the
 * wire).  They check every challenge and never keep a secret longer
 * than the exchange: pop3_sasl_clear wipes what they made.
 */
#ifndef POP3_SASL_H
#define POP3_SASL_H

#include <stddef.h>

#include "pop3/pop3.h"
#include "secbuf.h"

/* Mechanism flags. */
#define POP3_SASL_CLIENT_FIRST 1u /* sends an initial response */
#define POP3_SASL_REVEALS 2u      /* the secret crosses the wire readable */
#define POP3_SASL_TOKEN 4u        /* the secret is an OAuth 2.0 token */
#define POP3_SASL_MUTUAL 8u       /* +OK counts only after the server's
                                     proof (SCRAM) */

/* Limits on what callers pass (checked before anything is sent). */
#define POP3_SASL_MAX_USER 1024
#define POP3_SASL_MAX_SECRET 16384

typedef struct pop3_sasl pop3_sasl;

typedef struct pop3_sasl_mech {
    const char *name;    /* as on the wire, e.g. "SCRAM-SHA-256" */
    unsigned int method; /* its POP3_AUTH_* bit */
    unsigned int flags;  /* POP3_SASL_* */
    /* The next client message into out (empty allowed), from the server's
     * challenge in[0..len); in is NULL for the initial response of a
     * CLIENT_FIRST mechanism.  Returns POP3_OK, POP3_E_PROTOCOL (a
     * malformed or unexpected challenge), POP3_E_AUTH (the server said
     * the exchange failed: cancel it), POP3_E_AUTH_SERVER (the server's
     * proof is wrong), POP3_E_NOMEM, POP3_E_UNSUPPORTED (a digest that
     * OpenSSL refuses, e.g. MD5 under FIPS). */
    pop3_status (*step)(pop3_sasl *s, const unsigned char *in, size_t len,
                        pop3_secbuf *out);
} pop3_sasl_mech;

struct pop3_sasl {
    const pop3_sasl_mech *mech;
    const char *authzid; /* PLAIN: identity to act as; NULL: none */
    const char *user;    /* BORROWED for the exchange */
    const char *secret;  /* BORROWED for the exchange */
    const char *host;    /* OAUTHBEARER: server name and port; may be NULL */
    unsigned int port;
    const char *nonce;   /* SCRAM: fixed client nonce (tests); NULL: random */
    unsigned int steps;  /* messages made so far */
    int server_ok;       /* MUTUAL: the server's proof checked out */
    int server_error;    /* the server sent an error challenge */
    char detail[160];    /* what such a server said (printable ASCII) */
    /* SCRAM state between its two steps. */
    pop3_secbuf first_bare;  /* client-first-message-bare */
    unsigned char server_sig[64];
    size_t sig_len;
};

extern const pop3_sasl_mech pop3_sasl_plain;
extern const pop3_sasl_mech pop3_sasl_login;
extern const pop3_sasl_mech pop3_sasl_cram_md5;
extern const pop3_sasl_mech pop3_sasl_scram_sha1;
extern const pop3_sasl_mech pop3_sasl_scram_sha256;
extern const pop3_sasl_mech pop3_sasl_xoauth2;
extern const pop3_sasl_mech pop3_sasl_oauthbearer;

/* The mechanism called `name` (ASCII case-insensitive), or NULL. */
const pop3_sasl_mech *pop3_sasl_find(const char *name);

/* The mechanisms from strongest to weakest, NULL-terminated: the order
 * pop3_authenticate tries them in. */
extern const pop3_sasl_mech *const pop3_sasl_ranked[];

/* Start an exchange (user and secret are BORROWED until clear). */
void pop3_sasl_init(pop3_sasl *s, const pop3_sasl_mech *m, const char *user,
                    const char *secret);

/* The next client message: m->step, counted. */
pop3_status pop3_sasl_step(pop3_sasl *s, const unsigned char *in,
                           size_t len, pop3_secbuf *out);

/* The server said +OK: POP3_OK, or POP3_E_AUTH_SERVER when a MUTUAL
 * mechanism has not seen a valid server proof. */
pop3_status pop3_sasl_finish(const pop3_sasl *s);

/* Wipe and release the exchange's state. */
void pop3_sasl_clear(pop3_sasl *s);

/* Append `name` as a SASL saslname: "," and "=" escaped as "=2C" and
 * "=3D" (RFC 5802 5.1, RFC 7628 3.1).  0, or -1 when out of memory. */
int pop3_sasl_add_saslname(pop3_secbuf *b, const char *name);

/* Keep a server's error text in s->detail, printable ASCII only. */
void pop3_sasl_note(pop3_sasl *s, const char *what,
                    const unsigned char *text, size_t len);

/* Why pop3_codec_sasl_finish refused a +OK with `st` (its return), for
 * pop3_error_detail(): a constant string. */
const char *pop3_sasl_codec_refusal(const pop3_codec_sasl *x,
                                    pop3_status st);

#endif /* POP3_SASL_H */
