/*
 * The Lua face of the core API: the private module `pop3.core`
 * (luaopen_pop3_core), wrapped by the hand-written lua/pop3.lua.
 *
 * Only Lua-specific things live here: the module name, the typemaps that
 * turn output pointers into extra return values, the options table and
 * the client's __gc.  The API itself is described once in pop3_core.i.
 *
 * Every output typemap pushes exactly one value (nil when the call did
 * not return POP3_OK), so each wrapped call returns the status first and
 * then a fixed number of values, whatever happened.
 */
%module pop3_core

%{
#include <string.h>
#include "pop3/pop3.h"

int luaopen_pop3_core(lua_State *L); /* the module's only export */

/* Integers above 2^53 lose precision as a double; 5.3+ has 64-bit ints. */
static void pop3_lua_push_u64(lua_State *L, uint64_t v)
{
#if LUA_VERSION_NUM >= 503
    if (v <= (uint64_t)LUA_MAXINTEGER) {
        lua_pushinteger(L, (lua_Integer)v);
        return;
    }
#endif
    lua_pushnumber(L, (lua_Number)v);
}

/* An optional string field of the options table.  The string stays on
 * the stack (below the wrapper's results) so its pointer is valid for
 * the whole call; pop3_client_new copies it. */
static const char *pop3_lua_opt_string(lua_State *L, int t, const char *k)
{
    lua_getfield(L, t, k);
    if (lua_isnil(L, -1))
        return NULL;
    if (lua_type(L, -1) != LUA_TSTRING)
        luaL_error(L, "pop3.core: option %s must be a string", k);
    return lua_tostring(L, -1);
}

static int pop3_lua_opt_int(lua_State *L, int t, const char *k, int dflt)
{
    lua_Number n;
    lua_getfield(L, t, k);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        return dflt;
    }
    if (lua_type(L, -1) != LUA_TNUMBER)
        luaL_error(L, "pop3.core: option %s must be a number", k);
    n = lua_tonumber(L, -1);
    if (!(n >= 0 && n <= 2147483647.0))
        luaL_error(L, "pop3.core: option %s out of range", k);
    lua_pop(L, 1);
    return (int)n;
}

/* Fill opts from the table at index t (field names as in pop3_options). */
static void pop3_lua_options(lua_State *L, int t, pop3_options *opts)
{
    pop3_options_init(opts);
    if (!lua_checkstack(L, 8))
        luaL_error(L, "pop3.core: stack overflow");
    opts->connect_timeout_ms =
        pop3_lua_opt_int(L, t, "connect_timeout_ms", opts->connect_timeout_ms);
    opts->io_timeout_ms =
        pop3_lua_opt_int(L, t, "io_timeout_ms", opts->io_timeout_ms);
    opts->max_line =
        (size_t)pop3_lua_opt_int(L, t, "max_line", (int)opts->max_line);
    opts->buffer_size =
        (size_t)pop3_lua_opt_int(L, t, "buffer_size", (int)opts->buffer_size);
    opts->tls = (pop3_tls_mode)pop3_lua_opt_int(L, t, "tls", (int)opts->tls);
    opts->tls_verify = pop3_lua_opt_int(L, t, "tls_verify", opts->tls_verify);
    opts->ca_file = pop3_lua_opt_string(L, t, "ca_file");
    opts->ca_path = pop3_lua_opt_string(L, t, "ca_path");
    opts->cert_file = pop3_lua_opt_string(L, t, "cert_file");
    opts->key_file = pop3_lua_opt_string(L, t, "key_file");
    opts->server_name = pop3_lua_opt_string(L, t, "server_name");
    opts->auth_methods = (unsigned int)pop3_lua_opt_int(
        L, t, "auth_methods", (int)opts->auth_methods);
    opts->allow_cleartext =
        pop3_lua_opt_int(L, t, "allow_cleartext", opts->allow_cleartext);
    opts->utf8 = pop3_lua_opt_int(L, t, "utf8", opts->utf8);
    opts->pipeline_login =
        pop3_lua_opt_int(L, t, "pipeline_login", opts->pipeline_login);
    opts->early_capa = pop3_lua_opt_int(L, t, "early_capa", opts->early_capa);
    /* Passed as given: pop3_client_new refuses a value out of the enum. */
    opts->pipelining = (pop3_pipelining)pop3_lua_opt_int(
        L, t, "pipelining", (int)opts->pipelining);
}

/* A Lua array of message numbers, copied into a userdata left on the
 * stack: the collector frees it, also when a bad element raises. */
static size_t pop3_lua_msg_list(lua_State *L, int t, unsigned int **out)
{
    size_t n, i;
    unsigned int *v;

#if LUA_VERSION_NUM >= 502
    n = (size_t)lua_rawlen(L, t);
#else
    n = (size_t)lua_objlen(L, t);
#endif
    if (n > 1000000)
        luaL_error(L, "pop3.core: more than 1000000 messages in a list");
    v = (unsigned int *)lua_newuserdata(L, (n ? n : 1) * sizeof *v);
    for (i = 0; i < n; i++) {
        lua_Number x;
        lua_rawgeti(L, t, (int)(i + 1));
        x = lua_type(L, -1) == LUA_TNUMBER ? lua_tonumber(L, -1) : 0;
        if (!(x >= 1 && x <= 4294967295.0) ||
            (lua_Number)(unsigned int)x != x)
            luaL_error(L, "pop3.core: message list item %d is not a "
                          "message number", (int)(i + 1));
        v[i] = (unsigned int)x;
        lua_pop(L, 1);
    }
    *out = v;
    return n;
}
%}

