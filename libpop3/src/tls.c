/*
 * TLS through OpenSSL, non-blocking, with poll() for every wait so the
 * handshake and each read or write keep the operation's deadline (a
 * silent server hung fetchmail for days: CVE-2011-1947).  Fails closed:
 * verification on unless turned off by name, SNI and host-name checks,
 * TLS 1.2 at least, no renegotiation.
 */
#include "tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct pop3_tls_config {
    SSL_CTX *ctx;
    BIO_METHOD *bio; /* our socket BIO: see bio_write */
};

/* The state of one TLS connection (transport ctx). */
typedef struct tls_conn {
    SSL *ssl;
    int fatal; /* a fatal error happened: no close_notify (OpenSSL rule) */
} tls_conn;

static void set_detail(char *detail, size_t size, const char *what)
{
    unsigned long e = ERR_peek_last_error();
    char reason[160];

    if (detail == NULL || size == 0)
        return;
    if (e != 0) {
        ERR_error_string_n(e, reason, sizeof reason);
        snprintf(detail, size, "%s: %s", what, reason);
    } else {
        snprintf(detail, size, "%s", what);
    }
}

/* ---- a socket BIO that cannot raise SIGPIPE --------------------------
 * OpenSSL's own socket BIO writes with write(), so a peer that resets
 * the connection would kill the caller's process with SIGPIPE; the plain
 * transport avoids that with MSG_NOSIGNAL, and so does this one. */

static int bio_fd(BIO *b)
{
    return (int)(intptr_t)BIO_get_data(b);
}

static int bio_write(BIO *b, const char *buf, int len)
{
    ssize_t n;

    BIO_clear_retry_flags(b);
    n = send(bio_fd(b), buf, (size_t)len, MSG_NOSIGNAL);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        BIO_set_retry_write(b);
    return (int)n;
}

static int bio_read(BIO *b, char *buf, int len)
{
    ssize_t n;

    BIO_clear_retry_flags(b);
    n = recv(bio_fd(b), buf, (size_t)len, 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        BIO_set_retry_read(b);
    return (int)n;
}

static int bio_puts(BIO *b, const char *s)
{
    return bio_write(b, s, (int)strlen(s));
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    (void)b;
    (void)num;
    (void)ptr;
    return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static int bio_create(BIO *b)
{
    BIO_set_data(b, (void *)(intptr_t)-1);
    BIO_set_init(b, 1);
    return 1;
}

static int bio_destroy(BIO *b)
{
    (void)b;
    return 1; /* the socket belongs to the transport */
}

static BIO_METHOD *make_bio_method(void)
{
    BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK,
                                 "pop3 socket");
    if (m == NULL)
        return NULL;
    if (!BIO_meth_set_write(m, bio_write) || !BIO_meth_set_read(m, bio_read) ||
        !BIO_meth_set_puts(m, bio_puts) || !BIO_meth_set_ctrl(m, bio_ctrl) ||
        !BIO_meth_set_create(m, bio_create) ||
        !BIO_meth_set_destroy(m, bio_destroy)) {
        BIO_meth_free(m);
        return NULL;
    }
    return m;
}

/* ---- the context ------------------------------------------------------ */

/* A key protected by a passphrase must fail to load, not prompt on the
 * terminal: the library never talks to the user. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)u;
    return 0;
}

pop3_status pop3_tls_config_new(const pop3_options *o,
                                pop3_tls_config **cfg_out, char *detail,
                                size_t detail_size)
{
    pop3_tls_config *cfg = calloc(1, sizeof *cfg);
    pop3_status st = POP3_E_TLS;
    const char *what = NULL;

    *cfg_out = NULL;
    if (cfg == NULL)
        return POP3_E_NOMEM;
    ERR_clear_error();
    cfg->ctx = SSL_CTX_new(TLS_client_method());
    cfg->bio = make_bio_method();
    if (cfg->ctx == NULL || cfg->bio == NULL) {
        st = POP3_E_NOMEM;
        goto out;
    }
    if (!SSL_CTX_set_min_proto_version(cfg->ctx, TLS1_2_VERSION)) {
        what = "cannot require TLS 1.2";
        goto out;
    }
    SSL_CTX_set_options(cfg->ctx, SSL_OP_NO_COMPRESSION |
                                      SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_clear_mode(cfg->ctx, SSL_MODE_AUTO_RETRY);
    SSL_CTX_set_default_passwd_cb(cfg->ctx, no_passphrase);

    if (o->tls_verify) {
        SSL_CTX_set_verify(cfg->ctx, SSL_VERIFY_PEER, NULL);
        if (o->ca_file != NULL || o->ca_path != NULL) {
            if (!SSL_CTX_load_verify_locations(cfg->ctx, o->ca_file,
                                               o->ca_path)) {
                what = "cannot load the CA file or directory";
                goto out;
            }
        } else if (!SSL_CTX_set_default_verify_paths(cfg->ctx)) {
            what = "cannot load the system's CA store";
            goto out;
        }
    } else {
        SSL_CTX_set_verify(cfg->ctx, SSL_VERIFY_NONE, NULL);
    }
    if (o->cert_file != NULL) {
        const char *key = o->key_file != NULL ? o->key_file : o->cert_file;
        if (SSL_CTX_use_certificate_chain_file(cfg->ctx, o->cert_file) != 1) {
            what = "cannot load the client certificate";
            goto out;
        }
        if (SSL_CTX_use_PrivateKey_file(cfg->ctx, key, SSL_FILETYPE_PEM) !=
                1 ||
            SSL_CTX_check_private_key(cfg->ctx) != 1) {
            what = "cannot load the client key (or it does not match)";
            goto out;
        }
    } else if (o->key_file != NULL) {
        what = "a client key without a client certificate";
        goto out;
    }
    *cfg_out = cfg;
    ERR_clear_error();
    return POP3_OK;
out:
    if (what != NULL)
        set_detail(detail, detail_size, what);
    ERR_clear_error(); /* leave the thread's error queue as we found it */
    pop3_tls_config_free(cfg);
    return st;
}

