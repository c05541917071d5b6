/*
 * bench_pop3: the libpop3 C runner of the benchmark.
 *
 *     bench_pop3 [--pipelined | --known] HOST PORT USER PASS
 *
 * Logs in with USER/PASS over cleartext, retrieves every message of the
 * maildrop into memory (each chunk is read where the library left it,
 * never copied), quits without deleting anything, and prints the number
 * of body octets received (and a sample sum, so that the bytes are really
 * read).  Exit status 0 on success, 1 on any failure.
 *
 * fetch_all() retrieves one message per round trip (pop3_retr_begin);
 * with --pipelined, CAPA goes out with the connection, before the
 * greeting (opts.early_capa), so that a server listing PIPELINING gets
 * USER, PASS, CAPA and STAT in one write (pop3_login with
 * opts.pipeline_login), and fetch_many() asks for every message as one
 * pipelined batch (pop3_retr_many_begin) with QUIT after its last command
 * (pop3_many_then_quit).  --known is --pipelined for a server known to
 * pipeline (opts.pipelining POP3_PIPELINING_ASSUME): no CAPA before the
 * login, which goes out as soon as the greeting is in.
 */
#include <pop3/pop3.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* The same, as one pipelined batch of messages 1..count. */
static int fetch_many(pop3_client *c, uint64_t count, uint64_t *octets,
                      unsigned *sum)
{
    unsigned int *msgs = malloc((size_t)count * sizeof *msgs);
    unsigned int msg;
    pop3_status st;
    int rc = 0;

    if (!msgs) {
        fprintf(stderr, "bench_pop3: out of memory\n");
        return 1;
    }
    for (uint64_t n = 0; n < count; n++)
        msgs[n] = (unsigned int)(n + 1);
    if (pop3_retr_many_begin(c, msgs, (size_t)count) != POP3_OK ||
        pop3_many_then_quit(c) != POP3_OK)
        rc = fail(c, "RETR batch");
    while (rc == 0 && (st = pop3_many_next(c, &msg)) != POP3_DONE) {
        const char *data;
        size_t len;

        if (st != POP3_OK) {
            rc = fail(c, "RETR");
            break;
        }
        while ((st = pop3_body_next(c, &data, &len)) == POP3_OK) {
            *octets += len;
            for (size_t i = 0; i < len; i += 4096)
                *sum += (unsigned char)data[i];
        }
        if (st != POP3_DONE)
            rc = fail(c, "RETR body");
    }
    free(msgs);
    return rc;
}

int main(int argc, char **argv)
{
    pop3_options opts;
    pop3_client *c = NULL;
    uint64_t count = 0, size = 0, octets = 0;
    unsigned sum = 0;
    int rc = 1, many = 0, known = 0;

    if (argc == 6 && (strcmp(argv[1], "--pipelined") == 0 ||
                      strcmp(argv[1], "--known") == 0)) {
        many = 1;
        known = strcmp(argv[1], "--known") == 0;
        argv++;
        argc--;
    }
    if (argc != 5) {
        fprintf(stderr, "usage: bench_pop3 [--pipelined | --known] HOST "
                        "PORT USER PASS\n");
        return 2;
    }
    pop3_options_init(&opts);
    opts.tls = POP3_TLS_NONE;
    opts.pipeline_login = many; /* Dovecot keeps what precedes the login */
    if (known)
        opts.pipelining = POP3_PIPELINING_ASSUME;
    else
        opts.early_capa = many; /* Dovecot reads what precedes the greeting */
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
    else if ((rc = (many ? fetch_many : fetch_all)(c, count, &octets,
                                                   &sum)) == 0 &&
             pop3_quit(c) != POP3_OK)
        rc = fail(c, "QUIT");
    pop3_client_free(c);
    if (rc == 0)
        printf("%llu %u\n", (unsigned long long)octets, sum);
    return rc;
}
