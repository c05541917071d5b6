-- Each kind of failure comes back as nil, message, code -- and loses
-- nothing: the maildrop is untouched unless QUIT succeeded.
local pop3 = require "pop3"
local S = require "support"

local MAIL = { alice = { { "0001-a", "Subject: a\n\n" .. ("body\n"):rep(5000) },
                         { "0002-b", "Subject: b\n\nshort\n" } } }

local function with_server(o, fn)
  o.mail = o.mail or MAIL
  local srv = S.server(o)
  local ok, err = pcall(fn, srv)
  srv:stop()
  if not ok then error(err, 0) end
end

local function connect(srv, extra)
  local o = { host = "127.0.0.1", port = srv.port, tls = false, timeout = 5 }
  for k, v in pairs(extra or {}) do o[k] = v end
  return pop3.connect(o)
end

local function login(srv, extra)
  local c = assert(connect(srv, extra))
  assert(c:login("alice", "secret"))
  return c
end

-- Assert a nil, message, code triple.
local function fails(code, pattern, ok, msg, got)
  assert.is_nil(ok)
  assert.is_string(msg)
  assert.equals(code, got)
  if pattern then assert.matches(pattern, msg) end
end

describe("connect failures", function()
  it("connect: nothing listens on the port", function()
    local srv = S.server {}
    local port = srv.port
    srv:stop()
    fails("connect", "could not connect",
          pop3.connect { host = "127.0.0.1", port = port, tls = false })
  end)

  it("resolve: the host name does not resolve", function()
    fails("resolve", nil, pop3.connect { host = "no-such-host.invalid",
                                         port = 110, tls = false })
  end)

  it("timeout: the server never greets", function()
    with_server({ faults = { "silent" } }, function(srv)
      local t0 = os.time()
      fails("timeout", "timed out", connect(srv, { timeout = 0.3 }))
      assert.is_true(os.time() - t0 <= 3)
    end)
  end)

  it("server: the greeting is -ERR", function()
    with_server({ faults = { "greeting-err" } }, function(srv)
      fails("server", "go away", connect(srv))
    end)
  end)

  it("protocol: the greeting is not +OK", function()
    with_server({ faults = { "no-greeting-ok" } }, function(srv)
      fails("protocol", nil, connect(srv))
    end)
  end)

  it("tls_unavailable: STLS required but not offered", function()
    with_server({}, function(srv)
      local ok, msg, code = connect(srv, { tls = "stls" })
      assert.is_nil(ok)
      assert.is_string(msg)
      assert.equals("tls_unavailable", code, msg)
      -- and no password went out in cleartext
      assert.is_nil(srv:log():find("PASS", 1, true))
    end)
  end)
end)

describe("login failures", function()
  it("auth: wrong password; the client may try again", function()
    with_server({}, function(srv)
      local c = assert(connect(srv))
      fails("auth", "invalid credentials", c:login("alice", "wrong"))
      assert.equals("auth", select(2, c:last_error()))
      assert.is_true(c:login("alice", "secret"))
      assert.is_true(c:quit())
    end)
  end)

  it("in_use and login_delay from response codes", function()
    with_server({ faults = { "in-use" } }, function(srv)
      local c = assert(connect(srv))
      fails("in_use", "%[IN%-USE%]", c:login("alice", "secret"))
      local _, rc = c:server_text()
      assert.equals("IN-USE", rc)
      c:close()
    end)
    with_server({ faults = { "login-delay" } }, function(srv)
      local c = assert(connect(srv))
      fails("login_delay", nil, c:login("alice", "secret"))
      c:close()
    end)
  end)

  it("sys_temp from a scenario", function()
    -- scenario directives, one a line; \r\n are escapes for pop3d.py
    local scenario = table.concat({ [[S +OK hi\r\n]], "C USER alice",
      [[S +OK\r\n]], "C*", [[S -ERR [SYS/TEMP] try later\r\n]], "E" }, "\n")
    with_server({ scenario = scenario .. "\n" },
                function(srv)
      local c = assert(connect(srv))
      fails("sys_temp", "try later", c:login("alice", "x"))
      c:close()
    end)
  end)

  it("auth_unavailable: APOP without a timestamp", function()
    with_server({}, function(srv)
      local c = assert(connect(srv))
      fails("auth_unavailable", nil, c:apop("alice", "secret"))
      c:close()
    end)
  end)

  it("arg: CR/LF in a password is refused before anything is sent",
     function()
    with_server({}, function(srv)
      local c = assert(connect(srv))
      fails("arg", nil, c:login("alice", "secret\r\nDELE 1"))
      assert.is_nil(srv:log():find("DELE", 1, true))
      assert.is_true(c:login("alice", "secret"))   -- still usable
      c:close()
    end)
  end)

  it("state: a transaction command before login", function()
    with_server({}, function(srv)
      local c = assert(connect(srv))
      fails("state", nil, c:stat())
      fails("state", nil, c:retrieve(1))
      c:close()
      fails("state", nil, c:noop())
    end)
  end)
end)

describe("transaction failures", function()
  it("server: -ERR for a message that does not exist", function()
    with_server({}, function(srv)
      local c = login(srv)
      fails("server", nil, c:retrieve(9))
      fails("server", nil, c:list(9))
      fails("server", nil, c:uidl(9))
      fails("server", nil, c:delete(9))
      assert.is_true(c:noop())       -- a -ERR does not end the session
      c:close()
    end)
    with_server({ faults = { "dele-err" } }, function(srv)
      local c = login(srv)
      fails("server", "cannot delete", c:delete(1))
      assert.is_true(c:quit())
      assert.is_true(srv:has("alice", "0001-a"))
    end)
  end)

  it("protocol and line_too_long from malformed replies", function()
    with_server({ faults = { "stat-garbage", "list-garbage" } }, function(srv)
      local c = login(srv)
      fails("protocol", nil, c:stat())
      fails("protocol", nil, c:noop())   -- the failure sticks
      c = login(srv)
      fails("protocol", nil, c:list())
      c:close()
    end)
    with_server({ faults = { "long-status" } }, function(srv)
      local c = login(srv)
      fails("line_too_long", nil, c:stat())
      c:close()
    end)
  end)

  it("eof mid-body: message() fails, the iterator raises, nothing deleted",
     function()
    with_server({ faults = { "close-mid-body" } }, function(srv)
      local c = login(srv)
      assert.is_true(c:delete(2))
      fails("eof", nil, c:message(1))
      fails("eof", nil, c:quit())
      assert.is_true(srv:has("alice", "0002-b"))

      c = login(srv)
      local got = 0
      local ok, err = pcall(function()
        for chunk in c:retrieve(1) do got = got + #chunk end
      end)
      assert.is_false(ok)
      assert.matches("pop3: retrieve 1: connection closed", err)
      assert.is_true(got > 0)
      assert.equals("eof", select(2, c:last_error()))
    end)
  end)

  it("timeout: a body that never ends", function()
    with_server({ faults = { "never-end-body" } }, function(srv)
      local c = login(srv, { timeout = 0.3 })
      fails("timeout", nil, c:message(2))
      c:close()
    end)
  end)

  it("eof: QUIT gets no reply, so nothing is committed", function()
    with_server({ faults = { "close-on-quit" } }, function(srv)
      local c = login(srv)
      assert.is_true(c:delete(1))
      local ok, _, code = c:quit()
      assert.is_nil(ok)
      assert.is_string(code)
      assert.is_true(srv:has("alice", "0001-a"))
    end)
  end)
end)