void pop3_tls_config_free(pop3_tls_config *cfg)
{
    if (cfg == NULL)
        return;
    SSL_CTX_free(cfg->ctx);
    BIO_meth_free(cfg->bio);
    free(cfg);
}

/* ---- the transport ---------------------------------------------------- */

/* Wait as OpenSSL asks after `rc`; or map the failure to a status. */
static pop3_status tls_wait_or_fail(tls_conn *tc, int fd, int rc,
                                    const pop3_deadline *dl)
{
    switch (SSL_get_error(tc->ssl, rc)) {
    case SSL_ERROR_WANT_READ:
        return pop3_wait_fd(fd, POLLIN, dl);
    case SSL_ERROR_WANT_WRITE:
        return pop3_wait_fd(fd, POLLOUT, dl);
    case SSL_ERROR_ZERO_RETURN: /* close_notify */
        return POP3_E_EOF;
    case SSL_ERROR_SYSCALL:
        tc->fatal = 1;
        return ERR_peek_error() == 0 && (rc == 0 || errno == ECONNRESET ||
                                         errno == EPIPE)
                   ? POP3_E_EOF
                   : POP3_E_IO;
    default:
        tc->fatal = 1;
#ifdef SSL_R_UNEXPECTED_EOF_WHILE_READING
        /* OpenSSL 3: a close without close_notify.  POP3 frames its own
         * replies, so a cut is seen there; report it as a closed peer. */
        if (ERR_GET_REASON(ERR_peek_error()) ==
            SSL_R_UNEXPECTED_EOF_WHILE_READING)
            return POP3_E_EOF;
#endif
        return POP3_E_TLS;
    }
}

static pop3_status tls_read(pop3_transport *t, char *buf, size_t cap,
                            size_t *n_out, const pop3_deadline *dl)
{
    tls_conn *tc = t->ctx;

    for (;;) {
        size_t n = 0;
        pop3_status st;
        int rc;

        ERR_clear_error();
        rc = SSL_read_ex(tc->ssl, buf, cap, &n);
        if (rc == 1 && n > 0) {
            *n_out = n;
            return POP3_OK;
        }
        st = tls_wait_or_fail(tc, t->fd, rc, dl);
        if (st != POP3_OK) {
            ERR_clear_error();
            return st;
        }
    }
}

static pop3_status tls_write(pop3_transport *t, const char *buf, size_t len,
                             const pop3_deadline *dl)
{
    tls_conn *tc = t->ctx;

    while (len > 0) {
        size_t n = 0;
        pop3_status st;
        int rc;

        ERR_clear_error();
        rc = SSL_write_ex(tc->ssl, buf, len, &n);
        if (rc == 1) {
            buf += n;
            len -= n;
            continue;
        }
        /* After WANT_*, OpenSSL wants the same buffer again. */
        st = tls_wait_or_fail(tc, t->fd, rc, dl);
        if (st != POP3_OK) {
            ERR_clear_error();
            return st;
        }
    }
    return POP3_OK;
}

