/*
 * From, Subject and Date out of a message header as it streams by
 * (RFC 5322 2.2: unfold continuation lines).  Bounded: a long header line
 * is truncated, never buffered whole.  Encoded words are shown as sent.
 */
#include "pop3tool.h"

#include <string.h>
#include <strings.h>

void tool_headers_init(tool_headers *h)
{
    memset(h, 0, sizeof *h);
    h->bol = 1;
}

/* One complete logical line: keep it if it is a field we want. */
static void field(tool_headers *h)
{
    static const char *const names[] = {"From", "Subject", "Date"};
    char *slots[3];
    size_t i, n;
    const char *v;

    slots[0] = h->from;
    slots[1] = h->subject;
    slots[2] = h->date;
    h->line[h->len] = '\0';
    for (i = 0; i < 3; i++) {
        n = strlen(names[i]);
        if (slots[i][0] != '\0' || h->len <= n || h->line[n] != ':' ||
            strncasecmp(h->line, names[i], n) != 0)
            continue;
        for (v = h->line + n + 1; *v == ' ' || *v == '\t'; v++)
            ;
        snprintf(slots[i], TOOL_HDR_MAX, "%s", v);
        n = strlen(slots[i]);
        while (n > 0 && (slots[i][n - 1] == ' ' || slots[i][n - 1] == '\t'))
            slots[i][--n] = '\0';
    }
    h->len = 0;
}

void tool_headers_feed(tool_headers *h, const char *data, size_t len)
{
    size_t i;

    for (i = 0; i < len && !h->done; i++) {
        char ch = data[i];

        if (ch == '\r')
            continue;
        if (ch == '\n') {
            if (h->bol) { /* an empty line: the header has ended */
                tool_headers_end(h);
                return;
            }
            h->bol = 1;
            continue;
        }
        if (h->bol && ch != ' ' && ch != '\t' && h->len > 0)
            field(h); /* not a continuation: the last field is whole */
        h->bol = 0;
        if (ch == '\t')
            ch = ' ';
        if ((unsigned char)ch < 0x20)
            ch = '?'; /* nothing that could drive a terminal */
        if (h->len < sizeof h->line - 1)
            h->line[h->len++] = ch;
    }
}

void tool_headers_end(tool_headers *h)
{
    if (!h->done && h->len > 0)
        field(h);
    h->done = 1;
}
