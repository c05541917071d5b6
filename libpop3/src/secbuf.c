/* Wiped-on-release buffers.  No realloc: it could leave a copy of a
 * secret behind in memory it frees without wiping. */
#include "secbuf.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

/* Make room for n more bytes and the NUL.  0, or -1 (unchanged). */
static int grow(pop3_secbuf *b, size_t n)
{
    size_t cap = b->cap ? b->cap : 256;
    unsigned char *grown;

    if (n > POP3_SECBUF_MAX || b->len > POP3_SECBUF_MAX - n)
        return -1;
    if (b->len + n + 1 <= b->cap)
        return 0;
    while (cap < b->len + n + 1)
        cap *= 2;
    grown = malloc(cap);
    if (grown == NULL)
        return -1;
    if (b->data != NULL) {
        memcpy(grown, b->data, b->len);
        OPENSSL_cleanse(b->data, b->cap);
        free(b->data);
    }
    b->data = grown;
    b->cap = cap;
    return 0;
}

unsigned char *pop3_secbuf_extend(pop3_secbuf *b, size_t n)
{
    unsigned char *at;

    if (grow(b, n) != 0)
        return NULL;
    at = b->data + b->len;
    memset(at, 0, n + 1);
    b->len += n;
    return at;
}

int pop3_secbuf_add(pop3_secbuf *b, const void *p, size_t n)
{
    unsigned char *at = pop3_secbuf_extend(b, n);

    if (at == NULL)
        return -1;
    if (n > 0)
        memcpy(at, p, n);
    return 0;
}

int pop3_secbuf_adds(pop3_secbuf *b, const char *s)
{
    return pop3_secbuf_add(b, s, strlen(s));
}

void pop3_secbuf_reset(pop3_secbuf *b)
{
    if (b->data != NULL) {
        OPENSSL_cleanse(b->data, b->cap);
        b->data[0] = '\0';
    }
    b->len = 0;
}

void pop3_secbuf_free(pop3_secbuf *b)
{
    if (b->data != NULL) {
        OPENSSL_cleanse(b->data, b->cap);
        free(b->data);
    }
    b->data = NULL;
    b->len = b->cap = 0;
}
