/*
 * pop3 delete N...: mark each message, then QUIT to commit.  All or
 * nothing: if any DELE is refused, the session is dropped without QUIT,
 * so the server deletes none of them.
 */
#include "pop3tool.h"

#include <stdlib.h>
#include <string.h>

int tool_cmd_delete(const tool_opts *o)
{
    tool_session s;
    unsigned int *msgs;
    pop3_status st = POP3_OK;
    char what[128];
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
    for (i = 0; i < o->nargs; i++) {
        if ((st = pop3_dele(s.client, msgs[i])) != POP3_OK) {
            snprintf(what, sizeof what, "delete %u (nothing deleted)",
                     msgs[i]);
            rc = tool_fail(s.client, what, st);
            goto out; /* closing without QUIT undoes the marks */
        }
    }
    if ((st = pop3_quit(s.client)) != POP3_OK) {
        rc = tool_fail(s.client, "delete: QUIT (deletions not confirmed)",
                       st);
        goto out;
    }
    if (!o->quiet)
        printf("deleted %d message%s\n", o->nargs, o->nargs == 1 ? "" : "s");
out:
    free(msgs);
    tool_session_close(&s);
    return rc;
}
