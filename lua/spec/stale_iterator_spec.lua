-- An iterator whose body or batch another command ended (the command
-- reads the rest first, so the session goes on): called again, it
-- reports that, instead of ending as if nothing had been missed; so
-- does one that close() cut short, while connect() when connected
-- leaves it to be read on.  The same calls through the blocking client
-- and pop3.cosocket (over ngx_shim.lua), each reporting the way its
-- iterators report failures:
-- the batches raise in both; a plain body raises in pop3 and returns
-- nil, err, status in pop3.cosocket.
local S = require "support"
local both = require "both"
local core = require "pop3.core"

local M1, M2, M3, MAIL = both.M1, both.M2, both.M3, both.MAIL
local CLIENTS, all, plain = both.CLIENTS, both.all, both.plain

local function with_login(cl, fn)
  local srv = S.server{ mail = MAIL }
  local ok, err = pcall(function()
    local c = assert(cl.connect(srv.port))
    assert(c:login("alice", "secret"))
    fn(c, srv)
    c:close()
  end)
  srv:stop()
  if not ok then error(err, 0) end
end

-- What one more call of an iterator gives: "nil" (it ended), "value",
-- "raised: <message>" or "returned: <message>" (nil, message, ...).
local function step(it)
  local ok, a, b = pcall(it)
  if not ok then return "raised: " .. tostring(a) end
  if a ~= nil then return "value" end
  if b ~= nil then return "returned: " .. tostring(b) end
  return "nil"
end

-- The pattern of a batch's report: raised, naming the call (and the
-- message, for its body).
local function batch_ended(cl, what)
  return "^raised: [^\n]-" ..
         plain(cl.prefix .. what .. ": batch ended by another command") ..
         "$"
end

