/*
 * The protocol engine: sans-I/O parsing of POP3 replies.
 *
 * Bytes go in, events come out.  The engine never reads a socket, never
 * looks at a clock and never allocates: it works in place in the caller's
 * buffer, and every span it returns points into that buffer (or, for a
 * held-back byte, into the engine struct itself).  Any split of the input
 * into feeds yields the same events.
 *
 * A zero-filled engine is valid and idle; pop3_engine_init sets limits.
 */
#ifndef POP3_ENGINE_H
#define POP3_ENGINE_H

#include <stddef.h>

#include "pop3/pop3.h"

/* What the engine expects next. */
typedef enum pop3_expect {
    POP3_EXPECT_NOTHING = 0, /* idle: any input is a protocol error */
    POP3_EXPECT_STATUS,      /* one status line */
    POP3_EXPECT_STATUS_LINES,/* status; after +OK, listing lines to "." */
    POP3_EXPECT_STATUS_BODY, /* status; after +OK, a body to "." */
    POP3_EXPECT_STATUS_CONT, /* status, or a SASL "+ " continuation */
    POP3_EXPECT_LINES,       /* listing lines (status already read) */
    POP3_EXPECT_BODY         /* body chunks (status already read) */
} pop3_expect;

typedef enum pop3_event_type {
    POP3_EV_NEED_MORE = 0, /* all input consumed; feed more */
    POP3_EV_STATUS,        /* a status line: ok, code, text */
    POP3_EV_LINE,          /* one listing line, unstuffed, no CRLF */
    POP3_EV_CHUNK,         /* a run of body bytes, unstuffed */
    POP3_EV_END            /* the end of a listing or a body */
} pop3_event_type;

typedef enum pop3_reply_kind {
    POP3_REPLY_ERR = 0, /* -ERR */
    POP3_REPLY_OK = 1,  /* +OK */
    POP3_REPLY_CONT = 2 /* "+ " SASL continuation (RFC 5034) */
} pop3_reply_kind;

typedef struct pop3_event {
    pop3_event_type type;
    pop3_reply_kind reply; /* for POP3_EV_STATUS */
    const char *text;      /* status text, listing line, or chunk */
    size_t text_len;
    const char *code;      /* response code without brackets, or NULL */
    size_t code_len;
} pop3_event;

typedef struct pop3_engine {
    pop3_expect expect;
    unsigned int body_state; /* position in a line start: see engine.c */
    size_t max_line;         /* longest line incl. CRLF; 0 means 512 */
    pop3_status failed;      /* sticky: once set, every feed returns it */
    char held[2];            /* bytes held back across feeds, re-emitted */
} pop3_engine;

#define POP3_DEFAULT_MAX_LINE 512

void pop3_engine_init(pop3_engine *eng, size_t max_line);

/* Say what reply comes next (after a command was sent).  Also resets the
 * line-start tracking used by bodies. */
void pop3_engine_expect(pop3_engine *eng, pop3_expect expect);

/*
 * Consume input at data[0..len).  Sets *consumed_out to the bytes used
 * (the caller drops them) and *ev_out to the event.  Body chunks are
 * unstuffed in place, so `data` must be writable and stay put until the
 * caller has used the chunk.  Returns POP3_OK, or a protocol status
 * (POP3_E_PROTOCOL, POP3_E_LINE_TOO_LONG) that sticks until the next
 * pop3_engine_init.
 *
 * A status line or listing line must fit in max_line octets; while one is
 * incomplete the engine consumes nothing and returns POP3_EV_NEED_MORE, so
 * the caller must keep the partial line and append to it.
 */
pop3_status pop3_engine_feed(pop3_engine *eng, char *data, size_t len,
                             size_t *consumed_out, pop3_event *ev_out);

/* Parse an unsigned decimal of 1-20 digits into *out without overflow.
 * Returns 0 on success, -1 on anything else (sign, empty, too large). */
int pop3_parse_u64(const char *s, size_t len, unsigned long long *out);

#endif /* POP3_ENGINE_H */
