-- Every method against a real server: Dovecot on loopback.  Lua 5.4 uses
-- the fixture's users lua1-lua4 and LuaJIT lua5-lua8, so both suites can
-- run at once; each test seeds its user's maildrop first.
local pop3 = require "pop3"
local core = require "pop3.core"
local S = require "support"

local base = jit and 5 or 1
local M1 = "From: a@example.org\nSubject: one\n\nHello\n"
local M2 = "From: b@example.org\nSubject: dots\n\n.leading dot\n..two\nend\n"
local BIG = S.big_message(1024 * 1024)

describe("against Dovecot", function()
  local dc = {}
  lazy_setup(function()
    for i = 1, 4 do dc[i] = S.dovecot("lua" .. (base + i - 1)) end
  end)
  lazy_teardown(function()
    for i = 1, 4 do if dc[i] then dc[i]:stop() end end
  end)

  local function open(d, extra)
    local o = { host = "127.0.0.1", port = d.port, tls = false, timeout = 10 }
    for k, v in pairs(extra or {}) do o[k] = v end
    return pop3.connect(o)
  end

  local function all(iter)
    local parts = {}
    for chunk in iter do parts[#parts + 1] = chunk end
    return table.concat(parts), #parts
  end

  it("logs in, lists, retrieves and tops", function()
    local d = dc[1]
    d:seed { M1, M2, BIG }
    local c = assert(open(d))
    assert.matches("^<.+>$", c:apop_timestamp())   -- apop is configured
    assert.is_true(c:login(d.user, d.password))
    local count, size = c:stat()
    assert.equals(3, count)
    assert.equals(#S.crlf(M1) + #S.crlf(M2) + #S.crlf(BIG), size)
    local sizes = c:list()
    assert.same({ #S.crlf(M1), #S.crlf(M2), #S.crlf(BIG) }, sizes)
    assert.equals(sizes[2], c:list(2))
    local uids = c:uidl()
    assert.equals(3, #uids)
    assert.equals(uids[3], c:uidl(3))
    assert.equals(S.crlf(M1), (all(c:retrieve(1))))
    assert.equals(S.crlf(M2), c:message(2))
    local big, n = all(c:retrieve(3))
    assert.equals(S.crlf(BIG), big)
    assert.is_true(n > 1)
    assert.equals("From: b@example.org\r\nSubject: dots\r\n\r\n.leading dot\r\n",
                  (all(c:top(2, 1))))
    assert.is_true(c:noop())
    assert.is_true(c:quit())
    assert.equals(3, d:count())
  end)

  it("APOP, and auth for a wrong password", function()
    local d = dc[2]
    d:seed { M1 }
    local c = assert(open(d))
    local ok, err, code = c:login(d.user, "wrong")
    assert.is_nil(ok)
    assert.equals("auth", code)
    assert.is_string(err)
    c:close()
    c = assert(open(d))
    assert.is_true(c:apop(d.user, d.password))
    assert.equals(1, (c:stat()))
    assert.is_true(c:quit())
  end)

  it("deletes only on quit; reset and close keep everything", function()
    local d = dc[3]
    d:seed { M1, M2 }
    local c = assert(open(d))
    assert(c:login(d.user, d.password))
    assert.is_true(c:delete(1))
    assert.is_true(c:reset())
    assert.is_true(c:delete(2))
    assert.is_true(c:close())
    assert.equals(2, d:count())
    c = assert(open(d))
    assert(c:login(d.user, d.password))
    assert.is_true(c:delete(1))
    assert.equals(1, (c:stat()))
    assert.is_nil((c:retrieve(1)))      -- -ERR: message is deleted
    assert.is_true(c:quit())
    assert.equals(1, d:count())
  end)

  it("collects an open client without QUIT: nothing deleted", function()
    local d = dc[4]
    d:seed { M1, M2 }
    do
      local c = assert(open(d))
      assert(c:login(d.user, d.password))
      assert(c:delete(1))
      assert(c:delete(2))
    end
    collectgarbage()
    collectgarbage()
    -- Dovecot lets the next session in once the old one is gone
    local c = assert(open(d))
    assert.is_true(c:login(d.user, d.password))
    assert.equals(2, (c:stat()))
    assert.is_true(c:quit())
    assert.equals(2, d:count())
  end)

  -- Neither option asks CAPA after the greeting: with early_capa it came
  -- with the greeting (STLS listed in cleartext), without it the CAPA
  -- pipelined with the login is the first (no STLS once logged in).
  it("early_capa, pipelining = \"assume\", pipeline_login: login, batch",
     function()
    local d = dc[3]
    d:seed { M1, M2 }
    local function has(c, name) return core.pop3_has_capa(c.ud, name) == 1 end
    local function batch(c, many_opts)
      local got = {}
      for n, chunks in assert(c:retrieve_many({ 2, 1 }, many_opts)) do
        got[#got + 1] = { n, (all(chunks)) }
      end
      assert.same({ { 2, S.crlf(M2) }, { 1, S.crlf(M1) } }, got)
    end

    local c = assert(open(d, { early_capa = true, pipelining = "assume",
                               pipeline_login = true }))
    assert.is_true(has(c, "STLS") and has(c, "PIPELINING"))
    assert.is_true(c:login(d.user, d.password))
    assert.is_false(has(c, "STLS"))
    assert.is_true(has(c, "PIPELINING"))
    batch(c, { then_quit = true })
    assert.is_true(c:quit())

    c = assert(open(d, { pipelining = "assume", pipeline_login = true }))
    assert.is_nil(core.pop3_capa_line(c.ud, 0))
    assert.is_true(c:login(d.user, d.password))
    assert.is_true(has(c, "PIPELINING") and not has(c, "STLS"))
    assert.same({ 2, #S.crlf(M1) + #S.crlf(M2) }, { c:stat() })
    batch(c)
    assert.is_true(c:delete_many { 1 })
    assert.is_true(c:quit())
    assert.equals(1, d:count())
  end)

  describe("with TLS and SASL", function()
    local function tls_open(d, extra)
      local o = { host = "127.0.0.1", port = d.port, tls = "stls",
                  ca_file = d.pop3_ca, timeout = 10 }
      for k, v in pairs(extra or {}) do o[k] = v end
      return pop3.connect(o)
    end

    it("implicit TLS (POP3S) with the test CA; refused without it",
       function()
      local d = dc[1]
      d:seed { M1 }
      local c = assert(tls_open(d, { port = d.pop3s_port,
                                     tls = "implicit" }))
      assert.is_true(c:is_tls())
      assert.is_true(c:login(d.user, d.password))
      assert.equals(S.crlf(M1), c:message(1))
      assert.is_true(c:quit())
      local none, err, code = pop3.connect { host = "127.0.0.1",
        port = d.pop3s_port, tls = "implicit", timeout = 10 }
      assert.is_nil(none)
      assert.equals("cert", code, err)
    end)

    it("STLS with verification: by default, and by c:stls()", function()
      local d = dc[2]
      d:seed { M1 }
      -- no tls option: STLS is required on port 110-style ports
      local c = assert(tls_open(d, { tls = nil }))
      assert.is_true(c:is_tls())
      assert.is_true(c:login(d.user, d.password))
      assert.equals(1, (c:stat()))
      assert.is_true(c:quit())
      c = assert(tls_open(d, { tls = "none" }))
      assert.is_false(c:is_tls())
      assert.is_true(c:stls())
      assert.is_true(c:is_tls())
      assert.is_true(c:authenticate(d.user, d.password))
      assert.is_true(c:quit())
    end)

    it("a wrong CA or a wrong name is refused, with the reason", function()
      local d = dc[3]
      local certs = S.certs()
      local c, err, code = tls_open(d, { ca_file = certs.other_ca })
      S.rmtree(certs.dir)
      assert.is_nil(c)
      assert.equals("cert", code, err)
      assert.matches("%(.*verif.*%)$", err)
      c, err, code = tls_open(d, { server_name = "wrong.example" })
      assert.is_nil(c)
      assert.equals("cert", code, err)
      assert.matches("%(.*%)$", err)
    end)

    it("SASL PLAIN and SCRAM-SHA-256; capabilities(); batches", function()
      local d = dc[4]
      d:seed { M1, M2 }
      local c = assert(tls_open(d))
      local caps = assert(c:capabilities())
      assert.truthy(caps.PIPELINING)
      assert.is_nil(caps.STLS)             -- already under TLS
      local mechs = table.concat(caps.SASL or {}, " ")
      assert.matches("PLAIN", mechs)
      assert.matches("SCRAM%-SHA%-256", mechs)
      assert.is_true(c:auth("PLAIN", d.user, d.password))
      assert.is_true(c:quit())
      c = assert(tls_open(d))
      local ok, err, code = c:auth("SCRAM-SHA-256", d.user, "wrong")
      assert.is_nil(ok)
      assert.equals("auth", code, err)
      c:close()
      c = assert(tls_open(d))
      assert.is_true(c:auth("SCRAM-SHA-256", d.user, d.password))
      assert.equals("SCRAM-SHA-256", c:auth_used())
      local got = {}
      for n, chunks, e, k in assert(c:retrieve_many { 2, 9, 1 }) do
        got[#got + 1] = chunks and { n, (all(chunks)) } or { n, k, type(e) }
      end
      assert.same({ { 2, S.crlf(M2) }, { 9, "server", "string" },
                    { 1, S.crlf(M1) } }, got)
      local del, _, dcode, results = c:delete_many { 1, 9 }
      assert.is_nil(del)
      assert.equals("server", dcode)
      assert.same({ true, "server" }, results)
      assert.is_true(c:quit())
      assert.equals(1, d:count())
    end)
  end)
end)
