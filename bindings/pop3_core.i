/*
 * pop3_core.i -- the core C API (pop3/pop3.h) described once for SWIG,
 * shared by every language.  No %module here, and nothing that only one
 * language understands: each language has a thin file (python.i, lua.i)
 * that sets %module, defines the typemaps listed below, then does
 * %include "pop3_core.i".
 *
 * CONTRACT for a language file.  This file defines the numinputs=0 "in"
 * halves of the output parameters (a zero-initialised temporary, so an
 * output the C call did not set reads as NULL or 0).  The language file
 * must define, BEFORE including this file, an "argout" typemap for each
 * (the wrapper's `result` is the pop3_status the call returned; outputs
 * are only meaningful when it is POP3_OK -- push nil/None otherwise):
 *
 *   pop3_client **client_out       the new client, as a wrapped
 *                                  `pop3_client *` ($*1_descriptor);
 *                                  OWNED by the caller: free it with
 *                                  pop3_client_free exactly once.
 *   (const char **data_out, size_t *len_out)
 *                                  one body chunk, BINARY-SAFE: exactly
 *                                  *len_out bytes, may contain NUL
 *                                  (PyBytes_FromStringAndSize,
 *                                  lua_pushlstring).  Borrowed from the
 *                                  client: copy it inside the typemap.
 *   const char **uid_out           a UID string (printable ASCII).
 *   uint64_t *count_out, uint64_t *size_out
 *                                  64-bit unsigned counts and sizes.
 *   unsigned int *msg_out          a message number.
 *   char *hex_out                  pop3_apop_digest's 33-byte buffer:
 *                                  push it as a string.
 *
 * Not wrapped here (language-specific, add your own helper if wanted):
 *   pop3_options.trace / trace_ctx the trace callback.  A language that
 *                                  offers tracing sets both fields from
 *                                  its own %inline helper (the callback
 *                                  runs inside the blocking call: in
 *                                  Python it must take the GIL).
 *   pop3_options string fields     ca_file, ca_path, cert_file, key_file,
 *                                  server_name: SWIG's setters for
 *                                  `const char *` members leak, so they
 *                                  are passed to pop3swig_client_new
 *                                  below instead (NULL/nil/None: unset).
 *
 * Python only: GIL release (%thread) is set in python.i, before this
 * file, by function name -- no language #ifdef is needed here.
 */

%{
#include <stdlib.h>
#include "pop3/pop3.h"
%}

%include <stdint.i>

/* ---- "in" halves of the output parameters (see the contract above) ---- */

%typemap(in, numinputs=0) pop3_client **client_out ($*1_ltype temp) {
    temp = NULL;
    $1 = &temp;
}
%typemap(in, numinputs=0) (const char **data_out, size_t *len_out)
    ($*1_ltype dtemp, size_t ltemp) {
    dtemp = NULL;
    ltemp = 0;
    $1 = &dtemp;
    $2 = &ltemp;
}
%typemap(in, numinputs=0) const char **uid_out ($*1_ltype temp) {
    temp = NULL;
    $1 = &temp;
}
%typemap(in, numinputs=0) uint64_t *count_out ($*1_ltype temp),
                          uint64_t *size_out ($*1_ltype temp) {
    temp = 0;
    $1 = &temp;
}
%typemap(in, numinputs=0) unsigned int *msg_out ($*1_ltype temp) {
    temp = 0;
    $1 = &temp;
}
%typemap(in, numinputs=0) char *hex_out (char temp[33]) {
    temp[0] = '\0';
    $1 = temp;
}

/* ---- pop3_options: created filled with the defaults ---- */

%ignore pop3_options::trace;
%ignore pop3_options::trace_ctx;
%ignore pop3_options::ca_file;
%ignore pop3_options::ca_path;
%ignore pop3_options::cert_file;
%ignore pop3_options::key_file;
%ignore pop3_options::server_name;
%immutable pop3_options::version;

%extend pop3_options {
    pop3_options() {
        pop3_options *o = (pop3_options *)malloc(sizeof *o);
        if (o)
            pop3_options_init(o);
        return o;
    }
    ~pop3_options() {
        free($self);
    }
}

/* ---- the API itself: everything pop3.h declares, so functions other
 * issues append there are picked up without touching this file ---- */

%include "pop3/pop3.h"

/* ---- helpers for bindings only (prefix pop3swig_, not library API) ---- */

%inline %{
/*
 * pop3_client_new with the string options given as arguments: the
 * strings need only live for this call, since pop3_client_new copies
 * them.  `opts` may be NULL for the defaults.
 */
static pop3_status pop3swig_client_new(const pop3_options *opts,
                                       const char *ca_file,
                                       const char *ca_path,
                                       const char *cert_file,
                                       const char *key_file,
                                       const char *server_name,
                                       pop3_client **client_out)
{
    pop3_options o;

    if (opts)
        o = *opts;
    else
        pop3_options_init(&o);
    o.ca_file = ca_file;
    o.ca_path = ca_path;
    o.cert_file = cert_file;
    o.key_file = key_file;
    o.server_name = server_name;
    return pop3_client_new(&o, client_out);
}
%}
