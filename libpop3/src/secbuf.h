/*
 * A growable byte buffer for secrets (SASL messages, passwords on their
 * way to the wire): every byte is wiped before its memory is given back,
 * also when the buffer grows, and the size is bounded so a hostile
 * challenge cannot make it grow without end.
 */
#ifndef POP3_SECBUF_H
#define POP3_SECBUF_H

#include <stddef.h>

#define POP3_SECBUF_MAX (256u * 1024u)

/* A zero-filled pop3_secbuf is valid and empty. */
typedef struct pop3_secbuf {
    unsigned char *data; /* always NUL-terminated when not NULL */
    size_t len, cap;
} pop3_secbuf;

/* Append n bytes.  0 on success, -1 when out of memory or over
 * POP3_SECBUF_MAX (the buffer is then unchanged). */
int pop3_secbuf_add(pop3_secbuf *b, const void *p, size_t n);

/* Append n zero bytes; returns where they start, or NULL as above. */
unsigned char *pop3_secbuf_extend(pop3_secbuf *b, size_t n);

/* Append a C string. */
int pop3_secbuf_adds(pop3_secbuf *b, const char *s);

/* Empty the buffer, keeping (wiped) memory for reuse. */
void pop3_secbuf_reset(pop3_secbuf *b);

/* Wipe and free; the buffer is empty and valid afterwards. */
void pop3_secbuf_free(pop3_secbuf *b);

#endif /* POP3_SECBUF_H */