static void tls_close(pop3_transport *t)
{
    tls_conn *tc = t->ctx;

    if (tc == NULL)
        return;
    /* One non-blocking try at close_notify; nobody waits for the reply. */
    if (!tc->fatal)
        SSL_shutdown(tc->ssl);
    SSL_free(tc->ssl);
    free(tc);
    t->ctx = NULL;
    ERR_clear_error();
}

static const pop3_transport_ops tls_ops = {tls_read, tls_write, tls_close};

int pop3_tls_active(const pop3_transport *t)
{
    return t->ops == &tls_ops;
}

/* 1 when name is an IPv4 or IPv6 address literal. */
static int is_ip(const char *name)
{
    unsigned char addr[16];
    return inet_pton(AF_INET, name, addr) == 1 ||
           inet_pton(AF_INET6, name, addr) == 1;
}

static pop3_status set_peer_name(SSL *ssl, const char *name, int verify)
{
    if (is_ip(name)) {
        /* RFC 6066 3: no SNI for an address; match the certificate's
         * iPAddress entries instead of a DNS name. */
        if (verify &&
            !X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name))
            return POP3_E_TLS;
        return POP3_OK;
    }
    if (!SSL_set_tlsext_host_name(ssl, name))
        return POP3_E_TLS;
    if (verify) {
        /* set1_host takes the length from the C string and OpenSSL
         * refuses certificate names with an embedded NUL (fetchmail
         * CVE-2009-2666 compared them as C strings). */
        SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        if (!SSL_set1_host(ssl, name))
            return POP3_E_TLS;
    }
    return POP3_OK;
}

pop3_status pop3_tls_start(pop3_transport *t, pop3_tls_config *cfg,
                           const char *name, const pop3_deadline *dl,
                           char *detail, size_t detail_size)
{
    tls_conn *tc;
    BIO *bio;
    pop3_status st;
    int verify;

    if (t->ops == NULL || t->fd < 0 || pop3_tls_active(t))
        return POP3_E_STATE;
    tc = calloc(1, sizeof *tc);
    if (tc == NULL)
        return POP3_E_NOMEM;
    ERR_clear_error();
    tc->ssl = SSL_new(cfg->ctx);
    bio = tc->ssl != NULL ? BIO_new(cfg->bio) : NULL;
    if (bio == NULL) {
        SSL_free(tc->ssl);
        free(tc);
        ERR_clear_error();
        return POP3_E_NOMEM;
    }
    BIO_set_data(bio, (void *)(intptr_t)t->fd);
    SSL_set_bio(tc->ssl, bio, bio); /* the SSL owns the BIO now */
    verify = SSL_CTX_get_verify_mode(cfg->ctx) != SSL_VERIFY_NONE;
    st = set_peer_name(tc->ssl, name, verify);
    if (st != POP3_OK)
        set_detail(detail, detail_size, "cannot set the server name");

    while (st == POP3_OK) {
        int rc;
        ERR_clear_error();
        rc = SSL_connect(tc->ssl);
        if (rc == 1)
            break;
        st = tls_wait_or_fail(tc, t->fd, rc, dl);
        if (st == POP3_E_TIMEOUT) {
            snprintf(detail, detail_size, "TLS handshake timed out");
        } else if (st != POP3_OK && verify &&
                   SSL_get_verify_result(tc->ssl) != X509_V_OK) {
            snprintf(detail, detail_size, "certificate verify failed: %s",
                     X509_verify_cert_error_string(
                         SSL_get_verify_result(tc->ssl)));
            st = POP3_E_CERT;
        } else if (st == POP3_E_EOF || st == POP3_E_IO) {
            snprintf(detail, detail_size,
                     "connection closed during the TLS handshake");
            st = POP3_E_TLS;
        } else if (st != POP3_OK) {
            set_detail(detail, detail_size, "TLS handshake failed");
        }
    }
    ERR_clear_error();
    if (st != POP3_OK) {
        tc->fatal = 1;
        SSL_free(tc->ssl);
        free(tc);
        return st;
    }
    t->ops = &tls_ops; /* the plain layer holds nothing to release */
    t->ctx = tc;
    return POP3_OK;
}
