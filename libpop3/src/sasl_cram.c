/* CRAM-MD5 (RFC 2195): "user " + hex HMAC-MD5(secret, challenge).  The
 * secret never crosses the wire, but MD5 makes the exchange open to an
 * offline dictionary attack: SCRAM ranks above it. */
#include "sasl.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

#define MAX_CHALLENGE 1024

static pop3_status cram_step(pop3_sasl *s, const unsigned char *in,
                             size_t len, pop3_secbuf *out)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char mac[EVP_MAX_MD_SIZE];
    char digest[2 * 16 + 2];
    unsigned int mac_len = 0, i;
    size_t k;
    pop3_status st = POP3_OK;

    if (in == NULL || s->steps > 0 || len == 0 || len > MAX_CHALLENGE)
        return POP3_E_PROTOCOL;
    /* The challenge is a msg-id-like string of printable ASCII. */
    for (k = 0; k < len; k++)
        if (in[k] < 0x20 || in[k] > 0x7e)
            return POP3_E_PROTOCOL;
    /* HMAC hashes a key longer than the 64-byte block first (RFC 2104 2),
     * so any secret length is right here. */
    if (HMAC(EVP_md5(), s->secret, (int)strlen(s->secret), in, len, mac,
             &mac_len) == NULL ||
        mac_len != 16)
        return POP3_E_UNSUPPORTED;
    digest[0] = ' ';
    for (i = 0; i < mac_len; i++) {
        digest[1 + 2 * i] = hex[mac[i] >> 4];
        digest[2 + 2 * i] = hex[mac[i] & 15];
    }
    digest[1 + 2 * mac_len] = '\0';
    OPENSSL_cleanse(mac, sizeof mac);
    if (pop3_secbuf_adds(out, s->user) != 0 ||
        pop3_secbuf_adds(out, digest) != 0)
        st = POP3_E_NOMEM;
    OPENSSL_cleanse(digest, sizeof digest);
    return st;
}

const pop3_sasl_mech pop3_sasl_cram_md5 = {"CRAM-MD5", POP3_AUTH_CRAM_MD5,
                                           0, cram_step};