/* Freeing is __gc's job alone (see pop3_client below), so Lua code can
 * never free a client twice. */
%ignore pop3_client_free;
/* Options are a plain table in Lua (typemap below, which also serves
 * pop3swig_client_new), so no struct proxy is needed.  The trace hook has
 * no Lua form. */
%ignore pop3_options;
%ignore pop3_options_init;

/* ---- inputs ---------------------------------------------------------- */

/* The options are a plain table, read into a pop3_options on the C stack:
 * no struct proxy, no copies of strings to leak. */
%typemap(in, checkfn="lua_istable") const pop3_options *opts
    (pop3_options tmp) {
    pop3_lua_options(L, $input, &tmp);
    $1 = &tmp;
}

/* ---- outputs: one pushed value each, nil unless the call succeeded.
 * pop3_core.i defines their "in" halves (zero-initialised temporaries). */

%typemap(argout) pop3_client **client_out {
    /* Owned by the userdata: __gc frees it, closing without QUIT. */
    if (result == POP3_OK && *$1 != NULL)
        SWIG_NewPointerObj(L, *$1, $*1_descriptor, 1);
    else
        lua_pushnil(L);
    SWIG_arg++;
}

/* A body chunk: copied once, binary-safe, while it is still valid. */
%typemap(argout) (const char **data_out, size_t *len_out) {
    if (result == POP3_OK && *$1 != NULL)
        lua_pushlstring(L, *$1, *$2);
    else
        lua_pushnil(L);
    SWIG_arg++;
}

/* pop3_codec_sasl_step's line comes with POP3_OK and also with the
 * failures that cancel the exchange ("*"): pushed whenever there is one. */
%typemap(in, numinputs=0) (const char **line_out, size_t *line_len_out)
    ($*1_ltype ltemp, size_t lentemp) {
    ltemp = NULL;
    lentemp = 0;
    $1 = &ltemp;
    $2 = &lentemp;
}
%typemap(argout) (const char **line_out, size_t *line_len_out) {
    if (*$1 != NULL)
        lua_pushlstring(L, *$1, *$2);
    else
        lua_pushnil(L);
    SWIG_arg++;
}

%typemap(argout) const char **uid_out {
    if (result == POP3_OK && *$1 != NULL)
        lua_pushstring(L, *$1);
    else
        lua_pushnil(L);
    SWIG_arg++;
}

%typemap(argout) uint64_t *count_out, uint64_t *size_out {
    if (result == POP3_OK)
        pop3_lua_push_u64(L, *$1);
    else
        lua_pushnil(L);
    SWIG_arg++;
}

%typemap(argout) unsigned int *msg_out {
    if (result == POP3_OK)
        pop3_lua_push_u64(L, *$1);
    else
        lua_pushnil(L);
    SWIG_arg++;
}

/* The APOP digest: 32 hex digits and a NUL. */
%typemap(argout) char *hex_out {
    if (result == POP3_OK)
        lua_pushstring(L, $1);
    else
        lua_pushnil(L);
    SWIG_arg++;
}

/* ---- pop3_codec, the engine for event loops (pop3.cosocket) ----
 * Input is any Lua string, binary-safe.  The codec is a userdata freed by
 * its __gc (see the end of this file), so Lua never frees it twice. */
