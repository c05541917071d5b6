-- A client that is garbage-collected while logged in drops its connection
-- without QUIT: the server commits nothing and frees the maildrop.
local pop3 = require "pop3"
local S = require "support"

describe("garbage collection", function()
  local srv
  before_each(function()
    srv = S.server { mail = { alice = { { "0001-a", "Subject: a\n\nx\n" },
                                        { "0002-b", "Subject: b\n\ny\n" },
                                        { "0003-big", S.big_message(200000) } } } }
  end)
  after_each(function() if srv then srv:stop() end end)

  it("closes an open client without QUIT; nothing is deleted", function()
    do
      local c = assert(pop3.connect { host = "127.0.0.1", port = srv.port,
                                      tls = false })
      assert(c:login("alice", "secret"))
      assert(c:delete(1))
      assert(c:delete(2))
    end
    collectgarbage()
    collectgarbage()
    assert.truthy(srv:closed(1))
    assert.is_nil(srv:log():find("QUIT", 1, true))
    assert.is_true(srv:has("alice", "0001-a"))
    assert.is_true(srv:has("alice", "0002-b"))
    -- the lock went with the connection: a new session logs in at once
    local c = assert(pop3.connect { host = "127.0.0.1", port = srv.port,
                                    tls = false })
    assert.is_true(c:login("alice", "secret"))
    assert.equals(3, (c:stat()))
    assert.is_true(c:quit())
  end)

  it("collects clients mid-body and many clients, closing each once",
     function()
    for _ = 1, 20 do
      local c = assert(pop3.connect { host = "127.0.0.1", port = srv.port,
                                      tls = false })
      local it = c:retrieve(1)   -- state, not logged in: nil, err
      assert.is_nil(it)
      c = nil
      collectgarbage()
    end
    -- a 200 kB body through a 4 kB buffer: the iterator has more to give
    local c = assert(pop3.connect { host = "127.0.0.1", port = srv.port,
                                    tls = false, buffer_size = 4096 })
    assert(c:login("alice", "secret"))
    local it = assert(c:retrieve(3))
    assert.is_string(it())
    c = nil
    collectgarbage()
    collectgarbage()
    assert.truthy(srv:closed(20))
    -- the iterator keeps its client alive ...
    assert.equals(20, select(2, srv:log():gsub("#CLOSE", "")))
    assert.is_string(it())
    -- ... and once both are garbage, the connection is dropped
    it = nil
    collectgarbage()
    collectgarbage()
    assert.truthy(srv:closed(21))
    assert.is_true(srv:has("alice", "0001-a"))
  end)
end)
