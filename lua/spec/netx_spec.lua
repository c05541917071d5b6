-- pop3.netx: the NetX Duo-style services from Lua, against the scripted
-- server, as a gateway ported from NetX calls them.
local nx = require "pop3.netx"
local S = require "support"

local M1 = "Subject: one\r\n\r\nfirst\r\n"
local M2 = "Subject: two\r\n\r\n.dotted\r\n" .. ("x"):rep(4000) .. "\r\n"
local MAIL = { alice = { { "0001-a", M1 }, { "0002-b", M2 } } }
local LOCAL = nx.IP_ADDRESS(127, 0, 0, 1)

local function with_server(o, fn)
  o.mail = o.mail or MAIL
  local srv = S.server(o)
  local ok, err = pcall(fn, srv)
  srv:stop()
  if not ok then error(err, 0) end
end

-- A packet pool and an IP instance, as nx_packet_pool_create and
-- nx_ip_create set them up in a NetX program.
local function stack()
  local pool, ip = nx.NX_PACKET_POOL(), nx.NX_IP()
  assert.equals(nx.NX_SUCCESS, nx.nxswig_packet_pool_create(pool, 1500, 8))
  assert.equals(nx.NX_SUCCESS,
                nx.nxswig_ip_create(ip, LOCAL, 0xFFFFFF00, pool))
  assert.equals(nx.NX_SUCCESS, nx.nx_tcp_enable(ip))
  return ip, pool
end

local function teardown(ip, pool)
  assert.equals(nx.NX_SUCCESS, nx.nx_ip_delete(ip))
  assert.equals(nx.NX_SUCCESS, nx.nxswig_packet_pool_delete(pool))
end

