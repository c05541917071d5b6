-- Every method of a client against the scripted server (maildrop mode).
local pop3 = require "pop3"
local S = require "support"

local M1 = "Subject: one\n\nHello\n"
local M2 = "Subject: dots\n\n.leading dot\n..two dots\n.\nend\n"
local BIG = S.big_message(1024 * 1024 + 333)

local function fresh_server(extra)
  local o = { mail = { alice = { { "0001-one", M1 }, { "0002-dots", M2 },
                                 { "0003-big", BIG }, { "0004-empty", "" } } } }
  for k, v in pairs(extra or {}) do o[k] = v end
  return S.server(o)
end

local function login(srv, opts)
  assert(srv:idle())
  local o = { host = "127.0.0.1", port = srv.port, tls = false, timeout = 10 }
  for k, v in pairs(opts or {}) do o[k] = v end
  local c = assert(pop3.connect(o))
  assert(c:login("alice", "secret"))
  return c
end

local function all(iter)
  local parts = {}
  for chunk in iter do parts[#parts + 1] = chunk end
  return table.concat(parts), #parts
end

describe("a client against the scripted server", function()
  local srv
  lazy_setup(function() srv = fresh_server() end)
  lazy_teardown(function() if srv then srv:stop() end end)

  it("connects, reads the greeting and the state", function()
    local c = assert(pop3.connect { host = "127.0.0.1", port = srv.port,
                                    tls = false })
    assert.equals("authorization", c:state())
    assert.is_string(c:greeting())
    assert.is_nil(c:apop_timestamp())
    assert.matches("pop3 client %(authorization%)", tostring(c))
    assert.is_true(pop3.is_client(c))
    assert.is_true(c:quit())
    assert.equals("disconnected", c:state())
  end)

  it("logs in and reports stat, list and uidl", function()
    local c = login(srv)
    assert.equals("transaction", c:state())
    local count, size = c:stat()
    local sizes = { #S.crlf(M1), #S.crlf(M2), #S.crlf(BIG), 0 }
    assert.equals(4, count)
    assert.equals(sizes[1] + sizes[2] + sizes[3], size)
    assert.same(sizes, c:list())
    assert.equals(sizes[2], c:list(2))
    assert.same({ "0001-one", "0002-dots", "0003-big", "0004-empty" },
                c:uidl())
    assert.equals("0003-big", c:uidl(3))
    local text = c:server_text()
    assert.is_string(text)
    assert.is_nil(c:last_error())
    assert.is_true(c:quit())
  end)

  it("retrieves messages as chunks, unstuffed, with CRLF", function()
    local c = login(srv)
    assert.equals(S.crlf(M1), (all(c:retrieve(1))))
    assert.equals(S.crlf(M2), (all(assert(c:retrieve(2)))))
    assert.equals("", (all(c:retrieve(4))))
    assert.equals(S.crlf(M2), c:message(2))
    assert.is_true(c:quit())
  end)

  it("streams a large message in many bounded chunks", function()
    local c = login(srv, { buffer_size = 16384 })
    local parts, biggest = {}, 0
    for chunk in c:retrieve(3) do
      parts[#parts + 1] = chunk
      if #chunk > biggest then biggest = #chunk end
    end
    assert.is_true(#parts > 16)
    assert.is_true(biggest <= 16384)
    assert.equals(S.crlf(BIG), table.concat(parts))
    assert.is_true(c:noop())    -- the session goes on after the body
    assert.is_true(c:quit())
  end)

  it("returns the head and some lines with top", function()
    local c = login(srv)
    assert.equals("Subject: dots\r\n\r\n.leading dot\r\n",
                  (all(c:top(2, 1))))
    assert.equals("Subject: one\r\n\r\n", (all(c:top(1, 0))))
    assert.is_true(c:quit())
  end)

  it("reads the rest of a body left by a break before the next command",
     function()
    local c = login(srv, { buffer_size = 4096 })
    local it = c:retrieve(3)
    local first = it()
    assert.is_string(first)
    -- the next command drops the rest; the old iterator says so (it
    -- must not end as if the message were whole)
    assert.equals(4, (c:stat()))
    assert.has_error(it, "pop3: retrieve 3: body ended by another command")
    for _ in c:retrieve(3) do break end
    assert.equals(S.crlf(M1), (all(c:retrieve(1))))
    assert.equals("0001-one", c:uidl(1))
    assert.is_true(c:quit())
  end)

  it("keeps messages after delete and reset, or after close", function()
    local c = login(srv)
    assert.is_true(c:delete(1))
    assert.is_true(c:reset())
    assert.is_true(c:delete(2))
    assert.is_true(c:close())
    assert.equals("disconnected", c:state())
    -- the same client connects again; nothing was deleted
    assert(srv:idle())
    assert.is_true(c:connect("127.0.0.1", srv.port))
    assert.is_true(c:login("alice", "secret"))
    assert.equals(4, (c:stat()))
    assert.is_true(c:quit())
    assert.is_true(srv:has("alice", "0001-one"))
    assert.is_true(srv:has("alice", "0002-dots"))
  end)

  it("quits in authorization without logging in", function()
    local c = assert(pop3.connect { host = "127.0.0.1", port = srv.port,
                                    tls = false })
    assert.is_true(c:quit())
  end)

  if _VERSION == "Lua 5.4" then
    it("closes a <close> client on leaving its scope (5.4)", function()
      local run = assert(load([[
        local pop3, port = ...
        do
          local c <close> = assert(pop3.connect { host = "127.0.0.1",
                                                  port = port, tls = false })
          assert(c:login("alice", "secret"))
          assert(c:delete(1))
        end
      ]]))
      assert(srv:idle())
      local before = select(2, srv:log():gsub("#CLOSE", ""))
      run(pop3, srv.port)
      assert.truthy(srv:closed(before + 1))
      assert.is_true(srv:has("alice", "0001-one"))
    end)
  end
end)

describe("deleting", function()
  local srv
  before_each(function() srv = fresh_server() end)
  after_each(function() if srv then srv:stop() end end)

  it("commits deletions only on quit", function()
    local c = login(srv)
    assert.is_true(c:delete(1))
    assert.is_true(c:delete(4))
    assert.equals(2, (c:stat()))
    assert.is_true(srv:has("alice", "0001-one"))
    assert.is_true(c:quit())
    assert.is_false(srv:has("alice", "0001-one"))
    assert.is_false(srv:has("alice", "0004-empty"))
    assert.is_true(srv:has("alice", "0002-dots"))
  end)
end)

describe("APOP", function()
  local srv
  lazy_setup(function() srv = fresh_server { apop = true } end)
  lazy_teardown(function() if srv then srv:stop() end end)

  it("logs in with the greeting's timestamp", function()
    local c = assert(pop3.connect { host = "127.0.0.1", port = srv.port,
                                    tls = false })
    local stamp = c:apop_timestamp()
    assert.matches("^<.*>$", stamp)
    assert.is_true(c:apop("alice", "secret"))
    assert.equals(4, (c:stat()))
    assert.is_true(c:quit())
    assert.matches("APOP alice " .. pop3.apop_digest(stamp, "secret"),
                   srv:log(), 1, true)
  end)

  it("returns auth for a wrong secret", function()
    local c = assert(pop3.connect { host = "127.0.0.1", port = srv.port,
                                    tls = false })
    local ok, err, code = c:apop("alice", "wrong")
    assert.is_nil(ok)
    assert.equals("auth", code)
    assert.matches("invalid credentials", err)
    c:close()
  end)
end)

describe("module functions", function()
  it("names error codes", function()
    assert.equals("authentication failed", pop3.strerror("auth"))
    assert.equals(pop3.codes.timeout, 700)
    assert.matches("^pop3 %d+%.%d+%.%d+", pop3._VERSION)
  end)

  it("computes APOP digests as md5sum does", function()
    local stamp, secret = "<1896.697170952@dbc.mtview.ca.us>", "tanstaafl"
    local want = S.capture("printf '%s' " .. S.q(stamp .. secret) ..
                           " | md5sum"):match("^(%x+)")
    assert.equals(32, #want)
    assert.equals(want, pop3.apop_digest(stamp, secret))
  end)
end)
