-- pop3.cosocket's SASL (the C library's mechanisms through
-- pop3_codec_sasl) against the scripted server, over ngx_shim.lua: every
-- mechanism, refusals, a server that fails to prove itself, and the
-- blocking client giving the same status in each case.
local S = require "support"
local shim = require "ngx_shim"
local pop3 = require "pop3"
local core = require "pop3.core"

local PW = "s3cr=t,x"

-- Status of a login with the blocking client: 0, or the C status.
local function blocking(port, how, mech, secret)
  local c = assert(pop3.connect{ host = "127.0.0.1", port = port,
                                 tls = "none", timeout = 10 })
  local ok, _, code
  if how == "auth" then ok, _, code = c:auth(mech, "alice", secret)
  else ok, _, code = c:authenticate("alice", secret) end
  local used = c:auth_used()
  c:close()
  return ok and 0 or pop3.codes[code], used
end

local function cosocket_login(port, how, mech, secret)
  local cosocket = require "pop3.cosocket"
  local c = assert(cosocket.connect{ host = "127.0.0.1", port = port,
                                     tls = "none", timeout = 10 })
  local ok, err, st
  if how == "auth" then ok, err, st = c:auth(mech, "alice", secret)
  else ok, err, st = c:authenticate("alice", secret) end
  local n
  if ok then n = c:stat() end
  local out = { status = ok and 0 or math.floor(st), err = err,
                used = c.auth_used, state = c.state, count = n }
  c:close()
  return out
end

describe("pop3.cosocket SASL", function()
  setup(shim.install)
  teardown(shim.uninstall)

  local mechs = { "PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-1",
                  "SCRAM-SHA-256", "XOAUTH2", "OAUTHBEARER" }
  for _, mech in ipairs(mechs) do
    it(mech .. ": logs in, refuses a wrong secret as the blocking client",
       function()
      local srv = S.server{ users = { "alice:" .. PW }, sasl = "all",
                            mail = { alice = { { "1", "hi\r\n" } } } }
      local ok, e = pcall(function()
        local r = cosocket_login(srv.port, "auth", mech, PW)
        assert.are.equal(0, r.status, r.err)
        assert.are.equal(mech, r.used)
        assert.are.equal(1, r.count)
        assert.truthy(srv:idle())
        local bad = cosocket_login(srv.port, "auth", mech, "wrong")
        local want = blocking(srv.port, "auth", mech, "wrong")
        assert.are.equal(core.POP3_E_AUTH, want)
        assert.are.equal(want, bad.status, bad.err)
        assert.are.equal("authorization", bad.state)
        -- The secret never reached the log in clear (PLAIN, LOGIN and
        -- the tokens send it base64-encoded; the rest never send it).
        assert.is_nil(srv:log():find(PW, 1, true))
      end)
      srv:stop()
      assert(ok, e)
    end)
  end

  it("authenticate picks SCRAM-SHA-256, as the blocking client", function()
    local srv = S.server{ users = { "alice:" .. PW }, sasl = "all",
                          apop = true }
    local ok, e = pcall(function()
      local r = cosocket_login(srv.port, "authenticate", nil, PW)
      assert.are.equal(0, r.status, r.err)
      local st, used = blocking(srv.port, "authenticate", nil, PW)
      assert.are.equal(0, st)
      assert.are.equal(used, r.used)
      assert.are.equal("SCRAM-SHA-256", r.used)
    end)
    srv:stop()
    assert(ok, e)
  end)

  -- Faults of the server's side: the cosocket's status must be the
  -- blocking client's, and a session that cannot be trusted is closed.
  local cases = {
    { "scram-bad-signature", "SCRAM-SHA-256", core.POP3_E_AUTH_SERVER },
    { "scram-skip-signature", "SCRAM-SHA-1", core.POP3_E_AUTH_SERVER },
    { "scram-bad-nonce", "SCRAM-SHA-256", core.POP3_E_PROTOCOL },
    { "sasl-bad-base64", "CRAM-MD5", core.POP3_E_PROTOCOL },
    { "ir-refused", "XOAUTH2", 0 },
    { "ir-refused", "OAUTHBEARER", 0 },
    { "sys-temp", "PLAIN", core.POP3_E_SYS_TEMP },
  }
  for _, case in ipairs(cases) do
    local fault, mech, want = case[1], case[2], case[3]
    it(fault .. " with " .. mech, function()
      local srv = S.server{ users = { "alice:" .. PW }, sasl = "all",
                            faults = { fault } }
      local ok, e = pcall(function()
        local r = cosocket_login(srv.port, "auth", mech, PW)
        assert.are.equal(want, r.status, r.err)
        assert.are.equal(want, blocking(srv.port, "auth", mech, PW))
        local f = core.pop3_status_family(want)
        if want == core.POP3_E_AUTH_SERVER or
           f == core.POP3_FAMILY_PROTOCOL then
          assert.are.equal("disconnected", r.state)
        end
      end)
      srv:stop()
      assert(ok, e)
    end)
  end

  -- A server error inside SCRAM (e=...) is answered with "*", the -ERR
  -- read, and the session stays usable, as in the blocking client.
  it("scram-server-error: cancels, stays in authorization", function()
    local srv = S.server{ users = { "alice:" .. PW }, sasl = "all",
                          faults = { "scram-server-error" } }
    local ok, e = pcall(function()
      local cosocket = require "pop3.cosocket"
      local c = assert(cosocket.connect{ host = "127.0.0.1", port = srv.port,
                                         tls = "none", timeout = 10 })
      local r, _, st = c:auth("SCRAM-SHA-256", "alice", PW)
      assert.is_nil(r)
      assert.are.equal(core.POP3_E_AUTH, st)
      assert.are.equal(core.POP3_E_AUTH,
                       blocking(srv.port, "auth", "SCRAM-SHA-256", PW))
      assert.are.equal("authorization", c.state)
      assert.is_true(c:auth("PLAIN", "alice", PW))   -- still in step
      c:close()
      assert.matches("\n%*\n", srv:log())           -- the cancel went out
    end)
    srv:stop()
    assert(ok, e)
  end)

  it("refuses unknown mechanisms and bad arguments before sending",
     function()
    local srv = S.server{ users = { "alice:" .. PW }, sasl = "all" }
    local ok, e = pcall(function()
      local cosocket = require "pop3.cosocket"
      local c = assert(cosocket.connect{ host = "127.0.0.1",
                                         port = srv.port, tls = "none" })
      local r, _, st = c:auth("NTLM", "alice", PW)
      assert.is_nil(r)
      assert.are.equal(core.POP3_E_UNSUPPORTED, st)
      r, _, st = c:auth("PLAIN", "alice", "")
      assert.are.equal(core.POP3_E_ARG, st)
      r, _, st = c:auth("XOAUTH2", "alice", "tok\1en")
      assert.are.equal(core.POP3_E_ARG, st)
      assert.is_true(c:auth("PLAIN", "alice", PW))
      c:quit()
      assert.truthy(srv:idle())
      assert.is_nil(srv:log():find("AUTH NTLM", 1, true))
      assert.is_nil(srv:log():find("AUTH XOAUTH2", 1, true))
    end)
    srv:stop()
    assert(ok, e)
  end)
end)
