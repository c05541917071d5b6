--- pop3: a POP3 client (RFC 1939) for Lua 5.1 (LuaJIT) to 5.4, on libpop3.
--
-- The C API is wrapped by SWIG into the private module `pop3.core`; this
-- file is the public face.  Conventions:
--   * expected failures (refused login, -ERR, timeout, lost connection)
--     return nil, message, code -- code is a short name such as "auth",
--     "timeout" or "in_use" (see pop3.codes);
--   * programming errors (wrong argument types, message number 0) raise;
--   * nothing is deleted on the server unless c:quit() succeeds: closing
--     or collecting a client drops the connection without QUIT.
-- See docs/lua.md for a tutorial.

local core = require "pop3.core"

local type, tostring, error = type, tostring, error
local floor, concat = math.floor, table.concat

local M = {}
M._VERSION = "pop3 " .. core.pop3_version()

local OK, DONE = core.POP3_OK, core.POP3_DONE

-- Status number <-> short code, derived from the C enum so that new
-- statuses need no change here: POP3_E_IN_USE -> "in_use".
local code_of, status_of = {}, {}
for k, v in pairs(core) do
  local name = type(k) == "string" and k:match("^POP3_E_(.+)$")
  if name and type(v) == "number" then
    code_of[v] = name:lower()
    status_of[name:lower()] = v
  end
end
--- pop3.codes[code] is the C status number of an error code.
M.codes = status_of

local tls_modes = {
  default = core.POP3_TLS_DEFAULT,
  none = core.POP3_TLS_NONE,
  stls_if_offered = core.POP3_TLS_STLS_IF_OFFERED,
  stls = core.POP3_TLS_STLS_REQUIRED,
  implicit = core.POP3_TLS_IMPLICIT,
}

local pipelining_modes = {
  auto = core.POP3_PIPELINING_AUTO,
  assume = core.POP3_PIPELINING_ASSUME,
  off = core.POP3_PIPELINING_OFF,
}

local state_names = {
  [core.POP3_STATE_DISCONNECTED] = "disconnected",
  [core.POP3_STATE_AUTHORIZATION] = "authorization",
  [core.POP3_STATE_TRANSACTION] = "transaction",
  [core.POP3_STATE_UPDATE] = "update",
}

-- ---- argument checks: these raise, naming the caller's function --------

local function argerror(fname, n, msg)
  error(("bad argument #%d to '%s' (%s)"):format(n, fname, msg), 3)
end

local function check_string(fname, n, v)
  if type(v) ~= "string" then
    argerror(fname, n, "string expected, got " .. type(v))
  end
  return v
end

-- A whole number in [lo, hi]; LuaJIT has no math.type, so test by floor.
local function check_int(fname, n, v, lo, hi)
  if type(v) ~= "number" then
    argerror(fname, n, "number expected, got " .. type(v))
  end
  if v ~= floor(v) or v < lo or v > hi then
    argerror(fname, n, ("integer in %d..%d expected, got %s")
             :format(lo, hi, tostring(v)))
  end
  return v
end

local MAX_MSG = 4294967295

-- ---- the client --------------------------------------------------------

local Client = {}
Client.__index = Client

local function is_client(c)
  return getmetatable(c) == Client
end

local function check_self(fname, c)
  if not is_client(c) then
    error(("bad self to '%s' (pop3 client expected, got %s); "
           .. "call it as c:%s(...)"):format(fname, type(c), fname), 3)
  end
end

-- nil, message, code for the status st of the client's last call.  The
-- message ends with the library's detail where it has one (why a
-- certificate was refused, why no login method was left, ...).
local function fail(c, st)
  local text = c and core.pop3_server_text(c.ud) or ""
  local msg = core.pop3_strerror(st)
  if text ~= "" then
    local rc = core.pop3_resp_code(c.ud)
    msg = msg .. ": " .. (rc ~= "" and ("[" .. rc .. "] ") or "") .. text
  end
  local detail = c and core.pop3_error_detail(c.ud) or ""
  if detail ~= "" then msg = msg .. " (" .. detail .. ")" end
  return nil, msg, code_of[st] or tostring(st)
