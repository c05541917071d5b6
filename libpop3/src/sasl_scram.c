/*
 * SCRAM-SHA-1 (RFC 5802) and SCRAM-SHA-256 (RFC 7677), without channel
 * binding ("n,,").  The client proves it knows the password without
 * sending it, and the server proves it knows it too: the +OK counts only
 * after the server's signature checked out (pop3_sasl_finish).
 *
 * Step 0: client-first = "n,," client-first-bare
 *         client-first-bare = "n=" saslname ",r=" c-nonce
 * Step 1: server-first = "r=" c-nonce s-nonce ",s=" salt ",i=" count
 *         -> client-final = "c=biws,r=" nonce ",p=" proof
 * Step 2: server-final = "v=" signature -> empty response
 */
#include "sasl.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <string.h>

#include "base64.h"

/* Iteration counts outside these bounds are refused: below, a man in the
 * middle could make the proof cheap to attack offline (RFC 7677 4 asks
 * for 4096 at least); above, a hostile server could pin the CPU. */
#define SCRAM_MIN_ITER 4096
#define SCRAM_MAX_ITER 1000000
#define SCRAM_MAX_SALT 256
#define SCRAM_MAX_NONCE 256

static const EVP_MD *scram_md(const pop3_sasl *s)
{
    return s->mech->method == POP3_AUTH_SCRAM_SHA_1 ? EVP_sha1()
                                                    : EVP_sha256();
}

static pop3_status client_first(pop3_sasl *s, pop3_secbuf *out)
{
    unsigned char raw[18];
    char nonce[32];

    if (s->nonce != NULL) {
        if (strlen(s->nonce) >= sizeof nonce)
            return POP3_E_ARG;
        strcpy(nonce, s->nonce);
    } else {
        /* 18 random bytes: 24 base64 characters, none of them ",". */
        if (RAND_bytes(raw, sizeof raw) != 1 ||
            pop3_b64_encode(raw, sizeof raw, nonce, sizeof nonce) != 0)
            return POP3_E_UNSUPPORTED;
    }
    if (pop3_secbuf_adds(&s->first_bare, "n=") != 0 ||
        pop3_sasl_add_saslname(&s->first_bare, s->user) != 0 ||
        pop3_secbuf_adds(&s->first_bare, ",r=") != 0 ||
        pop3_secbuf_adds(&s->first_bare, nonce) != 0 ||
        pop3_secbuf_adds(out, "n,,") != 0 ||
        pop3_secbuf_add(out, s->first_bare.data, s->first_bare.len) != 0)
        return POP3_E_NOMEM;
    return POP3_OK;
}

/* The value of attribute `name` at the start of *p ("x=value,"); moves
 * *p past it.  0, or -1 when the attribute is not there. */
static int attribute(const char **p, const char *end, char name,
                     const char **value, size_t *len)
{
    const char *v, *comma;

    if (end - *p < 2 || (*p)[0] != name || (*p)[1] != '=')
        return -1;
    v = *p + 2;
    comma = memchr(v, ',', (size_t)(end - v));
    *value = v;
    *len = comma != NULL ? (size_t)(comma - v) : (size_t)(end - v);
    *p = comma != NULL ? comma + 1 : end;
    return 0;
}

/* HMAC(key, data) into out; its length in *n.  0 or -1. */
static int hmac(const EVP_MD *md, const unsigned char *key, size_t key_len,
                const void *data, size_t len, unsigned char *out,
                unsigned int *n)
{
    return HMAC(md, key, (int)key_len, data, len, out, n) != NULL ? 0 : -1;
}

