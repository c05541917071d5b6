/*
 * libpop3 -- the client side of POP3 (RFC 1939 and extensions).
 *
 * This is the one header C users include.  Conventions that hold for every
 * function declared here:
 *
 *   - Every function that can fail returns a pop3_status; POP3_OK is 0.
 *     pop3_strerror() names a status; pop3_status_family() groups them.
 *   - Argument order: the client first, then inputs, then outputs (*_out).
 *   - Errors live on the client: after any call, pop3_last_status(),
 *     pop3_server_text() and pop3_resp_code() describe what happened.
 *   - Pointers returned through the API are either BORROWED (owned by the
 *     client, valid until the stated point) or OWNED (the caller frees them
 *     with the stated function).  Each declaration says which.
 *   - After a protocol, I/O, timeout or TLS failure the client is failed:
 *     every later call returns that same status and sends nothing.  Only
 *     pop3_close() and pop3_client_free() still work.
 *   - Clients are independent and hold all their state: no global or
 *     thread-local state exists, so each thread may drive its own client.
 *     One client must not be used by two threads at once.
 *   - The library never prints, exits or aborts.
 */
#ifndef POP3_POP3_H
#define POP3_POP3_H

#include <stddef.h>
#include <stdint.h>

#include "pop3/version.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(POP3_STATIC)
#define POP3_API
#elif defined(__GNUC__)
#define POP3_API __attribute__((visibility("default")))
#else
#define POP3_API
#endif

/* ------------------------------------------------------------------------
 * Status codes.  The hundreds digit is the family (see pop3_status_family),
 * so a binding can map each family to one exception class.
 */
typedef enum pop3_status {
    POP3_OK = 0,
    POP3_DONE = 1, /* an iteration has ended; not an error */

    /* 1xx: the caller's arguments */
    POP3_E_ARG = 100,         /* invalid argument (NULL, 0, CR/LF/NUL...) */
    POP3_E_NOMEM = 101,       /* allocation failed */
    POP3_E_UNSUPPORTED = 102, /* not available in this build or session */

    /* 2xx: not allowed now */
    POP3_E_STATE = 200, /* command not valid in the session's state */
    POP3_E_BUSY = 201,  /* a multi-line reply is still being read */

    /* 3xx: the server answered -ERR */
    POP3_E_SERVER = 300,      /* -ERR; see pop3_server_text() */
    POP3_E_IN_USE = 301,      /* -ERR [IN-USE]: maildrop locked */
    POP3_E_LOGIN_DELAY = 302, /* -ERR [LOGIN-DELAY]: logged in too soon */
    POP3_E_SYS_TEMP = 303,    /* -ERR [SYS/TEMP]: transient server fault */
    POP3_E_SYS_PERM = 304,    /* -ERR [SYS/PERM]: permanent server fault */

    /* 4xx: authentication */
    POP3_E_AUTH = 400,             /* credentials refused */
    POP3_E_AUTH_UNAVAILABLE = 401, /* no usable mechanism (no APOP stamp) */
    POP3_E_AUTH_SERVER = 402,      /* the server failed to prove itself
                                      (SCRAM server signature) */

    /* 5xx: the server broke the protocol */
    POP3_E_PROTOCOL = 500,      /* malformed or unexpected reply */
    POP3_E_LINE_TOO_LONG = 501, /* a status or listing line over the limit */

    /* 6xx: the network */
    POP3_E_IO = 600,      /* read or write failed */
    POP3_E_EOF = 601,     /* the server closed the connection */
    POP3_E_CONNECT = 602, /* no address could be connected to */
    POP3_E_RESOLVE = 603, /* the host name did not resolve */

    /* 7xx: deadlines */
    POP3_E_TIMEOUT = 700, /* connect or I/O deadline passed */

    /* 8xx: TLS */
    POP3_E_TLS = 800,             /* handshake or TLS I/O failed */
    POP3_E_CERT = 801,            /* certificate or host name not trusted */
    POP3_E_TLS_UNAVAILABLE = 802  /* TLS required but the server offers none */
} pop3_status;

typedef enum pop3_family {
    POP3_FAMILY_OK = 0,
    POP3_FAMILY_ARG = 1,
    POP3_FAMILY_STATE = 2,
    POP3_FAMILY_SERVER = 3,
    POP3_FAMILY_AUTH = 4,
    POP3_FAMILY_PROTOCOL = 5,
    POP3_FAMILY_IO = 6,
    POP3_FAMILY_TIMEOUT = 7,
    POP3_FAMILY_TLS = 8
} pop3_family;

/* A short English name for a status.  BORROWED: a string constant. */
POP3_API const char *pop3_strerror(pop3_status status);

/* The family of a status (POP3_DONE belongs to POP3_FAMILY_OK). */
POP3_API pop3_family pop3_status_family(pop3_status status);

/* The library's version string, e.g. "0.1.0".  BORROWED: a constant. */
POP3_API const char *pop3_version(void);

/* ------------------------------------------------------------------------
 * Options.  Always fill with pop3_options_init() first, then set fields:
 * fields are only ever appended, so code built against an older header
 * keeps working.
 */

/* How a session uses TLS. */
typedef enum pop3_tls_mode {
    POP3_TLS_DEFAULT = 0,         /* port 995: IMPLICIT, else STLS_REQUIRED */
    POP3_TLS_NONE = 1,            /* cleartext, only when asked by name */
    POP3_TLS_STLS_IF_OFFERED = 2, /* STLS when CAPA lists it */
    POP3_TLS_STLS_REQUIRED = 3,   /* STLS or no session */
    POP3_TLS_IMPLICIT = 4         /* TLS from the first byte (POP3S) */
} pop3_tls_mode;

/* Direction of a traced line. */
typedef enum pop3_trace_dir {
    POP3_TRACE_SEND = 0, /* client to server */
    POP3_TRACE_RECV = 1  /* server to client */
} pop3_trace_dir;

/*
 * Trace hook: called with each command sent and each status or listing
 * line received, without the CRLF.  Secrets (the arguments of PASS and
 * APOP, AUTH exchanges) are always masked before the hook sees them.
 * Message bodies are not traced.  `line` is BORROWED for the call only.
 */
typedef void (*pop3_trace_fn)(void *ctx, pop3_trace_dir dir, const char *line,
                              size_t len);

/* When commands go out without waiting for the replies to earlier ones
 * (RFC 2449 6.6: the login, and batches of RETR, TOP, DELE, LIST, UIDL). */
typedef enum pop3_pipelining {
    POP3_PIPELINING_AUTO = 0,   /* when the server's CAPA listed PIPELINING;
                                   a batch asks CAPA first if not yet read */
    POP3_PIPELINING_ASSUME = 1, /* as if listed until a CAPA is read: for a
                                   server known from an earlier session,
                                   the login and batches need no CAPA */
    POP3_PIPELINING_OFF = 2     /* never: one command at a time */
} pop3_pipelining;

