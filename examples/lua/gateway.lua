-- A Lua-scripted mail gateway, run by the embedding host (gateway_host.c):
-- poll a POP3 maildrop, hand each message to handle(), and delete it on
-- the server only once handle() has stored it safely.
--
--   lua_gateway_lua54 gateway.lua HOST PORT USER PASSWORD OUTDIR [POLLS [SECONDS]]
--
-- `host` (sleep, log) is provided by the C host.  Returns the number of
-- polls that failed, which the host makes its exit status.
local pop3 = require "pop3"

local server, port, user, password, outdir, polls, every = ...
port, polls, every = tonumber(port), tonumber(polls) or 1, tonumber(every) or 1
assert(server and port and user and password and outdir,
       "usage: gateway.lua HOST PORT USER PASSWORD OUTDIR [POLLS [SECONDS]]")

-- UIDs come from the server: never use one as a path as it is.  Keep
-- letters, digits, '-' and '_'; write every other byte as %XX.
local function safe_name(uid)
  return (uid:gsub("[^%w_-]", function(ch)
    return ("%%%02X"):format(ch:byte())
  end))
end

-- The gateway's work for one message: here, store it as OUTDIR/<uid>.eml.
-- Written under a temporary name and renamed, so a crash never leaves a
-- partial file under the final name.  Returns true once it is stored.
local function handle(uid, chunks)
  local final = outdir .. "/" .. safe_name(uid) .. ".eml"
  local tmp = final .. ".part"
  local f, err = io.open(tmp, "wb")
  if not f then return nil, err end
  local ok, werr = pcall(function()
    for chunk in chunks do assert(f:write(chunk)) end
  end)
  f:close()
  if not ok then os.remove(tmp) return nil, werr end
  return os.rename(tmp, final)
end

local function poll()
  local c, err = pop3.connect { host = server, port = port, tls = false,
                                timeout = 10 }
  if not c then return nil, err end
  local ok
  ok, err = c:login(user, password)
  if not ok then c:close() return nil, err end
  local uids
  uids, err = c:uidl()
  if not uids then c:close() return nil, err end
  local handled = 0
  for n, uid in pairs(uids) do
    local chunks
    chunks, err = c:retrieve(n)
    if not chunks then c:close() return nil, err end
    ok, err = handle(uid, chunks)
    if not ok then
      -- Not stored: leave it on the server for the next poll.
      host.log(("message %d (%s) not handled: %s"):format(n, uid, err))
    else
      ok, err = c:delete(n)
      if not ok then c:close() return nil, err end
      handled = handled + 1
    end
  end
  ok, err = c:quit()       -- commits the deletions
  if not ok then return nil, err end
  return handled
end

local failures = 0
for i = 1, polls do
  local n, err = poll()
  if n then
    host.log(("poll %d: %d message(s) handled"):format(i, n))
  else
    host.log(("poll %d failed: %s"):format(i, err))
    failures = failures + 1
  end
  if i < polls then host.sleep(every) end
end
return failures
