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

local function num_size(text)
    local n, size = text:match("^(%d+) (%d+)")
    if not n or #n > 15 or #size > 15 then return nil end
    return tonumber(n), tonumber(size)
end

local function fatal(st)
    local f = core.pop3_status_family(st)
    return f == core.POP3_FAMILY_PROTOCOL or f == core.POP3_FAMILY_IO or
           f == core.POP3_FAMILY_TIMEOUT or f == core.POP3_FAMILY_TLS
end

local function message(op, st, detail)
    local msg = op .. ": " .. core.pop3_strerror(st)
    if detail and detail ~= "" then msg = msg .. " (" .. detail .. ")" end
    return msg
end

-- Build the `nil, message, status` triple; a fatal status closes.
function Client:_err(op, st, detail)
    local msg = message(op, st, detail)
    if fatal(st) then
        self.failed = st
        self:_hang_up()
    end
    return nil, msg, st
end

local PIPELINING_MODES = {auto = true, assume = true, off = true}
local TLS_MODES = {default = true, none = true, stls = true, implicit = true}

-- The options the C client refuses (pop3_client_new: POP3_E_ARG) are
-- refused here too, raised as the module's other argument errors.  A
-- misspelt tls must not quietly mean cleartext.
local function check_options(opts)
    local function bad(key, what)
        error(("bad option '%s' to 'new' (%s)"):format(key, what), 4)
    end
    if opts.tls ~= nil and opts.tls ~= false and not TLS_MODES[opts.tls] then
        bad("tls", "one of default, none, stls, implicit, or false")
    end
    local t = opts.timeout
    if t ~= nil and (type(t) ~= "number" or t ~= t or t <= 0 or
                     t > 2147483) then
        bad("timeout", "seconds in (0, 2147483] expected")
    end
    for _, k in ipairs { "max_line", "buffer_size" } do
        local v = opts[k]
        if v ~= nil and (type(v) ~= "number" or v ~= math.floor(v) or
                         v < 1 or v > 2147483647) then
            bad(k, "positive integer expected")
        end
    end
    for _, k in ipairs { "allow_cleartext", "pipeline_login", "utf8",
                         "early_capa" } do
        if opts[k] ~= nil and type(opts[k]) ~= "boolean" then
            bad(k, "boolean expected")
        end
    end
    if opts.server_name ~= nil and type(opts.server_name) ~= "string" then
        bad("server_name", "string expected")
    end
    if opts.pipelining ~= nil and not PIPELINING_MODES[opts.pipelining] then
        bad("pipelining", "one of auto, assume, off")
    end
end

--- Create a client.  opts: timeout (seconds, default 30), tls ("none"
-- or false, "implicit", "stls"; "default" or nil: "implicit" on port 995,
-- else "stls"),
-- verify (default true: needs lua_ssl_trusted_certificate in nginx),
-- server_name (for SNI and verification), max_line, buffer_size,
-- allow_cleartext (let authenticate() reveal the password without TLS
-- also when tls is not "none"), pipeline_login (after a CAPA that listed
-- PIPELINING, USER, PASS, CAPA and STAT in one write instead of two),
-- utf8 (connect turns UTF-8 mode on when the server offers it),
-- early_capa (connect sends CAPA before the greeting arrives),
-- pipelining ("auto": when CAPA lists PIPELINING; "assume": as if
-- listed until a CAPA is read; "off": one command at a time).
function M.new(opts)
    opts = opts or {}
    check_options(opts)
    local self = setmetatable({}, Client)
    self.timeout_ms = math.floor((opts.timeout or 30) * 1000)
    if opts.tls == false then
        self.tls = "none" -- as the blocking client takes it
    elseif opts.tls ~= "default" then
        self.tls = opts.tls
    end
    self.verify = opts.verify ~= false
    self.server_name = opts.server_name
    self.max_line = opts.max_line or 512
    self.buffer_size = opts.buffer_size or 65536
    self.allow_cleartext = opts.allow_cleartext == true
    self.pipeline_login = opts.pipeline_login == true
    self.want_utf8 = opts.utf8 == true
    self.early_capa = opts.early_capa == true
    self.pipelining = opts.pipelining or "auto"
    self:_forget()
    return self
