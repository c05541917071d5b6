/*
 * pop3 delete N...: mark each message (the DELEs pipelined), then QUIT
 * to commit.  All or nothing: if any DELE is refused, the session is
 * dropped without QUIT, so the server deletes none of them.
 */
#include "pop3tool.h"

#include <stdlib.h>
#include <string.h>

int tool_cmd_delete(const tool_opts *o)
{
    tool_session s;
    unsigned int *msgs;
    pop3_status st = POP3_OK, *res = NULL;
    int i, rc;

    if ((msgs = calloc((size_t)o->nargs, sizeof *msgs)) == NULL)
        return TOOL_EXIT_FAIL;
    for (i = 0; !o->uid_args && i < o->nargs; i++)
        if ((msgs[i] = tool_msg_number(o->args[i])) == 0) {
            fprintf(stderr, "pop3: delete: not a message number: %s\n",
                    o->args[i]);
            free(msgs);
            return TOOL_EXIT_USAGE;
        }
    if ((rc = tool_session_open(o, &s)) != TOOL_EXIT_OK) {
        free(msgs);
        return rc;
    }
    for (i = 0; o->uid_args && i < o->nargs; i++) {
        if ((st = tool_find_uid(s.client, o->args[i], &msgs[i])) == POP3_OK)
            continue;
        if (st == POP3_DONE) {
            fprintf(stderr, "pop3: delete: no message has the UID %s;"
                            " nothing deleted\n", o->args[i]);
            rc = TOOL_EXIT_SERVER;
        } else {
            rc = tool_fail(s.client, "delete: UIDL", st);
        }
        goto out;
    }
    if ((res = calloc((size_t)o->nargs, sizeof *res)) == NULL) {
        rc = TOOL_EXIT_FAIL;
        goto out;
    }
    st = pop3_dele_many(s.client, msgs, (size_t)o->nargs, res);
    if (st == POP3_E_SERVER &&
        pop3_get_state(s.client) == POP3_STATE_TRANSACTION) {
        for (i = 0; i < o->nargs; i++) {
            if (res[i] == POP3_OK)
                continue;
            fprintf(stderr, "pop3: delete %u: %s", msgs[i],
                    pop3_strerror(res[i]));
            /* The server's words belong to the last reply only. */
            if (i == o->nargs - 1 && *pop3_server_text(s.client) != '\0')
                fprintf(stderr, " (server said: %s)",
                        pop3_server_text(s.client));
            fputc('\n', stderr);
        }
        fprintf(stderr, "pop3: delete: nothing deleted\n");
        rc = TOOL_EXIT_SERVER;
        goto out; /* closing without QUIT undoes the marks */
    }
    if (st != POP3_OK) {
        rc = tool_fail(s.client, "delete (nothing deleted)", st);
        goto out;
    }
    if ((st = pop3_quit(s.client)) != POP3_OK) {
        rc = tool_fail(s.client, "delete: QUIT (deletions not confirmed)",
                       st);
        goto out;
    }
    if (!o->quiet)
        printf("deleted %d message%s\n", o->nargs, o->nargs == 1 ? "" : "s");
out:
    free(res);
    free(msgs);
    tool_session_close(&s);
    return rc;
}
