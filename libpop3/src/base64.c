/* Strict base64: validate first, then let EVP do the arithmetic. */
#include "base64.h"

#include <openssl/evp.h>
#include <string.h>

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t pop3_b64_encoded_len(size_t n)
{
    return (n + 2) / 3 * 4;
}

int pop3_b64_encode(const unsigned char *in, size_t n, char *out,
                    size_t cap)
{
    if (n > POP3_B64_MAX_INPUT || cap < pop3_b64_encoded_len(n) + 1)
        return -1;
    if (n == 0) {
        out[0] = '\0';
        return 0;
    }
    /* EVP_EncodeBlock writes no line breaks and NUL-terminates. */
    return EVP_EncodeBlock((unsigned char *)out, in, (int)n) < 0 ? -1 : 0;
}

/* The 6-bit value of c, or -1. */
static int sextet(char c)
{
    const char *p = c != '\0' ? strchr(alphabet, c) : NULL;
    return p != NULL ? (int)(p - alphabet) : -1;
}

int pop3_b64_decode(const char *in, size_t n, unsigned char *out,
                    size_t cap, size_t *len_out)
{
    size_t pad = 0, i;
    int last;

    *len_out = 0;
    if (n > POP3_B64_MAX_INPUT || n % 4 != 0 || cap < n / 4 * 3)
        return -1;
    if (n == 0)
        return 0;
    if (in[n - 1] == '=')
        pad = in[n - 2] == '=' ? 2 : 1;
    for (i = 0; i < n - pad; i++)
        if (sextet(in[i]) < 0)
            return -1; /* includes a "=" before the end */
    /* Canonical form: the bits the padding leaves over must be zero, so
     * every byte string has exactly one encoding (RFC 4648 3.5). */
    last = sextet(in[n - pad - 1]);
    if ((pad == 1 && (last & 0x03) != 0) || (pad == 2 && (last & 0x0f) != 0))
        return -1;
    if (EVP_DecodeBlock(out, (const unsigned char *)in, (int)n) !=
        (int)(n / 4 * 3))
        return -1;
    *len_out = n / 4 * 3 - pad; /* EVP counts the padding as zero bytes */
    return 0;
}
