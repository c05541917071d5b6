-- parity.lua itself: a call whose error is raised rather than returned
-- (no status to record) is written down as its message, so the two
-- records differ visibly instead of the runner failing on a nil status.
local P = require "parity"

local section = { options = {}, calls = { { "retrieve", "1" } } }

-- A client whose retrieve iterator raises, and which then has no last
-- error (the status is lost): the blocking client's API.
local fake_pop3 = { codes = {} }
function fake_pop3.new()
  local c = {}
  function c.connect() return true end
  function c.greeting() return "hi" end
  function c.apop_timestamp() return nil end
  function c.retrieve() return function() error("lost", 0) end end
  function c.last_error() return nil end
  function c.server_text() return "", "" end
  function c.state() return "transaction" end
  function c.close() return true end
  return c
end

-- The same for pop3.cosocket: retrieve_many raises, nothing failed.
local fake_cosocket = {}
function fake_cosocket.new()
  local c = { greeting = "hi", state = "transaction" }
  function c.connect() return true end
  function c.retrieve_many() return function() error("lost", 0) end end
  function c.close() return true end
  return c
end

describe("parity.lua", function()
  it("records a raised error of the blocking client", function()
    local out = P.run_blocking(fake_pop3, section, "127.0.0.1", 1)
    assert.truthy(out:find('1="retrieve",2="raised",3="lost"', 1, true), out)
  end)

  it("records a raised error of pop3.cosocket", function()
    local s = { options = {}, calls = { { "retrieve_many", "1" } } }
    local out = P.run_cosocket(fake_cosocket, s, "127.0.0.1", 1)
    assert.truthy(out:find('1="retrieve_many",2="raised",3="lost"', 1,
                          true), out)
  end)
end)
