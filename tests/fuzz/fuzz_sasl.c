/*
 * Fuzz target: the SASL challenge decoders.  Byte 0 picks what is
 * fuzzed: the strict base64 decoder (anything accepted must re-encode
 * to exactly the input: one canonical form) or one mechanism's steps
 * (CRAM-MD5, SCRAM-SHA-1/256 server-first and server-final, LOGIN,
 * PLAIN, XOAUTH2 and OAUTHBEARER error challenges).  For a mechanism,
 * the rest is a series of challenges, each prefixed by a 2-byte length;
 * each is fed to the next step until one fails.
 */
#include "base64.h"
#include "sasl.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_base64(const uint8_t *data, size_t size)
{
    size_t cap = size / 4 * 3 + 3, len;
    unsigned char *out = malloc(cap);
    char *back = NULL;

    if (out == NULL)
        return;
    if (pop3_b64_decode((const char *)data, size, out, cap, &len) == 0) {
        back = malloc(pop3_b64_encoded_len(len) + 1);
        if (back == NULL)
            goto out;
        if (len > size / 4 * 3 ||
            pop3_b64_encode(out, len, back, pop3_b64_encoded_len(len) + 1)
                != 0 ||
            strlen(back) != size || memcmp(back, data, size) != 0)
            abort();
    }
out:
    free(out);
    free(back);
}

static void check_cram(const pop3_secbuf *b)
{
    size_t i;
    /* "user" SP 32 lowercase hex digits. */
    if (b->len != 5 + 32 || memcmp(b->data, "user ", 5) != 0)
        abort();
    for (i = 5; i < b->len; i++)
        if (!((b->data[i] >= '0' && b->data[i] <= '9') ||
              (b->data[i] >= 'a' && b->data[i] <= 'f')))
            abort();
}

static void fuzz_mech(const pop3_sasl_mech *m, const uint8_t *data,
                      size_t size)
{
    pop3_sasl s;
    pop3_secbuf out;
    pop3_status st = POP3_OK;
    size_t pos = 0;
    int steps = 0;

    memset(&out, 0, sizeof out);
    pop3_sasl_init(&s, m, "user", "secret");
    s.nonce = "fyko+d2lbbFgONRv9qkxdawL"; /* SCRAM: a fixed client nonce */
    s.host = "localhost";
    s.port = 110;
    if (m->flags & POP3_SASL_CLIENT_FIRST)
        st = pop3_sasl_step(&s, NULL, 0, &out);
    while (st == POP3_OK && pos + 2 <= size && steps++ < 4) {
        size_t n = ((size_t)data[pos] << 8) | data[pos + 1];
        pos += 2;
        if (n > size - pos)
            n = size - pos;
        pop3_secbuf_reset(&out);
        st = pop3_sasl_step(&s, data + pos, n, &out);
        if (st == POP3_OK && m == &pop3_sasl_cram_md5)
            check_cram(&out);
        if (st == POP3_OK && out.len > POP3_SECBUF_MAX)
            abort();
        pos += n;
    }
    if (st == POP3_OK)
        (void)pop3_sasl_finish(&s);
    if (memchr(s.detail, '\0', sizeof s.detail) == NULL)
        abort(); /* the error text is always terminated */
    pop3_secbuf_free(&out);
    pop3_sasl_clear(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const pop3_sasl_mech *const mechs[] = {
        &pop3_sasl_cram_md5, &pop3_sasl_scram_sha1, &pop3_sasl_scram_sha256,
        &pop3_sasl_login, &pop3_sasl_plain, &pop3_sasl_xoauth2,
        &pop3_sasl_oauthbearer};
    unsigned int pick;

    if (size < 1)
        return 0;
    pick = data[0] % 8;
    if (pick == 0)
        fuzz_base64(data + 1, size - 1);
    else
        fuzz_mech(mechs[pick - 1], data + 1, size - 1);
    return 0;
}
