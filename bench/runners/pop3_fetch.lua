-- libpop3 from Lua: fetch every message into memory, print the octets.
--
--     lua5.4 pop3_fetch.lua HOST PORT USER PASS
--
-- fetch_all() is the one place that knows how messages are retrieved.
local pop3 = require "pop3"

-- One pipelined batch (c:retrieve_many): RETR goes out ahead of the
-- replies when the server lists PIPELINING, and QUIT with the last one.
local function fetch_all(c, count)
  local octets, list = 0, {}
  for n = 1, count do list[n] = n end
  for n, chunks, err in assert(c:retrieve_many(list, { then_quit = true })) do
    assert(chunks, err)
    for chunk in chunks do
      octets = octets + #chunk
    end
  end
  return octets
end

local host, port, user, pass = arg[1], tonumber(arg[2]), arg[3], arg[4]
-- CAPA goes out before the greeting (early_capa), so that the login can
-- be pipelined without a round trip of its own.
local c = assert(pop3.connect{ host = host, port = port, tls = "none",
                                early_capa = true, pipeline_login = true })
assert(c:login(user, pass))
local count = assert(c:stat())
local octets = fetch_all(c, count)
assert(c:quit())
print(string.format("%d", octets))
