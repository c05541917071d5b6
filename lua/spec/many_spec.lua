-- The pipelined batches (retrieve_many, top_many, delete_many), the
-- pipelined login and utf8() against the scripted server (which lists
-- PIPELINING): each behaviour written once and run through the blocking
-- client (pop3) and pop3.cosocket (over ngx_shim.lua), each checked the
-- way its client reports errors (a short code or a C status number, a
-- method or a field); then both clients on the same calls, compared
-- result for result and line for line on the wire.
local S = require "support"
local both = require "both"
local core = require "pop3.core"

local M1, M2, M3, MAIL = both.M1, both.M2, both.M3, both.MAIL
local CLIENTS, all, plain = both.CLIENTS, both.all, both.plain

local function with_server(o, fn)
  if not o.scenario then o.mail = o.mail or MAIL end
  local srv = S.server(o)
  local ok, err = pcall(fn, srv)
  srv:stop()
  if not ok then error(err, 0) end
end

local function login(cl, srv, extra)
  local c = assert(cl.connect(srv.port, extra))
  assert(c:login("alice", "secret"))
  return c
end

-- nil, message, code with code the C status `want`.
local function fails(cl, want, ok, msg, code)
  assert.is_nil(ok)
  assert.is_string(msg)
  assert.equals(want, cl.status(code), msg)
end

local function count(text, pattern)
  return select(2, text:gsub(pattern, ""))
end

-- An error message without the position error() put in front of it
-- (which depends on where the iterator was called from).
local function unplaced(msg)
  return (tostring(msg):gsub("^[%w_/%.%-]+%.lua:%d+: ", ""))
end

-- What one more call of an iterator gives: "nil" (it ended), "value",
-- "raised: <message>" or "returned: <message> <status>".
local function step(cl, it)
  local ok, a, b, c = pcall(it)
  if not ok then return "raised: " .. unplaced(a) end
  if a ~= nil then return "value" end
  if b ~= nil then
    return "returned: " .. tostring(b) .. " " .. tostring(cl.status(c))
  end
  return "nil"
end