typedef struct pop3_options {
    unsigned int version;   /* set by pop3_options_init(); leave as is */
    int connect_timeout_ms; /* deadline for connecting; default 30000 */
    int io_timeout_ms;      /* deadline per operation; default 60000 */
    size_t max_line;        /* longest status/listing line incl. CRLF;
                               default 512 (RFC 2449), at least 64 */
    size_t buffer_size;     /* read buffer; default 65536, at least
                               2 * max_line */
    pop3_trace_fn trace;    /* optional trace hook */
    void *trace_ctx;        /* passed to trace; BORROWED, not freed */

    /* TLS (RFC 2595, RFC 8314).  Strings are copied by pop3_client_new. */
    pop3_tls_mode tls;       /* default POP3_TLS_DEFAULT */
    int tls_verify;          /* 1 (default): verify chain and host name */
    const char *ca_file;     /* PEM CA bundle; NULL: system default */
    const char *ca_path;     /* hashed CA directory; NULL: none */
    const char *cert_file;   /* client certificate (PEM); NULL: none */
    const char *key_file;    /* its private key (PEM); NULL: none */
    const char *server_name; /* name to verify and send as SNI; NULL: the
                                host given to pop3_connect */

    /* Added in version 2: authentication and extensions (see the section
     * "Secure and extended sessions" below). */
    unsigned int auth_methods; /* POP3_AUTH_* bits pop3_authenticate may
                                  choose from; 0 (default): every password
                                  method (not the token ones) */
    int allow_cleartext;       /* 1: pop3_authenticate may reveal the
                                  password (USER/PASS, PLAIN, LOGIN) on a
                                  connection without TLS also when tls is
                                  not POP3_TLS_NONE (e.g. STLS_IF_OFFERED
                                  found no STLS); default 0 */
    int utf8;                  /* 1: pop3_connect turns on UTF-8 mode
                                  (RFC 6856) when CAPA offers it; default 0 */

    /* Added in version 3. */
    int pipeline_login;        /* 1: pop3_login sends USER, PASS, CAPA and
                                  STAT in one write when the server listed
                                  PIPELINING (one round trip; the server
                                  must keep commands sent before the login
                                  for the session after it); default 0:
                                  USER and PASS together, then CAPA and
                                  STAT (two round trips) */

    /* Added in version 4. */
    int early_capa;            /* 1: pop3_connect sends CAPA as soon as
                                  the connection (and implicit TLS) is up,
                                  without waiting for the greeting, and
                                  reads its reply after it: capabilities
                                  known on return, half a round trip
                                  sooner than asking afterwards.  RFC 1939
                                  has the client wait for the greeting; a
                                  server that drops early talkers fails
                                  the connect.  Default 0 */
    pop3_pipelining pipelining; /* default POP3_PIPELINING_AUTO */
} pop3_options;

#define POP3_OPTIONS_VERSION 4

/*
 * Fill `opts` with the defaults above: pop3_options_init(&opts).  A macro
 * that passes the size of the struct the caller was compiled with, so a
 * program built against an older, smaller pop3_options is never written
 * past its end by a newer library (its version field says which it is).
 * Programs built against the version 1 header, before this macro, call
 * the function pop3_options_init, which fills a version 2 struct: it
 * writes past the end of a version 1 pop3_options, so such programs must
 * be rebuilt against this header.
 */
#define pop3_options_init(opts) \
    pop3_options_init_size((opts), sizeof *(opts))
POP3_API void pop3_options_init_size(pop3_options *opts, size_t size);

/* ------------------------------------------------------------------------
 * Clients.
 */
typedef struct pop3_client pop3_client;

/* The RFC 1939 session states, plus "not connected". */
typedef enum pop3_state {
    POP3_STATE_DISCONNECTED = 0, /* before connect, after close or QUIT */
    POP3_STATE_AUTHORIZATION = 1,
    POP3_STATE_TRANSACTION = 2,
    POP3_STATE_UPDATE = 3 /* QUIT sent in TRANSACTION; session over */
} pop3_state;

/*
 * Create a client.  `opts` may be NULL for the defaults; it is copied.
 * *client_out is OWNED: free it with pop3_client_free().
 * Returns POP3_OK, POP3_E_ARG (bad option values), POP3_E_NOMEM.
 */
POP3_API pop3_status pop3_client_new(const pop3_options *opts,
                                     pop3_client **client_out);

/* Close without QUIT (so nothing is deleted) and free.  NULL is ignored. */
POP3_API void pop3_client_free(pop3_client *client);

/*
 * Connect to `host` (a name, an IPv4 or an IPv6 address) at `port`
 * (0: 110, or 995 for implicit TLS), trying every address getaddrinfo
 * returns until one answers within the connect deadline, then read the
 * greeting.  On success the state is AUTHORIZATION.
 *
 * TLS follows opts.tls (POP3_TLS_DEFAULT: implicit TLS on port 995, else
 * STLS required).  Implicit TLS shakes hands before the greeting.  The
 * STLS modes send CAPA after the greeting (before it with
 * opts.early_capa, which also asks CAPA when no STLS mode would) and,
 * when it lists STLS, send
 * STLS, shake hands and send CAPA again (RFC 2595 4); if TLS is required
 * and CAPA fails or lacks STLS, or STLS gets -ERR, the connection is
 * closed before anything else is sent (POP3_E_TLS_UNAVAILABLE).  The
 * handshake runs under the io_timeout_ms deadline; see "Secure and
 * extended sessions" below for verification.
 *
 * Returns POP3_OK, POP3_E_ARG, POP3_E_STATE (already connected),
 * POP3_E_RESOLVE, POP3_E_CONNECT, POP3_E_TIMEOUT, POP3_E_SERVER (-ERR
 * greeting), POP3_E_PROTOCOL (also: bytes after the +OK to STLS),
 * POP3_E_EOF, POP3_E_TLS (handshake failed, or the CA, certificate or
 * key files could not be loaded), POP3_E_CERT, POP3_E_TLS_UNAVAILABLE,
 * POP3_E_NOMEM.
 */
POP3_API pop3_status pop3_connect(pop3_client *client, const char *host,
                                  unsigned int port);

/*
 * Drop the connection without QUIT: the server commits no deletion.
 * The client can connect again afterwards.  Always returns POP3_OK.
 */
POP3_API pop3_status pop3_close(pop3_client *client);

/* ------------------------------------------------------------------------
 * What the client knows.  Returned strings are BORROWED from the client
 * and valid until the next call on it that talks to the server.
 */

/* The session's state. */
POP3_API pop3_state pop3_get_state(const pop3_client *client);

/* The status the last call returned. */
POP3_API pop3_status pop3_last_status(const pop3_client *client);

/* Text of the server's last status line, after "+OK " or "-ERR " and any
 * response code; "" when none.  BORROWED. */
POP3_API const char *pop3_server_text(const pop3_client *client);

/* Response code of the last status line (RFC 2449), without brackets,
 * e.g. "IN-USE" or "SYS/TEMP"; "" when none.  BORROWED. */
