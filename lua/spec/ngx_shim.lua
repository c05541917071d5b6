-- Test support: the part of nginx's ngx.socket.tcp that pop3.cosocket
-- uses, over LuaSocket, so its specs run outside nginx (blocking, one
-- session at a time).  tests/nginx runs the real cosockets.  No TLS:
-- sslhandshake fails.  S.install() sets the global `ngx`.

local socket = require "socket"

local Sock = {}
Sock.__index = Sock

local function tcp()
  return setmetatable({ timeouts = { 60, 60, 60 } }, Sock)
end

function Sock:settimeouts(connect_ms, send_ms, read_ms)
  self.timeouts = { connect_ms / 1000, send_ms / 1000, read_ms / 1000 }
end

function Sock:connect(host, port)
  local s = socket.tcp()
  s:settimeout(self.timeouts[1])
  local ok, err = s:connect(host, port)
  if not ok then
    s:close()
    return nil, err == "timeout" and "timeout" or ("connect: " .. err)
  end
  self.s = s
  return 1
end

function Sock:send(data)
  if not self.s then return nil, "closed" end
  self.s:settimeout(self.timeouts[2])
  local n, err = self.s:send(data)
  if not n then return nil, err end
  return n
end

-- What has arrived, up to max bytes, waiting at most the read timeout
-- for the first one (as ngx's receiveany).
function Sock:receiveany(max)
  if not self.s then return nil, "closed" end
  if not self.s:dirty() then
    local ready = socket.select({ self.s }, nil, self.timeouts[3])
    if not ready[1] then return nil, "timeout" end
  end
  self.s:settimeout(0)
  local data, err, partial = self.s:receive(max)
  data = data or partial
  if data and #data > 0 then return data end
  return nil, err == "timeout" and "timeout" or "closed"
end

function Sock:sslhandshake()
  return nil, "the test shim has no TLS"
end

function Sock:close()
  if self.s then self.s:close() end
  self.s = nil
  return 1
end

local M = {}

function M.install()
  _G.ngx = { socket = { tcp = tcp } }
end

function M.uninstall()
  _G.ngx = nil
end

return M