%ignore pop3_codec_free;
%typemap(in, checkfn="lua_isstring") (const char *input, size_t input_len) {
    size_t n = 0;
    $1 = (char *)lua_tolstring(L, $input, &n);
    $2 = n;
}
%typemap(in, numinputs=0) pop3_codec **codec_out ($*1_ltype temp) {
    temp = NULL;
    $1 = &temp;
}
%typemap(argout) pop3_codec **codec_out {
    if (result == POP3_OK && *$1 != NULL)
        SWIG_NewPointerObj(L, *$1, $*1_descriptor, 1);
    else
        lua_pushnil(L);
    SWIG_arg++;
}
/* pop3_codec_sasl: a userdata too, wiped and freed by its __gc. */
%ignore pop3_codec_sasl_free;
%typemap(in, numinputs=0) pop3_codec_sasl **sasl_out ($*1_ltype temp) {
    temp = NULL;
    $1 = &temp;
}
%typemap(argout) pop3_codec_sasl **sasl_out {
    if (result == POP3_OK && *$1 != NULL)
        SWIG_NewPointerObj(L, *$1, $*1_descriptor, 1);
    else
        lua_pushnil(L);
    SWIG_arg++;
}
%typemap(in, checkfn="lua_isstring")
    (const char *challenge, size_t challenge_len) {
    size_t n = 0;
    $1 = (char *)lua_tolstring(L, $input, &n);
    $2 = n;
}
%typemap(in, numinputs=0) size_t *taken_out (size_t temp) {
    temp = 0;
    $1 = &temp;
}
%typemap(argout) size_t *taken_out {
    pop3_lua_push_u64(L, (uint64_t)*$1);
    SWIG_arg++;
}
%typemap(in, numinputs=0) pop3_codec_event *event_out ($*1_ltype temp) {
    temp = POP3_CODEC_NEED_MORE;
    $1 = &temp;
}
%typemap(argout) pop3_codec_event *event_out {
    lua_pushinteger(L, (lua_Integer)*$1);
    SWIG_arg++;
}
%typemap(in, numinputs=0) (char *line_out, size_t *len_out)
    (char temp[POP3_CODEC_LINE_MAX], size_t ltemp) {
    temp[0] = '\0';
    ltemp = 0;
    $1 = temp;
    $2 = &ltemp;
}
%typemap(argout) (char *line_out, size_t *len_out) {
    if (result == POP3_OK)
        lua_pushlstring(L, $1, *$2);
    else
        lua_pushnil(L);
    SWIG_arg++;
    /* It may have held a password.  Through a volatile pointer, since
     * a plain memset of a dying local may be dropped as a dead store. */
    {
        void *(*volatile wipe)(void *, int, size_t) = memset;
        wipe($1, 0, POP3_CODEC_LINE_MAX);
    }
}

/* ---- batches (pop3_retr_many_begin, pop3_dele_many): a Lua array of
 * message numbers in; DELE's per-message statuses out as an array. */
%typemap(in, checkfn="lua_istable") (const unsigned int *msgs, size_t count)
    (unsigned int *v = NULL) {
    $2 = pop3_lua_msg_list(L, $input, &v);
    $1 = v;
}
%typemap(in, checkfn="lua_istable")
    (const unsigned int *msgs, size_t count, pop3_status *results_out)
    (unsigned int *v = NULL) {
    $2 = pop3_lua_msg_list(L, $input, &v);
    $1 = v;
    $3 = (pop3_status *)lua_newuserdata(L, ($2 ? $2 : 1) * sizeof *$3);
}
%typemap(argout)
    (const unsigned int *msgs, size_t count, pop3_status *results_out) {
    /* Filled when every DELE was answered (+OK, or -ERR for some). */
    if (result == POP3_OK || result == POP3_E_SERVER) {
        size_t i;
        lua_createtable(L, (int)$2, 0);
        for (i = 0; i < $2; i++) {
            lua_pushinteger(L, (lua_Integer)$3[i]);
            lua_rawseti(L, -2, (int)(i + 1));
        }
    } else {
        lua_pushnil(L);
    }
    SWIG_arg++;
}
/* Sizes and statuses both out: not offered in Lua (c:list() reads all). */
%ignore pop3_list_many;

%include "pop3_core.i"

/* pop3_client is opaque in C; SWIG sees an empty struct so that it can
 * give the userdata a __gc calling pop3_client_free (close, no QUIT). */
%nodefaultctor pop3_client;
struct pop3_client {};
%extend pop3_client {
    ~pop3_client() { pop3_client_free($self); }
}

/* The codec is opaque too: __gc calls pop3_codec_free. */
%nodefaultctor pop3_codec;
struct pop3_codec {};
%extend pop3_codec {
    ~pop3_codec() { pop3_codec_free($self); }
}

%nodefaultctor pop3_codec_sasl;
struct pop3_codec_sasl {};
%extend pop3_codec_sasl {
    ~pop3_codec_sasl() { pop3_codec_sasl_free($self); }
}

/* ---- the NetX-style API (pop3.netx), described in nx_core.i ---- */

%typemap(argout) NX_PACKET **packet_out {
    /* BORROWED from its pool: give it back with nx_packet_release. */
    if (result == NX_SUCCESS && *$1 != NULL)
        SWIG_NewPointerObj(L, *$1, $*1_descriptor, 0);
    else
        lua_pushnil(L);
    SWIG_arg++;
}

/* The pool's destructor below is emitted before nx_core.i's helpers. */
%{
#include "pop3/nx_pop3_client.h"
static UINT nxswig_packet_pool_delete(NX_PACKET_POOL *pool);
%}

%include "nx_core.i"

/* A control block collected by Lua is torn down first, so a forgotten
 * client does not keep its socket, nor a pool its memory.  A pool with
 * packets still out keeps its memory (freeing it would leave those
 * packets dangling). */
%extend NX_POP3_CLIENT_STRUCT {
    ~NX_POP3_CLIENT_STRUCT() {
        nx_pop3_client_delete($self);
        free($self);
    }
}
%extend NX_IP_STRUCT {
    ~NX_IP_STRUCT() {
        nx_ip_delete($self);
        free($self);
    }
}
%extend NX_PACKET_POOL_STRUCT {
    ~NX_PACKET_POOL_STRUCT() {
        if ($self->nx_packet_pool_start == NULL ||
            nxswig_packet_pool_delete($self) == NX_SUCCESS)
            free($self);
    }
}