end

-- A body or batch left unfinished (a `break` out of a for loop) is
-- read to its end before the next command, so the session stays usable.
-- Its iterators are marked: called again, they say another command ended
-- them rather than end as if nothing had been missed.
local ENDED = "ended by another command"

local function settle(c)
  local token = c.reading
  if token then
    c.reading = nil
    token.stale = true
    local st = core.pop3_discard(c.ud)
    if st ~= OK then return st end
  end
  return OK
end

-- Strings reach C as NUL-terminated: one holding a NUL would be cut
-- short there (a truncated password sent), so it is refused first.
local function has_nul(...)
  for i = 1, select("#", ...) do
    local v = select(i, ...)
    if type(v) == "string" and v:find("\0", 1, true) then return true end
  end
  return false
end

-- Run a status-only command: true or nil, message, code.
local function simple(c, fn, ...)
  if has_nul(...) then
    return nil, core.pop3_strerror(core.POP3_E_ARG) .. " (NUL in a string)",
           "arg"
  end
  local st = settle(c)
  if st == OK then st = fn(c.ud, ...) end
  if st ~= OK then return fail(c, st) end
  return true
end

-- Translate the table given to pop3.new/pop3.connect into the fields of
-- pop3_options (see bindings/lua.i); unknown keys are an error, so a
-- misspelt "ca_flie" never silently turns verification defaults on.
local option_keys = {
  host = true, port = true, tls = true, verify = true, timeout = true,
  connect_timeout = true, ca_file = true, ca_path = true, cert_file = true,
  key_file = true, server_name = true, max_line = true, buffer_size = true,
  allow_cleartext = true, auth_methods = true, utf8 = true,
  pipeline_login = true, early_capa = true, pipelining = true,
}

-- auth_methods names (any case) -> POP3_AUTH_* bits.
local auth_bits = {
  USER = core.POP3_AUTH_USER, APOP = core.POP3_AUTH_APOP,
  PLAIN = core.POP3_AUTH_PLAIN, LOGIN = core.POP3_AUTH_LOGIN,
  ["CRAM-MD5"] = core.POP3_AUTH_CRAM_MD5,
  ["SCRAM-SHA-1"] = core.POP3_AUTH_SCRAM_SHA_1,
  ["SCRAM-SHA-256"] = core.POP3_AUTH_SCRAM_SHA_256,
  XOAUTH2 = core.POP3_AUTH_XOAUTH2, OAUTHBEARER = core.POP3_AUTH_OAUTHBEARER,
}

-- A non-empty list of method names -> their bits OR-ed (no bit ops in
-- 5.1: each bit is added once).  An empty list would mean "all" in C,
-- the opposite of what it says, so it is refused.
local function auth_mask(fname, list)
  if type(list) ~= "table" or #list == 0 then
    error(("bad option 'auth_methods' to '%s' (non-empty list of method "
           .. "names expected)"):format(fname), 4)
  end
  local seen, mask = {}, 0
  for i = 1, #list do
    local name = type(list[i]) == "string" and list[i]:upper()
    local bit = name and auth_bits[name]
    if not bit then
      error(("bad option 'auth_methods' to '%s' (unknown method '%s')")
            :format(fname, tostring(list[i])), 4)
    end
    if not seen[bit] then seen[bit] = true; mask = mask + bit end
  end
  return mask
end

local function seconds_to_ms(fname, key, v)
  if type(v) ~= "number" or v ~= v or v <= 0 or v > 2147483 then
    error(("bad option '%s' to '%s' (seconds in (0, 2147483] expected)")
          :format(key, fname), 3)
  end
  return math.max(1, floor(v * 1000 + 0.5))
end

