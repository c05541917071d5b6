/*
 * pop3 -- read, fetch and delete mail on a POP3 server.
 *
 *   pop3 [options] COMMAND URL [args]     (or: pop3 [options] URL COMMAND)
 *
 * Options are parsed here; each command lives in its own cmd_*.c.
 */
#include "pop3tool.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

enum {
    OPT_JSON = 256,
    OPT_HEADERS,
    OPT_KEEP,
    OPT_DRY_RUN,
    OPT_MAX,
    OPT_SINCE_UIDL,
    OPT_MAILDIR,
    OPT_MBOX,
    OPT_EML_DIR,
    OPT_STATE,
    OPT_PASSWORD_FILE,
    OPT_AUTH,
    OPT_TLS,
    OPT_STARTTLS,
    OPT_CLEARTEXT,
    OPT_INSECURE,
    OPT_CA_FILE,
    OPT_TIMEOUT,
    OPT_UID
};

static const struct option long_options[] = {
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {"verbose", no_argument, NULL, 'v'},
    {"quiet", no_argument, NULL, 'q'},
    {"user", required_argument, NULL, 'u'},
    {"json", no_argument, NULL, OPT_JSON},
    {"headers", no_argument, NULL, OPT_HEADERS},
    {"keep", no_argument, NULL, OPT_KEEP},
    {"dry-run", no_argument, NULL, OPT_DRY_RUN},
    {"max", required_argument, NULL, OPT_MAX},
    {"since-uidl", required_argument, NULL, OPT_SINCE_UIDL},
    {"maildir", required_argument, NULL, OPT_MAILDIR},
    {"mbox", required_argument, NULL, OPT_MBOX},
    {"eml-dir", required_argument, NULL, OPT_EML_DIR},
    {"state", required_argument, NULL, OPT_STATE},
    {"password-file", required_argument, NULL, OPT_PASSWORD_FILE},
    {"auth", required_argument, NULL, OPT_AUTH},
    {"tls", no_argument, NULL, OPT_TLS},
    {"starttls", no_argument, NULL, OPT_STARTTLS},
    {"cleartext", no_argument, NULL, OPT_CLEARTEXT},
    {"insecure", no_argument, NULL, OPT_INSECURE},
    {"ca-file", required_argument, NULL, OPT_CA_FILE},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"uid", no_argument, NULL, OPT_UID},
    {NULL, 0, NULL, 0}};

static const struct {
    const char *name;
    int (*run)(const tool_opts *);
    int min_args, max_args;
} commands[] = {{"list", tool_cmd_list, 0, 0},
                {"cat", tool_cmd_cat, 1, 1},
                {"fetch", tool_cmd_fetch, 0, 0},
                {"delete", tool_cmd_delete, 1, 1 << 20},
                {"capa", tool_cmd_capa, 0, 0}};

static void usage(FILE *f)
{
    fputs(
        "usage: pop3 [options] COMMAND URL [ARGS]\n"
        "\n"
        "URL: pop3s://USER@HOST[:PORT]   TLS from the start (port 995)\n"
        "     pop3://USER@HOST[:PORT]    STLS required (port 110)\n"
        "     pop://USER;AUTH=MECH@HOST  RFC 2384\n"
        "\n"
        "commands:\n"
        "  list             number, size and UID of each message\n"
        "  cat N            message N, raw, to standard output\n"
        "  fetch            store messages (--maildir, --mbox, --eml-dir),\n"
        "                   deleting each once stored, unless --keep\n"
        "  delete N...      delete messages (UIDs with --uid)\n"
        "  capa             the server's capabilities\n"
        "\n"
        "options:\n"
        "  -u, --user NAME        user (instead of the URL's)\n"
        "      --password-file F  password from F's first line (else\n"
        "                         $POP3_PASSWORD, ~/.netrc, or a prompt)\n"
        "      --auth MECH        SCRAM-SHA-256, SCRAM-SHA-1, CRAM-MD5, PLAIN,\n"
        "                         LOGIN, XOAUTH2, OAUTHBEARER, APOP or USER\n"
        "                         (default: the strongest both sides have)\n"
        "      --tls              TLS from the first byte\n"
        "      --starttls         STLS, required (the pop3:// default)\n"
        "      --cleartext        no TLS at all: the password is readable\n"
        "                         on the network\n"
        "      --insecure         do not verify the server's certificate\n"
        "      --ca-file FILE     trust the CAs in FILE\n"
        "      --timeout SECONDS  for connecting and for each operation\n"
        "  -v, --verbose          show the protocol exchange (passwords\n"
        "                         masked)\n"
        "  -q, --quiet            no progress bar or summaries\n"
        "      --json             list, capa: JSON output\n"
        "      --headers          list: From, Subject, Date (TOP 0)\n"
        "      --maildir DIR | --mbox FILE | --eml-dir DIR\n"
        "      --keep             fetch: leave mail on the server; fetch\n"
        "                         only what is new since the last run\n"
        "      --state FILE       fetch: the UIDL state file\n"
        "      --max N            fetch: at most N messages\n"
        "      --since-uidl UID   fetch: only messages after this one\n"
        "      --dry-run          fetch: say what would be done\n"
        "  -h, --help, -V, --version\n"
        "\n"
        "exit status: 0 ok, 1 other failure, 2 usage, 3 network, 4 TLS,\n"
        "5 authentication, 6 server error, 7 local storage (see pop3(1))\n",
        f);
}