POP3_API const char *pop3_resp_code(const pop3_client *client);

/* The greeting's text.  BORROWED, valid until the next connect or close. */
POP3_API const char *pop3_greeting(const pop3_client *client);

/* The APOP timestamp from the greeting, brackets included, or NULL when
 * the greeting held no valid one.  BORROWED, as pop3_greeting. */
POP3_API const char *pop3_apop_timestamp(const pop3_client *client);

/* ------------------------------------------------------------------------
 * Authorization (RFC 1939 section 7).  Arguments containing CR, LF or
 * NUL, or making a command longer than 255 octets, are refused with
 * POP3_E_ARG before anything is sent.  On success the state is
 * TRANSACTION.
 *
 * Returns POP3_OK, POP3_E_ARG, POP3_E_STATE, POP3_E_AUTH (refused),
 * POP3_E_IN_USE, POP3_E_LOGIN_DELAY, POP3_E_SYS_TEMP, POP3_E_SYS_PERM,
 * POP3_E_SERVER (a -ERR without a code from a server that announced
 * AUTH-RESP-CODE: not a credentials problem), or a failure of the
 * connection.  See also pop3_auth() and pop3_authenticate() below.
 *
 * When a CAPA before it (pop3_capa, or opts.early_capa) listed
 * PIPELINING, or none was read and opts.pipelining is
 * POP3_PIPELINING_ASSUME, pop3_login sends USER and PASS in one write,
 * then CAPA and STAT in another (RFC 2449 6.6): the capabilities and
 * pop3_stat's answer come with the login, in two round trips, or one
 * with opts.pipeline_login.  Otherwise USER and
 * PASS go one at a time, and CAPA follows if one was asked before.  A
 * refused pipelined login returns the refusal (and keeps its server text)
 * even when the connection ended while the replies after it were read;
 * the next call then returns that failure.
 */
POP3_API pop3_status pop3_login(pop3_client *client, const char *user,
                                const char *password);

/* APOP: as pop3_login, and POP3_E_AUTH_UNAVAILABLE when the greeting held
 * no timestamp. */
POP3_API pop3_status pop3_apop(pop3_client *client, const char *user,
                               const char *secret);

/*
 * The APOP digest: lowercase hex MD5 of timestamp followed by secret,
 * written with a terminating NUL into hex_out (33 bytes).  Needs no client.
 * Returns POP3_OK, POP3_E_ARG, POP3_E_UNSUPPORTED (no MD5 in OpenSSL).
 */
POP3_API pop3_status pop3_apop_digest(const char *timestamp,
                                      const char *secret, char *hex_out);

/* ------------------------------------------------------------------------
 * Transaction commands (RFC 1939 section 5).  Message numbers start at 1;
 * 0 is refused with POP3_E_ARG.  A command sent in the wrong state is
 * refused with POP3_E_STATE and nothing is sent.  While a multi-line reply
 * is being read (a listing or a body), other commands are refused with
 * POP3_E_BUSY: finish it, or call pop3_discard() to read and drop the
 * rest.  -ERR replies return POP3_E_SERVER (or the code's own status).
 */

/* STAT: number of messages and their total size in octets.  After a
 * pipelined pop3_login, answered from the reply read then (until a DELE
 * or RSET), without a round trip. */
POP3_API pop3_status pop3_stat(pop3_client *client, uint64_t *count_out,
                               uint64_t *size_out);

/* LIST n: the size of one message. */
POP3_API pop3_status pop3_list_one(pop3_client *client, unsigned int msg,
                                   uint64_t *size_out);

/* UIDL n: the unique id of one message.  *uid_out is BORROWED until the
 * next call on the client. */
POP3_API pop3_status pop3_uidl_one(pop3_client *client, unsigned int msg,
                                   const char **uid_out);

/*
 * LIST and UIDL of every message, as iterators: begin, then next until it
 * returns POP3_DONE.  Each listing line is checked (a number, a space, a
 * size or a UID of 1-70 printable characters) and a malformed one is a
 * POP3_E_PROTOCOL.  *uid_out is BORROWED until the next call.
 */
POP3_API pop3_status pop3_list_begin(pop3_client *client);
POP3_API pop3_status pop3_list_next(pop3_client *client,
                                    unsigned int *msg_out,
                                    uint64_t *size_out);
POP3_API pop3_status pop3_uidl_begin(pop3_client *client);
POP3_API pop3_status pop3_uidl_next(pop3_client *client,
                                    unsigned int *msg_out,
                                    const char **uid_out);

/*
 * RETR n and TOP n lines: begin a body, then call pop3_body_next() until
 * it returns POP3_DONE.  Each chunk is *data_out / *len_out, BORROWED from
 * the client's buffer and valid until the next call on the client.  The
 * body is dot-unstuffed, keeps its CRLF line ends, and has the terminating
 * line removed; chunk boundaries follow the reads, so memory does not grow
 * with the message.  An empty body yields POP3_DONE at once.
 */
POP3_API pop3_status pop3_retr_begin(pop3_client *client, unsigned int msg);
POP3_API pop3_status pop3_top_begin(pop3_client *client, unsigned int msg,
                                    unsigned long lines);
POP3_API pop3_status pop3_body_next(pop3_client *client,
                                    const char **data_out, size_t *len_out);

/* Read and drop the rest of a listing or body in progress (POP3_OK when
 * none is).  After it other commands may be sent again. */
POP3_API pop3_status pop3_discard(pop3_client *client);

/* DELE n: mark for deletion; committed only by QUIT. */
POP3_API pop3_status pop3_dele(pop3_client *client, unsigned int msg);

/* NOOP. */
POP3_API pop3_status pop3_noop(pop3_client *client);

/* RSET: unmark every message marked for deletion. */
POP3_API pop3_status pop3_rset(pop3_client *client);

/*
 * QUIT.  In TRANSACTION the session enters UPDATE and the server commits
 * the deletions: POP3_OK means they were committed, POP3_E_SERVER that
 * the server failed to commit some.  In AUTHORIZATION it just ends the
 * session.  The connection is closed either way.
 */
POP3_API pop3_status pop3_quit(pop3_client *client);

/* ------------------------------------------------------------------------
 * UIDL synchronisation (RFC 1939 section 7) -- for mail fetchers that
 * leave mail on the server and must know what they already have.
 *
 * Given the UIDs a caller saw in earlier sessions and the maildrop's
 * current UIDL listing, a pop3_uidsync sorts each message into NEW (never
 * seen), SEEN (seen before) or BAD (its UID cannot be trusted to identify
 * it), and each seen UID no longer on the server into VANISHED.  UIDs are
 * never trusted: each is checked (1 to 70 characters in 0x21-0x7E), and
 * two messages sharing one UID are both BAD, since neither can be told
 * apart from the other.  pop3_uid_safe_name() gives the form of a UID that
 * may be used in a file name.  Only pop3_uidsync_read_server() talks to a
 * server; everything else is pure computation.
 */

