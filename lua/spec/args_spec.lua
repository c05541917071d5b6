-- Programming errors raise (error()), with a message naming the mistake,
-- and send nothing: the session goes on as if the call was never made.
local pop3 = require "pop3"
local S = require "support"

describe("bad arguments", function()
  local srv, c
  lazy_setup(function()
    srv = S.server { mail = { alice = { { "0001-a", "Subject: a\n\nx\n" } } } }
    c = assert(pop3.connect { host = "127.0.0.1", port = srv.port,
                              tls = false })
    assert(c:login("alice", "secret"))
  end)
  lazy_teardown(function()
    if c then c:close() end
    if srv then srv:stop() end
  end)

  local function raises(pattern, fn, ...)
    local ok, err = pcall(fn, ...)
    assert.is_false(ok)
    assert.is_string(err)
    assert.matches(pattern, err)
  end

  it("in pop3.connect and pop3.new options", function()
    raises("table of options expected", pop3.connect)
    raises("table of options expected", pop3.connect, "127.0.0.1")
    raises("'host' must be a string", pop3.connect, { port = 110 })
    raises("integer in 0%.%.65535", pop3.new, { host = "h", port = -1 })
    raises("integer in 0%.%.65535", pop3.new, { host = "h", port = 1.5 })
    raises("bad option 'tls'", pop3.new, { tls = "maybe" })
    raises("bad option 'tls'", pop3.new, { tls = true })
    raises("bad option 'verify'", pop3.new, { verify = "yes" })
    raises("bad option 'timeout'", pop3.new, { timeout = -1 })
    raises("bad option 'timeout'", pop3.new, { timeout = 0 / 0 })
    raises("bad option 'timeout'", pop3.new, { timeout = "5" })
    raises("bad option 'ca_file'", pop3.new, { ca_file = 42 })
    raises("bad option 'max_line'", pop3.new, { max_line = 0 })
    raises("unknown option 'ca_flie'", pop3.new, { ca_flie = "x" })
  end)

  it("in methods, without sending anything", function()
    local before = #srv:log()
    raises("#1 to 'login' %(string expected, got number%)", c.login, c, 1, "x")
    raises("#2 to 'apop' %(string expected, got nil%)", c.apop, c, "u")
    raises("#1 to 'retrieve' %(number expected, got string%)",
           c.retrieve, c, "1")
    raises("#1 to 'retrieve' %(integer in 1%.%.", c.retrieve, c, 0)
    raises("#1 to 'retrieve' %(integer in 1%.%.", c.retrieve, c, 1.5)
    raises("#1 to 'retrieve' %(integer in 1%.%.", c.retrieve, c, 2 ^ 40)
    raises("#1 to 'delete'", c.delete, c, -1)
    raises("#1 to 'list'", c.list, c, 0)
    raises("#1 to 'uidl'", c.uidl, c, {})
    raises("#2 to 'top' %(integer", c.top, c, 1, -1)
    raises("#2 to 'top' %(number expected", c.top, c, 1)
    raises("#2 to 'connect'", c.connect, c, "127.0.0.1", 70000)
    raises("bad self to 'stat'", c.stat)            -- c.stat() for c:stat()
    raises("bad self to 'quit'", c.quit, {})
    raises("#1 to 'apop_digest'", pop3.apop_digest, nil, "x")
    raises("#1 to 'strerror'", pop3.strerror, {})
    assert.equals(before, #srv:log())               -- nothing was sent
    assert.equals(1, (c:stat()))                    -- and the session goes on
  end)

  it("in the private core module too (SWIG's checks)", function()
    local core = require "pop3.core"
    raises("pop3_stat", core.pop3_stat, "not a client")
    raises("option tls must be a number", core.pop3_client_new,
           { tls = "x" })
  end)
end)