static int bad_usage(const char *msg, const char *arg)
{
    fprintf(stderr, "pop3: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
    fputs("Try 'pop3 --help'.\n", stderr);
    return TOOL_EXIT_USAGE;
}

static int parse_long(const char *s, long min, long max, long *out)
{
    char *end;
    long v;

    if (*s < '0' || *s > '9')
        return -1;
    v = strtol(s, &end, 10);
    if (*end != '\0' || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

static int parse_options(int argc, char **argv, tool_opts *o)
{
    long v;
    int c;

    memset(o, 0, sizeof *o);
    o->max = -1;
    while ((c = getopt_long(argc, argv, "hVvqu:", long_options, NULL)) !=
           -1) {
        switch (c) {
        case 'h':
            usage(stdout);
            exit(TOOL_EXIT_OK);
        case 'V':
            printf("pop3 (libpop3) %s\n", pop3_version());
            exit(TOOL_EXIT_OK);
        case 'v': o->verbose = 1; break;
        case 'q': o->quiet = 1; break;
        case 'u': o->user = optarg; break;
        case OPT_JSON: o->json = 1; break;
        case OPT_HEADERS: o->headers = 1; break;
        case OPT_KEEP: o->keep = 1; break;
        case OPT_DRY_RUN: o->dry_run = 1; break;
        case OPT_UID: o->uid_args = 1; break;
        case OPT_MAX:
            if (parse_long(optarg, 0, 1L << 30, &o->max) != 0)
                return bad_usage("--max wants a number", optarg);
            break;
        case OPT_SINCE_UIDL:
            if (pop3_uid_check_text(optarg, strlen(optarg)) !=
                POP3_UID_VALID)
                return bad_usage("--since-uidl wants a valid UID", optarg);
            o->since_uidl = optarg;
            break;
        case OPT_MAILDIR: o->maildir = optarg; break;
        case OPT_MBOX: o->mbox = optarg; break;
        case OPT_EML_DIR: o->eml_dir = optarg; break;
        case OPT_STATE: o->state_file = optarg; break;
        case OPT_PASSWORD_FILE: o->password_file = optarg; break;
        case OPT_AUTH:
            if (!tool_auth_known(optarg))
                return bad_usage("--auth: unknown method (SCRAM-SHA-256,"
                                 " SCRAM-SHA-1, CRAM-MD5, PLAIN, LOGIN,"
                                 " XOAUTH2, OAUTHBEARER, APOP, USER)",
                                 optarg);
            o->auth = optarg;
            break;
        case OPT_TLS:
        case OPT_STARTTLS:
        case OPT_CLEARTEXT: {
            tool_tls_choice t = c == OPT_TLS        ? TOOL_TLS_IMPLICIT
                                : c == OPT_STARTTLS ? TOOL_TLS_STARTTLS
                                                    : TOOL_TLS_CLEARTEXT;
            if (o->tls != TOOL_TLS_AUTO && o->tls != t)
                return bad_usage("choose one of --tls, --starttls and"
                                 " --cleartext", NULL);
            o->tls = t;
            break;
        }
        case OPT_INSECURE: o->insecure = 1; break;
        case OPT_CA_FILE: o->ca_file = optarg; break;
        case OPT_TIMEOUT:
            if (parse_long(optarg, 1, 86400, &v) != 0)
                return bad_usage("--timeout wants seconds (1-86400)",
                                 optarg);
            o->timeout_s = (int)v;
            break;
        default:
            fputs("Try 'pop3 --help'.\n", stderr);
            return TOOL_EXIT_USAGE;
        }
    }
    return TOOL_EXIT_OK;
}

int main(int argc, char **argv)
{
    tool_opts o;
    char err[512];
    size_t cmd = 0, ncmd = sizeof commands / sizeof commands[0];
    int rc, pos, url_at = -1, cmd_at;

    if ((rc = parse_options(argc, argv, &o)) != TOOL_EXIT_OK)
        return rc;
    /* The URL anywhere among the words; the command is the first other
     * word (a URL alone lists); the rest are the command's arguments. */
    for (pos = optind; pos < argc && url_at < 0; pos++)
        if (strstr(argv[pos], "://") != NULL)
            url_at = pos;
    if (url_at < 0)
        return bad_usage("no URL (pop3s://USER@HOST)", NULL);
    o.url_text = argv[url_at];
    cmd_at = url_at == optind ? optind + 1 : optind;
    if (cmd_at < argc) {
        for (cmd = 0; cmd < ncmd; cmd++)
            if (strcmp(argv[cmd_at], commands[cmd].name) == 0)
                break;
        if (cmd == ncmd)
            return bad_usage("unknown command", argv[cmd_at]);
    }
    o.command = commands[cmd].name;
    o.args = argv + optind;
    for (pos = optind; pos < argc; pos++)
        if (pos != url_at && pos != cmd_at)
            o.args[o.nargs++] = argv[pos];
    if (o.nargs < commands[cmd].min_args || o.nargs > commands[cmd].max_args)
        return bad_usage(o.nargs < commands[cmd].min_args
                             ? "missing arguments for"
                             : "too many arguments for",
                         o.command);
    if (tool_url_parse(o.url_text, &o.url, err, sizeof err) != 0)
        return bad_usage(err, o.url_text);
    if (o.url.auth != NULL && !tool_auth_known(o.url.auth)) {
        tool_url_free(&o.url);
        return bad_usage("unknown ;AUTH= method in the URL", NULL);
    }
    if (o.url.implicit_tls && o.tls == TOOL_TLS_CLEARTEXT) {
        tool_url_free(&o.url);
        return bad_usage("pop3s:// is TLS; --cleartext contradicts it",
                         NULL);
    }
    rc = commands[cmd].run(&o);
    tool_url_free(&o.url);
    if (fflush(stdout) != 0 && rc == TOOL_EXIT_OK) {
        fprintf(stderr, "pop3: writing standard output failed\n");
        rc = TOOL_EXIT_STORAGE;
    }
    return rc;
}
