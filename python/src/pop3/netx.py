"""pop3.netx -- the NetX Duo-style POP3 client API, from Python.

For testing C code written for (or ported from) the NetX Duo POP3 client:
the same service names, arguments and NX_* status codes, over the same C
implementation.  Outputs come back after the status, as a tuple::

    from pop3 import netx

    pool = netx.NX_PACKET_POOL()
    netx.nxswig_packet_pool_create(pool, 1500, 16)
    ip = netx.NX_IP()
    netx.nxswig_ip_create(ip, netx.IP_ADDRESS(127, 0, 0, 1), 0xFFFFFF00,
                          pool)
    netx.nx_tcp_enable(ip)
    client = netx.NX_POP3_CLIENT()
    status = netx.nx_pop3_client_create(client, 0, ip, pool,
                                        netx.IP_ADDRESS(127, 0, 0, 1), 110,
                                        "alice", "secret")
    status, count, size = netx.nx_pop3_client_mail_items_get(client)
    status, item_size = netx.nx_pop3_client_mail_item_get(client, 1)
    data, final = b"", 0
    while not final:
        status, packet, nbytes, final = \\
            netx.nx_pop3_client_mail_item_message_get(client)
        if status != netx.NX_SUCCESS:
            break
        data += netx.packet_bytes(packet)
        netx.nx_packet_release(packet)
    netx.nx_pop3_client_quit(client)
    netx.nx_pop3_client_delete(client)

Control blocks (``NX_IP``, ``NX_PACKET_POOL``, ``NX_POP3_CLIENT``,
``NXD_ADDRESS``) are plain C structs: keep each alive as long as the C
side uses it, and delete in reverse order of creation (client, IP
instance, pool).  The pool and IP helpers ``nxswig_packet_pool_create``,
``nxswig_packet_pool_delete`` and ``nxswig_ip_create`` replace the
services that take raw memory or a driver.  The idiomatic API is
:class:`pop3.Client`; this module is deliberately as close to C as
Python allows.
"""

from . import _pop3 as _c

__all__ = ["IP_ADDRESS", "packet_bytes", "address"]


def IP_ADDRESS(a: int, b: int, c: int, d: int) -> int:
    """The NetX IP_ADDRESS(a, b, c, d) macro: an IPv4 address as a
    host-order 32-bit number."""
    for octet in (a, b, c, d):
        if not isinstance(octet, int) or not 0 <= octet <= 255:
            raise ValueError("IP_ADDRESS takes four octets 0-255")
    return (a << 24) | (b << 16) | (c << 8) | d


def packet_bytes(packet: object) -> bytes:
    """A copy of a packet's data (from prepend to append pointer)."""
    status, data = _c.nxswig_packet_data(packet)
    if status != _c.NX_SUCCESS:
        raise ValueError("not a packet")
    return data


def address(text: str) -> "_c.NXD_ADDRESS":
    """An NXD_ADDRESS for an IPv4 or IPv6 address in text form."""
    import ipaddress
    ip = ipaddress.ip_address(text)
    a = _c.NXD_ADDRESS()
    if ip.version == 4:
        _c.nxswig_address_set(a, _c.NX_IP_VERSION_V4, int(ip), 0, 0, 0)
    else:
        n = int(ip)
        words = [(n >> s) & 0xFFFFFFFF for s in (96, 64, 32, 0)]
        _c.nxswig_address_set(a, _c.NX_IP_VERSION_V6, *words)
    return a


def _export() -> None:
    # The C names, as the header spells them.
    for name in dir(_c):
        if name.startswith(("nx_", "nxd_", "NX_", "NXD_", "nxswig_")):
            globals()[name] = getattr(_c, name)
            __all__.append(name)


_export()
