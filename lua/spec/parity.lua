-- Test support: make the calls of tests/scenarios/calls.txt with the
-- blocking client (pop3) and with pop3.cosocket, and write down what each
-- observed in one canonical string, so the two can be compared.  Used by
-- parity_spec.lua (cosocket over ngx_shim.lua) and by tests/nginx (the
-- real cosockets).
local core = require "pop3.core"

local P = {}

--- { [scenario] = { options = {tls=, timeout=}, calls = {{verb, ...}} } }
function P.read_calls(path)
  local f = assert(io.open(path, "rb"))
  local text = f:read("*a")
  f:close()
  local sections, cur = {}, nil
  for line in text:gmatch("[^\n]+") do
    line = line:gsub("^%s+", ""):gsub("%s+$", "")
    local name = line:match("^%[(.+)%]$")
    if name then
      cur = { options = {}, calls = {} }
      sections[name] = cur
    elseif line ~= "" and not line:match("^#") then
      local words = {}
      for w in line:gmatch("%S+") do words[#words + 1] = w end
      if words[1] == "options" then
        for i = 2, #words do
          local k, v = words[i]:match("^([^=]+)=(.*)$")
          cur.options[k] = v
        end
      else
        cur.calls[#cur.calls + 1] = words
      end
    end
  end
  return sections
end

-- Canonical text of a value: tables with sorted keys.
local function dump(v)
  if type(v) == "table" then
    local keys = {}
    for k in pairs(v) do keys[#keys + 1] = k end
    table.sort(keys, function(a, b)
      if type(a) == type(b) then return a < b end
      return type(a) == "number"
    end)
    local out = {}
    for _, k in ipairs(keys) do
      out[#out + 1] = dump(k) .. "=" .. dump(v[k])
    end
    return "{" .. table.concat(out, ",") .. "}"
  end
  if type(v) == "string" then return ("%q"):format(v) end
  if type(v) == "number" and v == math.floor(v) then
    return ("%d"):format(v)
  end
  return tostring(v)
end
P.dump = dump

-- As the Python clients: only a server or login failure quotes the
-- server's reply; after anything else it would be stale.
local function quotes_reply(st)
  local f = core.pop3_status_family(st)
  return f == core.POP3_FAMILY_SERVER or f == core.POP3_FAMILY_AUTH
end

-- st: the C status; or, for an error raised rather than returned, its
-- message (recorded as it is, so a difference shows instead of a crash).
local function err_entry(verb, st, text, code)
  local n = tonumber(st)
  if not n then return { verb, "raised", tostring(st) } end
  n = math.floor(n)
  if not quotes_reply(n) then text, code = "", "" end
  return { verb, "error", n, text or "", code or "" }
end

local KNOWN = { tls = true, timeout = true, pipeline_login = true,
                early_capa = true, pipelining = true }

-- The options of calls.txt as the clients take them (pipelining nil,
-- so each client's default, unless given); an unknown word is an error.
local function opts_of(o, host, port)
  for k in pairs(o) do
    assert(KNOWN[k], "unknown option in calls.txt: " .. tostring(k))
  end
  return { host = host, port = port, tls = o.tls or "none",
           timeout = tonumber(o.timeout or "10"),
           pipeline_login = o.pipeline_login == "yes",
           early_capa = o.early_capa == "yes",
           pipelining = o.pipelining }
end

-- What both clients' new() take.
local function client_opts(o)
  return { tls = o.tls, timeout = o.timeout,
           pipeline_login = o.pipeline_login, early_capa = o.early_capa,
           pipelining = o.pipelining }
end

-- retrieve_many [then_quit] N...: the numbers, and the options.
local function many_args(words)
  local opts = { then_quit = words[2] == "then_quit" }
  local list = {}
  for i = opts.then_quit and 3 or 2, #words do
    list[#list + 1] = tonumber(words[i])
  end
  return list, opts
end

-- A batch's record: { n, "ok", body } or the message's error entry
-- (taken when it is reported: the server text moves on with the batch).
-- `status` turns the client's error code into the C status.
local function batch_record(it, server_text, status)
  local out = {}
  for n, chunks, _, code in it do
    if chunks then
      local parts = {}
      for chunk in chunks do parts[#parts + 1] = chunk end
      out[#out + 1] = { n, "ok", table.concat(parts) }
    else
      local text, rc = server_text()
      out[#out + 1] = err_entry(n, status(code), text, rc)
    end
  end
  return out
end

-- A call with one status (login, apop, stat, list/uidl/noop...), the same
-- on both Lua clients: its value, or nil and the status code.
local function simple_call(c, words)
  local verb, a, b = words[1], words[2], words[3]
  local r
  if verb == "login" or verb == "apop" then
    r = { c[verb](c, a, b) }
  elseif verb == "stat" then
    local n, size, code = c:stat()
    if not n then return nil, code end
    return { n, size }
  else
    r = { c[verb](c, a and tonumber(a) or nil) }
  end
  if r[1] == nil then return nil, r[3] end
  return r[1]
end

-- ---- the blocking client -----------------------------------------------

local function blocking_call(pop3, c, words)
  local verb = words[1]
  local a, b = words[2], words[3]
  if verb == "retrieve_many" then
    local list, opts = many_args(words)
    local it, _, code = c:retrieve_many(list, opts)
    if not it then return nil, code end
    local ok, v = pcall(batch_record, it, function()
      return c:server_text() end, function(cd) return pop3.codes[cd] or cd end)
    if not ok then
      local _, code2 = c:last_error()
      return nil, code2 or tostring(v)
    end
    return v
  end
  if verb == "retrieve" or verb == "top" then
    local it, msg, code = c[verb](c, tonumber(a), tonumber(b))
    if not it then return nil, code end
    local parts = {}
    local ok, e = pcall(function()
      for chunk in it do parts[#parts + 1] = chunk end
    end)
    if not ok then
      local _, code2 = c:last_error()
      return nil, code2 or tostring(e)
    end
    return table.concat(parts)
  end
  return simple_call(c, words)
end

--- The canonical record of the blocking client on one scenario.
function P.run_blocking(pop3, section, host, port)
  local o = opts_of(section.options, host, port)
  local c = assert(pop3.new(client_opts(o)))
  local out = {}
  local ok, _, code = c:connect(host, port)
  if not ok then
    local text, rc = c:server_text()
    out[1] = err_entry("connect", pop3.codes[code] or code, text, rc)
  else
    out[1] = { "connect", c:greeting(), c:apop_timestamp() or "nil" }
    for _, words in ipairs(section.calls) do
      local v, err_code = blocking_call(pop3, c, words)
      if v == nil then
        local text, rc = c:server_text()
        out[#out + 1] = err_entry(words[1],
                                  pop3.codes[err_code] or err_code, text, rc)
      else
        out[#out + 1] = { words[1], "ok", v }
      end
    end
  end
  out[#out + 1] = { "state", ok and c:state() or "disconnected" }
  c:close()
  return dump(out)
end

-- ---- pop3.cosocket -------------------------------------------------------

local function cosocket_call(c, words)
  local verb = words[1]
  local a, b = words[2], words[3]
  if verb == "retrieve_many" then
    local it, _, st = c:retrieve_many(many_args(words))
    if not it then return nil, st end
    local ok, v = pcall(batch_record, it, function()
      return c.server_text, c.resp_code end, function(s) return s end)
    if not ok then return nil, c.failed or tostring(v) end
    return v
  end
  if verb == "retrieve" or verb == "top" then
    local it = c[verb](c, tonumber(a), tonumber(b))
    local parts = {}
    while true do
      local chunk, err, st = it()
      if chunk == nil then
        if err then return nil, st end
        return table.concat(parts)
      end
      parts[#parts + 1] = chunk
    end
  end
  return simple_call(c, words)
end

--- The canonical record of pop3.cosocket on one scenario (needs the
-- global ngx: nginx's, or ngx_shim's).
function P.run_cosocket(cosocket, section, host, port)
  local o = opts_of(section.options, host, port)
  local c = cosocket.new(client_opts(o))
  local out = {}
  local ok, _, st = c:connect(host, port)
  if not ok then
    out[1] = err_entry("connect", st, c.server_text, c.resp_code)
  else
    out[1] = { "connect", c.greeting, c.apop_timestamp or "nil" }
    for _, words in ipairs(section.calls) do
      local v, st2 = cosocket_call(c, words)
      if v == nil then
        out[#out + 1] = err_entry(words[1], st2, c.server_text,
                                  c.resp_code)
      else
        out[#out + 1] = { words[1], "ok", v }
      end
    end
  end
  out[#out + 1] = { "state", ok and c.state or "disconnected" }
  c:close()
  return dump(out)
end

--- The lines the scripted server logged, one array per connection.
function P.sessions(log)
  local out = {}
  for line in log:gmatch("[^\n]+") do
    if line == "#CONNECT" then
      out[#out + 1] = {}
    elseif #out > 0 and line ~= "#CLOSE" then
      local cur = out[#out]
      cur[#cur + 1] = line
    end
  end
  return out
end

--- The first #MISMATCH or #EARLY line of a scripted server's log (the
-- client sent a line the scenario does not expect, or sent one before
-- the reply its Q waits for), or nil.
function P.bad_line(log)
  for line in log:gmatch("[^\n]+") do
    if line:find("^#MISMATCH") or line:find("^#EARLY") then return line end
  end
  return nil
end

return P
