-- Handlers for tests/nginx/test_openresty.py, run inside nginx on the real
-- cosockets:
--   GET /parity?name=SCENARIO&cport=P1&bport=P2: the calls of
--     tests/scenarios/calls.txt with pop3.cosocket (against P1) and with
--     the blocking client (against P2); answers "same" or "different",
--     then both records.
--   GET /sasl?port=P&mech=MECH: pop3.cosocket logs in to P as
--     alice/secret with MECH, then STAT and QUIT; answers
--     "ok USED COUNT" or "error STATUS MESSAGE".
local P = require "parity"

local M = {}

local function source()
  return os.getenv("POP3_SOURCE_DIR") or "."
end

function M.parity()
  local args = ngx.req.get_uri_args()
  local calls = P.read_calls(source() .. "/tests/scenarios/calls.txt")
  local section = calls[args.name]
  if not section then
    ngx.status = 404
    return ngx.say("no calls for ", tostring(args.name))
  end
  local got = P.run_cosocket(require "pop3.cosocket", section, "127.0.0.1",
                             tonumber(args.cport))
  -- The blocking client blocks this worker for a moment: a test only.
  local want = P.run_blocking(require "pop3", section, "127.0.0.1",
                              tonumber(args.bport))
  ngx.say(got == want and "same" or "different")
  ngx.say(got)
  ngx.say(want)
end

function M.sasl()
  local args = ngx.req.get_uri_args()
  local cosocket = require "pop3.cosocket"
  local c, err, st = cosocket.connect{ host = "127.0.0.1",
                                       port = tonumber(args.port),
                                       tls = "none", timeout = 10 }
  if c then
    local ok
    ok, err, st = c:auth(args.mech, "alice", "secret")
    if ok then
      local n
      n, err, st = c:stat()
      if n then
        c:quit()
        return ngx.say("ok ", c.auth_used, " ", n)
      end
    end
    c:close()
  end
  ngx.say("error ", tostring(st), " ", tostring(err))
end

return M