for _, cl in ipairs(CLIENTS) do
  describe(cl.name .. ": retrieve_many(), top_many() and delete_many()",
           function()
    setup(both.install)
    teardown(both.uninstall)

    it("pipelines, in order, with an -ERR mid-batch", function()
      with_server({}, function(srv)
        local c = login(cl, srv)
        assert.is_true(c:delete(2))          -- RETR 2 will get -ERR
        local seen = {}
        for n, chunks, err, code in assert(c:retrieve_many { 3, 2, 1 }) do
          if chunks then
            seen[#seen + 1] = { n, all(chunks) }
          else
            seen[#seen + 1] = { n, cl.status(code), type(err), cl.text(c) }
          end
        end
        assert.same({ { 3, M3 },
                      { 2, core.POP3_E_SERVER, "string",
                        "message 2 already deleted" },
                      { 1, M1 } }, seen)
        assert.is_true(c:noop())
        c:close()
        -- sent together: the three RETRs reached the server in one go
        assert.matches("RETR 3\nRETR 2\nRETR 1\n", srv:log())
      end)
    end)

    it("skips bodies left unread; break leaves the session usable",
       function()
      with_server({}, function(srv)
        local c = login(cl, srv)
        local got = {}
        for n, chunks in assert(c:retrieve_many { 1, 3, 2 }) do
          if n == 2 then got[#got + 1] = all(chunks) end
        end
        assert.same({ M2 }, got)
        for n in assert(c:retrieve_many { 3, 1, 2 }) do
          if n == 3 then break end
        end
        assert.equals(3, (c:stat()))        -- the rest was read first
        assert.equals(M1, all(c:retrieve(1)))
        local tops = {}
        for n, chunks in assert(c:top_many({ 1, 3 }, 0)) do
          tops[n] = all(chunks)
        end
        assert.same({ [1] = "Subject: one\r\n\r\n",
                      [3] = "Subject: three\r\n\r\n" }, tops)
        -- a body of a batch ends when the batch moves on
        local it = assert(c:retrieve_many { 1, 2 })
        local _, first = it()
        local _, second = it()
        assert.is_nil(first())
        assert.equals(M2, all(second))
        assert.is_nil(it())
        c:close()
        assert.matches("TOP 1 0\nTOP 3 0\n", srv:log())
      end)
    end)

    for _, one_write in ipairs { false, true } do
      it("logs in in one round trip after capabilities(), quits with a " ..
         "batch" .. (one_write and " (pipeline_login: one write)" or ""),
         function()
        with_server({}, function(srv)
          local c = assert(cl.connect(srv.port,
                                      { pipeline_login = one_write }))
          assert.is_table(c:capabilities().PIPELINING)
          assert(c:login("alice", "secret"))
          assert.equals(3, (c:stat()))     -- read with the login
          local got = {}
          for n, chunks in assert(c:retrieve_many({ 1, 2 },
                                                  { then_quit = true })) do
            got[#got + 1] = { n, all(chunks) }
          end
          assert.same({ { 1, M1 }, { 2, M2 } }, got)
          fails(cl, core.POP3_E_STATE, c:noop())   -- QUIT is out already
          assert.is_true(c:quit())
          assert.equals("update", cl.state(c))
          -- USER, PASS, CAPA, STAT in a row; one STAT, one QUIT
          assert.matches("USER alice\nPASS [^\n]*\nCAPA\nSTAT\n", srv:log())
          assert.matches("RETR 1\nRETR 2\nQUIT\n", srv:log())
          assert.equals(1, count(srv:log(), "STAT"))
          assert.equals(1, count(srv:log(), "QUIT"))
          assert.has_error(function() c:retrieve_many({ 1 }, true) end)
        end)
      end)

      it("a refused pipelined login keeps the refusal's text" ..
         (one_write and " (one write)" or ""), function()
        with_server({}, function(srv)
          local c = assert(cl.connect(srv.port,
                                      { pipeline_login = one_write }))
          assert(c:capabilities())
          fails(cl, core.POP3_E_AUTH, c:login("alice", "wrong"))
          assert.equals("authorization", cl.state(c))
          assert.equals("invalid credentials", cl.text(c))
          assert(c:login("alice", "secret"))  -- still in step
          assert.is_nil(c:list(7))            -- leaves a -ERR text
          assert.equals(3, (c:stat()))        -- from the login
          assert.equals("3 " .. (#M1 + #M2 + #M3), cl.text(c))
          assert.equals("", cl.resp_code(c))
          c:close()
          -- only with pipeline_login do CAPA and STAT follow a refusal
          assert.matches(one_write and "PASS wrong\nCAPA\nSTAT\nUSER"
                         or "PASS wrong\nUSER", srv:log())
          assert.equals(one_write and 2 or 1, count(srv:log(), "STAT"))
        end)
      end)
    end

    it("a connection lost mid-batch raises", function()
      with_server({ faults = { "close-mid-second-body" } }, function(srv)
        local c = login(cl, srv)
        local first
        local ok, err = pcall(function()
          for n, chunks in assert(c:retrieve_many { 1, 3 }) do
            local body = all(chunks)
            first = first or { n, body }
          end
        end)
        assert.is_false(ok)
        assert.matches(plain(cl.prefix) ..
                       "retrieve_many 3: connection closed", err)
        assert.same({ 1, M1 }, first)
        assert.equals("disconnected", cl.state(c))
        fails(cl, core.POP3_E_EOF, c:noop())       -- the failure sticks
        if c.last_error then                       -- pop3 only
          assert.equals("eof", select(2, c:last_error()))
        end
      end)
    end)

    it("delete_many reports each message; quit commits", function()
      with_server({}, function(srv)
        local c = login(cl, srv)
        local ok, msg, code, results = c:delete_many { 1, 9, 3 }
        fails(cl, core.POP3_E_SERVER, ok, msg, code)
        assert.is_table(results)
        for i = 1, 3 do
          results[i] = results[i] == true or cl.status(results[i])
        end
        assert.same({ true, core.POP3_E_SERVER, true }, results)
        assert.equals(1, (c:stat()))
        assert.is_true(c:delete_many { 2 })
        assert.is_true(c:quit())
        assert.is_false(srv:has("alice", "0001-a"))
        assert.is_false(srv:has("alice", "0002-b"))
        assert.is_false(srv:has("alice", "0003-c"))
      end)
    end)

    it("a batch of deletions without quit deletes nothing", function()
      with_server({}, function(srv)
        local c = login(cl, srv)
        assert.is_true(c:delete_many { 1, 2 })
        c:close()
        assert.is_true(srv:has("alice", "0001-a"))
        assert.is_true(srv:has("alice", "0002-b"))
      end)
    end)

    it("bad lists raise before anything is sent; empty lists are no-ops",
       function()
      with_server({}, function(srv)
        local c = login(cl, srv)
        for _, bad in ipairs { "1", { 0 }, { 1.5 }, { 1, "2" }, { -1 },
                               { 2 ^ 32 } } do
          assert.has_error(function() c:retrieve_many(bad) end)
          assert.has_error(function() c:delete_many(bad) end)
        end
        assert.has_error(function() c:top_many({ 1 }) end)
        local n = 0
        for _ in assert(c:retrieve_many {}) do n = n + 1 end
        assert.equals(0, n)
        assert.is_true(c:delete_many {})
        assert.is_true(c:quit())
        assert.equals(0, count(srv:log(), "RETR"))
        assert.equals(0, count(srv:log(), "DELE"))
        assert.is_true(srv:has("alice", "0001-a"))
      end)
    end)

    it("before login: nil, err, state", function()
      with_server({}, function(srv)
        local c = assert(cl.connect(srv.port))
        fails(cl, core.POP3_E_STATE, c:retrieve_many { 1 })
        fails(cl, core.POP3_E_STATE, c:delete_many { 1 })
        c:close()
      end)
    end)
  end)

  describe(cl.name .. ": utf8()", function()
    setup(both.install)
    teardown(both.uninstall)

    it("when CAPA lists it, once, before login", function()
      -- UTF8 is listed, PIPELINING not: USER, PASS one at a time, and
      -- the capabilities read again after login (as the C client does).
      local script = [[
S +OK hi\r\n
C CAPA
S +OK\r\nUSER\r\nUTF8 USER\r\n.\r\n
C UTF8
S +OK UTF8 on\r\n
C USER j\xc3\xbcrgen
S +OK\r\n
C PASS p\xc3\xa4ss
S +OK in\r\n
C CAPA
S +OK\r\nUSER\r\n.\r\n
C QUIT
S +OK bye\r\n
E
]]
      with_server({ scenario = script }, function(srv)
        local c = assert(cl.connect(srv.port))
        assert.is_false(cl.is_utf8(c))
        assert.is_true(c:utf8())
        assert.is_true(c:utf8())            -- already on: nothing sent
        assert.is_true(cl.is_utf8(c))
        assert(c:login("j\195\188rgen", "p\195\164ss"))
        fails(cl, core.POP3_E_STATE, c:utf8())
        assert.is_true(c:quit())
        both.no_mismatch(srv:log())
      end)
      with_server({}, function(srv)
        local c = assert(cl.connect(srv.port))
        fails(cl, core.POP3_E_UNSUPPORTED, c:utf8())
        c:close()
        assert.equals(0, count(srv:log(), "UTF8"))
      end)
      -- the option: on in connect when offered, no error when not
      with_server({ scenario = script }, function(srv)
        local c = assert(cl.connect(srv.port, { utf8 = true }))
        assert.is_true(cl.is_utf8(c))
        assert(c:login("j\195\188rgen", "p\195\164ss"))
        assert.is_true(c:quit())
        both.no_mismatch(srv:log())
      end)
      with_server({}, function(srv)
        local c = assert(cl.connect(srv.port, { utf8 = true }))
        assert.is_false(cl.is_utf8(c))
        assert(c:login("alice", "secret"))
        c:close()
        assert.matches("^#CONNECT\nCAPA\nUSER alice\n", srv:log())
      end)
    end)
  end)

  -- A failure that ends the session while a batch or body is being read
  -- sticks to its iterators: called again, they report it again (never
  -- nil, which would end a for loop as if nothing were missing).
  describe(cl.name .. ": iterators after a failure", function()
    setup(both.install)
    teardown(both.uninstall)

    it("connection lost in a batch's second body: body and batch repeat it",
       function()
      with_server({ faults = { "close-mid-second-body" } }, function(srv)
        local c = login(cl, srv)
        local it = assert(c:retrieve_many { 1, 3, 2 })
        local n, chunks = it()
        assert.equals(1, n)
        assert.equals(M1, all(chunks))
        local second
        n, second = it()
        assert.equals(3, n)
        local first = step(cl, function() return all(second) end)
        assert.matches("^raised: " .. plain(cl.prefix) ..
                       "retrieve_many 3: connection closed", first)
        assert.equals(first, step(cl, second))   -- the body, again
        assert.equals(first, step(cl, second))
        assert.equals(first, step(cl, it))       -- the batch, message 2 left
        assert.equals(first, step(cl, it))
        assert.equals("nil", step(cl, chunks))   -- read whole before: ended
        fails(cl, core.POP3_E_EOF, c:noop())
        -- a for loop over it ends with the error, not quietly
        local ok, err = pcall(function()
          for _ in it do error("no message") end
        end)
        assert.is_false(ok)
        assert.equals(first, "raised: " .. unplaced(err))
      end)
    end)

    it("a protocol error where the second reply should be: the batch " ..
       "repeats it", function()
      local script = [[
S +OK hi\r\n
C USER alice
S +OK\r\n
C PASS secret
S +OK in\r\n
C CAPA
S +OK\r\nUSER\r\nPIPELINING\r\n.\r\n
C RETR 1
C RETR 2
S +OK\r\nSubject: a\r\n\r\nx\r\n.\r\nHELLO there\r\n
E
]]
      with_server({ scenario = script }, function(srv)
        local c = login(cl, srv)
        local it = assert(c:retrieve_many { 1, 2 })
        local n, chunks = it()
        assert.equals(1, n)
        assert.equals("Subject: a\r\n\r\nx\r\n", all(chunks))
        local first = step(cl, it)
        assert.matches("^raised: " .. plain(cl.prefix) ..
                       "retrieve_many 2: ", first)
        assert.equals(first, step(cl, it))
        assert.equals(first, step(cl, it))
        assert.equals("nil", step(cl, chunks))
        fails(cl, core.POP3_E_PROTOCOL, c:noop())
        assert.truthy(srv:idle())
        both.no_mismatch(srv:log())
      end)
    end)

    it("connection lost in a retrieve body: its iterator repeats it",
       function()
      with_server({ faults = { "close-mid-body" } }, function(srv)
        local c = login(cl, srv)
        local it = assert(c:retrieve(1))
        local got, first = 0, nil
        for _ = 1, 10000 do
          first = step(cl, it)
          if first ~= "value" then break end
          got = got + 1
        end
        assert.is_true(got > 0)
        assert.matches("^" .. cl.body .. ": [^\n]-retrieve[^\n]-" ..
                       "connection closed", first)
        assert.equals(first, step(cl, it))
        assert.equals(first, step(cl, it))
        fails(cl, core.POP3_E_EOF, c:noop())
      end)
    end)
  end)
end

-- ---- the same as the blocking client ------------------------------------

-- One session's record: the same calls through either client, each
-- error as its C status (cl.status).
local function session(cl, c, o)
  local status = cl.status
  local out = {}
  local function take(it)
    for n, chunks, _, code in it do
      if chunks then
        out[#out + 1] = { n, all(chunks) }
      else
        out[#out + 1] = { n, status(code) }
      end
    end
  end
  if o.capa_first then assert(c:capabilities()) end
  assert(c:login("alice", "secret"))
  out[#out + 1] = { "stat", (c:stat()) }
  take(assert(c:retrieve_many(o.list, { then_quit = o.then_quit })))
  if not o.then_quit then
    take(assert(c:top_many({ o.list[1], o.list[2] }, 1)))
    local ok, _, code, results = c:delete_many(o.list)
    out[#out + 1] = { "delete_many", ok or status(code) }
    for i, r in ipairs(results or {}) do
      out[#out + 1] = { "result", i, r == true or status(r) }
    end
    out[#out + 1] = { "stat", (c:stat()) }
  end
  out[#out + 1] = { "quit", c:quit() }
  return out
end

local function lines_of(srv)
  local out = {}
  for line in srv:log():gmatch("[^\n]+") do
    if line:sub(1, 1) ~= "#" then out[#out + 1] = line end
  end
  return out
end

describe("pop3 and pop3.cosocket on the same batches", function()
  setup(both.install)
  teardown(both.uninstall)

  local cases = {
    { list = { 2, 1, 3 } },
    { list = { 3, 9, 1 }, capa_first = true },
    { list = { 3, 9, 1 }, capa_first = true, one_write = true },
    { list = { 1, 2 }, capa_first = true, then_quit = true },
    { list = { 1, 9, 2 }, then_quit = true, faults = { "capa-err" } },
    { list = { 1, 2, 3 }, capa_first = true, faults = { "coalesce" } },
  }
  for i, o in ipairs(cases) do
    it("agree, case " .. i, function()
      both.with_servers({ mail = MAIL, faults = o.faults },
                        function(sb, sc)
        local extra = { pipeline_login = o.one_write }
        local blocking, cosock = CLIENTS[1], CLIENTS[2]
        local want = session(blocking, assert(blocking.connect(sb.port,
                                                                extra)), o)
        local got = session(cosock, assert(cosock.connect(sc.port, extra)),
                            o)
        assert.same(want, got)
        assert.truthy(sb:idle() and sc:idle())
        assert.same(lines_of(sb), lines_of(sc))
        for _, name in ipairs { "0001-a", "0002-b", "0003-c" } do
          assert.equals(sb:has("alice", name), sc:has("alice", name))
        end
      end)
    end)
  end

  it("agree on a batch longer than a window", function()
    local mail = { alice = {} }
    local list = {}
    for i = 1, 700 do
      mail.alice[i] = { ("m%04d"):format(i),
                        ("Subject: %d\r\n\r\n%s\r\n"):format(i, ("x"):rep(i)) }
      list[i] = 701 - i
    end
    both.with_servers({ mail = mail }, function(sb, sc)
      local function run(c)
        assert(c:login("alice", "secret"))
        local got = {}
        for n, chunks in assert(c:retrieve_many(list)) do
          got[#got + 1] = n .. ":" .. all(chunks)
        end
        assert(c:quit())
        return got
      end
      local want = run(assert(CLIENTS[1].connect(sb.port)))
      local got = run(assert(CLIENTS[2].connect(sc.port)))
      assert.equals(700, #got)
      assert.same(want, got)
      assert.equals("700:" .. mail.alice[700][2], got[1])
      assert.truthy(sb:idle() and sc:idle())
      assert.same(lines_of(sb), lines_of(sc))
    end)
  end)
end)
