-- CAPA, SASL, STLS and implicit TLS through the blocking client, against
-- the scripted server (tests/server/pop3d.py).  The pipelined batches,
-- which both Lua clients run, are in many_spec.lua; pop3.cosocket's SASL
-- in cosocket_sasl_spec.lua (its test shim has no TLS).
local pop3 = require "pop3"
local S = require "support"

local M1 = "Subject: one\r\n\r\nfirst\r\n"
local M2 = "Subject: two\r\n\r\n.dotted\r\n"
local M3 = "Subject: three\r\n\r\n" .. ("third line\r\n"):rep(3000)
local MAIL = { alice = { { "0001-a", M1 }, { "0002-b", M2 },
                         { "0003-c", M3 } } }

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

local function fails(code, pattern, ok, msg, got)
  assert.is_nil(ok)
  assert.is_string(msg)
  assert.equals(code, got, msg)
  if pattern then assert.matches(pattern, msg) end
end

describe("capabilities()", function()
  it("names in upper case with their arguments", function()
    with_server({ capa = true, sasl = "PLAIN,SCRAM-SHA-256" }, function(srv)
      local c = assert(connect(srv))
      local caps = assert(c:capabilities())
      assert.same({}, caps.PIPELINING)
      assert.same({}, caps.UIDL)
      assert.same({ "PLAIN", "SCRAM-SHA-256" }, caps.SASL)
      assert.same({ "pop3d-test" }, caps.IMPLEMENTATION)
      assert.is_nil(caps.STLS)
      c:close()
    end)
  end)

  it("-ERR to CAPA is nil, err, server; the session goes on", function()
    with_server({ faults = { "capa-err" } }, function(srv)
      local c = assert(connect(srv))
      fails("server", nil, c:capabilities())
      assert.is_true(c:login("alice", "secret"))
      c:close()
    end)
  end)
end)

describe("SASL", function()
  it("auth() with PLAIN and SCRAM-SHA-256; a wrong secret is auth",
     function()
    with_server({ sasl = "PLAIN,SCRAM-SHA-256" }, function(srv)
      for _, mech in ipairs { "PLAIN", "SCRAM-SHA-256" } do
        local c = assert(connect(srv))
        fails("auth", nil, c:auth(mech, "alice", "wrong"))
        c:close()
        c = assert(connect(srv))
        assert.is_true(c:auth(mech, "alice", "secret"))
        assert.equals(mech, c:auth_used())
        assert.equals(3, (c:stat()))
        assert.is_true(c:quit())
        assert.truthy(srv:idle())
      end
      assert.truthy(srv:log():find("AUTH SCRAM-SHA-256", 1, true))
    end)
  end)

  it("authenticate() picks the strongest; auth_methods narrows it",
     function()
    with_server({ sasl = "PLAIN,SCRAM-SHA-256" }, function(srv)
      local c = assert(connect(srv))
      assert.is_true(c:authenticate("alice", "secret"))
      assert.equals("SCRAM-SHA-256", c:auth_used())
      assert.is_true(c:quit())
      assert.truthy(srv:idle())
      c = assert(connect(srv, { auth_methods = { "plain", "USER" } }))
      assert.is_true(c:authenticate("alice", "secret"))
      assert.equals("PLAIN", c:auth_used())
      assert.is_true(c:quit())
    end)
  end)

  it("no cleartext password unless chosen; the error says why",
     function()
    with_server({ sasl = "PLAIN" }, function(srv)
      -- STLS was only "if offered" and the server has none: a man in the
      -- middle can arrange that, so PLAIN and USER are out.
      local c = assert(connect(srv, { tls = "stls_if_offered" }))
      assert.is_false(c:is_tls())
      local ok, msg, code = c:authenticate("alice", "secret")
      fails("auth_unavailable", "%(.+%)$", ok, msg, code)
      assert.is_nil(srv:log():find("AUTH PLAIN", 1, true))
      assert.is_nil(srv:log():find("PASS", 1, true))
      c:close()
      c = assert(connect(srv, { tls = "stls_if_offered",
                                allow_cleartext = true }))
      assert.is_true(c:authenticate("alice", "secret"))
      c:close()
    end)
  end)

  it("bad arguments and options raise, nothing is sent", function()
    with_server({ sasl = "PLAIN" }, function(srv)
      local c = assert(connect(srv))
      assert.has_error(function() c:auth("PLAIN", "alice") end)
      assert.has_error(function() c:auth(nil, "alice", "x") end)
      assert.has_error(function() c.authenticate("alice", "x") end)
      fails("unsupported", nil, c:auth("NOPE-MECH", "alice", "secret"))
      -- NUL would cut the secret short in C: refused, as CR/LF in USER
      fails("arg", "NUL", c:auth("PLAIN", "alice", "se\0cret"))
      fails("arg", "NUL", c:authenticate("al\0ice", "secret"))
      fails("arg", nil, c:login("alice\r\nDELE 1", "secret"))
      assert.is_true(c:auth("PLAIN", "alice", "secret"))
      c:close()
      assert.is_nil(srv:log():find("NOPE", 1, true))
    end)
    for _, bad in ipairs { {}, { "NOPE" }, "PLAIN", { 1 } } do
      assert.has_error(function() pop3.new { auth_methods = bad } end)
    end
    assert.has_error(function() pop3.new { allow_cleartext = "yes" } end)
    assert.has_error(function() pop3.new { utf8 = 1 } end)
  end)
end)

describe("TLS against the scripted server", function()
  local certs
  lazy_setup(function() certs = S.certs() end)
  lazy_teardown(function() if certs then S.rmtree(certs.dir) end end)

  it("stls() after a cleartext connect, verified", function()
    with_server({ certs = certs }, function(srv)
      local c = assert(connect(srv, { tls = "none", ca_file = certs.ca }))
      assert.is_false(c:is_tls())
      assert.same({}, assert(c:capabilities()).STLS)
      assert.is_true(c:stls())
      assert.is_true(c:is_tls())
      fails("state", nil, c:stls())   -- once is enough
      assert.is_true(c:login("alice", "secret"))
      assert.equals(3, (c:stat()))
      assert.is_true(c:quit())
    end)
  end)

  it("wrong CA: cert, with the reason, and no password sent", function()
    with_server({ certs = certs }, function(srv)
      fails("cert", "%(.+%)$", connect(srv, { tls = "stls",
                                              ca_file = certs.other_ca }))
      local c = assert(connect(srv, { tls = "none",
                                      ca_file = certs.other_ca }))
      fails("cert", nil, c:stls())
      fails("cert", nil, c:login("alice", "secret"))   -- the session is over
      assert.is_nil(srv:log():find("PASS", 1, true))
    end)
  end)

  it("STLS refused: tls_unavailable", function()
    with_server({ certs = certs, faults = { "stls-err" } }, function(srv)
      fails("tls_unavailable", nil,
            connect(srv, { tls = "stls", ca_file = certs.ca }))
      assert.is_nil(srv:log():find("USER", 1, true))
    end)
  end)

  it("implicit TLS", function()
    with_server({ certs = certs, implicit = true }, function(srv)
      local c = assert(connect(srv, { tls = "implicit",
                                      ca_file = certs.ca }))
      assert.is_true(c:is_tls())
      assert.is_true(c:login("alice", "secret"))
      assert.equals(M2, c:message(2))
      assert.is_true(c:quit())
    end)
  end)
end)