/* What is wrong with a UID (POP3_UID_VALID: nothing). */
typedef enum pop3_uid_check {
    POP3_UID_VALID = 0,
    POP3_UID_EMPTY = 1,     /* no characters at all */
    POP3_UID_TOO_LONG = 2,  /* more than POP3_UID_MAX characters */
    POP3_UID_BAD_CHAR = 3,  /* a byte outside 0x21-0x7E (space, control
                               character, NUL, 8-bit) */
    POP3_UID_DUPLICATE = 4, /* another message of the maildrop has it */
    POP3_UID_MISSING = 5    /* the server's listing gave none we could
                               read for this message */
} pop3_uid_check;

#define POP3_UID_MAX 70 /* RFC 1939 7: 1 to 70 characters */

/* Size of a buffer that holds any safe name with its NUL. */
#define POP3_UID_SAFE_SIZE (3 * POP3_UID_MAX + 1)

/* Check `len` bytes at `uid` (NUL not required, and itself a bad byte).
 * Never POP3_UID_DUPLICATE or POP3_UID_MISSING: those need a maildrop.
 * `uid` may be NULL only when `len` is 0. */
POP3_API pop3_uid_check pop3_uid_check_text(const char *uid, size_t len);

/*
 * The filename-safe form of a valid UID, NUL-terminated into `out`
 * (`out_size` bytes; POP3_UID_SAFE_SIZE always suffices).  Letters,
 * digits and "_+=" are kept, as are "-" and "." except as the first
 * character; every other byte becomes "%XX" (uppercase hex), "%" too.  So
 * the form never holds "/", never is "." or "..", never starts with "."
 * or "-", and two different UIDs never share a form.
 * Returns POP3_OK, or POP3_E_ARG for an invalid UID, a NULL pointer or
 * too small a buffer (then `out` holds "" if out_size > 0).
 */
POP3_API pop3_status pop3_uid_safe_name(const char *uid, size_t len,
                                        char *out, size_t out_size);

/* Where pop3_uidsync_run() put each message or seen UID. */
typedef enum pop3_uidsync_kind {
    POP3_UIDSYNC_NEW = 0,     /* on the server, valid UID, not seen */
    POP3_UIDSYNC_SEEN = 1,    /* on the server and among the seen UIDs */
    POP3_UIDSYNC_BAD = 2,     /* on the server, UID invalid or shared:
                                 cannot be tracked */
    POP3_UIDSYNC_VANISHED = 3 /* seen, but no longer on the server */
} pop3_uidsync_kind;

typedef struct pop3_uidsync pop3_uidsync;

/* Create an empty sync.  *sync_out is OWNED: pop3_uidsync_free() it.
 * Returns POP3_OK, POP3_E_ARG (NULL), POP3_E_NOMEM. */
POP3_API pop3_status pop3_uidsync_new(pop3_uidsync **sync_out);

/* Free a sync and every string it handed out.  NULL is ignored. */
POP3_API void pop3_uidsync_free(pop3_uidsync *sync);

/*
 * Add a UID seen in an earlier session (from the caller's own state, so
 * it is checked too).  The bytes are copied.  Adding one twice is
 * harmless.  *check_out (may be NULL) tells what is wrong with it.
 * Returns POP3_OK, POP3_E_ARG (invalid UID: not added; NULL sync),
 * POP3_E_STATE (after pop3_uidsync_run), POP3_E_NOMEM.
 */
POP3_API pop3_status pop3_uidsync_add_seen(pop3_uidsync *sync,
                                           const char *uid, size_t len,
                                           pop3_uid_check *check_out);

/*
 * Add message `msg` of the maildrop with its UID as the server gave it
 * (copied).  Messages must come in increasing order of `msg`.  An invalid
 * UID is accepted and the message will be BAD; *check_out (may be NULL)
 * says why.  Pass len 0 for a message whose UID is unknown.
 * Returns POP3_OK, POP3_E_ARG (msg 0 or not above the previous one, NULL
 * sync), POP3_E_STATE (after pop3_uidsync_run), POP3_E_NOMEM.
 */
POP3_API pop3_status pop3_uidsync_add_server(pop3_uidsync *sync,
                                             unsigned int msg,
                                             const char *uid, size_t len,
                                             pop3_uid_check *check_out);

/*
 * Fill the server side from a client in the TRANSACTION state: STAT,
 * then the whole UIDL listing.  A malformed listing line is skipped (the
 * library reports it as POP3_E_PROTOCOL and goes on), and every message
 * STAT counts but the listing did not name is added with
 * POP3_UID_MISSING, so no message is silently left out.
 * Returns POP3_OK, POP3_E_STATE (after pop3_uidsync_run, or a client not
 * in TRANSACTION), POP3_E_SERVER (-ERR to STAT or UIDL: no UIDL support),
 * POP3_E_NOMEM, POP3_E_ARG, or a failure of the connection.
 */
POP3_API pop3_status pop3_uidsync_read_server(pop3_uidsync *sync,
                                              pop3_client *client);

/*
 * Compare the two sides.  Afterwards nothing can be added, and the
 * results are read with pop3_uidsync_count() and pop3_uidsync_item().
 * Returns POP3_OK, POP3_E_ARG (NULL), POP3_E_NOMEM; calling it again
 * returns POP3_OK and changes nothing.
 */
POP3_API pop3_status pop3_uidsync_run(pop3_uidsync *sync);

/* How many items of `kind` there are (0 before pop3_uidsync_run). */
POP3_API size_t pop3_uidsync_count(const pop3_uidsync *sync,
                                   pop3_uidsync_kind kind);

/*
 * Item `index` (from 0) of `kind`.  NEW, SEEN and BAD come in increasing
 * message number; VANISHED in increasing byte order of UID.  *msg_out is
 * the message number (0 for VANISHED); *uid_out the UID, BORROWED from
 * the sync until pop3_uidsync_free(), or NULL for a BAD message whose
 * UID is invalid or missing; *check_out why a BAD message is bad
 * (POP3_UID_VALID for the other kinds).  Any output may be NULL.
 * Returns POP3_OK, POP3_E_ARG (NULL sync, bad kind, index out of range),
 * POP3_E_STATE (before pop3_uidsync_run).
 */
POP3_API pop3_status pop3_uidsync_item(const pop3_uidsync *sync,
                                       pop3_uidsync_kind kind, size_t index,
                                       unsigned int *msg_out,
                                       const char **uid_out,
                                       pop3_uid_check *check_out);

/* ========================================================================
 * Secure and extended sessions: capabilities (RFC 2449), TLS (RFC 2595,
 * RFC 8314), SASL authentication (RFC 5034), response codes (RFC 2449,
 * RFC 3206) and UTF-8 (RFC 6856).
 *
 * TLS is on by default: pop3_connect shakes hands (implicit TLS or STLS)
 * and checks the server's certificate chain against opts.ca_file /
 * opts.ca_path (or the system's trust store) and its name against
 * opts.server_name (or the host given to pop3_connect; an IP address is
 * matched against the certificate's IP addresses), sends that name as
 * SNI, and refuses anything older than TLS 1.2.  Only opts.tls_verify = 0
 * turns verification off.  One TLS context is made per client on its
 * first TLS connection and kept until pop3_client_free.
 */

