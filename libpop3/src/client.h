/*
 * The client object and the helpers its command files share.  Private to
 * the library: users see only the opaque pop3_client of pop3.h.
 */
#ifndef POP3_CLIENT_H
#define POP3_CLIENT_H

#include "capa.h"
#include "engine.h"
#include "tls.h"
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
    POP3_BUSY_OTHER, /* e.g. CAPA: read to the end internally */
    POP3_BUSY_BATCH  /* between the messages of a pipelined batch */
} pop3_busy;

/* What the client knows of the server's capabilities. */
typedef enum pop3_capa_known {
    POP3_CAPA_UNKNOWN = 0, /* no CAPA on this connection (or since STLS) */
    POP3_CAPA_LISTED,      /* capa holds the last CAPA's lines */
    POP3_CAPA_REFUSED      /* CAPA got -ERR: an RFC 1939-only server */
} pop3_capa_known;

/* How pop3__send shows a command in the trace. */
#define POP3_MASK_NONE 0 /* as sent */
#define POP3_MASK_ARGS 1 /* "VERB ****" */
#define POP3_MASK_LAST 2 /* "VERB a1 ****": a2 is secret */
/* A pipelined batch of RETR or TOP commands (pipeline.c). */
typedef struct pop3_batch {
    unsigned int *msgs; /* owned copy of the message numbers */
    size_t count;
    size_t sent; /* commands written */
    size_t done; /* replies read */
    size_t in_flight; /* octets of commands sent, not yet answered */
    char lines[24]; /* TOP's line count, or "" for RETR */
    int then_quit;  /* QUIT goes out after the last command */
} pop3_batch;

/* Bit masks of the states a command is allowed in. */
#define POP3_IN_AUTH (1u << POP3_STATE_AUTHORIZATION)
#define POP3_IN_TRANS (1u << POP3_STATE_TRANSACTION)
/* For pop3_quit alone: allowed after a batch has sent QUIT already. */
#define POP3_QUIT_PENDING (1u << 31)

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
    unsigned int port;

    pop3_tls_config *tls;   /* made on the first TLS use; owned */
    pop3_capa_set capa;     /* lines of the last CAPA */
    pop3_capa_known capa_known;
    int utf8;               /* UTF8 accepted (RFC 6856) */
    const char *auth_used;  /* method of the last login attempt */
    char detail[256];       /* pop3_error_detail(); never a secret */
    pop3_batch batch;
    int quit_sent; /* QUIT went out with a batch; its reply is unread */
    /* STAT's answer, read with a pipelined login, until DELE or RSET. */
    int stat_cached;
    uint64_t stat_count, stat_size;
};

/* The body of the current message ended: back to the batch, if any. */
void pop3__body_ended(pop3_client *c);

/* Forget a batch (on close, failure or its end). */
void pop3__batch_clear(pop3_client *c);

/* Read and drop the replies a batch is still owed (pop3_discard). */
pop3_status pop3__batch_drain(pop3_client *c);

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
 * Send "VERB[ a1[ a2]]\r\n", traced as `mask` says (POP3_MASK_*).
 * Returns POP3_E_ARG for a bad or over-long argument (nothing sent), or
 * an I/O failure (sticky).
 */
pop3_status pop3__send(pop3_client *c, const char *verb, const char *a1,
                       const char *a2, int mask);

/* Call the trace hook, if any, with one line (without CRLF). */
void pop3__trace(pop3_client *c, pop3_trace_dir dir, const char *line,
                 size_t len);

/* Send a raw line with its CRLF (trace text given separately; NULL: the
 * caller traces it). */
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

/* The status for a -ERR to a login command (RFC 3206): POP3_E_SERVER
 * when the server announced AUTH-RESP-CODE (a credentials failure would
 * carry [AUTH]), else POP3_E_AUTH. */
pop3_status pop3__auth_err(const pop3_client *c);

/* A login succeeded: enter TRANSACTION and, when the server has CAPA,
 * read it again (RFC 2449 5: it may change after login). */
pop3_status pop3__logged_in(pop3_client *c, const char *method);

/* USER/PASS and APOP after pop3__begin (auth.c). */
pop3_status pop3__user_pass(pop3_client *c, const char *user,
                            const char *password);
pop3_status pop3__apop(pop3_client *c, const char *user,
                       const char *secret);

/* Whether commands may go out before earlier ones are answered: the
 * server's CAPA said PIPELINING, unless opts.pipelining says OFF, or
 * ASSUME while no CAPA has been read.  With `ask`, a CAPA not yet read is
 * asked now (AUTO); without, not knowing means no (pipeline.c). */
int pop3__pipelines(pop3_client *c, int ask);

/* USER, PASS, CAPA and STAT in one write; the replies read in order.
 * Returns as pop3__user_pass (arguments checked by the caller). */
pop3_status pop3__user_pass_pipelined(pop3_client *c, const char *user,
                                      const char *password);

/* Read the reply to a CAPA already sent and keep the list: as
 * pop3__capa_fetch without the sending. */
pop3_status pop3__capa_read(pop3_client *c);

/* Send CAPA and keep the list (extensions.c).  POP3_OK; a -ERR status
 * (the client stays healthy, capa_known is REFUSED); or a failure. */
pop3_status pop3__capa_fetch(pop3_client *c);

/* STLS, the handshake and CAPA again.  When !required, a -ERR to STLS
 * returns POP3_E_TLS_UNAVAILABLE and the session goes on in cleartext;
 * every other failure ends the session. */
pop3_status pop3__stls(pop3_client *c, int required);

/* Shake hands on the connected socket (implicit TLS or after STLS);
 * failures end the session. */
pop3_status pop3__tls_handshake(pop3_client *c);

/* UTF8 if CAPA offers it (asking CAPA first if unknown).  POP3_OK,
 * POP3_E_UNSUPPORTED (not offered), a -ERR status, or a failure. */
pop3_status pop3__utf8(pop3_client *c);

/* Attach an open transport (ctx is its state, BORROWED) and read the
 * greeting, as pop3_connect does after connecting (client.c).  Internal:
 * for the session fuzzer and tests only. */
pop3_status pop3__connect_transport(pop3_client *c,
                                    const pop3_transport_ops *ops,
                                    void *ctx);

/* Set the text pop3_error_detail() returns. */
void pop3__detail(pop3_client *c, const char *text);

/* Format an unsigned number into buf (at least 24 bytes). */
const char *pop3__utoa(unsigned long long v, char *buf);

#endif /* POP3_CLIENT_H */
