--- pop3.netx: the NetX Duo-style POP3 client API, for Lua gateway code
-- ported from NetX.  The same service names, arguments and NX_* status
-- codes as <pop3/nx_pop3_client.h>, over the same C implementation;
-- outputs come back after the status, in the order C takes them:
--
--   local nx = require "pop3.netx"
--   local pool, ip = nx.NX_PACKET_POOL(), nx.NX_IP()
--   assert(nx.nxswig_packet_pool_create(pool, 1500, 16) == nx.NX_SUCCESS)
--   nx.nxswig_ip_create(ip, nx.IP_ADDRESS(127, 0, 0, 1), 0xFFFFFF00, pool)
--   nx.nx_tcp_enable(ip)
--   local client = nx.NX_POP3_CLIENT()
--   local st = nx.nx_pop3_client_create(client, 1, ip, pool,
--                nx.IP_ADDRESS(127, 0, 0, 1), 110, "alice", "secret")
--   local st, count, total = nx.nx_pop3_client_mail_items_get(client)
--   local st, packet, nbytes, final =
--     nx.nx_pop3_client_mail_item_message_get(client)
--   local data = nx.packet_data(packet); nx.nx_packet_release(packet)
--
-- Control blocks are C structs owned by Lua: a client keeps the IP
-- instance and pool it was created with alive, and the collector tears a
-- forgotten block down (a client closes without QUIT).  Deleting them
-- in reverse order (client, IP instance, pool) is still the clean way.
-- See docs/lua.md and docs/netx.md.

local core = require "pop3.core"

local type, floor, tostring = type, math.floor, tostring

local M = {}

-- The C names, as the header spells them.
for k, v in pairs(core) do
  if type(k) == "string" and (k:match("^nxd?_") or k:match("^NXD?_")
                              or k:match("^nxswig_")) then
    M[k] = v
  end
end

-- What each block needs alive while it is in use (weak keys: a block no
-- longer referenced lets go of them).
local needs = setmetatable({}, { __mode = "k" })

local function keep(fn, holder_at, ...)
  local idx = { ... }
  return function(...)
    local args = { ... }
    local st = fn(...)
    if st == core.NX_SUCCESS then
      local held = {}
      for i = 1, #idx do held[i] = args[idx[i]] end
      needs[args[holder_at]] = held
    end
    return st
  end
end

-- client, ip, pool: the client holds ip and pool; ip holds its pool.
M.nx_pop3_client_create = keep(core.nx_pop3_client_create, 1, 3, 4, 5)
M.nxd_pop3_client_create = keep(core.nxd_pop3_client_create, 1, 3, 4, 5)
M.nxswig_ip_create = keep(core.nxswig_ip_create, 1, 4)

local function octet_error(fname)
  error(("bad argument to '%s' (four integers 0-255 expected)")
        :format(fname), 3)
end

--- IP_ADDRESS(a, b, c, d): the NetX macro, an IPv4 address as a 32-bit
-- number in host order.
function M.IP_ADDRESS(...)
  local o = { ... }
  if select("#", ...) ~= 4 then octet_error("IP_ADDRESS") end
  local n = 0
  for i = 1, 4 do
    local v = o[i]
    if type(v) ~= "number" or v ~= floor(v) or v < 0 or v > 255 then
      octet_error("IP_ADDRESS")
    end
    n = n * 256 + v
  end
  return n
end

--- packet_data(packet) -> the packet's data as a string (a copy).
function M.packet_data(packet)
  local st, data = core.nxswig_packet_data(packet)
  if st ~= core.NX_SUCCESS then
    error("bad argument #1 to 'packet_data' (packet expected)", 2)
  end
  return data
end

-- "2001:db8::1" -> eight 16-bit groups, or nil.
local function ipv6_groups(text)
  if not text:match("^[%x:]+$") or text:find(":::", 1, true) then
    return nil
  end
  local head, tail = text, ""
  local gap = text:find("::", 1, true)
  if gap then
    head, tail = text:sub(1, gap - 1), text:sub(gap + 2)
    if tail:find("::", 1, true) then return nil end
  end
  local function split(s)
    local g = {}
    if s == "" then return g end
    for part in (s .. ":"):gmatch("([^:]*):") do
      if #part < 1 or #part > 4 then return nil end
      g[#g + 1] = tonumber(part, 16)
    end
    return g
  end
  local h, t = split(head), split(tail)
  if not h or not t then return nil end
  local missing = 8 - #h - #t
  if (gap and missing < 1) or (not gap and missing ~= 0) then return nil end
  for _ = 1, missing do h[#h + 1] = 0 end
  for i = 1, #t do h[#h + 1] = t[i] end
  return h
end

--- address(text) -> an NXD_ADDRESS for "192.0.2.1" or "2001:db8::1";
-- nil, message when the text is neither.
function M.address(text)
  if type(text) ~= "string" then
    error("bad argument #1 to 'address' (string expected, got "
          .. type(text) .. ")", 2)
  end
  local a = core.NXD_ADDRESS()
  local o = { text:match("^(%d+)%.(%d+)%.(%d+)%.(%d+)$") }
  if #o == 4 then
    local n = 0
    for i = 1, 4 do
      local v = tonumber(o[i])
      if v > 255 or #o[i] > 3 then break end
      n = n * 256 + v
      if i == 4 then
        core.nxswig_address_set(a, core.NX_IP_VERSION_V4, n, 0, 0, 0)
        return a
      end
    end
    return nil, "not an IP address: " .. tostring(text)
  end
  local g = ipv6_groups(text)
  if not g then return nil, "not an IP address: " .. tostring(text) end
  core.nxswig_address_set(a, core.NX_IP_VERSION_V6,
                          g[1] * 65536 + g[2], g[3] * 65536 + g[4],
                          g[5] * 65536 + g[6], g[7] * 65536 + g[8])
  return a
end

return M
