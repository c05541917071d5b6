-- pop3.cosocket's options are checked in new() as the blocking client
-- checks them: tls takes what the blocking client takes for the modes
-- both have ("default", "none" or false, "stls", "implicit") and refuses
-- anything else (a misspelt mode used to mean cleartext); timeout,
-- max_line, buffer_size, the booleans and server_name must have their
-- type and range.
local S = require "support"
local shim = require "ngx_shim"

describe("pop3.cosocket tls option", function()
  local cosocket

  setup(function()
    shim.install()
    cosocket = require "pop3.cosocket"
  end)
  teardown(shim.uninstall)

  it("refuses a mode it does not know", function()
    for _, bad in ipairs { "stsl", "STLS", "stls_if_offered", "", 1, true } do
      local ok, err = pcall(cosocket.new, { tls = bad })
      assert.is_false(ok, tostring(bad))
      assert.matches("bad option 'tls' to 'new'", err)
    end
  end)

  it("refuses other options of the wrong type or range", function()
    local bad = {
      { timeout = 0 }, { timeout = -1 }, { timeout = "5" },
      { timeout = 0 / 0 }, { max_line = 1.5 }, { max_line = 0 },
      { buffer_size = "big" }, { allow_cleartext = 1 },
      { pipeline_login = "yes" }, { utf8 = 0 }, { early_capa = "true" },
      { server_name = 42 },
    }
    for _, o in ipairs(bad) do
      local key = next(o)
      local ok, err = pcall(cosocket.new, o)
      assert.is_false(ok, key)
      assert.matches("bad option '" .. key .. "' to 'new'", err)
    end
    -- The boundaries that are fine.
    assert.truthy(cosocket.new{ timeout = 0.001, max_line = 64,
                                buffer_size = 128, utf8 = false })
  end)

  -- A server without STLS: false and "none" connect in cleartext,
  -- "default" (port not 995) and "stls" require STLS and refuse.
  it("false is cleartext, default is STLS required", function()
    local script = "S +OK ready\\r\\n\nC CAPA\nS +OK\\r\\nUSER\\r\\n.\\r\\n\n"
    local cases = { { false, true }, { "none", true }, { "default", false },
                    { "stls", false } }
    for _, case in ipairs(cases) do
      local srv = S.server{ scenario = case[2] and "S +OK ready\\r\\n\nE\n"
                                               or script .. "E\n" }
      local c = cosocket.new{ tls = case[1], timeout = 2 }
      local ok, err = c:connect("127.0.0.1", srv.port)
      c:close()
      srv:stop()
      if case[2] then
        assert.truthy(ok, tostring(case[1]) .. ": " .. tostring(err))
      else
        assert.is_nil(ok, tostring(case[1]))
        assert.matches("STLS", err)
      end
    end
  end)
end)
