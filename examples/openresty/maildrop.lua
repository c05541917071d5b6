-- GET /maildrop: the maildrop's messages as JSON, {"messages": [{"n": 1,
-- "size": 120, "uid": "..."}]}.  The POP3 session runs on an nginx
-- cosocket, so the worker serves other requests while the server answers.
-- Where to connect comes from the environment (see nginx.conf's `env`).
-- Used as `content_by_lua_block { require("maildrop").handle() }`.
local pop3 = require "pop3.cosocket"

local M = {}

local function fail(status, msg)
    ngx.status = status
    ngx.header["Content-Type"] = "application/json"
    ngx.say('{"error": "', (msg:gsub('[%c"\\]', " ")), '"}')
    return ngx.exit(status)
end

function M.handle()
    local port = tonumber(os.getenv("POP3_PORT") or "995")
    local c, err = pop3.connect{
        host = os.getenv("POP3_HOST") or "127.0.0.1",
        port = port,
        tls = os.getenv("POP3_TLS"), -- nil: implicit on 995, else STLS
        timeout = 10,
    }
    if not c then return fail(502, err) end

    local ok
    ok, err = c:login(os.getenv("POP3_USER") or "", os.getenv("POP3_PASSWORD") or "")
    if not ok then c:close() return fail(502, err) end

    local sizes, uids
    sizes, err = c:list()
    if sizes then uids, err = c:uidl() end
    if not uids then c:close() return fail(502, err) end
    c:quit() -- nothing was deleted; QUIT just ends the session cleanly

    local items = {}
    for n, size in pairs(sizes) do items[#items + 1] = n end
    table.sort(items)
    for i, n in ipairs(items) do
        -- UIDs are printable ASCII (checked); only " and \ need escaping.
        local uid = (uids[n] or ""):gsub('[\\"]', "\\%0")
        items[i] = string.format('{"n": %d, "size": %d, "uid": "%s"}',
                                 n, sizes[n], uid)
    end
    ngx.header["Content-Type"] = "application/json"
    ngx.say('{"messages": [', table.concat(items, ", "), "]}")
end

return M
