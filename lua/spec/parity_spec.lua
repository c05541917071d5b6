-- The blocking client (pop3) and pop3.cosocket give the same results on
-- every scenario of tests/scenarios: the calls of calls.txt made by
-- both, each against its own scripted server; what they return, the
-- errors (status, server text, response code), the greeting, the state
-- at the end and the lines the server received must be equal.
-- pop3.cosocket runs over ngx_shim.lua (LuaSocket) here; tests/nginx
-- replays some of the same scenarios on nginx's real cosockets.
local S = require "support"
local P = require "parity"
local both = require "both"
local pop3 = require "pop3"

local dir = S.src .. "/tests/scenarios"
local calls = P.read_calls(dir .. "/calls.txt")

local names = {}
for f in S.capture("ls " .. S.q(dir)):gmatch("[^\n]+") do
  local name = f:match("^(.+)%.scenario$")
  if name then names[#names + 1] = name end
end
table.sort(names)

describe("scenario parity: pop3 and pop3.cosocket", function()
  local cosocket
  setup(function()
    both.install()
    cosocket = require "pop3.cosocket"
  end)
  teardown(both.uninstall)

  it("has calls for every scenario", function()
    assert.is_true(#names > 0)
    for _, name in ipairs(names) do
      assert.is_table(calls[name], name .. " has no section in calls.txt")
    end
  end)

  for _, name in ipairs(names) do
    it(name, function()
      local script = S.read(dir .. "/" .. name .. ".scenario")
      both.with_servers({ scenario = script }, function(sb, sc)
        local want = P.run_blocking(pop3, calls[name], "127.0.0.1", sb.port)
        local got = P.run_cosocket(cosocket, calls[name], "127.0.0.1",
                                   sc.port)
        assert.are.equal(want, got)
        assert.truthy(sb:idle() and sc:idle())
        local lb, lc = sb:log(), sc:log()
        -- Both sent what the scenario expects: no other line (#MISMATCH)
        -- and nothing before a reply it says to wait for (#EARLY, at its
        -- Q); then the same lines.
        for client, log in pairs{ pop3 = lb, ["pop3.cosocket"] = lc } do
          assert.is_nil(P.bad_line(log), client .. ": " .. log)
        end
        assert.are.same(P.sessions(lb), P.sessions(lc))
        assert.are.equal(1, #P.sessions(lc))
      end)
    end)
  end
end)