local function core_options(fname, t)
  local o = {}
  for k in pairs(t) do
    if not option_keys[k] then
      error(("unknown option '%s' to '%s'"):format(tostring(k), fname), 3)
    end
  end
  local tls = t.tls
  if tls == false then tls = "none" end
  if tls ~= nil then
    if tls_modes[tls] == nil then
      error(("bad option 'tls' to '%s' (one of default, none, stls, "
             .. "stls_if_offered, implicit, or false)"):format(fname), 3)
    end
    o.tls = tls_modes[tls]
  end
  if t.verify ~= nil then
    if type(t.verify) ~= "boolean" then
      error(("bad option 'verify' to '%s' (boolean expected)")
            :format(fname), 3)
    end
    o.tls_verify = t.verify and 1 or 0
  end
  if t.timeout ~= nil then
    o.io_timeout_ms = seconds_to_ms(fname, "timeout", t.timeout)
    o.connect_timeout_ms = o.io_timeout_ms
  end
  if t.connect_timeout ~= nil then
    o.connect_timeout_ms =
      seconds_to_ms(fname, "connect_timeout", t.connect_timeout)
  end
  for _, k in ipairs { "ca_file", "ca_path", "cert_file", "key_file",
                       "server_name" } do
    local v = t[k]
    if v ~= nil and type(v) ~= "string" then
      error(("bad option '%s' to '%s' (string expected)"):format(k, fname), 3)
    end
    o[k] = v
  end
  if t.pipelining ~= nil then
    o.pipelining = pipelining_modes[t.pipelining]
    if o.pipelining == nil then
      error(("bad option 'pipelining' to '%s' (one of auto, assume, off)")
            :format(fname), 3)
    end
  end
  for _, k in ipairs { "allow_cleartext", "utf8", "pipeline_login",
                       "early_capa" } do
    if t[k] ~= nil then
      if type(t[k]) ~= "boolean" then
        error(("bad option '%s' to '%s' (boolean expected)"):format(k, fname),
              3)
      end
      o[k] = t[k] and 1 or 0
    end
  end
  if t.auth_methods ~= nil then
    o.auth_methods = auth_mask(fname, t.auth_methods)
  end
  for _, k in ipairs { "max_line", "buffer_size" } do
    if t[k] ~= nil then
      local v = t[k]
      if type(v) ~= "number" or v ~= floor(v) or v < 1 or v > 2147483647 then
        error(("bad option '%s' to '%s' (positive integer expected)")
              :format(k, fname), 3)
      end
      o[k] = v
    end
  end
  return o
end

--- pop3.new{...}: a client that is not connected yet (see pop3.connect
-- for the options; host and port, when given, are used by c:connect()).
-- Returns the client, or nil, message, code for bad option values.
function M.new(opts)
  if opts == nil then opts = {} end
  if type(opts) ~= "table" then
    error("bad argument #1 to 'new' (table of options expected, got "
          .. type(opts) .. ")", 2)
  end
  local copts = core_options("new", opts)
  local st, ud = core.pop3_client_new(copts)
  if st ~= OK then return fail(nil, st) end
  local c = setmetatable({ ud = ud }, Client)
  if opts.host ~= nil then c.host = check_string("new", 1, opts.host) end
  if opts.port ~= nil then
    c.port = check_int("new", 1, opts.port, 0, 65535)
  end
  return c
end

--- pop3.connect{ host = ..., port = 110, tls = "stls", timeout = 60,
--    connect_timeout = 30, ca_file = ..., verify = true, ... }
-- tls: "default" (implicit on port 995, else STLS required), "none" or
-- false (cleartext), "stls", "stls_if_offered", "implicit".
-- early_capa = true: CAPA goes out before the greeting arrives.
-- pipelining: "auto" (when CAPA lists PIPELINING), "assume" (as if
-- listed until a CAPA is read), "off" (one command at a time).
-- Returns a connected client, or nil, message, code.
function M.connect(opts)
  if type(opts) ~= "table" then
    error("bad argument #1 to 'connect' (table of options expected, got "
          .. type(opts) .. ")", 2)
  end
  if type(opts.host) ~= "string" then
    error("bad argument #1 to 'connect' (option 'host' must be a string)", 2)
  end
  local c, msg, code = M.new(opts)
  if not c then return nil, msg, code end
  local ok
  ok, msg, code = c:connect()
  if not ok then return nil, msg, code end
  return c
end

