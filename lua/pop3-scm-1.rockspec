-- LuaRocks build of the pop3 module from a libpop3 checkout:
--   luarocks make lua/pop3-scm-1.rockspec      (run at the repository root)
-- It builds libpop3 and the SWIG module for the Lua that LuaRocks runs
-- for, with CMake (needs cmake, swig, a C compiler and OpenSSL headers),
-- and installs only pop3.lua, pop3/netx.lua, pop3/cosocket.lua (for
-- OpenResty) and pop3/core.so (libpop3 is linked in).
rockspec_format = "3.0"
package = "pop3"
version = "scm-1"
source = {
  url = "git+https://example.invalid/libpop3.git",   -- a clone: use `make`
}
description = {
  summary = "POP3 client (RFC 1939) on libpop3: streaming, nil-err errors",
  detailed = [[
A POP3 client for Lua 5.1 (LuaJIT) to 5.4: pop3.connect{...} returns a
client with login, apop, stat, list, uidl, retrieve (an iterator over the
message's chunks), top, delete, reset, noop and quit.  Nothing is deleted
on the server unless QUIT succeeds.]],
}
dependencies = { "lua >= 5.1" }
build = {
  type = "command",
  build_command = [[cmake -S . -B build.luarocks -DCMAKE_BUILD_TYPE=Release ]]
    .. [[-DPOP3_BUILD_TESTS=OFF -DPOP3_WERROR=OFF ]]
    .. [["-DPOP3_LUA_INCDIR=$(LUA_INCDIR)" "-DPOP3_LUA_LMOD=$(LUADIR)" ]]
    .. [["-DPOP3_LUA_CMOD=$(LIBDIR)" && cmake --build build.luarocks ]]
    .. [[--target pop3_lua_rock -j2]],
  install_command = [[cmake --install build.luarocks --component lua]],
}
