/*
 * limit_reader: the "limit" row of the benchmark -- what the server and
 * the loopback give at best, with no client work at all.
 *
 *     limit_reader HOST PORT USER PASS COUNT
 *
 * Writes USER, PASS, RETR 1..COUNT and QUIT in one pipelined stream,
 * reads to EOF without parsing anything, and prints the number of octets
 * received.  Reading and writing share one poll loop, so neither side's
 * buffers can fill up and deadlock.  Exit 0 when the stream ended with
 * the QUIT reply, 1 otherwise.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define TIMEOUT_MS 120000 /* no byte for this long: give up */

/* All the commands, in one malloc'd buffer of *len octets. */
static char *script(const char *user, const char *pass, unsigned long count,
                    size_t *len)
{
    size_t cap = strlen(user) + strlen(pass) + 32 + count * 20, n;
    char *buf = malloc(cap);

    if (!buf)
        return NULL;
    n = (size_t)snprintf(buf, cap, "USER %s\r\nPASS %s\r\n", user, pass);
    for (unsigned long i = 1; i <= count; i++)
        n += (size_t)snprintf(buf + n, cap - n, "RETR %lu\r\n", i);
    n += (size_t)snprintf(buf + n, cap - n, "QUIT\r\n");
    *len = n;
    return buf;
}

/* Keep the last `cap` octets of the stream in tail. */
static void keep_tail(char *tail, size_t *tail_len, size_t cap,
                      const char *data, size_t n)
{
    if (n >= cap) {
        memcpy(tail, data + n - cap, cap);
        *tail_len = cap;
        return;
    }
    if (*tail_len + n > cap) {
        size_t drop = *tail_len + n - cap;
        memmove(tail, tail + drop, *tail_len - drop);
        *tail_len -= drop;
    }
    memcpy(tail + *tail_len, data, n);
    *tail_len += n;
}

/* True when the stream's last line is a +OK: the reply to QUIT, so every
 * RETR before it was answered. */
static int quit_ok(const char *tail, size_t len)
{
    size_t i;

    if (len < 5 || tail[len - 2] != '\r' || tail[len - 1] != '\n')
        return 0;
    for (i = len - 2; i > 0 && tail[i - 1] != '\n'; i--)
        ;
    return len - i >= 5 && memcmp(tail + i, "+OK", 3) == 0;
}

static int connect_to(const char *host, const char *port)
{
    struct sockaddr_in sa;
    int fd;

    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short)strtoul(port, NULL, 10));
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
        return -1;
    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        fcntl(fd, F_SETFL, O_NONBLOCK) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int main(int argc, char **argv)
{
    static char buf[1 << 18];
    char tail[64]; /* the last octets received: QUIT's reply at EOF */
    size_t tail_len = 0;
    unsigned long long got = 0;
    size_t len = 0, sent = 0;
    char *out;
    int fd;

    if (argc != 6) {
        fprintf(stderr, "usage: limit_reader HOST PORT USER PASS COUNT\n");
        return 2;
    }
    out = script(argv[3], argv[4], strtoul(argv[5], NULL, 10), &len);
    fd = connect_to(argv[1], argv[2]);
    if (!out || fd < 0) {
        fprintf(stderr, "limit_reader: cannot connect: %s\n", strerror(errno));
        free(out);
        return 1;
    }
    for (;;) {
        struct pollfd p = {fd, POLLIN | (sent < len ? POLLOUT : 0), 0};
        ssize_t n;

        if (poll(&p, 1, TIMEOUT_MS) <= 0) {
            fprintf(stderr, "limit_reader: timed out\n");
            break;
        }
        if ((p.revents & POLLOUT) && sent < len) {
            n = write(fd, out + sent, len - sent);
            if (n > 0)
                sent += (size_t)n;
            else if (n < 0 && errno != EAGAIN)
                break;
        }
        if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
            n = read(fd, buf, sizeof buf);
            if (n == 0) {
                close(fd);
                free(out);
                printf("%llu\n", got);
                return quit_ok(tail, tail_len) ? 0 : 1;
            }
            if (n < 0 && errno != EAGAIN)
                break;
            if (n > 0) {
                got += (unsigned long long)n;
                keep_tail(tail, &tail_len, sizeof tail, buf, (size_t)n);
            }
        }
    }
    close(fd);
    free(out);
    return 1;
}
