/*
 * The capability list (RFC 2449 5): the lines of a CAPA reply, kept in a
 * fixed-size set and queried by tag.  Pure: fed lines, never I/O.  A
 * zero-filled set is valid and empty.
 */
#ifndef POP3_CAPA_H
#define POP3_CAPA_H

#include <stddef.h>

#define POP3_CAPA_MAX_LINES 128
#define POP3_CAPA_MAX_BYTES 8192 /* all kept lines with their NULs */

typedef struct pop3_capa_set {
    char text[POP3_CAPA_MAX_BYTES]; /* lines, each NUL-terminated */
    size_t used;
    size_t off[POP3_CAPA_MAX_LINES]; /* where each line starts in text */
    size_t count;
} pop3_capa_set;

void pop3_capa_clear(pop3_capa_set *s);

/* 1 when line[0..n) is a capability line: a tag of printable ASCII
 * without "." (RFC 2449 9: cchar), then parameters of printable ASCII
 * separated by spaces (extra spaces are tolerated).  Else 0. */
int pop3_capa_line_valid(const char *line, size_t n);

/* Keep a line.  1 when kept, 0 when malformed or the set is full (the
 * line is then left out; the reply itself is still fine). */
int pop3_capa_add(pop3_capa_set *s, const char *line, size_t n);

/* The index-th kept line, or NULL. */
const char *pop3_capa_get(const pop3_capa_set *s, size_t index);

/* The line whose tag is `tag` (ASCII case-insensitive), or NULL. */
const char *pop3_capa_find(const pop3_capa_set *s, const char *tag);

/* The arguments of `tag`: the text after the tag and its spaces, "" when
 * none, NULL when the tag is not listed. */
const char *pop3_capa_args(const pop3_capa_set *s, const char *tag);

/* 1 when `word` is one of the space-separated arguments of `tag`
 * (ASCII case-insensitive), e.g. a SASL mechanism.  Else 0. */
int pop3_capa_has_word(const pop3_capa_set *s, const char *tag,
                       const char *word);

#endif /* POP3_CAPA_H */