static pop3_status client_final(pop3_sasl *s, const unsigned char *in,
                                size_t len, pop3_secbuf *out)
{
    const EVP_MD *md = scram_md(s);
    const char *p = (const char *)in, *end = p + len;
    const char *nonce, *salt64, *iter;
    size_t nonce_len, salt64_len, iter_len, salt_len, i;
    unsigned char salt[SCRAM_MAX_SALT], salted[EVP_MAX_MD_SIZE];
    unsigned char client_key[EVP_MAX_MD_SIZE], stored_key[EVP_MAX_MD_SIZE];
    unsigned char client_sig[EVP_MAX_MD_SIZE], server_key[EVP_MAX_MD_SIZE];
    unsigned int n = 0, mdlen = (unsigned int)EVP_MD_size(md);
    unsigned long count = 0;
    char proof64[EVP_MAX_MD_SIZE * 2];
    const char *cnonce = (const char *)s->first_bare.data;
    size_t cnonce_len;
    pop3_secbuf msg = {0}, final = {0};
    pop3_status st = POP3_E_PROTOCOL;

    /* The client nonce is what follows ",r=" in client-first-bare (the
     * escaped user name holds no ","). */
    if (cnonce == NULL || (cnonce = strstr(cnonce, ",r=")) == NULL)
        return POP3_E_PROTOCOL;
    cnonce += 3;
    cnonce_len = strlen(cnonce);

    for (i = 0; i < len; i++)
        if (in[i] < 0x21 || in[i] > 0x7e)
            return POP3_E_PROTOCOL; /* printable, no space, no NUL */
    /* "m=" would be a mandatory extension we do not know: fail. */
    if (attribute(&p, end, 'r', &nonce, &nonce_len) != 0 ||
        attribute(&p, end, 's', &salt64, &salt64_len) != 0 ||
        attribute(&p, end, 'i', &iter, &iter_len) != 0)
        return POP3_E_PROTOCOL;
    /* The server's nonce extends ours (else: a replay, or not us). */
    if (nonce_len <= cnonce_len || nonce_len > SCRAM_MAX_NONCE ||
        memcmp(nonce, cnonce, cnonce_len) != 0)
        return POP3_E_PROTOCOL;
    if (salt64_len == 0 ||
        pop3_b64_decode(salt64, salt64_len, salt, sizeof salt, &salt_len) !=
            0 ||
        salt_len == 0)
        return POP3_E_PROTOCOL;
    if (iter_len == 0 || iter_len > 7)
        return POP3_E_PROTOCOL;
    for (i = 0; i < iter_len; i++) {
        if (iter[i] < '0' || iter[i] > '9')
            return POP3_E_PROTOCOL;
        count = count * 10 + (unsigned long)(iter[i] - '0');
    }
    if (count < SCRAM_MIN_ITER || count > SCRAM_MAX_ITER)
        return POP3_E_PROTOCOL;

    /* SaltedPassword := Hi(password, salt, i) = PBKDF2 with HMAC. */
    st = POP3_E_UNSUPPORTED; /* and wipe what a failed PBKDF2 wrote */
    if (PKCS5_PBKDF2_HMAC(s->secret, (int)strlen(s->secret), salt,
                          (int)salt_len, (int)count, md, (int)mdlen,
                          salted) != 1)
        goto out;

    st = POP3_E_NOMEM;
    /* AuthMessage := client-first-bare "," server-first ","
     *                client-final-without-proof */
    if (pop3_secbuf_adds(&final, "c=biws,r=") != 0 ||
        pop3_secbuf_add(&final, nonce, nonce_len) != 0 ||
        pop3_secbuf_add(&msg, s->first_bare.data, s->first_bare.len) != 0 ||
        pop3_secbuf_adds(&msg, ",") != 0 ||
        pop3_secbuf_add(&msg, in, len) != 0 ||
        pop3_secbuf_adds(&msg, ",") != 0 ||
        pop3_secbuf_add(&msg, final.data, final.len) != 0)
        goto out;

    st = POP3_E_UNSUPPORTED;
    /* ClientKey := HMAC(SaltedPassword, "Client Key")
     * StoredKey := H(ClientKey)
     * ClientSignature := HMAC(StoredKey, AuthMessage)
     * ClientProof := ClientKey XOR ClientSignature
     * ServerKey := HMAC(SaltedPassword, "Server Key")
     * ServerSignature := HMAC(ServerKey, AuthMessage) */
    if (hmac(md, salted, mdlen, "Client Key", 10, client_key, &n) != 0 ||
        EVP_Digest(client_key, mdlen, stored_key, NULL, md, NULL) != 1 ||
        hmac(md, stored_key, mdlen, msg.data, msg.len, client_sig, &n) !=
            0 ||
        hmac(md, salted, mdlen, "Server Key", 10, server_key, &n) != 0 ||
        hmac(md, server_key, mdlen, msg.data, msg.len, s->server_sig, &n) !=
            0)
        goto out;
    s->sig_len = mdlen;
    for (i = 0; i < mdlen; i++)
        client_key[i] ^= client_sig[i]; /* now the proof */
    st = POP3_E_NOMEM;
    if (pop3_b64_encode(client_key, mdlen, proof64, sizeof proof64) != 0 ||
        pop3_secbuf_add(out, final.data, final.len) != 0 ||
        pop3_secbuf_adds(out, ",p=") != 0 ||
        pop3_secbuf_adds(out, proof64) != 0)
        goto out;
    st = POP3_OK;
out:
    OPENSSL_cleanse(salted, sizeof salted);
    OPENSSL_cleanse(client_key, sizeof client_key);
    OPENSSL_cleanse(stored_key, sizeof stored_key);
    OPENSSL_cleanse(client_sig, sizeof client_sig);
    OPENSSL_cleanse(server_key, sizeof server_key);
    OPENSSL_cleanse(proof64, sizeof proof64);
    pop3_secbuf_free(&msg);
    pop3_secbuf_free(&final);
    return st;
}

