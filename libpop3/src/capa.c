/* The capability set: strict line syntax (RFC 2449 9), bounded storage,
 * lookups by tag and by argument word. */
#include "capa.h"

#include <string.h>

#include "ascii.h"

void pop3_capa_clear(pop3_capa_set *s)
{
    s->used = 0;
    s->count = 0;
}

int pop3_capa_line_valid(const char *line, size_t n)
{
    size_t i = 0;

    /* capa-tag = 1*cchar; cchar = %x21-2D / %x2F-7E ("." would be the
     * end of the list, and DEL is a control character). */
    while (i < n && line[i] != ' ') {
        unsigned char ch = (unsigned char)line[i];
        if (ch < 0x21 || ch > 0x7e || ch == '.')
            return 0;
        i++;
    }
    if (i == 0)
        return 0;
    /* *(SP param); param = 1*pchar; pchar = %x21-7E. */
    for (; i < n; i++) {
        unsigned char ch = (unsigned char)line[i];
        if (ch != ' ' && (ch < 0x21 || ch > 0x7e))
            return 0;
    }
    return 1;
}

int pop3_capa_add(pop3_capa_set *s, const char *line, size_t n)
{
    if (!pop3_capa_line_valid(line, n) || s->count == POP3_CAPA_MAX_LINES ||
        n + 1 > POP3_CAPA_MAX_BYTES - s->used)
        return 0;
    memcpy(s->text + s->used, line, n);
    s->text[s->used + n] = '\0';
    s->off[s->count++] = s->used;
    s->used += n + 1;
    return 1;
}

const char *pop3_capa_get(const pop3_capa_set *s, size_t index)
{
    return index < s->count ? s->text + s->off[index] : NULL;
}

/* Length of the tag at the start of line. */
static size_t tag_len(const char *line)
{
    const char *sp = strchr(line, ' ');
    return sp != NULL ? (size_t)(sp - line) : strlen(line);
}

const char *pop3_capa_find(const pop3_capa_set *s, const char *tag)
{
    size_t i, n;

    if (tag == NULL)
        return NULL;
    n = strlen(tag);
    for (i = 0; i < s->count; i++) {
        const char *line = s->text + s->off[i];
        if (tag_len(line) == n && pop3_ascii_ncaseeq(line, tag, n))
            return line;
    }
    return NULL;
}

const char *pop3_capa_args(const pop3_capa_set *s, const char *tag)
{
    const char *line = pop3_capa_find(s, tag), *p;

    if (line == NULL)
        return NULL;
    p = line + tag_len(line);
    while (*p == ' ')
        p++;
    return p;
}

int pop3_capa_has_word(const pop3_capa_set *s, const char *tag,
                       const char *word)
{
    const char *p = pop3_capa_args(s, tag);
    size_t n;

    if (p == NULL || word == NULL || (n = strlen(word)) == 0)
        return 0;
    while (*p != '\0') {
        size_t len = strcspn(p, " ");
        if (len == n && pop3_ascii_ncaseeq(p, word, n))
            return 1;
        p += len;
        while (*p == ' ')
            p++;
    }
    return 0;
}
