/*
 * A gateway host that embeds Lua: it opens a Lua state, registers the
 * pop3 module's C part (luaopen_pop3_core, linked into this program) as
 * `pop3.core` in package.preload, and runs a gateway script with the
 * command line's remaining arguments.  The script does the POP3 work
 * through `require "pop3"`, as a Lua-scripted gateway would.
 *
 *   lua_gateway_lua54 gateway.lua HOST PORT USER PASSWORD OUTDIR [POLLS]
 *
 * Builds against Lua 5.4 and LuaJIT (5.1 API) alike.
 */
#include <stdio.h>
#include <time.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#ifndef POP3_LUA_DIR
#define POP3_LUA_DIR "/usr/local/share/lua/5.4"
#endif

int luaopen_pop3_core(lua_State *L); /* from the SWIG wrapper */

/* Make `require "pop3.core"` find the compiled-in module, and
 * `require "pop3"` find pop3.lua ahead of any installed copy. */
static void register_pop3(lua_State *L)
{
    lua_getglobal(L, "package");
    lua_getfield(L, -1, "preload");
    lua_pushcfunction(L, luaopen_pop3_core);
    lua_setfield(L, -2, "pop3.core");
    lua_pop(L, 1);
    lua_getfield(L, -1, "path");
    lua_pushstring(L, POP3_LUA_DIR "/?.lua;");
    lua_insert(L, -2);
    lua_concat(L, 2);
    lua_setfield(L, -2, "path");
    lua_pop(L, 1);
}

/* host.sleep(seconds): what the host offers its scripts besides Lua's
 * own libraries; a real gateway would add its message bus here. */
static int host_sleep(lua_State *L)
{
    lua_Number s = luaL_checknumber(L, 1);
    struct timespec ts;

    luaL_argcheck(L, s >= 0 && s <= 3600, 1, "seconds in 0..3600");
    ts.tv_sec = (time_t)s;
    ts.tv_nsec = (long)((s - (lua_Number)ts.tv_sec) * 1e9);
    nanosleep(&ts, NULL);
    return 0;
}

/* host.log(text): one line on stderr, prefixed. */
static int host_log(lua_State *L)
{
    fprintf(stderr, "gateway: %s\n", luaL_checkstring(L, 1));
    return 0;
}

static void register_host(lua_State *L)
{
    lua_newtable(L);
    lua_pushcfunction(L, host_sleep);
    lua_setfield(L, -2, "sleep");
    lua_pushcfunction(L, host_log);
    lua_setfield(L, -2, "log");
    lua_setglobal(L, "host");
}

/* Message handler: add a traceback (debug.traceback exists in 5.1-5.4). */
static int traceback(lua_State *L)
{
    lua_getglobal(L, "debug");
    lua_getfield(L, -1, "traceback");
    lua_pushvalue(L, 1);
    lua_pushinteger(L, 2);
    lua_call(L, 2, 1);
    return 1;
}

int main(int argc, char **argv)
{
    lua_State *L;
    int i, status;

    if (argc < 2) {
        fprintf(stderr, "usage: %s SCRIPT [ARGS...]\n", argv[0]);
        return 2;
    }
    L = luaL_newstate();
    if (L == NULL) {
        fprintf(stderr, "%s: cannot create a Lua state\n", argv[0]);
        return 1;
    }
    luaL_openlibs(L);
    register_pop3(L);
    register_host(L);

    lua_pushcfunction(L, traceback);
    status = luaL_loadfile(L, argv[1]);
    if (status == 0) {
        for (i = 2; i < argc; i++)
            lua_pushstring(L, argv[i]);
        status = lua_pcall(L, argc - 2, 1, 1);
    }
    if (status != 0) {
        fprintf(stderr, "%s: %s\n", argv[1], lua_tostring(L, -1));
        lua_close(L);
        return 1;
    }
    /* The script's result is the exit status: true or nothing is 0. */
    status = lua_isnumber(L, -1) ? (int)lua_tonumber(L, -1)
                                 : (lua_isboolean(L, -1) && !lua_toboolean(L, -1));
    lua_close(L);
    return status;
}
