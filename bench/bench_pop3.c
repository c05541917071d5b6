/*
 * bench_pop3: the libpop3 C runner of the benchmark.
 *
 *     bench_pop3 HOST PORT USER PASS
 *
 * Logs in with USER/PASS over cleartext, retrieves every message of the
 * maildrop into memory (each chunk is read where the library left it,
 * never copied), quits without deleting anything, and prints the number
 * of body octets received (and a sample sum, so that the bytes are really
 * read).  Exit status 0 on success, 1 on any failure.
 *
 * fetch_all() is the one place that knows how messages are retrieved:
 * when the library gains a pipelined iterator over many messages, only
 * that function changes.
 */
#include <pop3/pop3.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static int fail(pop3_client *c, const char *what)
{
    fprintf(stderr, "bench_pop3: %s: %s: %s\n", what,
            pop3_strerror(pop3_last_status(c)), pop3_server_text(c));
    return 1;
}

/* Retrieve messages 1..count and add their body octets to *octets; one
 * byte of each page goes into *sum, so the data is really touched. */
static int fetch_all(pop3_client *c, uint64_t count, uint64_t *octets,
                     unsigned *sum)
{
    for (uint64_t n = 1; n <= count; n++) {
        const char *data;
        size_t len;
        pop3_status st;

        if (pop3_retr_begin(c, (unsigned int)n) != POP3_OK)
            return fail(c, "RETR");
        while ((st = pop3_body_next(c, &data, &len)) == POP3_OK) {
            *octets += len;
            for (size_t i = 0; i < len; i += 4096)
                *sum += (unsigned char)data[i];
        }
        if (st != POP3_DONE)
            return fail(c, "RETR body");
    }
    return 0;
}

int main(int argc, char **argv)
{
    pop3_options opts;
    pop3_client *c = NULL;
    uint64_t count = 0, size = 0, octets = 0;
    unsigned sum = 0;
    int rc = 1;

    if (argc != 5) {
        fprintf(stderr, "usage: bench_pop3 HOST PORT USER PASS\n");
        return 2;
    }
    pop3_options_init(&opts);
    opts.tls = POP3_TLS_NONE;
    if (pop3_client_new(&opts, &c) != POP3_OK) {
        fprintf(stderr, "bench_pop3: cannot create a client\n");
        return 1;
    }
    if (pop3_connect(c, argv[1], (unsigned int)strtoul(argv[2], NULL, 10))
        != POP3_OK)
        rc = fail(c, "connect");
    else if (pop3_login(c, argv[3], argv[4]) != POP3_OK)
        rc = fail(c, "login");
    else if (pop3_stat(c, &count, &size) != POP3_OK)
        rc = fail(c, "STAT");
    else if ((rc = fetch_all(c, count, &octets, &sum)) == 0 &&
             pop3_quit(c) != POP3_OK)
        rc = fail(c, "QUIT");
    pop3_client_free(c);
    if (rc == 0)
        printf("%llu %u\n", (unsigned long long)octets, sum);
    return rc;
}
