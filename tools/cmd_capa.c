/*
 * pop3 capa: the server's capabilities (RFC 2449), as it announces them
 * before login -- after STLS when the session uses it, since what a server
 * says in cleartext may differ (RFC 2595 4).  No user or password needed:
 * the tool connects, reads CAPA and says QUIT.
 *
 *   text:   the capability lines as sent, one a line
 *   --json: {"host":..., "port":..., "tls":bool,
 *            "capabilities":{"NAME":["arg",...],...}, "lines":[...]}
 */
#include "pop3tool.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Length of the name at the start of a capability line. */
static size_t name_len(const char *line)
{
    return strcspn(line, " ");
}

/* Whether an earlier line has the same name: the first one counts, as
 * for pop3_capa_arg (and the JSON object then has each key once). */
static int listed_before(pop3_client *c, size_t index, const char *line)
{
    size_t i, n = name_len(line);

    for (i = 0; i < index; i++) {
        const char *prev = pop3_capa_line(c, i);
        if (prev != NULL && name_len(prev) == n &&
            strncasecmp(prev, line, n) == 0)
            return 1;
    }
    return 0;
}

static void print_json(const tool_opts *o, const tool_session *s,
                       pop3_client *c)
{
    size_t i, k;
    const char *line;

    printf("{\"host\":");
    tool_json_string(stdout, o->url.host, strlen(o->url.host));
    printf(",\"port\":%u,\"tls\":%s,\"capabilities\":{", s->port,
           pop3_is_tls(c) ? "true" : "false");
    for (i = k = 0; (line = pop3_capa_line(c, i)) != NULL; i++) {
        size_t n = name_len(line), j;
        const char *p = line + n;
        char name[512];
        int first = 1;

        if (listed_before(c, i, line))
            continue;
        if (n >= sizeof name)
            n = sizeof name - 1;
        for (j = 0; j < n; j++) /* names compare without case */
            name[j] = line[j] >= 'a' && line[j] <= 'z'
                          ? (char)(line[j] - 'a' + 'A')
                          : line[j];
        printf("%s", k++ ? "," : "");
        tool_json_string(stdout, name, n);
        putchar(':');
        putchar('[');
        while (*p != '\0') { /* the arguments, split at spaces */
            size_t len;
            p += strspn(p, " ");
            len = strcspn(p, " ");
            if (len == 0)
                break;
            printf("%s", first ? "" : ",");
            tool_json_string(stdout, p, len);
            first = 0;
            p += len;
        }
        putchar(']');
    }
    printf("},\"lines\":[");
    for (i = 0; (line = pop3_capa_line(c, i)) != NULL; i++) {
        printf("%s", i ? "," : "");
        tool_json_string(stdout, line, strlen(line));
    }
    puts("]}");
}

int tool_cmd_capa(const tool_opts *o)
{
    tool_session s;
    pop3_status st = POP3_OK;
    const char *line;
    size_t i;
    int rc = tool_session_connect(o, &s);

    if (rc != TOOL_EXIT_OK)
        return rc;
    /* The STLS modes read CAPA again after the handshake already. */
    if (pop3_capa_line(s.client, 0) == NULL)
        st = pop3_capa(s.client);
    if (st == POP3_E_SERVER) {
        fprintf(stderr, "pop3: capa: the server has no CAPA command (an RFC"
                        " 1939 server without extensions)");
        if (*pop3_server_text(s.client) != '\0')
            fprintf(stderr, " (server said: %s)", pop3_server_text(s.client));
        fputc('\n', stderr);
        rc = TOOL_EXIT_SERVER;
    } else if (st != POP3_OK) {
        rc = tool_fail(s.client, "capa", st);
    } else if (o->json) {
        print_json(o, &s, s.client);
    } else {
        for (i = 0; (line = pop3_capa_line(s.client, i)) != NULL; i++)
            puts(line);
    }
    if (pop3_get_state(s.client) == POP3_STATE_AUTHORIZATION)
        pop3_quit(s.client); /* nothing to commit: its outcome is moot */
    tool_session_close(&s);
    return rc;
}
