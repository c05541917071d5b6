/* The APOP digest (RFC 1939 7): MD5 over timestamp then secret, via EVP
 * since the MD5_* calls are deprecated in OpenSSL 3. */
#include "pop3/pop3.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <string.h>

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