/* ------------------------------------------------------------------------
 * Capabilities.  CAPA is sent automatically where a decision needs it
 * (the STLS modes of pop3_connect, pop3_authenticate, pop3_utf8, opts.utf8)
 * and again after STLS and after a login, since the list may change then
 * (RFC 2449 5, RFC 2595 4).  The query functions never talk to the server:
 * they read the list the client holds, which is empty until a CAPA
 * succeeded.  Capability names and SASL mechanisms compare
 * case-insensitively.
 */

/*
 * Send CAPA and keep the list (allowed in AUTHORIZATION and TRANSACTION).
 * Malformed lines are left out; the list keeps at most 128 lines.
 * Returns POP3_OK, POP3_E_STATE, POP3_E_BUSY, POP3_E_SERVER (-ERR: the
 * server has no CAPA; the list is then empty), or a connection failure.
 */
POP3_API pop3_status pop3_capa(pop3_client *client);

/* 1 when the last CAPA listed `name` (e.g. "STLS", "UIDL", "SASL"), else
 * 0 (also when no CAPA has been read). */
POP3_API int pop3_has_capa(const pop3_client *client, const char *name);

/*
 * The arguments of capability `name`: the rest of its line after one
 * space, e.g. "PLAIN SCRAM-SHA-256" for SASL, "900" or "900 USER" for
 * LOGIN-DELAY, "NEVER" or "31" for EXPIRE, the server's name for
 * IMPLEMENTATION; "" when it has none; NULL when it is not listed.
 * BORROWED: valid until the next call on the client that talks to it.
 */
POP3_API const char *pop3_capa_arg(const pop3_client *client,
                                   const char *name);

/* 1 when the SASL capability lists `mechanism`, else 0. */
POP3_API int pop3_has_sasl(const pop3_client *client, const char *mechanism);

/* The index-th capability line (0-based) as sent, or NULL past the end.
 * BORROWED, as pop3_capa_arg. */
POP3_API const char *pop3_capa_line(const pop3_client *client, size_t index);

/* ------------------------------------------------------------------------
 * TLS.
 */

/*
 * STLS (RFC 2595) on a cleartext session in AUTHORIZATION: send STLS,
 * shake hands as pop3_connect does, then send CAPA again.  pop3_connect
 * already does this in the STLS modes; call it yourself only after a
 * POP3_TLS_NONE connect.  Bytes that arrive with the +OK, before the
 * handshake, are an attack (response injection): POP3_E_PROTOCOL.
 * Returns POP3_OK, POP3_E_STATE (not AUTHORIZATION, or TLS already on;
 * nothing sent), or -- ending the session, so nothing more goes out in
 * cleartext -- POP3_E_TLS_UNAVAILABLE (-ERR), POP3_E_PROTOCOL,
 * POP3_E_TLS, POP3_E_CERT, POP3_E_TIMEOUT or another connection failure.
 */
POP3_API pop3_status pop3_stls(pop3_client *client);

/* 1 when the connection is under TLS (implicit or after STLS), else 0. */
POP3_API int pop3_is_tls(const pop3_client *client);

/* ------------------------------------------------------------------------
 * Authentication.  The secret is a password, except for XOAUTH2 and
 * OAUTHBEARER, where it is an OAuth 2.0 access token.  Secrets never
 * appear in the trace (client responses show as "****") nor in any text
 * the library returns.  On success the state is TRANSACTION and the
 * capability list is read again if the server had one.
 *
 * -ERR replies map through their response code: [AUTH] (RFC 3206) and a
 * -ERR without a code are POP3_E_AUTH -- unless the server announced
 * AUTH-RESP-CODE, which promises [AUTH] on every credentials failure, so
 * a -ERR without a code is then POP3_E_SERVER; [IN-USE] is POP3_E_IN_USE,
 * [LOGIN-DELAY] POP3_E_LOGIN_DELAY, [SYS/TEMP] POP3_E_SYS_TEMP, and
 * [SYS/PERM] POP3_E_SYS_PERM.  So a caller can tell a wrong password from
 * a locked maildrop or a server fault.
 */

/* Methods, as bits for opts.auth_methods; pop3_auth_used() names them. */
typedef enum pop3_auth_method {
    POP3_AUTH_USER = 1 << 0,          /* USER/PASS (RFC 1939) */
    POP3_AUTH_APOP = 1 << 1,          /* APOP (RFC 1939) */
    POP3_AUTH_PLAIN = 1 << 2,         /* SASL PLAIN (RFC 4616) */
    POP3_AUTH_LOGIN = 1 << 3,         /* SASL LOGIN (draft-murchison) */
    POP3_AUTH_CRAM_MD5 = 1 << 4,      /* SASL CRAM-MD5 (RFC 2195) */
    POP3_AUTH_SCRAM_SHA_1 = 1 << 5,   /* SASL SCRAM-SHA-1 (RFC 5802) */
    POP3_AUTH_SCRAM_SHA_256 = 1 << 6, /* SASL SCRAM-SHA-256 (RFC 7677) */
    POP3_AUTH_XOAUTH2 = 1 << 7,       /* SASL XOAUTH2 (Google, Microsoft) */
    POP3_AUTH_OAUTHBEARER = 1 << 8    /* SASL OAUTHBEARER (RFC 7628) */
} pop3_auth_method;

/*
 * SASL AUTH (RFC 5034) with the named mechanism: "PLAIN", "LOGIN",
 * "CRAM-MD5", "SCRAM-SHA-1", "SCRAM-SHA-256", "XOAUTH2" or "OAUTHBEARER"
 * (any case).  Sent as asked, whatever CAPA says.  The first client
 * message goes with the command when the line stays within 255 octets
 * (RFC 5034 4, "=" for an empty one), else after the server's empty
 * challenge; XOAUTH2 and OAUTHBEARER retry in that two-step form when a
 * server refuses the one-step form with a plain -ERR.  Every challenge is
 * checked (strict base64, the mechanism's syntax), and SCRAM checks the
 * server's signature before it trusts the +OK.  `user` may be "" for
 * OAUTHBEARER only; user and secret may hold any bytes but NUL, and
 * UTF-8 (SCRAM sends it as is: no SASLprep mapping).
 *
 * Returns POP3_OK, POP3_E_ARG, POP3_E_STATE, POP3_E_UNSUPPORTED (a
 * mechanism this library lacks), POP3_E_AUTH, POP3_E_IN_USE,
 * POP3_E_LOGIN_DELAY, POP3_E_SYS_TEMP, POP3_E_SYS_PERM, POP3_E_SERVER,
 * POP3_E_AUTH_SERVER (SCRAM: the server's signature was wrong or
 * missing; the session is ended), POP3_E_PROTOCOL (a malformed challenge;
 * the session is ended), or a connection failure.
 */
