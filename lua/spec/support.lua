-- Test support: temporary directories, the scripted server
-- (tests/server/pop3d.py) and Dovecot (tests/dovecot/harness.py), started
-- and stopped from the specs.  Every wait is bounded.

local S = {}

local SRC = os.getenv("POP3_SOURCE_DIR") or "."
local PY = os.getenv("POP3_PYTHON") or "python3"
S.src = SRC

local ok_sys, system = pcall(require, "system")   -- lua-system, via busted

function S.sleep(s)
  if ok_sys and system.sleep then system.sleep(s)
  else os.execute("sleep " .. s) end
end

local function q(s)   -- quote for /bin/sh
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end
S.q = q

-- os.execute's result differs between 5.1 (a number) and 5.2+ (a boolean).
function S.run(cmd)
  local a, _, c = os.execute(cmd)
  if type(a) == "number" then return a == 0 end
  return a == true and (c == nil or c == 0)
end

function S.capture(cmd)
  local f = assert(io.popen(cmd, "r"))
  local out = f:read("*a")
  f:close()
  return out
end

function S.read(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local d = f:read("*a")
  f:close()
  return d
end

function S.write(path, data)
  local f = assert(io.open(path, "wb"))
  assert(f:write(data))
  f:close()
end

function S.exists(path)
  local f = io.open(path, "rb")
  if f then f:close() return true end
  return false
end

function S.tmpdir()
  local d = S.capture("mktemp -d /tmp/pop3lua.XXXXXX"):gsub("%s+$", "")
  assert(d:match("^/tmp/pop3lua%.") and S.run("test -d " .. q(d)), d)
  assert(S.run("chmod 755 " .. q(d)))   -- Dovecot's users must traverse it
  return d
end

function S.rmtree(d)
  if d and d:match("^/tmp/pop3lua%.") then S.run("rm -rf " .. q(d)) end
end

-- Wait (bounded) until fn() returns a true value; return it, or nil.
function S.wait(fn, seconds)
  local waited = 0
  while waited < seconds do
    local v = fn()
    if v then return v end
    S.sleep(0.02)
    waited = waited + 0.02
  end
  return nil
end

-- ---- the scripted server -----------------------------------------------

local Server = {}
Server.__index = Server

-- S.server{ mail = { alice = { {"0001-a", "text"}, ... } },
--           users = {"alice:secret"}, apop = true, faults = {...},
--           scenario = "S +OK hi\r\n...", capa = true,
--           sasl = "PLAIN,SCRAM-SHA-256", certs = S.certs(),
--           implicit = true, host = "::1" }
-- `certs` turns STLS on (or implicit TLS) with certs.server/.key.
function S.server(o)
  o = o or {}
  local s = setmetatable({ dir = S.tmpdir() }, Server)
  s.maildrop = s.dir .. "/maildrop"
  s.logfile = s.dir .. "/log"
  local args = { q(PY), q(SRC .. "/tests/server/pop3d.py"),
                 "--port-file", q(s.dir .. "/port"),
                 "--pid-file", q(s.dir .. "/pid"),
                 "--log", q(s.logfile), "--max-lifetime", "90" }
  if o.scenario then
    S.write(s.dir .. "/scenario", o.scenario)
    args[#args + 1] = "--scenario " .. q(s.dir .. "/scenario")
  else
    assert(S.run("mkdir -p " .. q(s.maildrop)))
    args[#args + 1] = "--maildrop " .. q(s.maildrop)
    for user, msgs in pairs(o.mail or {}) do
      for _, m in ipairs(msgs) do s:add(user, m[1], m[2]) end
    end
  end
  for _, u in ipairs(o.users or { "alice:secret" }) do
    args[#args + 1] = "--user " .. q(u)
  end
  if o.apop then args[#args + 1] = "--apop" end
  if o.capa then args[#args + 1] = "--capa" end
  if o.sasl then args[#args + 1] = "--sasl " .. q(o.sasl) end
  if o.host then args[#args + 1] = "--host " .. q(o.host) end
  if o.certs then
    args[#args + 1] = "--tls-cert " .. q(o.certs.server) ..
                      " --tls-key " .. q(o.certs.key)
    if o.implicit then args[#args + 1] = "--implicit-tls" end
  end
  for _, f in ipairs(o.faults or {}) do
    args[#args + 1] = "--fault " .. q(f)
  end
  assert(S.run(table.concat(args, " ") .. " </dev/null >" ..
               q(s.dir .. "/out") .. " 2>&1 &"))
  s.port = S.wait(function()
    local p = S.read(s.dir .. "/port")
    return p and tonumber(p:match("%d+"))
  end, 10)
  s.pid = S.wait(function()
    local p = S.read(s.dir .. "/pid")
    return p and tonumber(p:match("%d+"))
  end, 2)
  if not s.port then
    local out = S.read(s.dir .. "/out") or ""
    s:stop()
    error("scripted server did not start: " .. out)
  end
  return s
end

function Server:add(user, name, data)
  assert(S.run("mkdir -p " .. q(self.maildrop .. "/" .. user)))
  S.write(self.maildrop .. "/" .. user .. "/" .. name .. ".eml", data)
end

function Server:has(user, name)
  return S.exists(self.maildrop .. "/" .. user .. "/" .. name .. ".eml")
end

function Server:log()
  return S.read(self.logfile) or ""
end

-- Wait until the server has seen n connections end.
function Server:closed(n)
  return S.wait(function()
    local _, k = self:log():gsub("#CLOSE", "")
    return k >= n
  end, 5)
end

-- Wait until every connection has ended on the server's side, so that
-- its maildrop lock is free for the next login.
function Server:idle()
  return S.wait(function()
    local log = self:log()
    return select(2, log:gsub("#CONNECT", "")) ==
           select(2, log:gsub("#CLOSE", ""))
  end, 5)
end

function Server:stop()
  if self.pid then
    S.run("kill " .. self.pid .. " 2>/dev/null")
    -- Gone, or a zombie nobody reaps (the shell that started it is gone).
    S.wait(function()
      local st = S.read("/proc/" .. self.pid .. "/stat")
      return not st or st:match("^%d+ %b() ([ZX])")
    end, 5)
    self.pid = nil
  end
  S.rmtree(self.dir)
end

-- Throw-away certificates (tests/server/certs.py) in a temporary
-- directory: { ca =, other_ca =, server =, key =, dir = }; S.rmtree(dir).
function S.certs()
  local d = S.tmpdir()
  local out = S.capture(q(PY) .. " " .. q(SRC .. "/tests/server/certs.py")
                        .. " " .. q(d) .. " 2>&1")
  if not S.exists(d .. "/server.pem") then
    S.rmtree(d)
    error("certs.py failed: " .. out)
  end
  return { dir = d, ca = d .. "/ca.pem", other_ca = d .. "/other-ca.pem",
           server = d .. "/server.pem", key = d .. "/server.key" }
end

-- ---- Dovecot -------------------------------------------------------------

local Dovecot = {}
Dovecot.__index = Dovecot

local HARNESS = q(PY) .. " " .. q(SRC .. "/tests/dovecot/harness.py")

local function read_env(d)
  for k, v in (S.read(d.dir .. "/env") or ""):gmatch("([%w_]+)=([^\n]*)") do
    d[k:lower()] = v:gsub("^'(.*)'$", "%1")
  end
  d.port = tonumber(d.pop3_port)
  d.pop3s_port = tonumber(d.pop3s_port)
  return d.port
end

-- The suite's Dovecot (CTest fixture, DOVECOT_DIR), or one of our own
-- (with TLS: STLS, POP3S and a test CA) when run by hand.  `user` is one
-- of the users the fixture created for Lua (password "secret").
function S.dovecot(user)
  local shared = os.getenv("DOVECOT_DIR")
  local d = setmetatable({ user = user, password = "secret" }, Dovecot)
  if shared and shared ~= "" then
    d.dir = shared
    if not read_env(d) then error("no Dovecot fixture in " .. shared) end
    return d
  end
  d.dir, d.own = S.tmpdir(), true
  local out = S.capture(HARNESS .. " start --tls --dir " .. q(d.dir) ..
                        " --user " .. q(user .. ":secret") .. " 2>&1")
  if not read_env(d) then
    d:stop()
    error("dovecot did not start: " .. out)
  end
  return d
end

-- Replace the user's messages with these strings (in order).
function Dovecot:seed(messages)
  local files = {}
  local tmp = S.tmpdir()
  for i, m in ipairs(messages) do
    local p = ("%s/seed-%d.eml"):format(tmp, i)
    S.write(p, m)
    files[#files + 1] = q(p)
  end
  assert(S.run(HARNESS .. " seed --dir " .. q(self.dir) .. " --user " ..
               self.user .. " " .. table.concat(files, " ")))
  S.rmtree(tmp)
end

function Dovecot:count()
  return tonumber(S.capture(HARNESS .. " count --dir " .. q(self.dir) ..
                            " --user " .. self.user))
end

function Dovecot:stop()
  if not self.own then return end   -- the fixture stops the shared one
  S.run(HARNESS .. " stop --dir " .. q(self.dir) .. " >/dev/null 2>&1")
  S.rmtree(self.dir)
end

-- ---- messages ------------------------------------------------------------

-- A message as the server stores it (LF) and as a client receives it (CRLF).
function S.crlf(text)
  return (text:gsub("\r?\n", "\r\n"))
end

-- A large message with varied lines, some starting with dots.
function S.big_message(bytes)
  local lines, n, i = { "Subject: big\n", "\n" }, 0, 0
  while n < bytes do
    i = i + 1
    local l = (i % 7 == 0 and "." or "") .. ("line %d "):format(i) ..
              ("x"):rep(i % 90) .. "\n"
    lines[#lines + 1] = l
    n = n + #l
  end
  return table.concat(lines)
end

return S
