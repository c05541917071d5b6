--- pop3.cosocket: a POP3 client for nginx's lua module (OpenResty,
-- LuaJIT), over ngx.socket.tcp.  The socket only yields the request's
-- coroutine, so a slow server never blocks the worker.  The C library's
-- protocol engine (pop3_codec) parses every reply; this file moves bytes.
--
--   local pop3 = require "pop3.cosocket"
--   local c, err = pop3.connect{host = "127.0.0.1", port = 110,
--                               tls = "none", timeout = 10}
--   if not c then ngx.say(err) return end
--   local ok, err = c:login("alice", "secret")
--   local sizes = c:list()
--   for chunk in c:retrieve(1) do ngx.print(chunk) end
--   c:quit()
--
-- Errors are `nil, message, status` (status is the C library's code);
-- after a protocol, network or TLS failure the connection is closed
-- without QUIT, so nothing is deleted.  docs/openresty.md has the rest.
local core = require "pop3.core"

local unpack = table.unpack or unpack -- LuaJIT has only the global
local M = {}
local Client = {}
Client.__index = Client

local OK = core.POP3_OK
local NEED_MORE = core.POP3_CODEC_NEED_MORE
local EV_OK, EV_ERR = core.POP3_CODEC_OK, core.POP3_CODEC_ERR
local EV_CONT = core.POP3_CODEC_CONT
local EV_LINE, EV_CHUNK = core.POP3_CODEC_LINE, core.POP3_CODEC_CHUNK
local EV_END = core.POP3_CODEC_END
local STATUS, LISTING, BODY, SASL = core.POP3_CODEC_STATUS,
    core.POP3_CODEC_LISTING, core.POP3_CODEC_BODY, core.POP3_CODEC_SASL

-- SASL mechanisms authenticate() may choose, strongest first (the C
-- library's order; the token mechanisms only by name, with c:auth()).
local HIDING = {"SCRAM-SHA-256", "SCRAM-SHA-1", "CRAM-MD5"}
local REVEALING = {"PLAIN", "LOGIN"}

-- An APOP timestamp as RFC 1939 and the C client accept it: a msg-id,
-- at most 255 octets, else none is kept.
local STAMP = "<[\33-\59\61\63-\126]+@[\33-\59\61\63-\126]+>"

-- RFC 2449 8.1, RFC 3206: what a response code tells the caller.
local CODES = {["IN-USE"] = core.POP3_E_IN_USE,
               ["LOGIN-DELAY"] = core.POP3_E_LOGIN_DELAY,
               ["SYS/TEMP"] = core.POP3_E_SYS_TEMP,
               ["SYS/PERM"] = core.POP3_E_SYS_PERM,
               ["AUTH"] = core.POP3_E_AUTH}

local function fatal(st)
    local f = core.pop3_status_family(st)
    return f == core.POP3_FAMILY_PROTOCOL or f == core.POP3_FAMILY_IO or
           f == core.POP3_FAMILY_TIMEOUT or f == core.POP3_FAMILY_TLS
end

-- Build the `nil, message, status` triple; a fatal status closes.
function Client:_err(op, st, detail)
    local msg = op .. ": " .. core.pop3_strerror(st)
    if detail and detail ~= "" then msg = msg .. " (" .. detail .. ")" end
    if fatal(st) then
        self.failed = st
        self:close()
    end
    return nil, msg, st
end

--- Create a client.  opts: timeout (seconds, default 30), tls ("none",
-- "implicit", "stls"; default "implicit" on port 995, else "stls"),
-- verify (default true: needs lua_ssl_trusted_certificate in nginx),
-- server_name (for SNI and verification), max_line, buffer_size,
-- allow_cleartext (let authenticate() reveal the password without TLS
-- also when tls is not "none").
function M.new(opts)
    opts = opts or {}
    local self = setmetatable({}, Client)
    self.timeout_ms = math.floor((opts.timeout or 30) * 1000)
    self.tls = opts.tls
    self.verify = opts.verify ~= false
    self.server_name = opts.server_name
    self.max_line = opts.max_line or 512
    self.buffer_size = opts.buffer_size or 65536
    self.allow_cleartext = opts.allow_cleartext == true
    self.state = "disconnected"
    return self
end

--- new(opts) and connect(opts.host, opts.port) at once.
function M.connect(opts)
    local c = M.new(opts)
    local ok, err, st = c:connect(opts.host, opts.port)
    if not ok then return nil, err, st end
    return c
end

function Client:close()
    if self.sock then
        self.sock:close()
        self.sock = nil
    end
    self.codec = nil -- freed by its __gc
    self.state = "disconnected"
    return true
end

-- The next event from the engine, reading from the socket as needed.
function Client:_event(op)
    while true do
        local st, ev, data = core.pop3_codec_next(self.codec)
        if st ~= OK then return self:_err(op, st) end
        if ev ~= NEED_MORE then return ev, data end
        if self.rest == nil then
            local got, err = self.sock:receiveany(self.buffer_size)
            if not got then
                return self:_err(op, err == "timeout" and core.POP3_E_TIMEOUT
                                        or core.POP3_E_EOF, err)
            end
            self.rest = got
        end
        local st2, taken = core.pop3_codec_feed(self.codec, self.rest)
        if st2 ~= OK then return self:_err(op, st2) end
        self.rest = taken < #self.rest and self.rest:sub(taken + 1) or nil
    end
end

-- Send one command (the C library's CR/LF checks), expecting `expect`.
function Client:_send(op, expect, verb, a1, a2)
    local st, line = core.pop3_codec_format(verb, a1, a2)
    if st ~= OK then return self:_err(op, st, "nothing was sent") end
    st = core.pop3_codec_expect(self.codec, expect)
    if st ~= OK then return self:_err(op, st) end
    local ok, err = self.sock:send(line)
    if not ok then
        return self:_err(op, err == "timeout" and core.POP3_E_TIMEOUT
                             or core.POP3_E_IO, err)
    end
    return true
end

-- Read a status line: the text, or nil, err, status for -ERR.
function Client:_status(op, err_status)
    local ev, data, st = self:_event(op)
    if not ev then return nil, data, st end
    return self:_status_of(op, ev, data, err_status)
end

-- A status event already read: its text, or nil, err, status.
function Client:_status_of(op, ev, data, err_status)
    if ev ~= EV_OK and ev ~= EV_ERR then
        return self:_err(op, core.POP3_E_PROTOCOL)
    end
    local _, code = core.pop3_codec_resp_code(self.codec)
    self.server_text, self.resp_code = data or "", code or ""
    if ev == EV_ERR then
        local s = CODES[self.resp_code:upper()] or
                  err_status or core.POP3_E_SERVER
        return nil, op .. ": " .. core.pop3_strerror(s) .. " (server: " ..
               (code ~= "" and ("[" .. code .. "] ") or "") ..
               self.server_text .. ")", s
    end
    return self.server_text
end

function Client:_begin(op, ...)
    if self.failed then return self:_err(op, self.failed) end
    if self.body then return nil, op .. ": " ..
        core.pop3_strerror(core.POP3_E_BUSY), core.POP3_E_BUSY end
    for _, s in ipairs({...}) do
        if self.state == s then return true end
    end
    return nil, op .. ": " .. core.pop3_strerror(core.POP3_E_STATE),
           core.POP3_E_STATE
end

-- One command with a one-line reply.
function Client:_simple(op, states, verb, a1, a2, err_status)
    local ok, err, st = self:_begin(op, unpack(states))
    if not ok then return nil, err, st end
    ok, err, st = self:_send(op, STATUS, verb, a1, a2)
    if not ok then return nil, err, st end
    return self:_status(op, err_status)
end

function Client:_capa(op)
    local ok, err, st = self:_send(op, LISTING, "CAPA")
    if not ok then return nil, err, st end
    ok, err, st = self:_status(op)
    local caps = {}
    if not ok then
        if fatal(st) then return nil, err, st end
        self.caps = caps -- -ERR: no capabilities
        return caps
    end
    while true do
        local ev, data, st2 = self:_event(op)
        if not ev then return nil, data, st2 end
        if ev == EV_END then break end
        local words = {}
        for w in data:gmatch("%S+") do words[#words + 1] = w end
        local name = table.remove(words, 1)
        -- The first line of a name counts, as in the C library.
        if name and caps[name:upper()] == nil then
            caps[name:upper()] = words
        end
    end
    self.caps = caps
    return caps
end

function Client:_handshake(op, name)
    local sess, err = self.sock:sslhandshake(nil, name, self.verify)
    if not sess then
        local st = err and err:find("verify") and core.POP3_E_CERT
                   or core.POP3_E_TLS
        return self:_err(op, st, err)
    end
    self.is_tls = true
    return true
end

--- Connect, shake hands as asked, read the greeting.
function Client:connect(host, port)
    if self.sock then -- connected (after QUIT or close it is not)
        return nil, "connect: " .. core.pop3_strerror(core.POP3_E_STATE),
               core.POP3_E_STATE
    end
    self.failed = nil
    local mode = self.tls or (port == 995 and "implicit" or "stls")
    port = port or (mode == "implicit" and 995 or 110)
    local name = self.server_name or host
    self.host, self.port = host, port
    local st, codec = core.pop3_codec_new(self.max_line, self.buffer_size)
    if st ~= OK then return self:_err("connect", st) end
    self.codec, self.rest, self.caps, self.is_tls = codec, nil, nil, false
    local sock = ngx.socket.tcp()
    sock:settimeouts(self.timeout_ms, self.timeout_ms, self.timeout_ms)
    local ok, err = sock:connect(host, port)
    if not ok then
        return self:_err("connect", err == "timeout" and
                         core.POP3_E_TIMEOUT or core.POP3_E_CONNECT, err)
    end
    self.sock = sock
    if mode == "implicit" then
        ok, err, st = self:_handshake("connect", name)
        if not ok then return nil, err, st end
    end
    core.pop3_codec_expect(self.codec, STATUS)
    local text
    text, err, st = self:_status("connect")
    if not text then self:close() return nil, err, st end
    self.greeting = text
    local stamp = text:match(STAMP)
    self.apop_timestamp = stamp and #stamp <= 255 and stamp or nil
    self.state = "authorization"
    if mode == "stls" then
        local caps
        caps, err, st = self:_capa("connect")
        if not caps then return nil, err, st end
        if caps.STLS == nil then
            return self:_err("connect", core.POP3_E_TLS_UNAVAILABLE,
                             "the server offers no STLS")
        end
        ok, err, st = self:_stls("connect", name)
        if not ok then return nil, err, st end
    end
    return text
end

function Client:_stls(op, name)
    local ok, err, st = self:_send(op, STATUS, "STLS")
    if not ok then return nil, err, st end
    ok, err, st = self:_status(op)
    if not ok then
        if fatal(st) then return nil, err, st end
        return self:_err(op, core.POP3_E_TLS_UNAVAILABLE, err)
    end
    -- RFC 2595 4: bytes that came with the +OK predate TLS.
    if core.pop3_codec_pending(self.codec) > 0 or self.rest then
        return self:_err(op, core.POP3_E_PROTOCOL,
                         "data after the +OK to STLS")
    end
    ok, err, st = self:_handshake(op, name)
    if not ok then return nil, err, st end
    return self:_capa(op)
end

--- STLS on a session opened with tls = "none"; on failure the session
-- is over (nothing more goes out in cleartext).
function Client:stls()
    local ok, err, st = self:_begin("stls", "authorization")
    if not ok then return nil, err, st end
    if self.is_tls then
        return nil, "stls: " .. core.pop3_strerror(core.POP3_E_STATE) ..
               " (TLS is already on)", core.POP3_E_STATE
    end
    ok, err, st = self:_stls("stls", self.server_name or self.host)
    if not ok then return nil, err, st end
    return true
end

-- RFC 3206: with AUTH-RESP-CODE, a -ERR without [AUTH] to a login is no
-- verdict on the credentials.
function Client:_auth_err()
    if self.caps and self.caps["AUTH-RESP-CODE"] then
        return core.POP3_E_SERVER
    end
    return core.POP3_E_AUTH
end

function Client:login(user, password)
    local ok, err, st = self:_begin("login", "authorization")
    if not ok then return nil, err, st end
    if core.pop3_codec_format("PASS", password, nil) ~= OK then
        return nil, "login: " .. core.pop3_strerror(core.POP3_E_ARG),
               core.POP3_E_ARG
    end
    self.auth_used = "USER"
    ok, err, st = self:_simple("login", {"authorization"}, "USER", user,
                               nil, self:_auth_err())
    if not ok then return nil, err, st end
    ok, err, st = self:_simple("login", {"authorization"}, "PASS", password,
                               nil, self:_auth_err())
    if not ok then return nil, err, st end
    self.state = "transaction"
    return true
end

function Client:apop(user, secret)
    local ok, err, st = self:_begin("apop", "authorization")
    if not ok then return nil, err, st end
    if not self.apop_timestamp then
        return nil, "apop: " ..
            core.pop3_strerror(core.POP3_E_AUTH_UNAVAILABLE),
            core.POP3_E_AUTH_UNAVAILABLE
    end
    local dst, digest = core.pop3_apop_digest(self.apop_timestamp, secret)
    if dst ~= OK then return self:_err("apop", dst) end
    self.auth_used = "APOP"
    ok, err, st = self:_simple("apop", {"authorization"}, "APOP", user,
                               digest, self:_auth_err())
    if not ok then return nil, err, st end
    self.state = "transaction"
    return true
end

-- A failure that ends the session whatever its family (a server that
-- did not prove itself): close without QUIT.
function Client:_drop(op, st, detail)
    local _, msg = self:_err(op, st, detail)
    self.failed = st
    self:close()
    return nil, msg, st
end

-- One AUTH exchange driven by the C library's mechanism (sasl): true, or
-- nil, err, status, retry (retry: try the two-step form once more).
function Client:_sasl_exchange(sasl, with_ir)
    local st, line = core.pop3_codec_sasl_start(sasl, with_ir and 1 or 0)
    if st ~= OK then return nil, "auth: " .. core.pop3_strerror(st), st end
    local err_status = self:_auth_err()
    while true do
        local ok, err, st2 = self:_write_expect("auth", SASL, line)
        if not ok then return nil, err, st2 end
        local ev, data
        ev, data, st2 = self:_event("auth")
        if not ev then return nil, data, st2 end
        if ev == EV_CONT then
            st, line = core.pop3_codec_sasl_step(sasl, data)
            if st ~= OK then
                local detail = core.pop3_codec_sasl_detail(sasl)
                if not line then return self:_drop("auth", st, detail) end
                -- Cancel ("*"); the server must answer -ERR.
                ok, err, st2 = self:_write_expect("auth", STATUS, line)
                if not ok then return nil, err, st2 end
                ok, err, st2 = self:_status("auth", st)
                if ok then
                    return self:_drop("auth", core.POP3_E_PROTOCOL,
                                      "+OK to a cancelled login")
                end
                if fatal(st2) then return nil, err, st2 end
                return nil, "auth: " .. core.pop3_strerror(st) .. " (" ..
                       detail .. ")", st
            end
        else
            local text
            text, err, st2 = self:_status_of("auth", ev, data, err_status)
            if not text then
                return nil, err, st2,
                       core.pop3_codec_sasl_retry(sasl, self.resp_code) == 1
            end
            st = core.pop3_codec_sasl_finish(sasl)
            if st ~= OK then
                return self:_drop("auth", st,
                                  core.pop3_codec_sasl_detail(sasl))
            end
            return true
        end
    end
end

-- Write a line the C library made (SASL), expecting `expect`.
function Client:_write_expect(op, expect, line)
    local st = core.pop3_codec_expect(self.codec, expect)
    if st ~= OK then return self:_err(op, st) end
    local ok, err = self.sock:send(line)
    if not ok then
        return self:_err(op, err == "timeout" and core.POP3_E_TIMEOUT
                             or core.POP3_E_IO, err)
    end
    return true
end

--- SASL AUTH (RFC 5034) with the C library's mechanisms: "PLAIN",
-- "LOGIN", "CRAM-MD5", "SCRAM-SHA-1", "SCRAM-SHA-256", or with an OAuth
-- 2.0 access token as secret "XOAUTH2" and "OAUTHBEARER" (user may be
-- "" there).  Sent as asked, whatever CAPA says.  A SCRAM server that
-- does not prove it knows the password ends the session
-- (POP3_E_AUTH_SERVER).
function Client:auth(mechanism, user, secret)
    local ok, err, st = self:_begin("auth", "authorization")
    if not ok then return nil, err, st end
    local sasl
    st, sasl = core.pop3_codec_sasl_new(mechanism, user, secret,
                                        self.server_name or self.host,
                                        self.port or 0)
    if st ~= OK then
        return nil, "auth: " .. core.pop3_strerror(st), st
    end
    self.auth_used = core.pop3_codec_sasl_name(sasl)
    local retry
    ok, err, st, retry = self:_sasl_exchange(sasl, true)
    if not ok and retry and not self.failed then
        ok, err, st = self:_sasl_exchange(sasl, false)
    end
    if not ok then return nil, err, st end
    self.state = "transaction"
    return true
end

--- Log in with the strongest method both sides have, as the blocking
-- client's authenticate(): SCRAM-SHA-256, SCRAM-SHA-1, CRAM-MD5, then
-- APOP, PLAIN, LOGIN, USER/PASS -- the last three only under TLS or
-- where cleartext was chosen (tls = "none" or allow_cleartext).
function Client:authenticate(user, password)
    local ok, err, st = self:_begin("authenticate", "authorization")
    if not ok then return nil, err, st end
    if self.caps == nil then
        ok, err, st = self:_capa("authenticate")
        if not ok and fatal(st) then return nil, err, st end
    end
    local caps = self.caps or {}
    local offered = {}
    for _, m in ipairs(caps.SASL or {}) do offered[m:upper()] = true end
    for _, m in ipairs(HIDING) do
        if offered[m] then return self:auth(m, user, password) end
    end
    local cleartext_ok = self.is_tls or self.tls == "none" or
                         self.allow_cleartext
    local reveal
    for _, m in ipairs(REVEALING) do
        if cleartext_ok and offered[m] and not reveal then reveal = m end
    end
    -- Under TLS PLAIN is as safe as APOP; without it APOP hides the
    -- secret.
    if reveal and self.is_tls then return self:auth(reveal, user, password) end
    if self.apop_timestamp then return self:apop(user, password) end
    if reveal then return self:auth(reveal, user, password) end
    if cleartext_ok and (next(caps) == nil or caps.USER) then
        return self:login(user, password)
    end
    return nil, "authenticate: " ..
           core.pop3_strerror(core.POP3_E_AUTH_UNAVAILABLE) ..
           " (no method both sides support" ..
           (cleartext_ok and ")" or " without revealing the password)"),
           core.POP3_E_AUTH_UNAVAILABLE
end

function Client:capabilities()
    local ok, err, st = self:_begin("capabilities", "authorization",
                                    "transaction")
    if not ok then return nil, err, st end
    return self:_capa("capabilities")
end

local function num_size(text)
    local n, size = text:match("^(%d+) (%d+)")
    if not n or #n > 15 or #size > 15 then return nil end
    return tonumber(n), tonumber(size)
end

function Client:stat()
    local text, err, st = self:_simple("stat", {"transaction"}, "STAT")
    if not text then return nil, err, st end
    local n, size = num_size(text)
    if not n then return self:_err("stat", core.POP3_E_PROTOCOL) end
    return n, size
end

-- LIST or UIDL of every message: a table {number = value}.
function Client:_listing(op, verb, parse)
    local ok, err, st = self:_begin(op, "transaction")
    if not ok then return nil, err, st end
    ok, err, st = self:_send(op, LISTING, verb)
    if not ok then return nil, err, st end
    ok, err, st = self:_status(op)
    if not ok then return nil, err, st end
    local t, bad = {}, 0
    while true do
        local ev, data, st2 = self:_event(op)
        if not ev then return nil, data, st2 end
        if ev == EV_END then break end
        local n, v = parse(data)
        if n then t[n] = v else bad = bad + 1 end
    end
    if bad > 0 then
        return nil, op .. ": " .. core.pop3_strerror(core.POP3_E_PROTOCOL) ..
               " (" .. bad .. " malformed line(s))", core.POP3_E_PROTOCOL, t
    end
    return t
end

local function num_uid(line)
    local n, uid = line:match("^(%d+) ([\33-\126]+)$")
    if not n or #n > 10 or #uid > 70 then return nil end
    return tonumber(n), uid
end

-- LIST n or UIDL n: the value for message n.
function Client:_one(op, verb, n, parse)
    local text, err, st = self:_simple(op, {"transaction"}, verb,
                                       tostring(n))
    if not text then return nil, err, st end
    local got, v = parse(text)
    if got ~= n then return self:_err(op, core.POP3_E_PROTOCOL) end
    return v
end

--- list() -> {[n] = size}; list(n) -> the size of message n.
function Client:list(n)
    if n ~= nil then return self:_one("list", "LIST", n, num_size) end
    return self:_listing("list", "LIST", num_size)
end

--- uidl() -> {[n] = uid}; uidl(n) -> the unique id of message n.
function Client:uidl(n)
    if n ~= nil then return self:_one("uidl", "UIDL", n, num_uid) end
    return self:_listing("uidl", "UIDL", num_uid)
end

-- RETR/TOP as an iterator of chunks; on failure the iterator returns
-- nil, err, status (check it with the second value).
function Client:_body(op, verb, a1, a2)
    local ok, err, st = self:_begin(op, "transaction")
    if ok then ok, err, st = self:_send(op, BODY, verb, a1, a2) end
    if ok then ok, err, st = self:_status(op) end
    if not ok then
        local done = false
        return function()
            if done then return nil end
            done = true
            return nil, err, st
        end
    end
    self.body = true
    return function()
        if not self.body then return nil end
        local ev, data, st2 = self:_event(op)
        if ev == EV_CHUNK then return data end
        self.body = nil
        if ev == EV_END then return nil end
        if ev then return self:_err(op, core.POP3_E_PROTOCOL) end
        return nil, data, st2
    end
end

function Client:retrieve(n)
    return self:_body("retrieve", "RETR", tostring(n))
end

function Client:top(n, lines)
    return self:_body("top", "TOP", tostring(n), tostring(lines))
end

function Client:delete(n)
    local ok, err, st = self:_simple("delete", {"transaction"}, "DELE",
                                     tostring(n))
    return ok and true, err, st
end

function Client:noop()
    local ok, err, st = self:_simple("noop", {"transaction"}, "NOOP")
    return ok and true, err, st
end

function Client:reset()
    local ok, err, st = self:_simple("reset", {"transaction"}, "RSET")
    return ok and true, err, st
end

--- QUIT: commits deletions after login; the connection is closed.
function Client:quit()
    -- After login the session enters UPDATE (RFC 1939 6), as the
    -- blocking client reports it.
    local after = self.state == "transaction" and "update" or "disconnected"
    local ok, err, st = self:_simple("quit",
                                     {"authorization", "transaction"},
                                     "QUIT")
    if not self.failed then
        self:close()
        self.state = after
    end
    return ok and true, err, st
end

-- No setkeepalive(): a POP3 session holds the maildrop's lock, so it
-- ends with quit() or close(), never in nginx's connection pool.

M.Client = Client
return M
