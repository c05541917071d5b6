-- What the specs that run one body over both clients share: the blocking
-- client (pop3) and pop3.cosocket (over ngx_shim.lua) as one table each
-- in CLIENTS, the maildrop they read, and small helpers.  A describe
-- that uses CLIENTS puts the shim in place around its cases:
--   setup(both.install)
--   teardown(both.uninstall)
-- (pop3.cosocket is loaded by install, so CLIENTS[2] works only inside).
local S = require "support"
local shim = require "ngx_shim"
local pop3 = require "pop3"
local core = require "pop3.core"
local assert = require "luassert"

local B = {}

local cosocket

function B.install()
  shim.install()
  cosocket = require "pop3.cosocket"
end

B.uninstall = shim.uninstall

B.M1 = "Subject: one\r\n\r\nfirst\r\n"
B.M2 = "Subject: two\r\n\r\n.dotted\r\n"
B.M3 = "Subject: three\r\n\r\n" .. ("third line\r\n"):rep(3000)
B.MAIL = { alice = { { "0001-a", B.M1 }, { "0002-b", B.M2 },
                     { "0003-c", B.M3 } } }

-- Options for a cleartext connect to port on loopback, plus `extra`.
local function options(tls, port, extra)
  local o = { host = "127.0.0.1", port = port, tls = tls, timeout = 5 }
  for k, v in pairs(extra or {}) do o[k] = v end
  return o
end

-- Each client's way to make one (new(o): o as given; connect(port,
-- extra): cleartext, `extra` adds options), to read what it knows, and
-- status(code): its error code as the C status.  `none`: its tls value
-- for cleartext; `prefix`: what its error messages start with; `body`:
-- how a retrieve/top iterator reports a failure (a batch's iterators
-- raise in both).
B.CLIENTS = {
  { name = "pop3", prefix = "pop3: ", body = "raised", none = false,
    module = function() return pop3 end,
    new = function(o) return assert(pop3.new(o)) end,
    connect = function(port, extra)
      return pop3.connect(options(false, port, extra))
    end,
    status = function(code) return pop3.codes[code] end,
    greeting = function(c) return c:greeting() end,
    text = function(c) return (c:server_text()) end,
    resp_code = function(c) return select(2, c:server_text()) end,
    state = function(c) return c:state() end,
    is_utf8 = function(c) return c:is_utf8() end,
    -- What the last CAPA said, without asking again.
    has_capa = function(c, name) return core.pop3_has_capa(c.ud, name) == 1 end,
    no_capa = function(c) return core.pop3_capa_line(c.ud, 0) == nil end },
  { name = "pop3.cosocket", prefix = "pop3.cosocket: ", body = "returned",
    none = "none",
    module = function() return cosocket end,
    new = function(o) return cosocket.new(o) end,
    connect = function(port, extra)
      return cosocket.connect(options("none", port, extra))
    end,
    status = function(code) return code and math.floor(code) end,
    greeting = function(c) return c.greeting end,
    text = function(c) return c.server_text end,
    resp_code = function(c) return c.resp_code end,
    state = function(c) return c.state end,
    is_utf8 = function(c) return c.is_utf8 end,
    has_capa = function(c, name)
      return c.caps_listed and c.caps[name] ~= nil
    end,
    no_capa = function(c) return not c.caps_listed end },
}

-- fn(sb, sc) with two servers made from o (one for each client: a
-- maildrop takes one session at a time); both are always stopped.
function B.with_servers(o, fn)
  local sb, sc = S.server(o), S.server(o)
  local ok, err = pcall(fn, sb, sc)
  sb:stop()
  sc:stop()
  assert(ok, err)
end

function B.no_mismatch(log)
  assert.is_nil(log:find("#MISMATCH", 1, true), log)
end

-- An iterator's chunks, joined.
function B.all(iter)
  local parts = {}
  for chunk in iter do parts[#parts + 1] = chunk end
  return table.concat(parts)
end

-- s as a Lua pattern that matches s.
function B.plain(s)
  return (s:gsub("%p", "%%%0"))
end

return B
