-- Loaded by busted (--helper) before the specs: find pop3.lua and the
-- specs' support module in the source tree, and pop3/core.so in
-- POP3_LUA_CMOD (the build's lua/5.4 or lua/5.1), ahead of any installed
-- copy.  CTest passes these through the environment (see
-- tests/CMakeLists.txt), since a CTest argument cannot hold a ';'.
local src = os.getenv("POP3_SOURCE_DIR") or "."
local cmod = os.getenv("POP3_LUA_CMOD")
package.path = src .. "/lua/?.lua;" .. src .. "/lua/spec/?.lua;" ..
               package.path
if cmod then package.cpath = cmod .. "/?.so;" .. package.cpath end