static pop3_status check_server_final(pop3_sasl *s, const unsigned char *in,
                                      size_t len)
{
    const char *p = (const char *)in, *end = p + len, *v;
    unsigned char sig[EVP_MAX_MD_SIZE + 3];
    size_t vlen, sig_len;

    if (attribute(&p, end, 'e', &v, &vlen) == 0) {
        /* server-error: the server refuses; it says why. */
        pop3_sasl_note(s, "SCRAM server error: ", (const unsigned char *)v,
                       vlen);
        s->server_error = 1;
        return POP3_E_AUTH;
    }
    if (attribute(&p, end, 'v', &v, &vlen) != 0 ||
        pop3_b64_decode(v, vlen, sig, sizeof sig, &sig_len) != 0)
        return POP3_E_PROTOCOL;
    /* Constant time: the comparison must not tell how much was right. */
    if (sig_len != s->sig_len ||
        CRYPTO_memcmp(sig, s->server_sig, sig_len) != 0)
        return POP3_E_AUTH_SERVER;
    s->server_ok = 1;
    return POP3_OK;
}

static pop3_status scram_step(pop3_sasl *s, const unsigned char *in,
                              size_t len, pop3_secbuf *out)
{
    switch (s->steps) {
    case 0:
        return in == NULL ? client_first(s, out) : POP3_E_PROTOCOL;
    case 1:
        return in != NULL ? client_final(s, in, len, out) : POP3_E_PROTOCOL;
    case 2:
        /* The answer to server-final is empty (RFC 5034 4: POP3 has no
         * "additional data with success"). */
        return in != NULL ? check_server_final(s, in, len) : POP3_E_PROTOCOL;
    default:
        return POP3_E_PROTOCOL;
    }
}

const pop3_sasl_mech pop3_sasl_scram_sha1 = {
    "SCRAM-SHA-1", POP3_AUTH_SCRAM_SHA_1,
    POP3_SASL_CLIENT_FIRST | POP3_SASL_MUTUAL, scram_step};

const pop3_sasl_mech pop3_sasl_scram_sha256 = {
    "SCRAM-SHA-256", POP3_AUTH_SCRAM_SHA_256,
    POP3_SASL_CLIENT_FIRST | POP3_SASL_MUTUAL, scram_step};
