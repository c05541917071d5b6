/*
 * The TLS transport (RFC 8314 implicit TLS, RFC 2595 STLS) over OpenSSL.
 * Only tls.c includes OpenSSL's SSL headers: everything above sees a
 * pop3_transport whose table now encrypts.
 */
#ifndef POP3_TLS_H
#define POP3_TLS_H

#include <stddef.h>

#include "transport.h"

/* One client's TLS settings: an SSL_CTX and the socket BIO method, made
 * from its options and kept until the client is freed (no globals). */
typedef struct pop3_tls_config pop3_tls_config;

/*
 * Make the context: TLS 1.2 at least, verification of the chain (against
 * ca_file / ca_path, or the system's store) unless opts->tls_verify is 0,
 * and the client certificate and key when given.  Files are read now.
 * Returns POP3_OK, POP3_E_NOMEM, or POP3_E_TLS with a sentence in detail.
 */
pop3_status pop3_tls_config_new(const pop3_options *opts,
                                pop3_tls_config **cfg_out, char *detail,
                                size_t detail_size);

void pop3_tls_config_free(pop3_tls_config *cfg);

/*
 * Shake hands over t's connected plain socket before the deadline, then
 * make t a TLS transport.  `name` is sent as SNI and checked against the
 * certificate (as an IP address when it is one: no SNI then, RFC 6066 3).
 * Returns POP3_OK, POP3_E_CERT (chain or name not trusted), POP3_E_TLS,
 * POP3_E_TIMEOUT, POP3_E_EOF, POP3_E_NOMEM; detail says why.  On failure
 * t is unchanged (still plain): the caller closes it.
 */
pop3_status pop3_tls_start(pop3_transport *t, pop3_tls_config *cfg,
                           const char *name, const pop3_deadline *dl,
                           char *detail, size_t detail_size);

/* 1 when t is a TLS transport. */
int pop3_tls_active(const pop3_transport *t);

#endif /* POP3_TLS_H */
