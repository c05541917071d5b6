/*
 * Fuzz target: the CAPA line checker and the capability set.  The input
 * is split into lines at LF (a CR before it is dropped, as the engine
 * does); every line is offered to the set.  A kept line must have been
 * valid, stay NUL-terminated printable ASCII inside the set's own
 * storage, and be found again by its tag; the set never overflows.
 */
#include "capa.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The tag of a kept line (up to its first space) into tag. */
static void tag_of(const char *line, char *tag, size_t cap)
{
    size_t n = strcspn(line, " ");
    if (n >= cap)
        n = cap - 1;
    memcpy(tag, line, n);
    tag[n] = '\0';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pop3_capa_set *s = calloc(1, sizeof *s); /* zero-filled: valid */
    const char *p = (const char *)data, *end = p + size;
    size_t i, kept = 0;

    if (s == NULL)
        return 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = (size_t)((nl ? nl : end) - p);
        int valid = pop3_capa_line_valid(p, n > 0 && p[n - 1] == '\r'
                                                ? n - 1 : n);
        int added = pop3_capa_add(s, p, n > 0 && p[n - 1] == '\r'
                                           ? n - 1 : n);
        if (added && !valid)
            abort();
        kept += (size_t)added;
        p += n + (nl != NULL);
    }
    if (s->count != kept || s->count > POP3_CAPA_MAX_LINES ||
        s->used > POP3_CAPA_MAX_BYTES)
        abort();
    for (i = 0; i < s->count; i++) {
        const char *line = pop3_capa_get(s, i);
        char tag[POP3_CAPA_MAX_BYTES];
        const char *c;

        if (line == NULL || line < s->text ||
            line + strlen(line) >= s->text + POP3_CAPA_MAX_BYTES)
            abort();
        for (c = line; *c != '\0'; c++)
            if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e)
                abort();
        tag_of(line, tag, sizeof tag);
        /* The first line with this tag is found, and its arguments lie
         * inside it. */
        c = pop3_capa_find(s, tag);
        if (c == NULL || pop3_capa_args(s, tag) == NULL)
            abort();
        (void)pop3_capa_has_word(s, tag, "PLAIN");
    }
    if (pop3_capa_get(s, s->count) != NULL)
        abort();
    (void)pop3_capa_find(s, "SASL");
    (void)pop3_capa_has_word(s, "SASL", "SCRAM-SHA-256");
    free(s);
    return 0;
}