--- c:connect([host [, port]]): connect (again) and read the greeting.
function Client:connect(host, port)
  check_self("connect", self)
  host = host or self.host
  port = port or self.port or 0
  check_string("connect", 1, host)
  check_int("connect", 2, port, 0, 65535)
  -- Refused (connected: state; or a sticky failure), a body or batch
  -- still open stays so: C holds it, and so does its iterator.
  local st = core.pop3_connect(self.ud, host, port)
  if st ~= OK then return fail(self, st) end
  if self.reading then self.reading.stale = true end
  self.reading = nil
  return true
end

--- c:login(user, password): USER/PASS.
function Client:login(user, password)
  check_self("login", self)
  check_string("login", 1, user)
  check_string("login", 2, password)
  return simple(self, core.pop3_login, user, password)
end

--- c:apop(user, secret): APOP with the greeting's timestamp.
function Client:apop(user, secret)
  check_self("apop", self)
  check_string("apop", 1, user)
  check_string("apop", 2, secret)
  return simple(self, core.pop3_apop, user, secret)
end

--- c:auth(mechanism, user, secret): SASL AUTH with that mechanism
-- ("PLAIN", "SCRAM-SHA-256", "XOAUTH2" with a token as secret, ...),
-- sent whatever CAPA says.
function Client:auth(mechanism, user, secret)
  check_self("auth", self)
  check_string("auth", 1, mechanism)
  check_string("auth", 2, user)
  check_string("auth", 3, secret)
  return simple(self, core.pop3_auth, mechanism, user, secret)
end

--- c:authenticate(user, password): the strongest method both sides
-- have (see docs/lua.md); c:auth_used() names it afterwards.
function Client:authenticate(user, password)
  check_self("authenticate", self)
  check_string("authenticate", 1, user)
  check_string("authenticate", 2, password)
  return simple(self, core.pop3_authenticate, user, password)
end

--- The method of the last login attempt ("SCRAM-SHA-256", "USER", ...),
-- or nil.
function Client:auth_used()
  check_self("auth_used", self)
  return core.pop3_auth_used(self.ud)
end

