/* pop3 capa: the server's capabilities (RFC 2449). */
#include "pop3tool.h"

int tool_cmd_capa(const tool_opts *o)
{
    (void)o;
    /* libpop3 has no public CAPA call yet, and the tool uses the public
     * API only. */
    fprintf(stderr, "pop3: capa: not available in this build of libpop3"
                    " (%s)\n", pop3_version());
    return TOOL_EXIT_FAIL;
}