POP3_API pop3_status pop3_auth(pop3_client *client, const char *mechanism,
                               const char *user, const char *secret);

/*
 * Log in with the strongest method both sides support, asking CAPA first
 * if the client holds no list: SCRAM-SHA-256, SCRAM-SHA-1, CRAM-MD5,
 * OAUTHBEARER, XOAUTH2, PLAIN, LOGIN from the SASL capability, then APOP
 * (only with a well-formed greeting timestamp; on a connection without
 * TLS ahead of the SASL mechanisms that send the secret itself), then
 * USER/PASS (when CAPA lists USER, or the server has no CAPA).  Only
 * methods in opts.auth_methods take part.  On a connection without TLS the ones that
 * reveal the secret (USER/PASS, PLAIN, LOGIN, XOAUTH2, OAUTHBEARER) take
 * part only where the caller chose cleartext: opts.tls = POP3_TLS_NONE,
 * or opts.allow_cleartext -- not after POP3_TLS_STLS_IF_OFFERED found no
 * STLS, which a man in the middle can arrange.  One method is tried: a
 * refusal is not followed by a weaker one.  pop3_auth_used() names the
 * method chosen.
 * Returns what pop3_auth, pop3_apop or pop3_login return, and
 * POP3_E_AUTH_UNAVAILABLE when no method is left (see
 * pop3_error_detail()).
 */
POP3_API pop3_status pop3_authenticate(pop3_client *client,
                                       const char *user,
                                       const char *secret);

/* The method of the last login attempt ("SCRAM-SHA-256", "APOP", "USER",
 * ...), or NULL when there was none on this connection.  BORROWED: a
 * string constant. */
POP3_API const char *pop3_auth_used(const pop3_client *client);

/* ------------------------------------------------------------------------
 * UTF-8 (RFC 6856).
 */

/*
 * Send UTF8 in AUTHORIZATION when CAPA lists it (asking CAPA first if the
 * client holds no list).  Afterwards the server may send UTF-8 headers
 * and text, and -- when the capability has the USER argument -- user
 * names and passwords in UTF-8 work with USER/PASS and APOP, as they do
 * with SASL.  Returns POP3_OK (also when already on), POP3_E_STATE,
 * POP3_E_UNSUPPORTED (not offered; nothing sent), POP3_E_SERVER, or a
 * connection failure.
 */
POP3_API pop3_status pop3_utf8(pop3_client *client);

/* 1 when UTF-8 mode is on, else 0. */
POP3_API int pop3_is_utf8(const pop3_client *client);

/* ------------------------------------------------------------------------
 * Diagnostics.
 */

/*
 * A sentence on the last failure where a status alone says little: why a
 * certificate was refused ("certificate verify failed: hostname
 * mismatch"), which TLS file did not load, why pop3_authenticate found no
 * method, what a token server said.  "" when there is none.  Never holds
 * a secret.  BORROWED, valid until the next call on the client.
 */
POP3_API const char *pop3_error_detail(const pop3_client *client);

/* ========================================================================
 * Many messages at once, pipelined (RFC 2449 6.6).
 *
 * When the server lists PIPELINING in CAPA (asked for first when the
 * client has not seen a CAPA yet; not asked, and assumed, with
 * opts.pipelining POP3_PIPELINING_ASSUME; never with
 * POP3_PIPELINING_OFF), these send several commands before
 * reading the replies, within a window (POP3_PIPELINE_WINDOW octets of
 * commands in flight, several hundred commands, topped up once half of it
 * is answered) small enough that neither side's buffers can fill and
 * deadlock, and large enough to cover a round trip of 20 ms or more on a
 * fast link; otherwise they send one command at a time.  The results are
 * the same either way, and each -ERR is reported against its own message.
 * While a batch is in progress, other commands get POP3_E_BUSY.
 */
#define POP3_PIPELINE_WINDOW 8192

/*
 * RETR (or TOP n lines) of `count` messages, in the order given.  The
 * numbers are copied.  Then call pop3_many_next() for each message.
 * Returns POP3_OK, POP3_E_ARG (NULL, count 0, a message number 0),
 * POP3_E_STATE, POP3_E_BUSY, POP3_E_NOMEM.  Nothing is sent yet.
 */
POP3_API pop3_status pop3_retr_many_begin(pop3_client *client,
                                          const unsigned int *msgs,
                                          size_t count);
POP3_API pop3_status pop3_top_many_begin(pop3_client *client,
                                         const unsigned int *msgs,
                                         size_t count, unsigned long lines);

/*
 * Move to the next message of the batch; *msg_out is its number.  When it
 * returns POP3_OK, read the message with pop3_body_next() until POP3_DONE
 * (or call pop3_many_next() again to skip the rest of it).  A -ERR for
 * this message returns its status (POP3_E_SERVER, ...) and the batch goes
 * on with the next call.  POP3_DONE after the last message; a connection
 * failure ends the batch and the session.  pop3_discard() ends a batch
 * early, reading and dropping the replies already asked for.
 */
POP3_API pop3_status pop3_many_next(pop3_client *client,
                                    unsigned int *msg_out);

/*
 * End the session right after the batch: QUIT goes out in the same write
 * as the batch's last command instead of a round trip later.  Call it
 * after pop3_retr_many_begin/pop3_top_many_begin (before or during the
 * iteration), then pop3_quit() after the batch as usual: it reads the
 * reply without sending anything.  Once QUIT is out, every other call gets
 * POP3_E_STATE, and the server ends the session (committing any DELE of
 * this session) whatever the replies to the batch were, even if
 * pop3_quit() is never called.  Without PIPELINING it changes nothing:
 * pop3_quit() sends QUIT.  Returns POP3_OK, POP3_E_STATE (no batch, or
 * QUIT already sent), or a sticky failure.
 */
POP3_API pop3_status pop3_many_then_quit(pop3_client *client);

/*
 * DELE of `count` messages.  results_out, when not NULL, has room for
 * `count` statuses and gets each message's own (POP3_OK or its -ERR
 * status).  Returns POP3_OK when every DELE got +OK, POP3_E_SERVER when
 * any got -ERR (see results_out), or a connection failure; POP3_E_ARG,
 * POP3_E_STATE, POP3_E_BUSY, POP3_E_NOMEM with nothing sent.
 */
POP3_API pop3_status pop3_dele_many(pop3_client *client,
                                    const unsigned int *msgs, size_t count,
                                    pop3_status *results_out);

/*
 * LIST n for `count` messages: sizes_out (room for `count`) gets each
 * size, 0 where the message got -ERR; results_out as for pop3_dele_many.
 * Returns as pop3_dele_many.
 */
POP3_API pop3_status pop3_list_many(pop3_client *client,
                                    const unsigned int *msgs, size_t count,
                                    uint64_t *sizes_out,
                                    pop3_status *results_out);

