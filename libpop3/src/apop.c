/* APOP (RFC 1939 7): the greeting's timestamp, and the digest, MD5 over
 * timestamp then secret, via EVP since the MD5_* calls are deprecated in
 * OpenSSL 3. */
#include "pop3/pop3.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <string.h>

/*
 * RFC 1939 7: the APOP timestamp is a msg-id, "<" local "@" domain ">".
 * Only a well-formed one counts (CVE-2007-1558: a client that accepts any
 * text lets a man in the middle choose what the password is hashed with).
 * A linear scan, so no input can make it slow.
 */
pop3_status pop3_apop_stamp(const char *greeting, const char **data_out,
                            size_t *len_out)
{
    const char *open, *p;
    size_t ats = 0, n;

    if (data_out == NULL || len_out == NULL)
        return POP3_E_ARG;
    *data_out = NULL;
    *len_out = 0;
    if (greeting == NULL)
        return POP3_E_ARG;
    open = strchr(greeting, '<');
    if (open == NULL)
        return POP3_OK;
    for (p = open + 1; *p != '\0' && *p != '>'; p++) {
        if ((unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e ||
            *p == '<')
            return POP3_OK;
        if (*p == '@')
            ats++;
    }
    n = (size_t)(p - open) + 1;
    if (*p != '>' || ats != 1 || open[1] == '@' || p[-1] == '@' || n > 255)
        return POP3_OK;
    *data_out = open;
    *len_out = n;
    return POP3_OK;
}

pop3_status pop3_apop_digest(const char *timestamp, const char *secret,
                             char *hex_out)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0, i;
    EVP_MD_CTX *ctx;
    int ok;

    if (timestamp == NULL || secret == NULL || hex_out == NULL)
        return POP3_E_ARG;
    ctx = EVP_MD_CTX_new();
    if (ctx == NULL)
        return POP3_E_NOMEM;
    ok = EVP_DigestInit_ex(ctx, EVP_md5(), NULL) &&
         EVP_DigestUpdate(ctx, timestamp, strlen(timestamp)) &&
         EVP_DigestUpdate(ctx, secret, strlen(secret)) &&
         EVP_DigestFinal_ex(ctx, md, &len) && len == 16;
    EVP_MD_CTX_free(ctx);
    if (!ok) { /* e.g. MD5 disabled by a FIPS policy */
        OPENSSL_cleanse(md, sizeof md);
        return POP3_E_UNSUPPORTED;
    }
    for (i = 0; i < len; i++) {
        hex_out[2 * i] = hex[md[i] >> 4];
        hex_out[2 * i + 1] = hex[md[i] & 15];
    }
    hex_out[2 * len] = '\0';
    OPENSSL_cleanse(md, sizeof md); /* a password equivalent */
    return POP3_OK;
}
