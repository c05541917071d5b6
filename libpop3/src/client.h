/*
 * The client object and the helpers its command files share.  Private to
 * the library: users see only the opaque pop3_client of pop3.h.
 */
#ifndef POP3_CLIENT_H
#define POP3_CLIENT_H

#include "engine.h"
#include "transport.h"
#include "pop3/pop3.h"

#define POP3_MAX_COMMAND 255 /* RFC 2449 4, CRLF included */
#define POP3_MAX_UID 70      /* RFC 1939 7 */

/* Which multi-line reply is being read. */
typedef enum pop3_busy {
    POP3_BUSY_NONE = 0,
    POP3_BUSY_LIST,
    POP3_BUSY_UIDL,
    POP3_BUSY_BODY,
    POP3_BUSY_OTHER /* e.g. CAPA: read to the end internally */
} pop3_busy;

/* Bit masks of the states a command is allowed in. */
#define POP3_IN_AUTH (1u << POP3_STATE_AUTHORIZATION)
#define POP3_IN_TRANS (1u << POP3_STATE_TRANSACTION)

struct pop3_client {
    pop3_options opts; /* string fields point at owned copies below */
    char *owned_strings[5];

    pop3_transport tp;
    pop3_engine eng;
    pop3_state state;
    pop3_status last;   /* what the last public call returned */
    pop3_status failed; /* sticky failure, POP3_OK when healthy */
    pop3_busy busy;
    pop3_deadline deadline; /* of the operation in progress */

    char *buf; /* read buffer: [start, end) not yet consumed */
    size_t cap, start, end;

    char *text;     /* last status text (max_line bytes) */
    char code[64];  /* last response code */
    char *greeting; /* greeting text (max_line bytes) */
    char *stamp;    /* APOP timestamp or "" (max_line bytes) */
    char uid[POP3_MAX_UID + 1];
    char *host;     /* host of the current connection, owned */
};

/* Start a public call: checks the sticky failure, a multi-line reply in
 * progress and the state mask, and sets the operation's deadline. */
pop3_status pop3__begin(pop3_client *c, unsigned int states);

/* Record what a public call returns (pop3_last_status) and return it. */
pop3_status pop3__done(pop3_client *c, pop3_status st);

/* Make a failure sticky and drop the connection (no QUIT). */
pop3_status pop3__fail(pop3_client *c, pop3_status st);

/* Check one argument that goes on the wire: no CR, LF. NULL refused. */
int pop3__arg_ok(const char *arg);

/*
 * Send "VERB[ a1[ a2]]\r\n".  When secret is set, the trace shows
 * "VERB ****" instead of the arguments.  Returns POP3_E_ARG for a bad or
 * over-long argument (nothing sent), or an I/O failure (sticky).
 */
pop3_status pop3__send(pop3_client *c, const char *verb, const char *a1,
                       const char *a2, int secret);

/* Send a raw line with its CRLF (trace text given separately). */
pop3_status pop3__send_line(pop3_client *c, const char *line, size_t len,
                            const char *trace, size_t trace_len);

/* The next engine event, reading from the transport as needed.  Status
 * lines are stored as the client's server text and response code. */
pop3_status pop3__event(pop3_client *c, pop3_event *ev);

/* Read a status line expected as `expect`; map -ERR to a status, using
 * `err` for a -ERR without a known response code. */
pop3_status pop3__reply(pop3_client *c, pop3_expect expect, pop3_status err,
                        pop3_event *ev);

/* Send one command and read its single-line reply. */
pop3_status pop3__simple(pop3_client *c, const char *verb, const char *a1,
                         const char *a2, pop3_status err);

/* Format an unsigned number into buf (at least 24 bytes). */
const char *pop3__utoa(unsigned long long v, char *buf);

#endif /* POP3_CLIENT_H */
