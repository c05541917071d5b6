-- A -ERR [AUTH] (RFC 3206) to one RETR of a batch is that message's
-- answer, as any other -ERR: pop3_many_next goes on with the next one,
-- so the iterator must too, and the client stays usable.  The same
-- scripted session through the blocking client and pop3.cosocket (over
-- ngx_shim.lua), as python/tests/test_aio_batch_left.py does for Python.
local S = require "support"
local both = require "both"
local core = require "pop3.core"

local SCRIPT = [[
S +OK ready\r\n
C CAPA
S +OK\r\nUSER\r\nPIPELINING\r\n.\r\n
C USER alice
C*
S +OK\r\n+OK logged in\r\n
C CAPA
C STAT
S +OK\r\nPIPELINING\r\n.\r\n+OK 3 30\r\n
C RETR 1
C RETR 2
C RETR 3
S +OK\r\nmsg1\r\n.\r\n-ERR [AUTH] not yours\r\n
S +OK\r\nmsg3\r\n.\r\n
C NOOP
S +OK\r\n
C QUIT
S +OK bye\r\n
E
]]

-- Each client's calls; `status(code)` turns its error code into the C
-- status (the blocking client gives a short name, pop3.cosocket the
-- number).
local CLIENTS = both.CLIENTS

-- What the batch gave: n and the body, or n, the status and the text.
local function session(cl, port)
  local c = assert(cl.connect(port))
  assert(c:capabilities())
  assert(c:login("alice", "secret"))
  local got = {}
  local ok, err = pcall(function()
    for n, chunks, msg, code in assert(c:retrieve_many { 1, 2, 3 }) do
      if chunks then
        local parts = {}
        for chunk in chunks do parts[#parts + 1] = chunk end
        got[#got + 1] = { n, table.concat(parts) }
      else
        got[#got + 1] = { n, cl.status(code), msg }
      end
    end
  end)
  got[#got + 1] = ok or ("raised: " .. tostring(err))
  local noop = { c:noop() }
  got[#got + 1] = noop[1] or cl.status(noop[3])
  got[#got + 1] = c:quit() or "quit failed"
  c:close()
  return got
end

describe("a -ERR [AUTH] to one message of a batch", function()
  setup(both.install)
  teardown(both.uninstall)

  local results = {}
  for _, cl in ipairs(CLIENTS) do
    it(cl.name .. ": is that message's; the batch and session go on",
       function()
      local srv = S.server{ scenario = SCRIPT }
      local ok, err = pcall(function()
        local got = session(cl, srv.port)
        assert.same({ 1, "msg1\r\n" }, got[1])
        assert.equals(2, got[2][1])
        assert.equals(core.POP3_E_AUTH, got[2][2])
        assert.matches("not yours", got[2][3], 1, true)
        assert.same({ 3, "msg3\r\n" }, got[3])
        assert.same({ true, true, true }, { got[4], got[5], got[6] })
        both.no_mismatch(srv:log())
        results[cl.name] = got
      end)
      srv:stop()
      if not ok then error(err, 0) end
    end)
  end

  it("both clients report the same", function()
    local b, k = results["pop3"], results["pop3.cosocket"]
    assert.is_table(b)
    assert.is_table(k)
    -- the texts differ in wording, not in the server's words
    b[2][3], k[2][3] = nil, nil
    assert.same(b, k)
  end)
end)
