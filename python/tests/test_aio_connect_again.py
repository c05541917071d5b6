"""pop3.aio.Client.connect() on a client that was connected before: after
quit(), after a failed connect() (without close() in between), and while
connected -- each compared with pop3.Client on the same steps."""

import socket

import pytest

import pop3
import pop3.aio
from conftest import MSG1, run


def result(fn):
    """What a call gave: "ok" or the error's class, status and text."""
    try:
        fn()
        return "ok"
    except pop3.Error as e:
        return type(e).__name__, e.status, e.server_text


async def aresult(coro):
    try:
        await coro
        return "ok"
    except pop3.Error as e:
        return type(e).__name__, e.status, e.server_text


def unused_port():
    """A loopback port nobody listens on (bound, then let go)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("log_in", [True, False])
def test_connect_after_quit_as_blocking(server, log_in):
    def blocking():
        c = pop3.Client(tls="none", timeout=10)
        out = [result(lambda: c.connect("127.0.0.1", server.port))]
        if log_in:
            c.login("alice", "secret")
        c.quit()
        out += [c.state, result(lambda: c.connect("127.0.0.1",
                                                  server.port)), c.state]
        c.login("alice", "secret")
        out.append(c.stat().count)
        c.quit()
        c.close()
        return out

    async def aio():
        c = pop3.aio.Client(tls="none", timeout=10)
        out = [await aresult(c.connect("127.0.0.1", server.port))]
        if log_in:
            await c.login("alice", "secret")
        await c.quit()
        out += [c.state, await aresult(c.connect("127.0.0.1", server.port)),
                c.state]
        await c.login("alice", "secret")
        out.append((await c.stat()).count)
        await c.quit()
        await c.close()
        return out

    want = blocking()
    assert want[1:4] == [pop3.State.UPDATE if log_in else
                         pop3.State.DISCONNECTED, "ok",
                         pop3.State.AUTHORIZATION]
    assert want[-1] == 3
    assert run(aio()) == want


def test_connect_while_connected_as_blocking(server):
    c = pop3.Client("127.0.0.1", server.port, tls="none", timeout=10)
    want = result(lambda: c.connect("127.0.0.1", server.port)), c.state
    c.quit()

    async def aio():
        async with pop3.aio.Client("127.0.0.1", server.port, tls="none",
                                   timeout=10) as c:
            return (await aresult(c.connect("127.0.0.1", server.port)),
                    c.state)
    assert want == (("StateError", 200, ""), pop3.State.AUTHORIZATION)
    assert run(aio()) == want


# A failed connect(), then -- without close() -- noop() and connect() to
# a good server.  A failure before there was a connection (refused) or a
# -ERR greeting leaves the client ready to connect again; one after the
# connection was made (protocol, timeout) sticks until close().
FAILURES = {
    "refused": ((), "none"),
    "greeting-err": (("--fault", "greeting-err"), "none"),
    "no-greeting-ok": (("--fault", "no-greeting-ok"), "none"),
    "silent": (("--fault", "silent"), "none"),
    "no-stls": ((), "stls"),
    "cleartext-on-implicit-tls": ((), "implicit"),
}


@pytest.mark.parametrize("failure", sorted(FAILURES))
def test_connect_after_failed_connect_as_blocking(server_factory, failure):
    fault, tls = FAILURES[failure]
    good = server_factory("--user", "alice:secret",
                          messages={"alice": {"a.eml": MSG1}})
    bad = None if failure == "refused" else server_factory(
        "--user", "alice:secret", *fault)
    bad_port = unused_port() if bad is None else bad.port

    def blocking():
        c = pop3.Client(tls=tls, timeout=0.5)
        out = [result(lambda: c.connect("127.0.0.1", bad_port)), c.state,
               c.server_text, result(c.noop)]
        out += [result(lambda: c.connect("127.0.0.1", good.port)), c.state]
        c.close()
        out += [result(lambda: c.connect("127.0.0.1", good.port)), c.state]
        c.close()
        return out

    async def aio():
        c = pop3.aio.Client(tls=tls, timeout=0.5)
        out = [await aresult(c.connect("127.0.0.1", bad_port)), c.state,
               c.server_text, await aresult(c.noop())]
        out += [await aresult(c.connect("127.0.0.1", good.port)), c.state]
        await c.close()
        out += [await aresult(c.connect("127.0.0.1", good.port)), c.state]
        await c.close()
        return out

    want = blocking()
    sticky = failure not in ("refused", "greeting-err")
    assert (want[4] == want[0]) == sticky
    assert (want[4] == "ok") == (not sticky and tls == "none")
    assert run(aio()) == want


def test_unreadable_tls_file_costs_no_connection(server):
    # Loaded before the network, as by the C client: a TLS error that
    # leaves no session to fail, so nothing sticks.
    kw = dict(tls="implicit", ca_file=str(server.tmp / "missing.pem"),
              timeout=10)
    c = pop3.Client(**kw)
    want = [result(lambda: c.connect("127.0.0.1", server.port))[:2],
            result(c.noop)[:2], c.state]

    async def aio():
        c = pop3.aio.Client(**kw)
        return [(await aresult(c.connect("127.0.0.1", server.port)))[:2],
                (await aresult(c.noop()))[:2], c.state]
    assert want == [("TLSError", 800), ("StateError", 200),
                    pop3.State.DISCONNECTED]
    assert run(aio()) == want
    assert "#CONNECT" not in server.log_text()
