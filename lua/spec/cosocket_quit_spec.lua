-- pop3.cosocket's quit() against the blocking client's: a QUIT refused
-- before it goes out (wrong state) changes nothing -- the client neither
-- closes nor claims UPDATE -- and QUIT's reply stays readable.
local S = require "support"
local shim = require "ngx_shim"
local pop3 = require "pop3"

-- What a client shows after each step: {ok or status, state, text}.
local function blocking_steps(port, steps)
  local c = assert(pop3.new{ tls = "none", timeout = 10 })
  local out = {}
  for _, step in ipairs(steps) do
    local ok, _, code
    if step == "connect" then ok, _, code = c:connect("127.0.0.1", port)
    elseif step == "login" then ok, _, code = c:login("alice", "secret")
    else ok, _, code = c[step](c) end
    out[#out + 1] = { ok and "ok" or pop3.codes[code], c:state(),
                      (c:server_text()) }
  end
  c:close()
  return out
end

local function cosocket_steps(port, steps)
  local cosocket = require "pop3.cosocket"
  local c = cosocket.new{ tls = "none", timeout = 10 }
  local out = {}
  for _, step in ipairs(steps) do
    local ok, _, st
    if step == "connect" then ok, _, st = c:connect("127.0.0.1", port)
    elseif step == "login" then ok, _, st = c:login("alice", "secret")
    else ok, _, st = c[step](c) end
    out[#out + 1] = { ok and "ok" or math.floor(st), c.state,
                      c.server_text or "" }
  end
  c:close()
  return out
end

describe("pop3.cosocket quit()", function()
  setup(shim.install)
  teardown(shim.uninstall)

  local cases = {
    ["twice after login"] = { "connect", "login", "quit", "quit" },
    ["twice before login"] = { "connect", "quit", "quit" },
    ["before connect"] = { "quit" },
  }
  for name, steps in pairs(cases) do
    it(name .. ": as the blocking client", function()
      local srv = S.server{ mail = { alice = { { "1", "hi\r\n" } } } }
      local ok, e = pcall(function()
        local want = blocking_steps(srv.port, steps)
        local got = cosocket_steps(srv.port, steps)
        assert.are.same(want, got)
        -- One QUIT a session at most: a refused one never went out.
        local quits = select(2, srv:log():gsub("\nQUIT\n", "\n"))
        assert.are.equal(steps[3] == "quit" and 2 or 0, quits)
      end)
      srv:stop()
      assert(ok, e)
    end)
  end
end)
