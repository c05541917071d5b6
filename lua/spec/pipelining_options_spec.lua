-- The options early_capa and pipelining ("auto", "assume", "off"), as
-- the C client's tests/unit/test_pipelined_login.c checks them, through
-- the blocking client (pop3) and pop3.cosocket (over ngx_shim.lua).
-- The scenarios answer only once the client has sent what the rule says
-- it sends: CAPA before the greeting, USER and PASS before either reply.
-- Where a rule is that a command waits (pipelining "off"), the server
-- stops after it instead ("cut"), and its log shows whether anything
-- more had been sent without waiting for the reply.
local S = require "support"
local both = require "both"
local core = require "pop3.core"
local P = require "parity"

local CLIENTS, all, no_mismatch = both.CLIENTS, both.all, both.no_mismatch

-- A client of kind cl with these options (cleartext, short timeout).
local function client(cl, opts)
  local o = { tls = cl.none, timeout = 2 }
  for k, v in pairs(opts or {}) do o[k] = v end
  return cl.new(o)
end

-- Run fn(port, srv) against a scripted server; it is always stopped.
local function with_server(script, fn)
  local srv = S.server{ scenario = script }
  local ok, err = pcall(fn, srv.port, srv)
  srv:idle()
  local log = srv:log()
  srv:stop()
  if not ok then error(err, 0) end
  return log
end

local function count(log, line)
  local n = 0
  for l in log:gmatch("[^\n]+") do if l == line then n = n + 1 end end
  return n
end

