/*
 * The pop3 command-line tool: what its files share.  Built on the public
 * libpop3 API only (<pop3/pop3.h>).
 */
#ifndef POP3TOOL_H
#define POP3TOOL_H

#include <pop3/pop3.h>

#include <stdint.h>
#include <stdio.h>

/* Exit codes, one per kind of failure (documented in docs/pop3.1). */
enum {
    TOOL_EXIT_OK = 0,
    TOOL_EXIT_FAIL = 1,    /* anything else (out of memory, ...) */
    TOOL_EXIT_USAGE = 2,   /* bad options, URL, or no password */
    TOOL_EXIT_NETWORK = 3, /* resolve, connect, I/O, closed, timeout */
    TOOL_EXIT_TLS = 4,     /* handshake, certificate, TLS not offered */
    TOOL_EXIT_AUTH = 5,    /* credentials refused, no usable mechanism */
    TOOL_EXIT_SERVER = 6,  /* -ERR or a reply that breaks the protocol */
    TOOL_EXIT_STORAGE = 7  /* writing mail or the state file failed */
};

/* A parsed pop://, pop3:// or pop3s:// URL (RFC 2384).  Strings owned. */
typedef struct tool_url {
    int implicit_tls;  /* pop3s:// */
    char *host;        /* brackets of an IPv6 literal removed */
    unsigned int port; /* 0 when the URL names none */
    char *user;        /* percent-decoded; NULL when absent */
    char *auth;        /* ";AUTH=" value decoded; NULL when absent */
} tool_url;

typedef enum tool_tls_choice {
    TOOL_TLS_AUTO = 0, /* from the URL: pop3s implicit, else STLS */
    TOOL_TLS_IMPLICIT,
    TOOL_TLS_STARTTLS,
    TOOL_TLS_CLEARTEXT
} tool_tls_choice;

typedef struct tool_opts {
    const char *command;
    const char *url_text;
    tool_url url;
    char **args; /* the command's arguments */
    int nargs;

    int verbose, quiet, json, headers, keep, dry_run, uid_args;
    long max; /* --max; -1 for no limit */
    const char *since_uidl;
    const char *maildir, *mbox, *eml_dir, *state_file;
    const char *password_file, *user, *auth;
    tool_tls_choice tls;
    int insecure;
    const char *ca_file;
    int timeout_s;
} tool_opts;

/* url.c: parse `text`; 0, or -1 with a message in err. */
int tool_url_parse(const char *text, tool_url *url, char *err,
                   size_t err_len);
void tool_url_free(tool_url *url);

/* password.c: the password for user@host from --password-file,
 * $POP3_PASSWORD, ~/.netrc or a prompt without echo, in that order.
 * *out is malloc'd: release with tool_secret_free(). */
int tool_password(const tool_opts *o, const char *user, char **out);
void tool_secret_free(char *secret);

/* netrc.c: login and password for `host` from ~/.netrc (each malloc'd,
 * NULL when absent).  0 when found, 1 when not, -1 on an error (printed). */
int tool_netrc_lookup(const char *host, const char *want_user,
                      char **user_out, char **password_out);

/* session.c: connect and log in.  Returns an exit code; on success
 * *client_out is an authenticated client (free with pop3_client_free). */
typedef struct tool_session {
    pop3_client *client;
    char *user;
    char *password;
    unsigned int port; /* the port connected to */
    int verbose;
} tool_session;
int tool_session_open(const tool_opts *o, tool_session *s);
/* Connect only (no user, no password, no login): for capa.  The client is
 * in the AUTHORIZATION state, under TLS unless --cleartext. */
int tool_session_connect(const tool_opts *o, tool_session *s);
/* Whether --auth (or ;AUTH=) names a method the tool knows. */
int tool_auth_known(const char *mech);
void tool_session_close(tool_session *s);
/* The number of the message with this UID (UIDL listing); POP3_DONE when
 * none has it. */
pop3_status tool_find_uid(pop3_client *c, const char *uid,
                          unsigned int *msg_out);

/* errors.c */
int tool_exit_for(pop3_status st);
/* Print "pop3: what: <reason>" with the server's text when it has one,
 * and return the exit code for st. */
int tool_fail(pop3_client *c, const char *what, pop3_status st);
void tool_warn(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

/* headers.c: From, Subject and Date picked out of a streamed header. */
#define TOOL_HDR_MAX 256
typedef struct tool_headers {
    char from[TOOL_HDR_MAX], subject[TOOL_HDR_MAX], date[TOOL_HDR_MAX];
    char line[1000]; /* current logical header line, truncated */
    size_t len;
    int bol, done;
} tool_headers;
void tool_headers_init(tool_headers *h);
void tool_headers_feed(tool_headers *h, const char *data, size_t len);
void tool_headers_end(tool_headers *h);

/* progress.c: a progress bar on stderr. */
typedef struct tool_progress {
    int enabled, drawn;
    unsigned int msgs_total, msgs_done;
    uint64_t bytes_total, bytes_done;
    double start, last;
} tool_progress;
void tool_progress_init(tool_progress *p, int enabled, unsigned int msgs,
                        uint64_t bytes);
void tool_progress_bytes(tool_progress *p, size_t n);
void tool_progress_msg(tool_progress *p);
/* Clear the bar (before other output, and at the end). */
void tool_progress_clear(tool_progress *p);

/* json.c: a JSON string with quotes; invalid UTF-8 becomes U+FFFD. */
void tool_json_string(FILE *f, const char *s, size_t len);

/* Commands: each returns an exit code. */
int tool_cmd_list(const tool_opts *o);
int tool_cmd_cat(const tool_opts *o);
int tool_cmd_fetch(const tool_opts *o);
int tool_cmd_delete(const tool_opts *o);
int tool_cmd_capa(const tool_opts *o);

/* A message number argument: 1..UINT_MAX, digits only; 0 if not one. */
unsigned int tool_msg_number(const char *s);

/* Format a size for humans ("1.5 MiB") into buf. */
const char *tool_human_size(uint64_t n, char *buf, size_t len);

/* Whether the standard streams are terminals. */
int tool_isatty(FILE *f);

#endif /* POP3TOOL_H */