--- c:capabilities() -> { ["SASL"] = {"PLAIN", ...}, ["TOP"] = {}, ... }
-- Sends CAPA; names are upper case, arguments split at spaces.
function Client:capabilities()
  check_self("capabilities", self)
  local ok, msg, code = simple(self, core.pop3_capa)
  if not ok then return nil, msg, code end
  local caps = {}
  for i = 0, 1000 do   -- the library keeps at most 128 lines
    local line = core.pop3_capa_line(self.ud, i)
    if line == nil then break end
    local args = {}
    for word in line:gmatch("%S+") do args[#args + 1] = word end
    local name = table.remove(args, 1)
    if name then caps[name:upper()] = args end
  end
  return caps
end

--- c:stls(): STLS on a session opened with tls = "none"; on failure
-- the session is over (nothing more goes out in cleartext).
function Client:stls()
  check_self("stls", self)
  return simple(self, core.pop3_stls)
end

--- c:is_tls() -> true when the connection is under TLS.
function Client:is_tls()
  check_self("is_tls", self)
  return core.pop3_is_tls(self.ud) == 1
end

--- c:utf8(): UTF8 mode (RFC 6856) when CAPA offers it; c:is_utf8().
function Client:utf8()
  check_self("utf8", self)
  return simple(self, core.pop3_utf8)
end

function Client:is_utf8()
  check_self("is_utf8", self)
  return core.pop3_is_utf8(self.ud) == 1
end

--- c:stat() -> count, size (octets).
function Client:stat()
  check_self("stat", self)
  local st = settle(self)
  local count, size
  if st == OK then st, count, size = core.pop3_stat(self.ud) end
  if st ~= OK then return fail(self, st) end
  return count, size
end

-- Read a whole listing (LIST or UIDL) into a table keyed by number.
local function listing(c, begin, next_fn)
  local st = settle(c)
  if st == OK then st = begin(c.ud) end
  if st ~= OK then return fail(c, st) end
  local t = {}
  while true do
    local n, v
    st, n, v = next_fn(c.ud)
    if st == DONE then return t end
    if st ~= OK then return fail(c, st) end
    t[n] = v
  end
end

--- c:list() -> { [n] = size, ... }; c:list(n) -> size of message n.
function Client:list(n)
  check_self("list", self)
  if n == nil then
    return listing(self, core.pop3_list_begin, core.pop3_list_next)
  end
  check_int("list", 1, n, 1, MAX_MSG)
  local st = settle(self)
  local size
  if st == OK then st, size = core.pop3_list_one(self.ud, n) end
  if st ~= OK then return fail(self, st) end
  return size
end

--- c:uidl() -> { [n] = uid, ... }; c:uidl(n) -> uid of message n.
function Client:uidl(n)
  check_self("uidl", self)
  if n == nil then
    return listing(self, core.pop3_uidl_begin, core.pop3_uidl_next)
  end
  check_int("uidl", 1, n, 1, MAX_MSG)
  local st = settle(self)
  local uid
  if st == OK then st, uid = core.pop3_uidl_one(self.ud, n) end
  if st ~= OK then return fail(self, st) end
  return uid
end

-- The iterator over a body's chunks.  Each chunk is copied once out of
-- the client's buffer.  A failure part-way raises: inside a for loop it
-- cannot be returned, and a truncated message must never look whole.
-- It sticks: called again, the iterator raises the same error (token.failed)
-- rather than end as if the body were complete.
local function body_iterator(c, what)
  local token = {}
  c.reading = token
  return function()
    if token.failed then error(token.failed, 2) end
    if c.reading ~= token then                  -- ended, or cut short
      if token.stale then
        error(("pop3: %s: body %s"):format(what, ENDED), 2)
      end
      return nil
    end
    local st, chunk = core.pop3_body_next(c.ud)
    if st == OK then return chunk end
    c.reading = nil
    if st == DONE then return nil end
    local _, msg = fail(c, st)
    token.failed = ("pop3: %s: %s"):format(what, msg)
    error(token.failed, 2)
  end
end

--- for chunk in c:retrieve(n) do ... end
-- Returns an iterator over the message's chunks (strings; the body is
-- dot-unstuffed and keeps its CRLFs), or nil, message, code when RETR
-- fails: write `for chunk in assert(c:retrieve(n))` to raise instead.
function Client:retrieve(n)
  check_self("retrieve", self)
  check_int("retrieve", 1, n, 1, MAX_MSG)
  local st = settle(self)
  if st == OK then st = core.pop3_retr_begin(self.ud, n) end
  if st ~= OK then return fail(self, st) end
  return body_iterator(self, "retrieve " .. n)
end

--- for chunk in c:top(n, lines) do ... end: the headers and the first
-- `lines` lines of the body, as c:retrieve.
function Client:top(n, lines)
  check_self("top", self)
  check_int("top", 1, n, 1, MAX_MSG)
  check_int("top", 2, lines, 0, MAX_MSG)
  local st = settle(self)
  if st == OK then st = core.pop3_top_begin(self.ud, n, lines) end
  if st ~= OK then return fail(self, st) end
  return body_iterator(self, "top " .. n)
end

