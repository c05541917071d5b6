/* ASCII-only case folding: protocol keywords must not depend on the
 * caller's locale (strcasecmp follows it). */
#ifndef POP3_ASCII_H
#define POP3_ASCII_H

#include <stddef.h>

static inline char pop3_ascii_lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* 1 when a[0..n) and b[0..n) are equal ignoring ASCII case. */
static inline int pop3_ascii_ncaseeq(const char *a, const char *b, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (pop3_ascii_lower(a[i]) != pop3_ascii_lower(b[i]))
            return 0;
    return 1;
}

#endif /* POP3_ASCII_H */
