-- The embedding example (examples/lua): the C host built for this
-- interpreter runs gateway.lua against the scripted server.
local S = require "support"

local HOST = os.getenv("POP3_LUA_HOST")
local SCRIPT = S.src .. "/examples/lua/gateway.lua"

local function run_gateway(srv, out, polls)
  local cmd = table.concat({ S.q(HOST), S.q(SCRIPT), "127.0.0.1", srv.port,
                             "alice", "secret", S.q(out), polls or 1, "0.1" },
                           " ")
  return S.run(cmd .. " 2>" .. S.q(out .. "/../stderr"))
end

describe("the embedding example", function()
  local srv, tmp
  local msgs = { { "0001-a", "Subject: a\n\nfirst\n" },
                 { "0002-b", "Subject: b\n\n.dotted\nsecond\n" },
                 { "0003-weird", "Subject: c\n\nthird\n" } }

  before_each(function()
    if not HOST then return end
    tmp = S.tmpdir()
    assert(S.run("mkdir " .. S.q(tmp .. "/out")))
  end)
  after_each(function()
    if srv then srv:stop() srv = nil end
    S.rmtree(tmp)
  end)

  it("stores every message, then deletes it on the server", function()
    if not HOST then return pending("POP3_LUA_HOST not set (run by CTest)") end
    srv = S.server { mail = { alice = msgs }, faults = { "uidl-slash" } }
    assert.is_true(run_gateway(srv, tmp .. "/out", 2))
    for i, m in ipairs(msgs) do
      -- uidl-slash makes UID n "../evil/n": stored under a safe name
      local name = ("%%2E%%2E%%2Fevil%%2F%d"):format(i)
      assert.equals(S.crlf(m[2]), S.read(tmp .. "/out/" .. name .. ".eml"))
      assert.is_false(srv:has("alice", m[1]))
    end
    assert.is_false(S.exists(tmp .. "/evil"))
    assert.matches("poll 2: 0 message", S.read(tmp .. "/stderr"), 1, true)
  end)

  it("deletes nothing when the connection drops mid-message", function()
    if not HOST then return pending("POP3_LUA_HOST not set (run by CTest)") end
    srv = S.server { mail = { alice = msgs }, faults = { "close-mid-body" } }
    assert.is_false(run_gateway(srv, tmp .. "/out", 1))
    for _, m in ipairs(msgs) do assert.is_true(srv:has("alice", m[1])) end
    assert.equals("", S.capture("ls -A " .. S.q(tmp .. "/out")))
    assert.matches("poll 1 failed", S.read(tmp .. "/stderr"), 1, true)
  end)
end)