-- Collect an iterator's chunks; a failure part-way becomes nil, err.
local function collect(c)
  local parts = {}
  while true do
    local st, chunk = core.pop3_body_next(c.ud)
    if st == DONE then c.reading = nil; return concat(parts) end
    if st ~= OK then c.reading = nil; return fail(c, st) end
    parts[#parts + 1] = chunk
  end
end

--- c:message(n) -> the whole message as one string, or nil, message,
-- code (also for a failure part-way).  For large messages prefer
-- c:retrieve(n), whose memory use does not grow with the message.
function Client:message(n)
  check_self("message", self)
  local it, msg, code = self:retrieve(n)
  if not it then return nil, msg, code end
  return collect(self)
end

-- A list of message numbers, checked here so that a bad one raises
-- with the caller's function named (the C side checks again).
local function check_list(fname, list)
  if type(list) ~= "table" then
    argerror(fname, 1, "table of message numbers expected, got "
             .. type(list))
  end
  for i = 1, #list do
    local v = list[i]
    if type(v) ~= "number" or v ~= floor(v) or v < 1 or v > MAX_MSG then
      argerror(fname, 1, ("item %d is not a message number (%s)")
               :format(i, tostring(v)))
    end
  end
  return list
end

-- The iterator of a pipelined batch: each step moves to the next
-- message and yields n, chunks (an iterator as c:retrieve gives), or
-- n, nil, message, code for a message the server refused.  A connection
-- failure raises, as inside c:retrieve's loop, and sticks: the batch
-- iterator, and the chunks of the body it broke off (token.failed_cur),
-- raise it again on every later call.  A call after another command
-- ended the batch with messages not handed out yet, or (for its chunks)
-- in the middle of a body, raises too.
local function batch_iterator(c, list, what)
  local token, k = {}, 0
  c.reading = token
  return function()
    if token.failed then error(token.failed, 2) end
    if c.reading ~= token then
      if token.stale and k < #list then
        error(("pop3: %s: batch %s"):format(what, ENDED), 2)
      end
      return nil
    end
    local st = core.pop3_many_next(c.ud)
    k = k + 1
    if st == DONE then c.reading = nil; return nil end
    local n = list[k]
    if st == OK then
      local cur = {}
      token.cur = cur
      return n, function()
        if token.failed and token.failed_cur == cur then
          error(token.failed, 2)
        end
        if c.reading ~= token or token.cur ~= cur then
          if token.stale and token.cur == cur then
            error(("pop3: %s %d: batch %s"):format(what, n, ENDED), 2)
          end
          return nil
        end
        local bst, chunk = core.pop3_body_next(c.ud)
        if bst == OK then return chunk end
        token.cur = nil
        if bst == DONE then return nil end
        c.reading = nil
        local _, msg = fail(c, bst)
        token.failed = ("pop3: %s %d: %s"):format(what, n, msg)
        token.failed_cur = cur
        error(token.failed, 2)
      end
    end
    token.cur = nil
    local f = core.pop3_status_family(st)
    if (f == core.POP3_FAMILY_SERVER or f == core.POP3_FAMILY_AUTH)
       and core.pop3_get_state(c.ud) == core.POP3_STATE_TRANSACTION then
      -- This message's -ERR, [AUTH] too (RFC 3206): pop3_many_next
      -- goes on with the next one, and so does the batch.
      return n, nil, select(2, fail(c, st))
    end
    c.reading = nil
    local _, msg = fail(c, st)
    token.failed = ("pop3: %s %d: %s"):format(what, n, msg)
    error(token.failed, 2)
  end
end

local function many(c, fname, list, opts, begin, ...)
  if opts ~= nil and type(opts) ~= "table" then
    argerror(fname, fname == "top_many" and 3 or 2,
             "options must be a table")
  end
  -- An empty batch sends nothing, so it leaves a running one alone.
  if #list == 0 then return function() return nil end end
  local st = settle(c)
  if st == OK then st = begin(c.ud, list, ...) end
  if st == OK and opts and opts.then_quit then
    st = core.pop3_many_then_quit(c.ud)
  end
  if st ~= OK then return fail(c, st) end
  return batch_iterator(c, list, fname)
end

--- for n, chunks, err, code in c:retrieve_many{1, 2, 3} do ... end
-- RETR of every listed message, pipelined when the server offers
-- PIPELINING.  Messages come in the order given; `chunks` iterates over
-- the body as c:retrieve does (skipped if left unread), and is nil with
-- err, code when the server refused that message.  The batch returns
-- nil, message, code when it cannot start.
-- With opts {then_quit = true}, QUIT goes out with the last command
-- (when the server pipelines): after the batch only c:quit() is allowed,
-- and the server commits the session's deletions whatever happens next.
function Client:retrieve_many(list, opts)
  check_self("retrieve_many", self)
  check_list("retrieve_many", list)
  return many(self, "retrieve_many", list, opts, core.pop3_retr_many_begin)
end

--- c:top_many(list, lines[, opts]): as retrieve_many, with TOP n lines.
function Client:top_many(list, lines, opts)
  check_self("top_many", self)
  check_list("top_many", list)
  check_int("top_many", 2, lines, 0, MAX_MSG)
  return many(self, "top_many", list, opts, core.pop3_top_many_begin, lines)
end

--- c:delete_many(list): DELE of every listed message, pipelined.
-- true when all are marked; otherwise nil, message, code, results with
-- results[i] true or the error code of list[i].  Committed by c:quit().
function Client:delete_many(list)
  check_self("delete_many", self)
  check_list("delete_many", list)
  if #list == 0 then return true end
  local st = settle(self)
  local statuses
  if st == OK then st, statuses = core.pop3_dele_many(self.ud, list) end
  if st == OK then return true end
  local _, msg, code = fail(self, st)
  local results
  if statuses then
    results = {}
    for i = 1, #list do
      results[i] = statuses[i] == OK or code_of[statuses[i]]
                   or tostring(statuses[i])
    end
  end
  return nil, msg, code, results
end

--- c:delete(n): mark message n; committed only by a successful c:quit().
function Client:delete(n)
  check_self("delete", self)
  check_int("delete", 1, n, 1, MAX_MSG)
  return simple(self, core.pop3_dele, n)
end

--- c:reset(): RSET, unmark every deletion.
function Client:reset()
  check_self("reset", self)
  return simple(self, core.pop3_rset)
end

--- c:noop(): NOOP, keeps the session alive.
function Client:noop()
  check_self("noop", self)
  return simple(self, core.pop3_noop)
end

--- c:quit(): QUIT; true means the server committed the deletions.  The
-- connection is closed either way.
function Client:quit()
  check_self("quit", self)
  return simple(self, core.pop3_quit)
end

--- c:close(): drop the connection without QUIT (nothing is deleted).
-- The client may connect again.  Always returns true.
function Client:close()
  check_self("close", self)
  -- An iterator still open was cut short: called again, it says so.
  if self.reading then self.reading.stale = true end
  self.reading = nil
  core.pop3_close(self.ud)
  return true
end

-- What the client knows.
function Client:state()
  check_self("state", self)
  return state_names[core.pop3_get_state(self.ud)]
end

function Client:greeting()
  check_self("greeting", self)
  return core.pop3_greeting(self.ud)
end

--- The greeting's APOP timestamp (brackets included), or nil.
function Client:apop_timestamp()
  check_self("apop_timestamp", self)
  return core.pop3_apop_timestamp(self.ud)
end

--- c:last_error() -> message, code of the last call (nil when it worked).
function Client:last_error()
  check_self("last_error", self)
  local st = core.pop3_last_status(self.ud)
  if st == OK or st == DONE then return nil end
  local _, msg, code = fail(self, st)
  return msg, code
end

--- The server's last status text and its [RESP-CODE] ("" when none).
function Client:server_text()
  check_self("server_text", self)
  return core.pop3_server_text(self.ud), core.pop3_resp_code(self.ud)
end

Client.__tostring = function(c)
  return ("pop3 client (%s)"):format(c:state())
end
-- Lua 5.4: `local c <close> = pop3.connect{...}` closes without QUIT on
-- leaving the scope.  (The SWIG userdata's __gc does the same later.)
Client.__close = function(c) c:close() end

--- pop3.apop_digest(timestamp, secret) -> 32 lowercase hex digits.
function M.apop_digest(timestamp, secret)
  check_string("apop_digest", 1, timestamp)
  check_string("apop_digest", 2, secret)
  local st, hex = core.pop3_apop_digest(timestamp, secret)
  if st ~= OK then return fail(nil, st) end
  return hex
end

--- pop3.strerror(code or status number) -> English text.
function M.strerror(code)
  local st = type(code) == "string" and status_of[code] or code
  if type(st) ~= "number" then
    error("bad argument #1 to 'strerror' (error code expected)", 2)
  end
  return core.pop3_strerror(st)
end

M.Client = Client
M.is_client = is_client
return M
