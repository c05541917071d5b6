/*
 * Transport: moving bytes, nothing protocol-specific.  A transport is a
 * small table of functions over a connected socket; plain TCP is one
 * implementation and TLS another, so STLS swaps the table and nothing
 * above notices.
 */
#ifndef POP3_TRANSPORT_H
#define POP3_TRANSPORT_H

#include <stddef.h>

#include "deadline.h"
#include "pop3/pop3.h"

typedef struct pop3_transport pop3_transport;

typedef struct pop3_transport_ops {
    /* Read at most cap bytes (at least one) before the deadline.
     * POP3_OK with *n_out > 0, POP3_E_EOF, POP3_E_TIMEOUT, POP3_E_IO... */
    pop3_status (*read)(pop3_transport *t, char *buf, size_t cap,
                        size_t *n_out, const pop3_deadline *dl);
    /* Write all of buf before the deadline. */
    pop3_status (*write)(pop3_transport *t, const char *buf, size_t len,
                         const pop3_deadline *dl);
    /* Release what the layer holds (not the socket). */
    void (*close)(pop3_transport *t);
} pop3_transport_ops;

struct pop3_transport {
    const pop3_transport_ops *ops;
    int fd;    /* the connected, non-blocking socket; -1 when closed */
    void *ctx; /* the layer's own state (e.g. the TLS session) */
};

/* Resolve host and connect to the first address that answers before the
 * deadline; t becomes a plain transport.  POP3_E_RESOLVE, POP3_E_CONNECT,
 * POP3_E_TIMEOUT, POP3_E_NOMEM. */
pop3_status pop3_transport_connect(pop3_transport *t, const char *host,
                                   unsigned int port,
                                   const pop3_deadline *dl);

/* Close the layer and the socket; safe to call twice. */
void pop3_transport_close(pop3_transport *t);

/* Wait until fd is readable (events POLLIN) or writable (POLLOUT). */
pop3_status pop3_wait_fd(int fd, short events, const pop3_deadline *dl);

#endif /* POP3_TRANSPORT_H */
