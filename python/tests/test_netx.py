"""pop3.netx: the NetX Duo-style services from Python, against the
scripted server."""

import pytest

from pop3 import netx
from conftest import MSG1, MSG2

LOCAL = netx.IP_ADDRESS(127, 0, 0, 1)


@pytest.fixture
def stack():
    """A packet pool and an IP instance, deleted after the test."""
    pool = netx.NX_PACKET_POOL()
    assert netx.nxswig_packet_pool_create(pool, 1500, 8) == netx.NX_SUCCESS
    ip = netx.NX_IP()
    assert netx.nxswig_ip_create(ip, LOCAL, 0xFFFFFF00, pool) == \
        netx.NX_SUCCESS
    assert netx.nx_tcp_enable(ip) == netx.NX_SUCCESS
    yield ip, pool
    assert netx.nx_ip_delete(ip) == netx.NX_SUCCESS
    assert netx.nxswig_packet_pool_delete(pool) == netx.NX_SUCCESS


def fetch(client, n):
    status, size = netx.nx_pop3_client_mail_item_get(client, n)
    assert status == netx.NX_SUCCESS
    data, final, loops = b"", 0, 0
    while not final and loops < 10000:
        loops += 1
        status, packet, nbytes, final = \
            netx.nx_pop3_client_mail_item_message_get(client)
        assert status == netx.NX_SUCCESS
        chunk = netx.packet_bytes(packet)
        assert len(chunk) == nbytes
        data += chunk
        assert netx.nx_packet_release(packet) == netx.NX_SUCCESS
    return size, data


def test_demo_flow(server, stack):
    ip, pool = stack
    client = netx.NX_POP3_CLIENT()
    assert netx.nx_pop3_client_create(client, 1, ip, pool, LOCAL,
                                      server.port, "alice", "secret") == \
        netx.NX_SUCCESS
    status, count, total = netx.nx_pop3_client_mail_items_get(client)
    assert (status, count, total) == (netx.NX_SUCCESS, 3,
                                      len(MSG1) + len(MSG2))
    assert netx.nx_pop3_client_mail_item_size_get(client, 2) == \
        [netx.NX_SUCCESS, len(MSG2)]
    assert fetch(client, 1)[1] == MSG1
    assert fetch(client, 2)[1] == MSG2  # unstuffed, terminator removed
    assert netx.nx_pop3_client_mail_item_delete(client, 1) == netx.NX_SUCCESS
    assert netx.nx_pop3_client_quit(client) == netx.NX_SUCCESS
    assert netx.nx_pop3_client_delete(client) == netx.NX_SUCCESS
    assert any(l.startswith("APOP alice") for l in server.sent_lines())
    assert len(list((server.maildrop / "alice").iterdir())) == 2


def test_ipv6_create(server_factory, stack):
    ip, pool = stack
    srv = server_factory("--host", "::1", "--user", "alice:secret")
    client = netx.NX_POP3_CLIENT()
    assert netx.nxd_pop3_client_create(client, 0, ip, pool,
                                       netx.address("::1"), srv.port,
                                       "alice", "secret") == netx.NX_SUCCESS
    assert netx.nx_pop3_client_mail_items_get(client)[:2] == \
        [netx.NX_SUCCESS, 0]
    assert netx.nx_pop3_client_delete(client) == netx.NX_SUCCESS


def test_error_codes(server, stack):
    ip, pool = stack
    client = netx.NX_POP3_CLIENT()
    assert netx.nx_pop3_client_create(client, 0, ip, pool, LOCAL,
                                      server.port, "alice", "wrong") != \
        netx.NX_SUCCESS
    netx.nx_pop3_client_delete(client)  # safe after a failed create
    client = netx.NX_POP3_CLIENT()
    assert netx.nx_pop3_client_create(client, 0, ip, pool, LOCAL,
                                      server.port, "alice", "secret") == \
        netx.NX_SUCCESS
    netx.nx_pop3_client_mail_items_get(client)
    assert netx.nx_pop3_client_mail_item_get(client, 0)[0] == \
        netx.NX_POP3_CLIENT_INVALID_INDEX
    assert netx.nx_pop3_client_mail_item_message_get(client)[0] == \
        netx.NX_POP3_CLIENT_INVALID_STATE
    assert netx.nx_pop3_client_delete(client) == netx.NX_SUCCESS
    assert "QUIT" not in server.sent_lines()  # delete sends no QUIT


def test_helpers_refuse_bad_input():
    with pytest.raises(ValueError):
        netx.IP_ADDRESS(256, 0, 0, 1)
    with pytest.raises(ValueError):
        netx.address("not an address")
    pool = netx.NX_PACKET_POOL()
    assert netx.nxswig_packet_pool_create(pool, 1500, 0) != netx.NX_SUCCESS
    assert netx.nxswig_packet_pool_create(pool, 64, 1) == netx.NX_SUCCESS
    status, packet = netx.nx_packet_allocate(pool, netx.NX_RECEIVE_PACKET,
                                             netx.NX_NO_WAIT)
    assert status == netx.NX_SUCCESS
    status, none = netx.nx_packet_allocate(pool, netx.NX_RECEIVE_PACKET,
                                           netx.NX_NO_WAIT)
    assert status == netx.NX_NO_PACKET and none is None  # pool exhausted
    assert netx.nxswig_packet_pool_delete(pool) == netx.NX_POOL_ERROR  # in use
    assert netx.nx_packet_release(packet) == netx.NX_SUCCESS
    assert netx.nxswig_packet_pool_delete(pool) == netx.NX_SUCCESS
