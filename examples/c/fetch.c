/*
 * fetch: log in to a POP3 server, list the maildrop, and print every
 * message.  Nothing is deleted.
 *
 *   fetch HOST PORT USER            (password from $POP3_PASSWORD)
 *
 * This talks cleartext (opts.tls = POP3_TLS_NONE), which is only for the
 * local demo server; secure_login.c shows TLS and authentication.
 */
#include <pop3/pop3.h>

#include <stdio.h>
#include <stdlib.h>

static int fail(pop3_client *c, const char *what, pop3_status st)
{
    fprintf(stderr, "fetch: %s: %s", what, pop3_strerror(st));
    if (*pop3_server_text(c) != '\0')
        fprintf(stderr, " (server: %s)", pop3_server_text(c));
    fputc('\n', stderr);
    pop3_client_free(c); /* closes without QUIT: nothing is committed */
    return 1;
}

int main(int argc, char **argv)
{
    pop3_options opts;
    pop3_client *c = NULL;
    pop3_status st;
    uint64_t count, total, i;
    const char *password = getenv("POP3_PASSWORD");

    if (argc != 4 || password == NULL) {
        fprintf(stderr, "usage: POP3_PASSWORD=... fetch HOST PORT USER\n");
        return 2;
    }
    pop3_options_init(&opts);
    opts.tls = POP3_TLS_NONE; /* the demo server is on loopback */
    opts.io_timeout_ms = 10000;
    if ((st = pop3_client_new(&opts, &c)) != POP3_OK) {
        fprintf(stderr, "fetch: %s\n", pop3_strerror(st));
        return 1;
    }
    if ((st = pop3_connect(c, argv[1], (unsigned)atoi(argv[2]))) != POP3_OK)
        return fail(c, "connect", st);
    printf("greeting: %s\n", pop3_greeting(c));
    if ((st = pop3_login(c, argv[3], password)) != POP3_OK)
        return fail(c, "login", st);
    if ((st = pop3_stat(c, &count, &total)) != POP3_OK)
        return fail(c, "STAT", st);
    printf("%llu messages, %llu octets\n", (unsigned long long)count,
           (unsigned long long)total);

    for (i = 1; i <= count; i++) {
        const char *uid, *data;
        size_t len, bytes = 0;

        if ((st = pop3_uidl_one(c, (unsigned)i, &uid)) != POP3_OK)
            return fail(c, "UIDL", st);
        printf("\n=== message %llu (uid %s) ===\n", (unsigned long long)i,
               uid);
        if ((st = pop3_retr_begin(c, (unsigned)i)) != POP3_OK)
            return fail(c, "RETR", st);
        /* Chunks are borrowed from the client until the next call. */
        while ((st = pop3_body_next(c, &data, &len)) == POP3_OK) {
            fwrite(data, 1, len, stdout);
            bytes += len;
        }
        if (st != POP3_DONE)
            return fail(c, "RETR body", st);
        printf("=== %zu octets ===\n", bytes);
    }
    if ((st = pop3_quit(c)) != POP3_OK)
        return fail(c, "QUIT", st);
    pop3_client_free(c);
    return 0;
}
