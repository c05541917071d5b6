/* pop3 cat N: message N, raw (CRLF, as the server sent it), streamed to
 * standard output in constant memory. */
#include "pop3tool.h"

#include <string.h>

int tool_cmd_cat(const tool_opts *o)
{
    tool_session s;
    tool_progress bar;
    unsigned int msg = 0;
    uint64_t size = 0;
    const char *data;
    size_t len;
    pop3_status st;
    int rc;

    if (!o->uid_args && (msg = tool_msg_number(o->args[0])) == 0) {
        fprintf(stderr, "pop3: cat: not a message number: %s\n",
                o->args[0]);
        return TOOL_EXIT_USAGE;
    }
    if ((rc = tool_session_open(o, &s)) != TOOL_EXIT_OK)
        return rc;
    if (o->uid_args && (st = tool_find_uid(s.client, o->args[0], &msg)) !=
                           POP3_OK) {
        rc = st == POP3_DONE ? TOOL_EXIT_SERVER
                             : tool_fail(s.client, "cat: UIDL", st);
        if (st == POP3_DONE)
            fprintf(stderr, "pop3: cat: no message has the UID %s\n",
                    o->args[0]);
        tool_session_close(&s);
        return rc;
    }
    /* The bar only where it cannot mix with the message itself. */
    if (pop3_list_one(s.client, msg, &size) != POP3_OK)
        size = 0;
    tool_progress_init(&bar, !o->quiet && tool_isatty(stderr) &&
                                 !tool_isatty(stdout),
                       1, size);
    st = pop3_retr_begin(s.client, msg);
    while (st == POP3_OK &&
           (st = pop3_body_next(s.client, &data, &len)) == POP3_OK) {
        if (fwrite(data, 1, len, stdout) != len) {
            tool_progress_clear(&bar);
            fprintf(stderr, "pop3: cat: writing standard output failed\n");
            tool_session_close(&s);
            return TOOL_EXIT_STORAGE;
        }
        tool_progress_bytes(&bar, len);
    }
    tool_progress_clear(&bar);
    if (st == POP3_DONE)
        st = pop3_quit(s.client);
    if (st != POP3_OK) {
        char what[64];
        snprintf(what, sizeof what, "cat %u", msg);
        rc = tool_fail(s.client, what, st);
    }
    tool_session_close(&s);
    return rc;
}