end

--- new(opts) and connect(opts.host, opts.port) at once.
function M.connect(opts)
    local c = M.new(opts)
    local ok, err, st = c:connect(opts.host, opts.port)
    if not ok then return nil, err, st end
    return c
end

-- Drop the connection.  What the session said (the last reply, the
-- greeting, the login method, a sticky failure) stays readable, as the
-- C client keeps it after QUIT or a failure.
function Client:_hang_up()
    if self.sock then
        self.sock:close()
        self.sock = nil
    end
    self.codec = nil -- freed by its __gc
    self.state = "disconnected"
    self.body, self.quit_sent, self.stat_cache = nil, nil, nil
end

-- What a client without a session shows (the C client's after
-- pop3_close: empty texts, no timestamp, no login method).
function Client:_forget()
    self.state = "disconnected"
    self.server_text, self.resp_code, self.greeting = "", "", ""
    self.apop_timestamp, self.auth_used, self.failed = nil, nil, nil
    self.caps, self.caps_listed = nil, false
    self.is_tls, self.is_utf8 = false, false
end

--- Drop the connection without QUIT (nothing is deleted) and forget the
-- session, as the blocking client's close(); connect() may follow.
function Client:close()
    if self.body then self:_cut_short(self.body) end
    self:_hang_up()
    self:_forget()
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

-- Write bytes whose replies were queued with the codec already.
function Client:_write(op, data)
    local ok, err = self.sock:send(data)
    if not ok then
        return self:_err(op, err == "timeout" and core.POP3_E_TIMEOUT
                             or core.POP3_E_IO, err)
    end
    return true
end