for _, cl in ipairs(CLIENTS) do
  describe(cl.name .. ": an iterator ended by another command", function()
    setup(both.install)
    teardown(both.uninstall)

    it("a batch and its body report it; the session goes on", function()
      with_login(cl, function(c)
        local it = assert(c:retrieve_many { 3, 1, 2 })
        local n, chunks = it()
        assert.equals(3, n)
        assert.equals(3, (c:stat()))      -- reads what the batch left
        assert.matches(batch_ended(cl, "retrieve_many 3"), step(chunks))
        assert.matches(batch_ended(cl, "retrieve_many"), step(it))
        assert.matches(batch_ended(cl, "retrieve_many"), step(it))
        assert.is_true(c:noop())
        assert.equals(M2, all(c:retrieve(2)))
      end)
    end)

    it("the same for top_many", function()
      with_login(cl, function(c)
        local it = assert(c:top_many({ 3, 1 }, 0))
        local _, chunks = it()
        assert.is_true(c:noop())
        assert.matches(batch_ended(cl, "top_many 3"), step(chunks))
        assert.matches(batch_ended(cl, "top_many"), step(it))
      end)
    end)

    it("a body read to its end stays ended; the batch reports the rest",
       function()
      with_login(cl, function(c)
        local it = assert(c:retrieve_many { 1, 3, 2 })
        local _, chunks = it()
        assert.equals(M1, all(chunks))
        assert.is_true(c:noop())
        assert.equals("nil", step(chunks))
        assert.matches(batch_ended(cl, "retrieve_many"), step(it))
      end)
    end)

    it("after a refused message too", function()
      with_login(cl, function(c)
        assert.is_true(c:delete(2))
        local it = assert(c:retrieve_many { 2, 1 })
        local n, chunks, err = it()
        assert.equals(2, n)
        assert.is_nil(chunks)
        assert.is_string(err)
        assert.is_true(c:noop())
        assert.matches(batch_ended(cl, "retrieve_many"), step(it))
      end)
    end)

    it("with every message handed out, only an unread body reports",
       function()
      with_login(cl, function(c)
        local it = assert(c:retrieve_many { 2, 1 })
        it()
        local _, last = it()
        assert.is_true(c:noop())
        assert.matches(batch_ended(cl, "retrieve_many 1"), step(last))
        assert.equals("nil", step(it))    -- no message was skipped
        it = assert(c:retrieve_many { 2, 1 })
        it()
        _, last = it()
        assert.equals(M1, all(last))
        assert.is_true(c:noop())
        assert.equals("nil", step(last))
        assert.equals("nil", step(it))
      end)
    end)

    it("a command inside the loop ends it with the error", function()
      with_login(cl, function(c)
        local done = {}
        local ok, err = pcall(function()
          for n, chunks in assert(c:retrieve_many { 1, 2, 3 }) do
            all(chunks)
            done[#done + 1] = n
            assert(c:delete(n))
          end
        end)
        assert.is_false(ok)
        assert.matches(batch_ended(cl, "retrieve_many"), "raised: " .. err)
        assert.same({ 1 }, done)
        assert.equals(2, (c:stat()))
      end)
    end)

    it("a batch that ended, or was left by break, stays quiet", function()
      with_login(cl, function(c, srv)
        local it = assert(c:retrieve_many { 1, 2 })
        local got = {}
        for n, chunks in it do got[#got + 1] = { n, all(chunks) } end
        assert.same({ { 1, M1 }, { 2, M2 } }, got)
        assert.is_true(c:noop())
        assert.equals("nil", step(it))
        -- break: the next command reads the rest and works
        it = assert(c:retrieve_many { 3, 1, 2 })
        for n in it do
          if n == 3 then break end
        end
        assert.equals(3, (c:stat()))
        assert.equals(M1, all(c:retrieve(1)))
        assert.matches("RETR 3\nRETR 1\nRETR 2\nSTAT\nRETR 1\n", srv:log())
        -- only the stale iterator, called again, says it was cut short
        assert.matches(batch_ended(cl, "retrieve_many"), step(it))
      end)
    end)

    it("an empty batch is no command: a running batch goes on",
       function()
      with_login(cl, function(c)
        local it = assert(c:retrieve_many { 1, 2 })
        it()
        for _ in assert(c:retrieve_many {}) do error("no message") end
        local n, chunks = it()
        assert.equals(2, n)
        assert.equals(M2, all(chunks))
        assert.equals("nil", step(it))
      end)
    end)

    it("a body of retrieve or top reports it as the client's bodies do",
       function()
      with_login(cl, function(c)
        for _, verb in ipairs { "retrieve", "top" } do
          local it = assert(c[verb](c, 3, 1))
          assert.equals(3, (c:stat()))
          local want = "^" .. cl.body .. ": [^\n]-" .. verb .. "[^\n]-" ..
                       "body ended by another command"
          assert.matches(want, step(it))
          assert.matches(want, step(it))
        end
        if cl.body == "returned" then
          local it = c:retrieve(3)
          assert.is_true(c:noop())
          local chunk, _, st = it()
          assert.is_nil(chunk)
          assert.equals(core.POP3_E_STATE, st)
        end
        -- read to its end, or left by break: as before
        local it = c:retrieve(1)
        assert.equals(M1, all(it))
        assert.is_true(c:noop())
        assert.equals("nil", step(it))
        for _ in c:retrieve(3) do break end
        assert.equals(M2, all(c:retrieve(2)))
      end)
    end)

    it("close() ends a body and a batch: their iterators report it",
       function()
      with_login(cl, function(c, srv)
        local it = assert(c:retrieve(3))
        assert.is_string(it())
        c:close()
        local want = "^" .. cl.body .. ": [^\n]-retrieve[^\n]-" ..
                     "body ended by another command"
        assert.matches(want, step(it))
        assert.truthy(srv:idle())
        assert(c:connect("127.0.0.1", srv.port))
        assert(c:login("alice", "secret"))
        local batch = assert(c:retrieve_many { 3, 1, 2 })
        local _, chunks = batch()
        assert.is_string(chunks())
        c:close()
        assert.matches(batch_ended(cl, "retrieve_many 3"), step(chunks))
        assert.matches(batch_ended(cl, "retrieve_many"), step(batch))
        -- one read to its end stays quiet
        assert.truthy(srv:idle())
        assert(c:connect("127.0.0.1", srv.port))
        assert(c:login("alice", "secret"))
        it = assert(c:retrieve(1))
        assert.equals(M1, all(it))
        c:close()
        assert.equals("nil", step(it))
      end)
    end)

    it("connect() while connected leaves the body and batch as they are",
       function()
      with_login(cl, function(c, srv)
        local it = assert(c:retrieve(3))
        local first = it()
        local ok, _, code = c:connect("127.0.0.1", srv.port)
        assert.is_nil(ok)
        assert.equals(core.POP3_E_STATE, cl.status(code))
        assert.equals(M3, first .. all(it))
        assert.is_true(c:noop())
        local batch = assert(c:retrieve_many { 1, 2 })
        local n, chunks = batch()
        assert.equals(1, n)
        ok, _, code = c:connect("127.0.0.1", srv.port)
        assert.is_nil(ok)
        assert.equals(core.POP3_E_STATE, cl.status(code))
        assert.equals(M1, all(chunks))
        n, chunks = batch()
        assert.equals(2, n)
        assert.equals(M2, all(chunks))
        assert.equals("nil", step(batch))
        assert.is_true(c:noop())
      end)
    end)
  end)
end