/* ========================================================================
 * The protocol engine on its own, for event loops (asyncio, nginx
 * cosockets, libuv, ...): a codec that never touches a socket, a clock or
 * errno.  The caller moves the bytes; the codec formats commands and turns
 * the server's bytes into events.
 *
 *   pop3_codec_new(0, 0, &codec);
 *   pop3_codec_expect(codec, POP3_CODEC_STATUS);        the greeting
 *   loop: read bytes from the socket, pop3_codec_feed() them, then call
 *         pop3_codec_next() until it gives POP3_CODEC_NEED_MORE.
 *   For each command: pop3_codec_expect() what its reply is, then
 *   pop3_codec_format() the line and write it.
 *
 * Replies are matched to expectations in order: up to
 * POP3_CODEC_MAX_PENDING may be queued, so commands can be pipelined
 * (RFC 2449 6.6).  Bytes that arrive while nothing is expected are a
 * protocol error, so call pop3_codec_expect() BEFORE writing the command.
 *
 * Events and their spans (pop3_codec_next):
 *   POP3_CODEC_OK / POP3_CODEC_ERR   a status line: the text after "+OK" or
 *                                    "-ERR" and any [RESP-CODE] (see
 *                                    pop3_codec_resp_code), no CRLF;
 *   POP3_CODEC_CONT                  a SASL "+ " continuation: its base64
 *                                    text (POP3_CODEC_SASL only);
 *   POP3_CODEC_LINE                  one listing line, dot-unstuffed, no CRLF;
 *   POP3_CODEC_CHUNK                 a run of body bytes, dot-unstuffed, CRLF
 *                                    line ends kept; chunks follow the feeds,
 *                                    not lines;
 *   POP3_CODEC_END                   the "." that ends a listing or a body
 *                                    (not passed on);
 *   POP3_CODEC_NEED_MORE             all buffered input is used: feed more.
 * A listing or body follows only a +OK to POP3_CODEC_LISTING or
 * POP3_CODEC_BODY; after -ERR the next expectation starts.
 *
 * Status and listing lines are bounded (max_line octets with CRLF, 512 by
 * default, RFC 2449 4); a NUL, a bare LF or a stray CR in one is a
 * protocol error.  Bodies are never held line by line, so a message of any
 * size streams through a buffer of fixed size.  Errors stick: after a
 * POP3_E_PROTOCOL or POP3_E_LINE_TOO_LONG every feed and next returns it
 * again; the session must be dropped (without QUIT, so nothing is
 * deleted).  A codec holds no global state; one codec per connection, and
 * one thread at a time per codec.
 */
typedef struct pop3_codec pop3_codec;

/* What reply the next command gets. */
typedef enum pop3_codec_reply {
    POP3_CODEC_STATUS = 1,  /* one status line (USER, STAT, DELE, QUIT...) */
    POP3_CODEC_LISTING = 2, /* status; after +OK, lines to "." (LIST, UIDL,
                               CAPA) */
    POP3_CODEC_BODY = 3,    /* status; after +OK, a body to "." (RETR, TOP) */
    POP3_CODEC_SASL = 4     /* status, or a "+ " continuation (AUTH and each
                               SASL response line) */
} pop3_codec_reply;

/* What pop3_codec_next found. */
typedef enum pop3_codec_event {
    POP3_CODEC_NEED_MORE = 0,
    POP3_CODEC_OK = 1,
    POP3_CODEC_ERR = 2,
    POP3_CODEC_CONT = 3,
    POP3_CODEC_LINE = 4,
    POP3_CODEC_CHUNK = 5,
    POP3_CODEC_END = 6
} pop3_codec_event;

/* Expectations a codec queues at most. */
#define POP3_CODEC_MAX_PENDING 64
/* Room pop3_codec_format needs: a command of 255 octets with its CRLF
 * (RFC 2449 4) and a terminating NUL. */
#define POP3_CODEC_LINE_MAX 256

/*
 * Create a codec.  `max_line` is the longest status or listing line with
 * its CRLF (0: 512; else at least 64); `buffer_size` the input buffer,
 * and so the largest chunk (0: 65536; else at least 2 * max_line).
 * *codec_out is OWNED: free it with pop3_codec_free().
 * Returns POP3_OK, POP3_E_ARG, POP3_E_NOMEM.
 */
POP3_API pop3_status pop3_codec_new(size_t max_line, size_t buffer_size,
                                    pop3_codec **codec_out);

/* Free a codec.  NULL is ignored. */
POP3_API void pop3_codec_free(pop3_codec *codec);

/*
 * Queue the reply the next command sent will get.  Returns POP3_OK,
 * POP3_E_ARG (NULL codec, unknown kind), POP3_E_BUSY (the queue is full),
 * or the codec's sticky error.
 */
POP3_API pop3_status pop3_codec_expect(pop3_codec *codec,
                                       pop3_codec_reply reply);

/*
 * Copy received bytes into the codec: as many of data[0..len) as fit
 * (*taken_out says how many; feed the rest after pop3_codec_next has
 * drained the buffer).  Spans handed out earlier are invalid afterwards.
 * Returns POP3_OK, POP3_E_ARG (NULL codec or taken_out, NULL data with
 * len > 0), or the sticky error (nothing taken).
 */
POP3_API pop3_status pop3_codec_feed(pop3_codec *codec, const char *input,
                                     size_t input_len, size_t *taken_out);

/*
 * The next event (see above).  *data_out / *len_out is its span, BORROWED
 * from the codec until the next call on it (NULL / 0 for NEED_MORE and
 * END).  Returns POP3_OK, POP3_E_ARG, POP3_E_PROTOCOL (malformed or
 * unexpected input; sticky), POP3_E_LINE_TOO_LONG (sticky).
 */
POP3_API pop3_status pop3_codec_next(pop3_codec *codec,
                                     pop3_codec_event *event_out,
                                     const char **data_out, size_t *len_out);

/*
 * The response code of the last POP3_CODEC_OK or POP3_CODEC_ERR event
 * (RFC 2449 8), without brackets, e.g. "IN-USE"; an empty span (len 0)
 * when it had none.  BORROWED as the event's span.  Returns POP3_OK or
 * POP3_E_ARG.
 */
POP3_API pop3_status pop3_codec_resp_code(const pop3_codec *codec,
                                          const char **data_out,
                                          size_t *len_out);

/* Bytes fed but not yet turned into events.  After the +OK to STLS this
 * must be 0: anything else was sent before the handshake and is an
 * injection attempt (RFC 2595 4). */
POP3_API size_t pop3_codec_pending(const pop3_codec *codec);

/* Replies expected and not yet complete (the one being read counts). */
POP3_API size_t pop3_codec_expected(const pop3_codec *codec);

/*
 * What the client makes of a reply, for event-loop clients to read the
 * same way.  The status a -ERR carrying response code `code` (without
 * brackets; "" or NULL for none) stands for: IN-USE, LOGIN-DELAY,
 * SYS/TEMP, SYS/PERM and AUTH, in any case and possibly followed by
 * "/more" levels, give their own status; anything else gives `dflt`.
 */