-- mail_item_get, then message_get until final_packet.
local function fetch(client, n)
  local st, size = nx.nx_pop3_client_mail_item_get(client, n)
  assert.equals(nx.NX_SUCCESS, st)
  local parts, final, loops = {}, 0, 0
  while final == 0 and loops < 10000 do
    loops = loops + 1
    local packet, nbytes
    st, packet, nbytes, final = nx.nx_pop3_client_mail_item_message_get(client)
    assert.equals(nx.NX_SUCCESS, st)
    local data = nx.packet_data(packet)
    assert.equals(nbytes, #data)
    parts[#parts + 1] = data
    assert.equals(nx.NX_SUCCESS, nx.nx_packet_release(packet))
  end
  return size, table.concat(parts), loops
end

describe("pop3.netx", function()
  it("the NetX demo's flow: APOP, STAT, LIST, RETR, DELE, QUIT", function()
    with_server({ apop = true }, function(srv)
      local ip, pool = stack()
      local client = nx.NX_POP3_CLIENT()
      assert.equals(nx.NX_SUCCESS, nx.nx_pop3_client_create(client, 1, ip,
                    pool, LOCAL, srv.port, "alice", "secret"))
      local st, items, total = nx.nx_pop3_client_mail_items_get(client)
      assert.equals(nx.NX_SUCCESS, st)
      assert.equals(2, items)
      assert.equals(#M1 + #M2, total)
      local st2, size2 = nx.nx_pop3_client_mail_item_size_get(client, 2)
      assert.equals(nx.NX_SUCCESS, st2)
      assert.equals(#M2, size2)
      assert.equals(M1, select(2, fetch(client, 1)))
      local size, body, packets = fetch(client, 2)
      assert.equals(#M2, size)
      assert.equals(M2, body)            -- unstuffed, terminator removed
      assert.is_true(packets > 1)
      assert.equals(nx.NX_SUCCESS, nx.nx_pop3_client_mail_item_delete(client, 1))
      assert.equals(nx.NX_SUCCESS, nx.nx_pop3_client_quit(client))
      assert.equals(nx.NX_SUCCESS, nx.nx_pop3_client_delete(client))
      teardown(ip, pool)
      assert.matches("APOP alice", srv:log())
      assert.is_false(srv:has("alice", "0001-a"))
      assert.is_true(srv:has("alice", "0002-b"))
    end)
  end)

  it("nxd_pop3_client_create over IPv6", function()
    with_server({ host = "::1" }, function(srv)
      local ip, pool = stack()
      local client = nx.NX_POP3_CLIENT()
      local addr = assert(nx.address("::1"))
      assert.equals(nx.NX_SUCCESS, nx.nxd_pop3_client_create(client, 0, ip,
                    pool, addr, srv.port, "alice", "secret"))
      local st, items = nx.nx_pop3_client_mail_items_get(client)
      assert.equals(nx.NX_SUCCESS, st)
      assert.equals(2, items)
      assert.equals(nx.NX_SUCCESS, nx.nx_pop3_client_delete(client))
      teardown(ip, pool)
    end)
  end)

  it("NetX status codes; delete sends no QUIT and deletes nothing",
     function()
    with_server({}, function(srv)
      local ip, pool = stack()
      local client = nx.NX_POP3_CLIENT()
      assert.are_not.equal(nx.NX_SUCCESS, nx.nx_pop3_client_create(client,
                           0, ip, pool, LOCAL, srv.port, "alice", "wrong"))
      nx.nx_pop3_client_delete(client)   -- safe after a failed create
      assert.equals(nx.NX_SUCCESS, nx.nx_pop3_client_create(client, 0, ip,
                    pool, LOCAL, srv.port, "alice", "secret"))
      nx.nx_pop3_client_mail_items_get(client)
      assert.equals(nx.NX_POP3_CLIENT_INVALID_INDEX,
                    (nx.nx_pop3_client_mail_item_get(client, 0)))
      assert.equals(nx.NX_POP3_CLIENT_INVALID_STATE,
                    (nx.nx_pop3_client_mail_item_message_get(client)))
      assert.equals(nx.NX_SUCCESS, nx.nx_pop3_client_mail_item_delete(client, 1))
      assert.equals(nx.NX_SUCCESS, nx.nx_pop3_client_delete(client))
      assert.equals(nx.NX_PTR_ERROR, nx.nx_pop3_client_delete(client))
      teardown(ip, pool)
      assert.truthy(srv:closed(2))
      assert.is_nil(srv:log():find("QUIT", 1, true))
      assert.is_true(srv:has("alice", "0001-a"))
    end)
  end)

  it("a forgotten client is closed by the collector, without QUIT",
     function()
    with_server({}, function(srv)
      do
        local ip, pool = stack()
        local client = nx.NX_POP3_CLIENT()
        assert.equals(nx.NX_SUCCESS, nx.nx_pop3_client_create(client, 0, ip,
                      pool, LOCAL, srv.port, "alice", "secret"))
        assert.equals(nx.NX_SUCCESS, nx.nx_pop3_client_mail_item_delete(client, 1))
        ip, pool = nil, nil   -- the client keeps them alive
        collectgarbage()
        assert.equals(nx.NX_SUCCESS,
                      (nx.nx_pop3_client_mail_items_get(client)))
      end
      collectgarbage()
      collectgarbage()
      assert.truthy(srv:closed(1))
      assert.is_nil(srv:log():find("QUIT", 1, true))
      assert.is_true(srv:has("alice", "0001-a"))
    end)
  end)

  it("helpers refuse bad input; a pool with a packet out stays", function()
    assert.has_error(function() nx.IP_ADDRESS(256, 0, 0, 1) end)
    assert.has_error(function() nx.IP_ADDRESS(1, 2, 3) end)
    assert.has_error(function() nx.IP_ADDRESS(1, 2, 3, 0.5) end)
    assert.equals(0x7F000001, LOCAL)
    for _, bad in ipairs { "not an address", "1.2.3.256", "1::2::3",
                           "1:2:3:4:5:6:7:8:9", "12345::1", "" } do
      local a, err = nx.address(bad)
      assert.is_nil(a, bad)
      assert.matches("not an IP address", err)
    end
    assert.truthy(nx.address("2001:db8::1"))
    assert.truthy(nx.address("192.0.2.1"))
    assert.has_error(function() nx.address(42) end)
    assert.has_error(function() nx.packet_data(nil) end)
    local pool = nx.NX_PACKET_POOL()
    assert.are_not.equal(nx.NX_SUCCESS,
                         nx.nxswig_packet_pool_create(pool, 1500, 0))
    assert.equals(nx.NX_SUCCESS, nx.nxswig_packet_pool_create(pool, 64, 1))
    local st, packet = nx.nx_packet_allocate(pool, nx.NX_RECEIVE_PACKET,
                                             nx.NX_NO_WAIT)
    assert.equals(nx.NX_SUCCESS, st)
    local st2, none = nx.nx_packet_allocate(pool, nx.NX_RECEIVE_PACKET,
                                            nx.NX_NO_WAIT)
    assert.equals(nx.NX_NO_PACKET, st2)
    assert.is_nil(none)
    assert.equals(nx.NX_POOL_ERROR, nx.nxswig_packet_pool_delete(pool))
    assert.equals(nx.NX_SUCCESS, nx.nx_packet_release(packet))
    assert.equals(nx.NX_SUCCESS, nx.nxswig_packet_pool_delete(pool))
  end)
end)
