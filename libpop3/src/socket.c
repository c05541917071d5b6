/*
 * Plain TCP transport: getaddrinfo over IPv4 and IPv6, non-blocking
 * connect with a deadline, poll-based reads and writes.
 */
#define _DEFAULT_SOURCE

#include "transport.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

pop3_status pop3_wait_fd(int fd, short events, const pop3_deadline *dl)
{
    for (;;) {
        struct pollfd p;
        int left = pop3_deadline_left(dl);
        int rc;

        if (left == 0)
            return POP3_E_TIMEOUT;
        p.fd = fd;
        p.events = events;
        p.revents = 0;
        rc = poll(&p, 1, left);
        if (rc > 0)
            return POP3_OK; /* errors surface in the next recv/send */
        if (rc == 0)
            return POP3_E_TIMEOUT;
        if (errno != EINTR)
            return POP3_E_IO;
    }
}

static pop3_status plain_read(pop3_transport *t, char *buf, size_t cap,
                              size_t *n_out, const pop3_deadline *dl)
{
    for (;;) {
        ssize_t n = recv(t->fd, buf, cap, 0);
        if (n > 0) {
            *n_out = (size_t)n;
            return POP3_OK;
        }
        if (n == 0)
            return POP3_E_EOF;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            pop3_status st = pop3_wait_fd(t->fd, POLLIN, dl);
            if (st != POP3_OK)
                return st;
        } else if (errno == ECONNRESET) {
            return POP3_E_EOF;
        } else if (errno != EINTR) {
            return POP3_E_IO;
        }
    }
}

static pop3_status plain_write(pop3_transport *t, const char *buf,
                               size_t len, const pop3_deadline *dl)
{
    while (len > 0) {
        /* MSG_NOSIGNAL: a closed peer must not kill the caller's process. */
        ssize_t n = send(t->fd, buf, len, MSG_NOSIGNAL);
        if (n > 0) {
            buf += n;
            len -= (size_t)n;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            pop3_status st = pop3_wait_fd(t->fd, POLLOUT, dl);
            if (st != POP3_OK)
                return st;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EPIPE || errno == ECONNRESET)) {
            return POP3_E_EOF;
        } else {
            return POP3_E_IO;
        }
    }
    return POP3_OK;
}

static void plain_close(pop3_transport *t)
{
    (void)t;
}

static const pop3_transport_ops plain_ops = {plain_read, plain_write,
                                             plain_close};

/* One attempt: POP3_OK with *fd_out, POP3_E_TIMEOUT or POP3_E_CONNECT. */
static pop3_status try_address(const struct addrinfo *ai,
                               const pop3_deadline *dl, int *fd_out)
{
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
                                       SOCK_CLOEXEC, ai->ai_protocol);
    int one = 1, err = 0;
    socklen_t errlen = sizeof err;
    pop3_status st;

    if (fd < 0)
        return POP3_E_CONNECT;
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        if (errno != EINPROGRESS && errno != EINTR) {
            close(fd);
            return POP3_E_CONNECT;
        }
        st = pop3_wait_fd(fd, POLLOUT, dl);
        if (st != POP3_OK) {
            close(fd);
            return st;
        }
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &errlen) != 0 ||
            err != 0) {
            close(fd);
            return POP3_E_CONNECT;
        }
    }
    /* Commands are small and each waits for its reply: no Nagle delay. */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    *fd_out = fd;
    return POP3_OK;
}

pop3_status pop3_transport_connect(pop3_transport *t, const char *host,
                                   unsigned int port,
                                   const pop3_deadline *dl)
{
    struct addrinfo hints, *res = NULL, *ai;
    char service[16];
    pop3_status st = POP3_E_CONNECT;
    int rc, fd = -1;

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    snprintf(service, sizeof service, "%u", port);

    rc = getaddrinfo(host, service, &hints, &res);
    if (rc == EAI_MEMORY)
        return POP3_E_NOMEM;
    if (rc != 0 || res == NULL)
        return POP3_E_RESOLVE;

    /* Every address in turn: a dead IPv6 route must not hide IPv4. */
    for (ai = res; ai != NULL; ai = ai->ai_next) {
        pop3_status one = try_address(ai, dl, &fd);
        if (one == POP3_OK) {
            st = POP3_OK;
            break;
        }
        if (one == POP3_E_TIMEOUT) {
            st = POP3_E_TIMEOUT;
            break; /* the deadline covers all attempts */
        }
    }
    freeaddrinfo(res);
    if (st != POP3_OK)
        return st;
    t->ops = &plain_ops;
    t->fd = fd;
    t->ctx = NULL;
    return POP3_OK;
}

void pop3_transport_close(pop3_transport *t)
{
    if (t->ops != NULL && t->ops->close != NULL)
        t->ops->close(t);
    t->ops = NULL;
    t->ctx = NULL;
    if (t->fd >= 0)
        close(t->fd);
    t->fd = -1;
}
