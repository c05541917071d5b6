-- connect() after a failed connect(), without close() in between, and
-- while connected: pop3.cosocket (over ngx_shim.lua) as the blocking
-- client (pop3_connect).  A failure before there was a connection
-- (refused, TCP connect timeout) or a -ERR greeting leaves the client
-- ready to connect again, and noop() says "state"; a failure once
-- connected (timeout, protocol, TLS) sticks: connect() returns it until
-- close().  python/tests/test_aio_connect_again.py has the same cases.
local S = require "support"
local shim = require "ngx_shim"
local socket = require "socket"
local pop3 = require "pop3"
local core = require "pop3.core"

local MAIL = { alice = { { "0001-a", "Subject: one\r\n\r\nfirst\r\n" } } }

local cosocket

-- The same calls on either client: "ok", or the C status of the error.
local function blocking(tls)
  local c = assert(pop3.new{ tls = tls, timeout = 0.5 })
  local function res(ok, _, code)
    return ok and "ok" or pop3.codes[code]
  end
  return {
    connect = function(port) return res(c:connect("127.0.0.1", port)) end,
    noop = function() return res(c:noop()) end,
    quit = function() return res(c:quit()) end,
    state = function() return c:state() end,
    text = function() return (c:server_text()) end,
    close = function() c:close() end,
  }
end

local function cosock(tls)
  local c = cosocket.new{ tls = tls, timeout = 0.5 }
  local function res(ok, _, st)
    return ok and "ok" or math.floor(st)
  end
  return {
    connect = function(port) return res(c:connect("127.0.0.1", port)) end,
    noop = function() return res(c:noop()) end,
    quit = function() return res(c:quit()) end,
    state = function() return c.state end,
    text = function() return c.server_text end,
    close = function() c:close() end,
  }
end

-- A failed connect to bad_port, noop(), connect to good_port without
-- close(), then again after close().
local function after_failure(c, bad_port, good_port)
  local out = { c.connect(bad_port), c.state(), c.text(), c.noop(),
                c.connect(good_port), c.state() }
  c.close()
  out[#out + 1] = c.connect(good_port)
  out[#out + 1] = c.state()
  c.close()
  return out
end

-- A loopback port nobody listens on (bound, then let go).
local function unused_port()
  local s = assert(socket.bind("127.0.0.1", 0))
  local _, port = s:getsockname()
  s:close()
  return tonumber(port)
end

-- A listener whose accept queue is full, so a connect to it times out
-- (the SYN is dropped): fn(port).
local function with_full_backlog(fn)
  local l = assert(socket.tcp())
  assert(l:bind("127.0.0.1", 0))
  assert(l:listen(0))
  local _, port = l:getsockname()
  local fill = {}
  for i = 1, 4 do
    fill[i] = assert(socket.tcp())
    fill[i]:settimeout(0)
    fill[i]:connect("127.0.0.1", port)
  end
  local ok, err = pcall(fn, tonumber(port))
  for i = 1, 4 do fill[i]:close() end
  l:close()
  if not ok then error(err, 0) end
end

-- Each failure: how to make it (a fault of the scripted server, or
-- "refused" / "connect-timeout" without one), the tls mode, and whether
-- it sticks.
local FAILURES = {
  { name = "refused", tls = "none", sticky = false },
  { name = "connect-timeout", tls = "none", sticky = false },
  { name = "greeting-err", tls = "none", sticky = false },
  { name = "no-greeting-ok", tls = "none", sticky = true },
  { name = "silent", tls = "none", sticky = true },
  { name = "no-stls", tls = "stls", sticky = true },
  { name = "cleartext-on-implicit-tls", tls = "implicit", sticky = true },
}

local SERVER_FAULTS = { ["greeting-err"] = true, ["no-greeting-ok"] = true,
                        silent = true }

describe("connect() again", function()
  setup(function()
    shim.install()
    cosocket = require "pop3.cosocket"
  end)
  teardown(shim.uninstall)

  local good
  before_each(function() good = S.server{ mail = MAIL } end)
  after_each(function() good:stop() end)

  for _, f in ipairs(FAILURES) do
    it("after a failed connect (" .. f.name .. "): as the blocking client",
       function()
      local function run(bad_port)
        local b = after_failure(blocking(f.tls), bad_port, good.port)
        local k = after_failure(cosock(f.tls), bad_port, good.port)
        return b, k
      end
      local b, k
      if f.name == "refused" then
        b, k = run(unused_port())
      elseif f.name == "connect-timeout" then
        with_full_backlog(function(port) b, k = run(port) end)
      else
        local bad = S.server{ mail = MAIL,
                              faults = SERVER_FAULTS[f.name] and
                                       { f.name } or nil }
        local ok, err = pcall(function() b, k = run(bad.port) end)
        bad:stop()
        if not ok then error(err, 0) end
      end
      assert.same(b, k)
      assert.not_equals("ok", b[1])
      assert.equals("disconnected", b[2])
      if f.sticky then
        assert.same({ b[1], b[1] }, { b[4], b[5] })  -- noop, connect
      else
        assert.equals(core.POP3_E_STATE, b[4])
        assert.equals("ok", b[5])
        assert.equals("authorization", b[6])
      end
      -- close() ends it either way
      if f.tls == "none" then
        assert.same({ "ok", "authorization" }, { b[7], b[8] })
      end
      if f.name == "connect-timeout" then
        assert.equals(core.POP3_E_TIMEOUT, b[1])
      elseif f.name == "refused" then
        assert.equals(core.POP3_E_CONNECT, b[1])
      elseif f.name == "greeting-err" then
        assert.equals("go away", b[3])   -- its text stays readable
      end
    end)
  end

  it("while connected: state, and the session goes on", function()
    local function run(c)
      local out = { c.connect(good.port), c.connect(good.port), c.state(),
                    c.quit() }
      c.close()
      return out
    end
    local b = run(blocking("none"))
    assert.truthy(good:idle())
    local k = run(cosock("none"))
    assert.same({ "ok", core.POP3_E_STATE, "authorization", "ok" }, b)
    assert.same(b, k)
  end)
end)