-- Send one command (the C library's CR/LF checks), expecting `expect`.
function Client:_send(op, expect, verb, a1, a2)
    local st, line = core.pop3_codec_format(verb, a1, a2)
    if st ~= OK then return self:_err(op, st, "nothing was sent") end
    st = core.pop3_codec_expect(self.codec, expect)
    if st ~= OK then return self:_err(op, st) end
    return self:_write(op, line)
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
        local s = core.pop3_resp_code_status(self.resp_code,
                                             err_status or core.POP3_E_SERVER)
        return nil, op .. ": " .. core.pop3_strerror(s) .. " (server: " ..
               (code ~= "" and ("[" .. code .. "] ") or "") ..
               self.server_text .. ")", s
    end
    return self.server_text
end

-- Every command begins here: a body or batch left unfinished (a `break`
-- out of its loop) is read to its end first, as the blocking client
-- does; then the state is checked.
function Client:_begin(op, ...)
    if self.failed then return self:_err(op, self.failed) end
    local ok, err, st = self:_settle(op)
    if not ok then return nil, err, st end
    local allowed = false
    for _, s in ipairs({...}) do
        if self.state == s then allowed = true end
    end
    if not allowed then
        return nil, op .. ": " .. core.pop3_strerror(core.POP3_E_STATE),
               core.POP3_E_STATE
    end
    if self.quit_sent and op ~= "quit" then
        return nil, op .. ": " .. core.pop3_strerror(core.POP3_E_STATE) ..
               " (QUIT went out with the batch: only quit() is left)",
               core.POP3_E_STATE
    end
    return true
end

-- Read and drop what is left of the body being read (`b.open`).
function Client:_skip(b, op)
    b.cur = nil
    while b.open do
        local ev, data, st = self:_event(op)
        if not ev then return nil, data, st end
        if ev == EV_END then b.open = false end
    end
    return true
end

-- What a stale iterator reports (the blocking client's words).
local ENDED = "ended by another command"

-- Mark a body or batch ended by another command (or close()), so that
-- its iterators, called again, say so rather than end as if nothing had
-- been missed: the body then being read, and for a batch how many
-- messages it had not handed out.
function Client:_cut_short(b)
    b.stale = true
    if b.list then
        b.stale_cur, b.stale_left = b.cur, #b.list - b.answered
    end
end

-- Drop the unfinished body or batch, if any (self.body), marked first.
function Client:_settle(op)
    local b = self.body
    if not b then return true end
    self.body = nil
    self:_cut_short(b)
    if b.list then return self:_drain(b, op) end
    return self:_skip(b, op)
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
    return self:_capa_reply(op)
end

-- The reply to CAPA: self.caps ({} after -ERR) and self.caps_listed.
function Client:_capa_reply(op)
    self.caps, self.caps_listed = nil, false
    local ok, err, st = self:_status(op)
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
    self.caps, self.caps_listed = caps, true
    return caps
end

-- CAPA when none was asked yet (as the C client, to learn whether the
-- server pipelines); a -ERR is an answer too.
function Client:_know_capa(op)
    if self.caps ~= nil then return true end
    local caps, err, st = self:_capa(op)
    if not caps then return nil, err, st end
    return true
end

-- Whether commands may go out before the replies to earlier ones (the
-- C client's pop3__pipelines): never with "off"; while no CAPA was read,
-- always with "assume", else ("auto") only when `op` is given, which
-- asks CAPA now (a -ERR means no).  nil, err, status if that failed.
function Client:_pipelines(op)
    if self.pipelining == "off" then return false end
    if self.caps == nil then
        if self.pipelining == "assume" then return true end
        if not op then return false end
        local caps, err, st = self:_capa(op)
        if not caps then return nil, err, st end
    end
    return self.caps_listed and self.caps.PIPELINING ~= nil
end

-- Logged in (RFC 2449 5: the capabilities may have changed, so CAPA is
-- read again when the server answered it before, as the C client does).
function Client:_logged_in(op)
    self.state = "transaction"
    if self.caps_listed then
        local caps, err, st = self:_capa(op)
        if not caps then return nil, err, st end
    end
    return true
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
    -- A failure sticks until close(), as pop3_connect's.
    if self.failed then return self:_err("connect", self.failed) end
    if self.sock then -- connected (after QUIT or close it is not)
        return nil, "connect: " .. core.pop3_strerror(core.POP3_E_STATE),
               core.POP3_E_STATE
    end
    self:_forget() -- a new session, as pop3_connect's reset
    local mode = self.tls or (port == 995 and "implicit" or "stls")
    port = port or (mode == "implicit" and 995 or 110)
    local name = self.server_name or host
    self.host, self.port = host, port
    local st, codec = core.pop3_codec_new(self.max_line, self.buffer_size)
    if st ~= OK then return self:_err("connect", st) end
    self.codec, self.rest = codec, nil
    local sock = ngx.socket.tcp()
    sock:settimeouts(self.timeout_ms, self.timeout_ms, self.timeout_ms)
    local ok, err = sock:connect(host, port)
    if not ok then
        -- No session to fail: nothing sticks, and the next command says
        -- "not connected" (the C client's pop3__done, not pop3__fail).
        self.codec = nil
        st = err == "timeout" and core.POP3_E_TIMEOUT or core.POP3_E_CONNECT
        return nil, message("connect", st, err), st
    end
    self.sock = sock
    if mode == "implicit" then
        ok, err, st = self:_handshake("connect", name)
        if not ok then return nil, err, st end
    end
    core.pop3_codec_expect(self.codec, STATUS)
    if self.early_capa then -- its reply comes after the greeting
        ok, err, st = self:_send("connect", LISTING, "CAPA")
        if not ok then return nil, err, st end
    end
    local text
    text, err, st = self:_status("connect")
    if not text then -- a refused greeting: its text stays readable
        self:_hang_up()
        return nil, err, st
    end
    self.greeting = text
    -- As the C client finds it (pop3_apop_stamp), or nil.
    self.apop_timestamp = select(2, core.pop3_apop_stamp(text))
    self.state = "authorization"
    if self.early_capa then -- a -ERR (RFC 1939 only) is an answer too
        ok, err, st = self:_capa_reply("connect")
        if not ok then return nil, err, st end
    end
    if mode == "stls" then
        -- The early CAPA, if any, is the one STLS is looked for in.
        ok, err, st = self:_know_capa("connect")
        if not ok then return nil, err, st end
        if self.caps.STLS == nil then
            return self:_err("connect", core.POP3_E_TLS_UNAVAILABLE,
                             self.caps_listed and "the server offers no STLS"
                             or "the server refused CAPA, so no STLS")
        end
        ok, err, st = self:_stls("connect", name)
        if not ok then return nil, err, st end
    end
    if self.want_utf8 then
        -- Turned on when offered; its absence (or a -ERR) leaves the
        -- session as it is (the C client's rule).
        ok, err, st = self:_utf8_on("connect")
        if not ok and fatal(st) then return nil, err, st end
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
    -- No CAPA is asked for a login: unknown means one at a time.
    if self:_pipelines() then return self:_login_pipelined(user, password) end
    ok, err, st = self:_simple("login", {"authorization"}, "USER", user,
                               nil, self:_auth_err())
    if not ok then return nil, err, st end
    ok, err, st = self:_simple("login", {"authorization"}, "PASS", password,
                               nil, self:_auth_err())
    if not ok then return nil, err, st end
    return self:_logged_in("login")
end

-- Commands in one write, their replies queued with the codec first.
function Client:_write_expecting(op, cmds, kinds)
    local lines = {}
    for i, cmd in ipairs(cmds) do
        local st, line = core.pop3_codec_format(cmd[1], cmd[2], nil)
        if st ~= OK then return self:_err(op, st, "nothing was sent") end
        lines[i] = line
    end
    for _, kind in ipairs(kinds) do
        local st = core.pop3_codec_expect(self.codec, kind)
        if st ~= OK then return self:_err(op, st) end
    end
    return self:_write(op, table.concat(lines))
end

-- USER and PASS in one write, then CAPA and STAT in another once PASS is
-- accepted -- all four in one write with opts.pipeline_login -- as the C
-- client sends them after a CAPA that listed PIPELINING (RFC 2449 6.6).
-- Every reply sent for is read whatever the login's fate; a refusal
-- reports the reply that refused (USER's or PASS's).  STAT's answer is
-- kept for stat().
function Client:_login_pipelined(user, password)
    local err_status = self:_auth_err()
    local cmds, kinds = {{"USER", user}, {"PASS", password}},
                        {STATUS, STATUS}
    local after = {{"CAPA"}, {"STAT"}}
    if self.pipeline_login then
        cmds[3], cmds[4], kinds[3], kinds[4] = after[1], after[2],
                                               LISTING, STATUS
    end
    local ok, err, st = self:_write_expecting("login", cmds, kinds)
    if not ok then return nil, err, st end
    local refused
    for _ = 1, 2 do -- USER, PASS
        ok, err, st = self:_status("login", err_status)
        if not ok then
            if fatal(st) then return nil, err, st end
            refused = refused or {err, st, self.server_text, self.resp_code}
        end
    end
    if not self.pipeline_login then
        if refused then
            self.server_text, self.resp_code = refused[3], refused[4]
            return nil, refused[1], refused[2]
        end
        ok, err, st = self:_write_expecting("login", after,
                                            {LISTING, STATUS})
        if not ok then return nil, err, st end
    end
    if not refused then self.state = "transaction" end
    ok, err, st = self:_capa_reply("login")
    if ok then
        local text
        text, err, st = self:_status("login")
        ok = text or not fatal(st)
        local n, size = num_size(text or "")
        if text and n and not refused then self.stat_cache = {n, size} end
    end
    if refused then -- it says why, even if reading on failed
        self.server_text, self.resp_code = refused[3], refused[4]
        return nil, refused[1], refused[2]
    end
    if not ok then return nil, err, st end
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
    return self:_logged_in("apop")
end

-- A failure that ends the session whatever its family (a server that
-- did not prove itself): close without QUIT.
function Client:_drop(op, st, detail)
    local _, msg = self:_err(op, st, detail)
    self.failed = st
    self:_hang_up()
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
    return self:_logged_in("auth")
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

--- stat() -> count, size.  After a pipelined login the STAT read with it
-- answers, until DELE or RSET.
function Client:stat()
    local ok, err, st = self:_begin("stat", "transaction")
    if not ok then return nil, err, st end
    if self.stat_cache then
        -- As if the reply had just come (the C client does the same).
        self.server_text = ("%d %d"):format(self.stat_cache[1],
                                            self.stat_cache[2])
        self.resp_code = ""
        return self.stat_cache[1], self.stat_cache[2]
    end
    local text
    text, err, st = self:_simple("stat", {"transaction"}, "STAT")
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
    -- A failure part-way sticks to the iterator (b.failed): called
    -- again, it returns the same nil, err, status, never a quiet nil
    -- that would end a for loop as if the body were whole.
    local b = {open = true}
    self.body = b
    return function()
        if b.failed then return nil, b.failed[1], b.failed[2] end
        if self.body ~= b then
            if not b.stale then return nil end
            return nil, op .. ": " .. core.pop3_strerror(core.POP3_E_STATE)
                   .. " (body " .. ENDED .. ")", core.POP3_E_STATE
        end
        local ev, data, st2 = self:_event(op)
        if ev == EV_CHUNK then return data end
        self.body = nil
        if ev == EV_END then return nil end
        if ev then
            data, st2 = select(2, self:_err(op, core.POP3_E_PROTOCOL))
        end
        b.failed = {data, st2}
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
    local ok, err, st = self:_begin("delete", "transaction")
    if not ok then return nil, err, st end
    self.stat_cache = nil -- STAT leaves deleted messages out
    ok, err, st = self:_simple("delete", {"transaction"}, "DELE",
                               tostring(n))
    return ok and true, err, st
end

function Client:noop()
    local ok, err, st = self:_simple("noop", {"transaction"}, "NOOP")
    return ok and true, err, st
end

function Client:reset()
    local ok, err, st = self:_begin("reset", "transaction")
    if not ok then return nil, err, st end
    self.stat_cache = nil
    ok, err, st = self:_simple("reset", {"transaction"}, "RSET")
    return ok and true, err, st
end

--- QUIT: commits deletions after login; the connection is closed.
-- Refused before anything goes out (the state), nothing changes.
function Client:quit()
    local ok, err, st = self:_begin("quit", "authorization", "transaction")
    if not ok then return nil, err, st end
    -- After login the session enters UPDATE (RFC 1939 6), as the
    -- blocking client reports it.
    local after = self.state == "transaction" and "update" or "disconnected"
    if self.quit_sent then -- with the last command of a batch
        st = core.pop3_codec_expect(self.codec, STATUS)
        if st ~= OK then
            ok, err, st = self:_err("quit", st)
        else
            ok, err, st = self:_status("quit")
        end
    else
        ok, err, st = self:_send("quit", STATUS, "QUIT")
        if ok then ok, err, st = self:_status("quit") end
    end
    if not self.failed then
        self:_hang_up()
        self.state = after
    end
    return ok and true, err, st
end

--- utf8(): UTF8 mode (RFC 6856) before login, when CAPA lists it (asked
-- for first if need be); the field is_utf8 says whether it is on.
function Client:utf8()
    local ok, err, st = self:_begin("utf8", "authorization")
    if not ok then return nil, err, st end
    return self:_utf8_on("utf8")
end

function Client:_utf8_on(op)
    if self.is_utf8 then return true end
    local ok, err, st = self:_know_capa(op)
    if not ok then return nil, err, st end
    if not (self.caps_listed and self.caps.UTF8) then
        return nil, op .. ": " ..
               core.pop3_strerror(core.POP3_E_UNSUPPORTED) ..
               " (the server does not offer UTF8)", core.POP3_E_UNSUPPORTED
    end
    ok, err, st = self:_simple(op, {"authorization"}, "UTF8")
    if not ok then return nil, err, st end
    self.is_utf8 = true
    return true
end

-- ---- pipelined batches (RFC 2449 6.6) -----------------------------------
-- By the C client's rules (libpop3/src/pipeline.c), so the server gets
-- the same bytes: CAPA first when the capabilities are unknown (unless
-- pipelining is "assume" or "off", see _pipelines); with
-- PIPELINING, at most WINDOW octets of commands in flight, one write per
-- top-up, and a top-up only once at most half the window is in flight;
-- without it one command at a time; QUIT in the same write as the last
-- command when asked.  The codec queues at most 64 replies, fewer than a
-- window holds, so each reply is queued just before it is read (the
-- codec parses only when asked).

local WINDOW = core.POP3_PIPELINE_WINDOW
local MAX_COMMAND = 64 -- verb, two numbers, spaces, CRLF
local MAX_MSG = 4294967295

local function check_list(fname, list)
    if type(list) ~= "table" then
        error(("bad argument #1 to '%s' (table of message numbers " ..
               "expected, got %s)"):format(fname, type(list)), 3)
    end
    for i = 1, #list do
        local v = list[i]
        if type(v) ~= "number" or v ~= math.floor(v) or v < 1 or
           v > MAX_MSG then
            error(("bad argument #1 to '%s' (item %d is not a message " ..
                   "number (%s))"):format(fname, i, tostring(v)), 3)
        end
    end
end

-- A batch's commands and how many octets of them are in flight.
-- `pipelines`: as self:_pipelines(op) answered, before the first command.
function Client:_pipe(verb, list, lines, pipelines)
    return {verb = verb, list = list, lines = lines, sent = 0, answered = 0,
            in_flight = 0, size = pipelines and WINDOW or 1}
end

-- Send what the window allows, in one write; nothing while more than
-- half of it is in flight.
function Client:_top_up(p, op)
    if p.in_flight > math.floor(p.size / 2) then return true end
    local out = {}
    while p.sent < #p.list and
          (p.in_flight == 0 or p.in_flight + MAX_COMMAND <= p.size) do
        local st, line = core.pop3_codec_format(p.verb,
            ("%d"):format(p.list[p.sent + 1]), p.lines)
        if st ~= OK then return self:_err(op, st, "nothing was sent") end
        out[#out + 1] = line
        p.in_flight = p.in_flight + #line
        p.sent = p.sent + 1
    end
    if p.then_quit and p.sent == #p.list and p.size > 1 then
        out[#out + 1] = "QUIT\r\n"
        p.then_quit = nil
        self.quit_sent = true
    end
    if #out == 0 then return true end
    return self:_write(op, table.concat(out))
end

-- The oldest command's reply is read next: queue it; its message.
function Client:_next_reply(p, kind, op)
    local n = p.list[p.answered + 1]
    p.answered = p.answered + 1
    local len = #p.verb + #("%d"):format(n) + 3 +
                (p.lines and #p.lines + 1 or 0)
    p.in_flight = math.max(0, p.in_flight - len)
    local st = core.pop3_codec_expect(self.codec, kind)
    if st ~= OK then return self:_err(op, st) end
    return n
end

-- Read and drop every reply of a batch still due.
function Client:_drain(p, op)
    local ok, err, st = self:_skip(p, op)
    if not ok then return nil, err, st end
    while p.answered < p.sent do
        ok, err, st = self:_next_reply(p, BODY, op)
        if not ok then return nil, err, st end
        ok, err, st = self:_status(op)
        if ok then
            p.open = true
            ok, err, st = self:_skip(p, op)
            if not ok then return nil, err, st end
        elseif fatal(st) then
            return nil, err, st
        end
    end
    return true
end

-- A failure that ends a batch is raised, as the blocking client does: a
-- for loop cannot return it, and a missing message must not look done.
-- Given the batch p, it sticks (p.failed): the batch iterator and the
-- body it broke off (`token`, if any) raise it again when called again.
local function raise(err, p, token)
    err = "pop3.cosocket: " .. tostring(err)
    if p then p.failed, p.failed_cur = err, token end
    error(err, 3)
end

-- The iterator of a batch: n, chunks (an iterator of the body) for each
-- message, or n, nil, err, status when the server refused it.  Another
-- command that cut it short (messages left, or a body half read) is
-- raised by the next call, as in the blocking client.
function Client:_batch_iterator(p, op)
    return function()
        if p.failed then error(p.failed, 2) end
        if self.body ~= p then
            if p.stale and p.stale_left > 0 then
                raise(op .. ": batch " .. ENDED)
            end
            return nil
        end
        local ok, err, st = self:_skip(p, op)
        if not ok then raise(err, p) end
        if p.answered == #p.list then
            self.body = nil
            return nil
        end
        ok, err, st = self:_top_up(p, op)
        if not ok then raise(err, p) end
        local n
        n, err, st = self:_next_reply(p, BODY, op)
        if not n then raise(err, p) end
        local what = op .. " " .. n
        ok, err, st = self:_status(what)
        if not ok then
            if fatal(st) then raise(err, p) end
            return n, nil, err, st
        end
        local token = {}
        p.open, p.cur = true, token
        return n, function()
            if p.failed and p.failed_cur == token then
                error(p.failed, 2)
            end
            if self.body ~= p or p.cur ~= token then
                if p.stale and p.stale_cur == token then
                    raise(what .. ": batch " .. ENDED)
                end
                return nil
            end
            local ev, data, st2 = self:_event(what)
            if ev == EV_CHUNK then return data end
            p.cur = nil
            if ev == EV_END then
                p.open = false
                return nil
            end
            if ev then
                local _, e = self:_err(what, core.POP3_E_PROTOCOL)
                raise(e, p, token)
            end
            raise(data, p, token)
        end
    end
end

function Client:_many(op, verb, list, lines, opts)
    if opts ~= nil and type(opts) ~= "table" then
        error(("bad argument #%d to '%s' (options must be a table)")
              :format(lines and 3 or 2, op), 3)
    end
    if #list == 0 then return function() return nil end end
    local ok, err, st = self:_begin(op, "transaction")
    local pipelines
    if ok then pipelines, err, st = self:_pipelines(op) end
    if pipelines == nil then return nil, err, st end
    local p = self:_pipe(verb, list, lines, pipelines)
    p.then_quit = opts and opts.then_quit
    self.body = p
    return self:_batch_iterator(p, op)
end

--- for n, chunks, err, st in c:retrieve_many{1, 2, 3} do ... end
-- RETR of every listed message, pipelined when the server lists
-- PIPELINING, as the blocking client's: in the order given, `chunks` an
-- iterator over the body (skipped if left unread), or nil with err,
-- status when the server refused that message.  A connection failure
-- raises.  opts.then_quit: QUIT goes out with the last RETR (only
-- quit() may follow).  Returns nil, err, status when it cannot start.
function Client:retrieve_many(list, opts)
    check_list("retrieve_many", list)
    return self:_many("retrieve_many", "RETR", list, nil, opts)
end

--- c:top_many(list, lines[, opts]): as retrieve_many, with TOP n lines.
function Client:top_many(list, lines, opts)
    check_list("top_many", list)
    if type(lines) ~= "number" or lines ~= math.floor(lines) or lines < 0
       or lines > MAX_MSG then
        error("bad argument #2 to 'top_many' (number of lines expected)", 2)
    end
    return self:_many("top_many", "TOP", list, ("%d"):format(lines), opts)
end

--- c:delete_many(list): DELE of every listed message, pipelined.  true;
-- or nil, err, status, results (results[i]: true, or the status of
-- list[i]'s -ERR) when the server refused some.  Committed by quit().
function Client:delete_many(list)
    check_list("delete_many", list)
    if #list == 0 then return true end
    self.stat_cache = nil -- STAT leaves deleted messages out
    local ok, err, st = self:_begin("delete_many", "transaction")
    local pipelines
    if ok then pipelines, err, st = self:_pipelines("delete_many") end
    if pipelines == nil then return nil, err, st end
    local p = self:_pipe("DELE", list, nil, pipelines)
    local results, refused = {}, 0
    while p.answered < #list do
        ok, err, st = self:_top_up(p, "delete_many")
        if ok then ok, err, st = self:_next_reply(p, STATUS, "delete_many") end
        if ok then ok, err, st = self:_status("delete_many") end
        if ok then
            results[#results + 1] = true
        elseif fatal(st) then
            return nil, err, st
        else
            results[#results + 1] = st
            refused = refused + 1
        end
    end
    if refused == 0 then return true end
    return nil, ("delete_many: %s (the server refused %d of %d)")
           :format(core.pop3_strerror(core.POP3_E_SERVER), refused, #list),
           core.POP3_E_SERVER, results
end

-- No setkeepalive(): a POP3 session holds the maildrop's lock, so it
-- ends with quit() or close(), never in nginx's connection pool.

M.Client = Client
return M
