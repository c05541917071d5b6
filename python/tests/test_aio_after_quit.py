"""pop3.aio.Client against pop3.Client where they once differed: what is
readable after QUIT, a QUIT refused before it goes out, and a body left
by `break` before the next command."""

import pytest

import pop3
import pop3.aio
from conftest import MSG1, MSG2, client_for, run, sessions

SEEN = ("state", "server_text", "resp_code", "auth_used", "is_tls",
        "is_utf8")


def seen(c, greeting):
    """What `c` shows; `greeting`: what it greeted with (per session)."""
    out = {name: getattr(c, name) for name in SEEN}
    out["greeting kept"] = (c.greeting, c.apop_timestamp) == greeting
    return out


def aio_client(srv):
    return pop3.aio.Client("127.0.0.1", srv.port, tls="none", timeout=10)


@pytest.mark.parametrize("log_in", [True, False])
def test_after_quit_as_blocking(server, log_in):
    c = client_for(server)
    greeting = c.greeting, c.apop_timestamp
    if log_in:
        c.login("alice", "secret")
    c.quit()
    want = seen(c, greeting)
    c.close()

    async def go():
        c = aio_client(server)
        await c.connect("127.0.0.1", server.port)
        greeting = c.greeting, c.apop_timestamp
        if log_in:
            await c.login("alice", "secret")
        await c.quit()
        return seen(c, greeting)
    got = run(go())
    assert want["server_text"].startswith("POP3 test server signing off")
    assert got == want


def test_quit_refused_keeps_the_session(server):
    # QUIT refused while a body is read: nothing goes out, the session
    # goes on (and nothing is committed).
    def blocking():
        c = client_for(server)
        c.login("alice", "secret")
        body = c.retrieve(1)
        next(body)
        with pytest.raises(pop3.BusyError):
            c.quit()
        state = c.state
        body.close()
        c.noop()
        c.quit()
        return state, c.state

    async def aio():
        c = aio_client(server)
        await c.connect("127.0.0.1", server.port)
        await c.login("alice", "secret")
        body = c.retrieve(1)
        await body.__anext__()
        with pytest.raises(pop3.BusyError):
            await c.quit()
        state = c.state
        await body.aclose()
        await c.noop()
        await c.quit()
        return state, c.state

    want = blocking()
    assert want == (pop3.State.TRANSACTION, pop3.State.UPDATE)
    assert run(aio()) == want
    first, second = sessions(server)
    assert first == second


def test_body_left_by_break_as_blocking(server):
    # The rest of a body dropped unfinished is read before the next
    # command, so the session goes on.
    def blocking():
        with client_for(server) as c:
            c.login("alice", "secret")
            for _ in c.retrieve(2):
                break
            c.noop()
            return b"".join(c.retrieve(1)), b"".join(c.top(2, 0))

    async def aio():
        async with aio_client(server) as c:
            await c.login("alice", "secret")
            async for _ in c.retrieve(2):
                break
            await c.noop()
            return await c.retrieve(1).read(), await c.top(2, 0).read()

    want = blocking()
    assert want[0] == MSG1 and MSG2.startswith(want[1])
    assert run(aio()) == want
    first, second = sessions(server)
    assert first == second
