/*
 * secure_login: connect with TLS, verify the server, log in with the
 * strongest method both sides support (or the one named), and show the
 * maildrop's size.  Nothing is deleted.
 *
 *   secure_login [--ca FILE] [--mech NAME] [--implicit] HOST PORT USER
 *
 * The password (or, for XOAUTH2 and OAUTHBEARER, the access token) comes
 * from $POP3_PASSWORD.  Port 995 means implicit TLS (POP3S), any other
 * port STLS, required -- unless --implicit says the port is a POP3S one.
 * Nothing goes out in cleartext.
 */
#include <pop3/pop3.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    const char *secret = getenv("POP3_PASSWORD");
    const char *mech = NULL;
    pop3_options opts;
    pop3_client *c = NULL;
    pop3_status st;
    uint64_t count, size;
    int i = 1;

    pop3_options_init(&opts); /* TLS and verification are the defaults */
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        if (strcmp(argv[i], "--implicit") == 0)
            opts.tls = POP3_TLS_IMPLICIT;
        else if (strcmp(argv[i], "--ca") == 0 && i + 1 < argc)
            opts.ca_file = argv[++i]; /* else the system's CA store */
        else if (strcmp(argv[i], "--mech") == 0 && i + 1 < argc)
            mech = argv[++i];
        else
            break;
    }
    if (argc - i != 3 || secret == NULL) {
        fprintf(stderr, "usage: POP3_PASSWORD=... secure_login [--ca FILE] "
                        "[--mech NAME] [--implicit] HOST PORT USER\n");
        return 2;
    }
    if (pop3_client_new(&opts, &c) != POP3_OK)
        return 1;

    st = pop3_connect(c, argv[i], (unsigned)atoi(argv[i + 1]));
    if (st == POP3_OK)
        st = mech != NULL ? pop3_auth(c, mech, argv[i + 2], secret)
                          : pop3_authenticate(c, argv[i + 2], secret);
    if (st == POP3_OK)
        st = pop3_stat(c, &count, &size);
    if (st != POP3_OK) {
        /* The status says what kind of failure; the detail says why (a
         * certificate problem, no usable method...); the server's text
         * and [CODE] say what the server answered.  Never a secret. */
        fprintf(stderr, "secure_login: %s", pop3_strerror(st));
        if (*pop3_error_detail(c) != '\0')
            fprintf(stderr, ": %s", pop3_error_detail(c));
        if (*pop3_server_text(c) != '\0')
            fprintf(stderr, " (server: [%s] %s)", pop3_resp_code(c),
                    pop3_server_text(c));
        fputc('\n', stderr);
        pop3_client_free(c);
        return st == POP3_E_AUTH ? 5 : 1;
    }
    printf("logged in over %s with %s: %llu messages, %llu octets\n",
           pop3_is_tls(c) ? "TLS" : "cleartext", pop3_auth_used(c),
           (unsigned long long)count, (unsigned long long)size);
    pop3_quit(c);
    pop3_client_free(c);
    return 0;
}