-- The bodies of a batch, in order: { n, body, ... }.
local function batch(it)
  local got = {}
  for n, chunks in assert(it) do
    got[#got + 1] = n
    got[#got + 1] = chunks and all(chunks) or "refused"
  end
  return got
end

-- The script up to a point, then the server waits (so whatever the
-- client wrote has arrived) and hangs up: the log holds what it sent.
local function cut(prefix)
  return prefix .. "D 0.2\nX\n"
end

-- The client lines of the (only) session, as logged.
local function session(log)
  return table.concat(P.sessions(log)[1] or {}, "\n")
end

local GREETING_AND_CAPA = [[
S +OK ready\r\n
C CAPA
S +OK\r\nUSER\r\nPIPELINING\r\n.\r\n
]]

for _, cl in ipairs(CLIENTS) do
  describe(cl.name .. ": early_capa", function()
    setup(both.install)
    teardown(both.uninstall)

    it("sends CAPA before the greeting; its list is known on connect",
       function()
      local log = with_server([[
C CAPA
S +OK ready <1.2@x>\r\n+OK\r\nUSER\r\nPIPELINING\r\n.\r\n
C USER alice
C*
S +OK\r\n+OK in\r\n
C CAPA
C STAT
S +OK\r\nTOP\r\n.\r\n+OK 2 20\r\n
C QUIT
S +OK bye\r\n
E
]], function(port)
        local c = client(cl, { early_capa = true })
        assert.truthy(c:connect("127.0.0.1", port))
        assert.equals("ready <1.2@x>", cl.greeting(c))
        assert.is_true(cl.has_capa(c, "PIPELINING"))
        assert.is_true(cl.has_capa(c, "USER"))
        -- PIPELINING listed: the login is pipelined; its CAPA replaces
        -- the list.
        assert.is_true(c:login("alice", "secret"))
        assert.is_true(cl.has_capa(c, "TOP"))
        assert.is_false(cl.has_capa(c, "USER"))
        local n, size = c:stat()
        assert.same({ 2, 20 }, { n, size })
        assert.is_true(c:quit())
      end)
      no_mismatch(log)
      assert.equals(2, count(log, "CAPA"))
    end)

    it("a -ERR to it: connected, nothing listed, login one at a time",
       function()
      local log = with_server([[
C CAPA
S +OK ready\r\n-ERR what\r\n
C USER alice
S +OK\r\n
C*
S +OK in\r\n
C QUIT
S +OK bye\r\n
E
]], function(port)
        local c = client(cl, { early_capa = true })
        assert.truthy(c:connect("127.0.0.1", port))
        assert.equals("ready", cl.greeting(c))
        assert.equals("what", cl.text(c))
        assert.equals("authorization", cl.state(c))
        assert.is_true(cl.no_capa(c))
        assert.is_true(c:login("alice", "secret"))
        assert.is_true(c:quit())
      end)
      no_mismatch(log)
    end)

    it("a -ERR greeting fails the connect with its text; so does a "
       .. "hang-up; the client can connect again", function()
      local c = client(cl, { early_capa = true })
      local log = with_server([[
C CAPA
S -ERR [SYS/TEMP] busy\r\n+OK\r\nUSER\r\n.\r\n
E
]], function(port)
        local ok, _, code = c:connect("127.0.0.1", port)
        assert.is_nil(ok)
        assert.equals(core.POP3_E_SYS_TEMP, cl.status(code))
        assert.equals("busy", cl.text(c))
        assert.equals("disconnected", cl.state(c))
        assert.is_true(cl.no_capa(c))
      end)
      no_mismatch(log)
      with_server("C CAPA\nX\n", function(port)
        local ok, _, code = c:connect("127.0.0.1", port)
        assert.is_nil(ok)
        assert.equals(core.POP3_E_EOF, cl.status(code))
        assert.equals("disconnected", cl.state(c))
      end)
      c:close()
    end)

    it("STLS required: the early CAPA is the one checked (no second)",
       function()
      local log = with_server([[
C CAPA
S +OK ready\r\n+OK\r\nUSER\r\n.\r\n
E
]], function(port)
        local c = client(cl, { early_capa = true, tls = "stls" })
        local ok, err, code = c:connect("127.0.0.1", port)
        assert.is_nil(ok)
        assert.equals(core.POP3_E_TLS_UNAVAILABLE, cl.status(code), err)
        c:close()
      end)
      no_mismatch(log)
      assert.equals(1, count(log, "CAPA"))
    end)
  end)

  describe(cl.name .. ': pipelining = "assume"', function()
    setup(both.install)
    teardown(both.uninstall)

    -- USER and PASS, then CAPA and STAT, with no CAPA before: the server
    -- answers USER only once PASS is in.
    local LOGIN = [[
S +OK ready\r\n
C USER alice
C*
S +OK\r\n+OK in\r\n
C CAPA
C STAT
S +OK\r\nTOP\r\n.\r\n+OK 2 20\r\n
C RETR 1
]]

    it("logs in pipelined without CAPA; a CAPA read later wins",
       function()
      local log = with_server(LOGIN .. [[
S +OK one\r\nmsg1\r\n.\r\n
C RETR 2
S +OK two\r\nmsg2\r\n.\r\n
C QUIT
S +OK bye\r\n
E
]], function(port)
        local c = client(cl, { pipelining = "assume" })
        assert.truthy(c:connect("127.0.0.1", port))
        assert.is_true(c:login("alice", "secret"))
        assert.is_true(cl.has_capa(c, "TOP"))
        assert.is_false(cl.has_capa(c, "PIPELINING"))
        assert.same({ 1, "msg1\r\n", 2, "msg2\r\n" },
                    batch(c:retrieve_many { 1, 2 }))
        assert.is_true(c:quit())
      end)
      no_mismatch(log)
    end)

    it("that CAPA lacked PIPELINING: RETR 2 waits for RETR 1's reply",
       function()
      local log = with_server(cut(LOGIN), function(port)
        local c = client(cl, { pipelining = "assume" })
        assert.truthy(c:connect("127.0.0.1", port))
        assert.is_true(c:login("alice", "secret"))
        local it = assert(c:retrieve_many { 1, 2 })
        assert.is_false(pcall(it))      -- the server hung up
        c:close()
      end)
      no_mismatch(log)
      assert.equals("USER alice\nPASS secret\nCAPA\nSTAT\nRETR 1",
                    session(log))
    end)

    it("a batch after APOP goes pipelined without CAPA first", function()
      local log = with_server([[
S +OK ready <1.2@x>\r\n
C*
S +OK in\r\n
C RETR 1
C RETR 2
C QUIT
S +OK\r\nmsg1\r\n.\r\n+OK\r\nmsg2\r\n.\r\n+OK bye\r\n
E
]], function(port)
        local c = client(cl, { pipelining = "assume" })
        assert.truthy(c:connect("127.0.0.1", port))
        assert.is_true(c:apop("alice", "secret"))
        assert.same({ 1, "msg1\r\n", 2, "msg2\r\n" },
                    batch(c:retrieve_many({ 1, 2 }, { then_quit = true })))
        assert.is_true(c:quit())
      end)
      no_mismatch(log)
    end)
  end)

  describe(cl.name .. ': pipelining = "off"', function()
    setup(both.install)
    teardown(both.uninstall)

    local LOGIN = GREETING_AND_CAPA .. [[
C USER alice
S +OK\r\n
C*
S +OK in\r\n
C CAPA
S +OK\r\nPIPELINING\r\n.\r\n
C RETR 1
]]
    local SECOND = LOGIN .. [[
S +OK one\r\nmsg1\r\n.\r\n
C RETR 2
]]

    -- Connected, CAPA read (it lists PIPELINING), logged in.
    local function logged_in(port)
      local c = client(cl, { pipelining = "off" })
      assert.truthy(c:connect("127.0.0.1", port))
      assert.truthy(assert(c:capabilities()).PIPELINING)
      assert.is_true(c:login("alice", "secret"))
      return c
    end

    it("PIPELINING listed, yet one command at a time, QUIT after",
       function()
      local log = with_server(SECOND .. [[
S +OK two\r\nmsg2\r\n.\r\n
C QUIT
S +OK bye\r\n
E
]], function(port)
        local c = logged_in(port)
        assert.same({ 1, "msg1\r\n", 2, "msg2\r\n" },
                    batch(c:retrieve_many({ 1, 2 }, { then_quit = true })))
        assert.is_true(c:quit())
      end)
      no_mismatch(log)
    end)

    it("PASS waits for USER's reply", function()
      local log = with_server(cut(GREETING_AND_CAPA .. "C USER alice\n"),
                              function(port)
        local c = client(cl, { pipelining = "off" })
        assert.truthy(c:connect("127.0.0.1", port))
        assert(c:capabilities())
        assert.is_nil((c:login("alice", "secret")))
        c:close()
      end)
      no_mismatch(log)
      assert.equals("CAPA\nUSER alice", session(log))
    end)

    it("RETR 2 waits for RETR 1's reply", function()
      local log = with_server(cut(LOGIN), function(port)
        local c = logged_in(port)
        local it = assert(c:retrieve_many({ 1, 2 }, { then_quit = true }))
        assert.is_false(pcall(it))
        c:close()
      end)
      no_mismatch(log)
      assert.equals("CAPA\nUSER alice\nPASS secret\nCAPA\nRETR 1",
                    session(log))
    end)

    it("QUIT does not go with the last RETR", function()
      local log = with_server(cut(SECOND), function(port)
        local c = logged_in(port)
        local it = assert(c:retrieve_many({ 1, 2 }, { then_quit = true }))
        local n, chunks = it()
        assert.equals(1, n)
        assert.equals("msg1\r\n", all(chunks))
        assert.is_false(pcall(it))
        c:close()
      end)
      no_mismatch(log)
      assert.equals("CAPA\nUSER alice\nPASS secret\nCAPA\nRETR 1\nRETR 2",
                    session(log))
    end)

    it("delete_many: one DELE at a time", function()
      local log = with_server(cut(LOGIN:gsub("RETR 1", "DELE 1")),
                              function(port)
        local c = logged_in(port)
        assert.is_nil((c:delete_many { 1, 2 }))
        c:close()
      end)
      no_mismatch(log)
      assert.equals("CAPA\nUSER alice\nPASS secret\nCAPA\nDELE 1",
                    session(log))
    end)
  end)

  describe(cl.name .. ": bad option values", function()
    setup(both.install)
    teardown(both.uninstall)

    it("are refused before anything is made", function()
      local m = cl.module()
      for _, v in ipairs { "yes", "AUTO", "", 1, true } do
        local ok, err = pcall(m.new, { pipelining = v })
        assert.is_false(ok)
        assert.matches("bad option 'pipelining' to 'new' %(one of auto, "
                       .. "assume, off%)", err)
      end
      for _, v in ipairs { "yes", 1 } do
        local ok, err = pcall(m.new, { early_capa = v })
        assert.is_false(ok)
        assert.matches("bad option 'early_capa' to 'new' %(boolean "
                       .. "expected%)", err)
      end
      for _, v in ipairs { "auto", "assume", "off" } do
        assert.truthy(m.new { pipelining = v, early_capa = false })
      end
    end)
  end)
end

describe("pop3.core options table", function()
  it("passes pipelining to C, which refuses a value out of the enum",
     function()
    local st, c = core.pop3_client_new { pipelining = core.POP3_PIPELINING_OFF }
    assert.equals(core.POP3_OK, st)
    assert.truthy(c)
    st, c = core.pop3_client_new { pipelining = 3 }
    assert.equals(core.POP3_E_ARG, st)
    assert.is_nil(c)
  end)
end)