POP3_API pop3_status pop3_resp_code_status(const char *code,
                                           pop3_status dflt);

/*
 * The APOP timestamp (RFC 1939 7) in a greeting's text, as
 * pop3_apop_timestamp() finds it: from the first "<" to the next ">",
 * printable ASCII, exactly one "@" neither first nor last, at most 255
 * octets with the brackets.  *data_out points into `greeting` (BORROWED),
 * or is NULL when it holds no such timestamp.  Returns POP3_OK or
 * POP3_E_ARG.
 */
POP3_API pop3_status pop3_apop_stamp(const char *greeting,
                                     const char **data_out,
                                     size_t *len_out);

/*
 * Format one command line, "VERB[ a1[ a2]]\r\n", into line_out (room for
 * POP3_CODEC_LINE_MAX octets), NUL-terminated; *len_out is its length
 * without the NUL.  The checks are the client's: `verb` is 1-8 letters
 * or digits; an argument containing CR or LF, or a line over 255 octets,
 * is refused.  SASL response lines are not commands: write their base64
 * and CRLF yourself (base64 holds neither CR nor LF).
 * a1 may be NULL (no arguments); a2 NULL for one.  Secrets (PASS, APOP)
 * pass through line_out: wipe it after sending.
 * Returns POP3_OK or POP3_E_ARG (nothing written then but an empty line).
 */
POP3_API pop3_status pop3_codec_format(const char *verb, const char *a1,
                                       const char *a2, char *line_out,
                                       size_t *len_out);

/*
 * SASL for codec users: the library's mechanisms (PLAIN, LOGIN, CRAM-MD5,
 * SCRAM-SHA-1, SCRAM-SHA-256, XOAUTH2, OAUTHBEARER), sans I/O, so an
 * event-loop client needs no crypto of its own.  One exchange:
 *
 *   pop3_codec_sasl_new("SCRAM-SHA-256", user, secret, host, port, &s);
 *   pop3_codec_sasl_start(s, 1, &line, &n);  expect POP3_CODEC_SASL, send
 *   loop on the reply:
 *     POP3_CODEC_CONT (its span): pop3_codec_sasl_step() gives the line to
 *       send (expect POP3_CODEC_SASL again);
 *     POP3_CODEC_OK: pop3_codec_sasl_finish() says whether it counts;
 *     POP3_CODEC_ERR: refused; if pop3_codec_sasl_retry() says so, start
 *       again with initial_response 0 (a token mechanism whose one-step
 *       form was refused, as Office 365 does), else give up.
 *   pop3_codec_sasl_free(s);
 *
 * Lines handed out (data_out / len_out, CRLF included) are BORROWED from
 * the exchange until the next call on it; they may hold the secret, and
 * are wiped when replaced and on free.  An exchange holds no global state.
 */
typedef struct pop3_codec_sasl pop3_codec_sasl;

/*
 * Start an exchange with `mechanism` (any case).  user, secret and host
 * are copied (user may be "" for OAUTHBEARER only; secret is the password
 * or, for XOAUTH2 and OAUTHBEARER, the access token); host and port
 * (OAUTHBEARER names the server it talks to; NULL / 0 leave them out).
 * *sasl_out is OWNED: free it with pop3_codec_sasl_free().
 * Returns POP3_OK, POP3_E_ARG (NULL, empty secret, user over 1024 or
 * secret over 16384 octets), POP3_E_UNSUPPORTED (no such mechanism here),
 * POP3_E_NOMEM.
 */
POP3_API pop3_status pop3_codec_sasl_new(const char *mechanism,
                                         const char *user,
                                         const char *secret,
                                         const char *host, unsigned int port,
                                         pop3_codec_sasl **sasl_out);

/* Wipe and free an exchange.  NULL is ignored. */
POP3_API void pop3_codec_sasl_free(pop3_codec_sasl *sasl);

/*
 * The AUTH command line that (re)starts the exchange.  With
 * initial_response nonzero, a mechanism that speaks first puts its first
 * message on it when the line stays within 255 octets (RFC 5034 4);
 * otherwise it is sent after the server's empty first challenge.
 * Returns POP3_OK, POP3_E_ARG (a user or token with control characters,
 * for XOAUTH2 and OAUTHBEARER), POP3_E_NOMEM, POP3_E_UNSUPPORTED (a
 * digest OpenSSL refuses).
 */
POP3_API pop3_status pop3_codec_sasl_start(pop3_codec_sasl *sasl,
                                           int initial_response,
                                           const char **data_out,
                                           size_t *len_out);

/*
 * Answer a "+ " challenge: `challenge` is the POP3_CODEC_CONT span (base64
 * as the server sent it).  Returns POP3_OK with the line to send;
 * POP3_E_PROTOCOL (not strict base64, a malformed or unexpected
 * challenge, too many rounds) or POP3_E_AUTH_SERVER (SCRAM: the server's
 * signature is wrong): drop the session, sending nothing (no line then);
 * any other failure (POP3_E_AUTH when the server reported an error inside
 * the exchange, POP3_E_NOMEM, ...): the line is "*\r\n", which cancels;
 * send it, read the -ERR, and report that status.  A failed exchange
 * stays failed: later steps and pop3_codec_sasl_finish return the same
 * status (with no line) until pop3_codec_sasl_start.  POP3_E_STATE before
 * the first start.
 */
POP3_API pop3_status pop3_codec_sasl_step(pop3_codec_sasl *sasl,
                                          const char *challenge,
                                          size_t challenge_len,
                                          const char **line_out,
                                          size_t *line_len_out);

/* The server said +OK: POP3_OK when it counts; POP3_E_AUTH_SERVER when
 * SCRAM's server never proved that it knows the password, POP3_E_PROTOCOL
 * when +OK came too early or after an error challenge (drop the session
 * then), POP3_E_ARG (NULL, not started). */
POP3_API pop3_status pop3_codec_sasl_finish(const pop3_codec_sasl *sasl);

/* After -ERR with response code `resp_code` ("" or NULL for none): 1 when
 * the exchange should be tried once more with pop3_codec_sasl_start(sasl,
 * 0, ...), else 0. */
POP3_API int pop3_codec_sasl_retry(const pop3_codec_sasl *sasl,
                                   const char *resp_code);

/* The mechanism's name as on the wire, e.g. "SCRAM-SHA-256" (static). */
POP3_API const char *pop3_codec_sasl_name(const pop3_codec_sasl *sasl);

/* What went wrong, for a log ("" when nothing was noted): the server's
 * error challenge (printable ASCII only), or why a challenge was refused.
 * BORROWED until the next call on the exchange.  Never holds a secret. */
POP3_API const char *pop3_codec_sasl_detail(const pop3_codec_sasl *sasl);

#ifdef __cplusplus
}
#endif

#endif /* POP3_POP3_H */
