-- pop3.cosocket's close() against the blocking client's (pop3_close):
-- the session is forgotten -- last reply, greeting, timestamp, login
-- method, a sticky failure -- so the client shows what a new one shows.
-- A failure or a refused greeting, without close(), keeps what was said.
local S = require "support"
local shim = require "ngx_shim"
local pop3 = require "pop3"
local core = require "pop3.core"

local MAIL = { alice = { { "0001-a", "Subject: one\r\n\r\nfirst\r\n" } } }

-- What each client shows, in the same shape; `status` is the C status.
local function blocking_view(c)
  local text, code = c:server_text()
  return { text = text, code = code, greeting = c:greeting(),
           stamp = c:apop_timestamp() or false,
           auth = c:auth_used() or false, state = c:state(),
           tls = c:is_tls(), utf8 = c:is_utf8() }
end

local function cosocket_view(c)
  return { text = c.server_text, code = c.resp_code, greeting = c.greeting,
           stamp = c.apop_timestamp or false, auth = c.auth_used or false,
           state = c.state, tls = c.is_tls, utf8 = c.is_utf8 }
end

local FRESH = { text = "", code = "", greeting = "", stamp = false,
                auth = false, state = "disconnected", tls = false,
                utf8 = false }

-- The two clients side by side: b (blocking) and k (cosocket), each
-- with its own server (a maildrop takes one session at a time); a
-- call's outcome is "ok", or the blocking client's error code and the
-- cosocket's status.
local function pair(ports)
  local cosocket = require "pop3.cosocket"
  local b = assert(pop3.new{ tls = "none", timeout = 5 })
  local k = cosocket.new{ tls = "none", timeout = 5 }
  local P = {}
  local function outcomes(r1, r2)
    return r1[1] and "ok" or r1[3], r2[1] and "ok" or math.floor(r2[3])
  end
  function P.call(name, ...)
    return outcomes({ b[name](b, ...) }, { k[name](k, ...) })
  end
  function P.connect()
    return outcomes({ b:connect("127.0.0.1", ports[1]) },
                    { k:connect("127.0.0.1", ports[2]) })
  end
  -- A body read through: the blocking client raises a failure, the
  -- cosocket returns it; either way, its status.
  function P.read(n)
    local ok = pcall(function() for _ in assert(b:retrieve(n)) do end end)
    local o1 = ok and "ok" or select(2, b:last_error())
    local it, o2 = k:retrieve(n), "ok"
    while true do
      local chunk, _, st = it()
      if chunk == nil then
        if st then o2 = math.floor(st) end
        break
      end
    end
    return o1, o2
  end
  function P.views() return blocking_view(b), cosocket_view(k) end
  function P.close() b:close(); k:close() end
  return P
end

-- fn(ports, stop): stop() ends both servers early (stopping is
-- idempotent).
local function with_servers(o, fn)
  local sb, sk = S.server(o), S.server(o)
  local function stop()
    sb:stop()
    sk:stop()
  end
  local ok, err = pcall(fn, { sb.port, sk.port }, stop)
  stop()
  if not ok then error(err, 0) end
end

describe("pop3.cosocket close()", function()
  setup(shim.install)
  teardown(shim.uninstall)

  it("a new client shows what the blocking one shows", function()
    local p = pair({})
    local vb, vk = p.views()
    assert.same(FRESH, vb)
    assert.same(vb, vk)
  end)

  it("forgets the last reply, greeting and login method", function()
    with_servers({ mail = MAIL, apop = true }, function(ports)
      local p = pair(ports)
      assert.same({ "ok", "ok" }, { p.connect() })
      local b1, k1 = p.call("login", "alice", "wrong")
      assert.equals("auth", b1)
      assert.equals(core.POP3_E_AUTH, k1)
      local vb, vk = p.views()
      -- each server has its own timestamp
      for _, v in ipairs { vb, vk } do
        assert.equals(v.stamp, v.greeting:match("<%d+%.%d+@localhost>$"))
        v.greeting, v.stamp = nil, nil
      end
      assert.same(vb, vk)
      assert.equals("invalid credentials", vk.text)
      assert.equals("AUTH", vk.code)
      assert.equals("USER", vk.auth)
      p.close()
      vb, vk = p.views()
      assert.same(FRESH, vb)
      assert.same(vb, vk)
      local b2, k2 = p.call("noop")
      assert.equals("state", b2)
      assert.equals(core.POP3_E_STATE, k2)
    end)
  end)

  it("ends a failure's stickiness; without it the failure stays",
     function()
    with_servers({ mail = MAIL, faults = { "close-mid-body" } },
                 function(ports)
      local p = pair(ports)
      assert.same({ "ok", "ok" }, { p.connect() })
      assert.same({ "ok", "ok" }, { p.call("login", "alice", "secret") })
      local b1, k1 = p.read(1)
      assert.equals("eof", b1)
      assert.equals(core.POP3_E_EOF, k1)
      local vb, vk = p.views()
      assert.same(vb, vk)
      assert.equals("USER", vk.auth)     -- kept after a failure
      local b2, k2 = p.call("noop")
      assert.equals("eof", b2)
      assert.equals(core.POP3_E_EOF, k2)
      p.close()
      vb, vk = p.views()
      assert.same(FRESH, vb)
      assert.same(vb, vk)
      b2, k2 = p.call("noop")
      assert.equals("state", b2)
      assert.equals(core.POP3_E_STATE, k2)
      -- and the client connects again
      assert.same({ "ok", "ok" }, { p.connect() })
      p.close()
    end)
  end)

  it("connect forgets the old session first, even when it fails",
     function()
    with_servers({ mail = MAIL }, function(ports, stop)
      local p = pair(ports)
      assert.same({ "ok", "ok" }, { p.connect() })
      assert.same({ "ok", "ok" }, { p.call("login", "alice", "secret") })
      assert.same({ "ok", "ok" }, { p.call("quit") })
      local vb, vk = p.views()
      assert.same(vb, vk)
      assert.equals("update", vk.state)
      assert.matches("signing off", vk.text)   -- QUIT's reply stays
      -- nothing listens there any more
      stop()
      local b1, k1 = p.connect()
      assert.equals("connect", b1)
      assert.equals(core.POP3_E_CONNECT, k1)
      vb, vk = p.views()
      assert.same(FRESH, vb)
      assert.same(vb, vk)
    end)
  end)

  it("a refused greeting keeps its text", function()
    with_servers({ mail = MAIL, faults = { "greeting-err" } },
                 function(ports)
      local p = pair(ports)
      local b1, k1 = p.connect()
      assert.equals(pop3.codes[b1], k1)
      local vb, vk = p.views()
      assert.same(vb, vk)
      assert.equals("go away", vk.text)
      p.close()
    end)
  end)
end)
