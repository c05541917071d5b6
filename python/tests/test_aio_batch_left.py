"""pop3.aio's batches where they are not read to the end: a -ERR [AUTH]
for one message, a batch left by `break` after an error body or by an
exception inside `async with`, a timeout in the middle, and
capabilities() while a body is open.  Where pop3.Client has the same
calls, both clients run them and must agree."""

import asyncio
import time

import pytest

import pop3
import pop3.aio
from conftest import MSG1, MSG2, MSG3, client_for, run, sessions


def aio_client(srv, **kw):
    kw.setdefault("tls", "none")
    kw.setdefault("timeout", 10)
    return pop3.aio.Client(**kw)


def outcome(n, err):
    return (n, type(err).__name__, err.status, err.server_text,
            err.operation)


# -- -ERR [AUTH] for one message of a batch ------------------------------

# RETR 2 gets -ERR [AUTH]: an authentication error by its code (RFC 3206),
# but the answer to that one command; the batch goes on with RETR 3.
AUTH_ERR_SCENARIO = """\
S +OK ready\\r\\n
C CAPA
S +OK\\r\\nUSER\\r\\nPIPELINING\\r\\n.\\r\\n
C USER alice
C*
S +OK\\r\\n+OK logged in\\r\\n
C CAPA
C STAT
S +OK\\r\\nPIPELINING\\r\\n.\\r\\n+OK 3 30\\r\\n
C RETR 1
C RETR 2
C RETR 3
S +OK\\r\\nmsg1\\r\\n.\\r\\n-ERR [AUTH] not yours\\r\\n
S +OK\\r\\nmsg3\\r\\n.\\r\\n
C NOOP
S +OK\\r\\n
C QUIT
S +OK bye\\r\\n
E
"""


@pytest.fixture
def auth_err_servers(server_factory, tmpdir_path):
    path = tmpdir_path / "auth-err.scenario"
    path.write_text(AUTH_ERR_SCENARIO)
    return [server_factory("--scenario", str(path)) for _ in range(2)]


def test_auth_err_for_one_message_as_blocking(auth_err_servers):
    srv_b, srv_a = auth_err_servers
    want = []
    with client_for(srv_b) as c:
        c.capabilities()
        c.login("alice", "secret")
        for n, body in c.retrieve_many([1, 2, 3]):
            try:
                want.append((n, b"".join(body)))
            except pop3.Error as e:
                want.append(outcome(n, e))
        c.noop()
        c.quit()
        want.append(c.state)

    async def go():
        got = []
        c = aio_client(srv_a)
        await c.connect("127.0.0.1", srv_a.port)
        await c.capabilities()
        await c.login("alice", "secret")
        async for n, body in c.retrieve_many([1, 2, 3]):
            try:
                got.append((n, await body.read()))
            except pop3.Error as e:
                got.append(outcome(n, e))
        await c.noop()  # the batch is over, the session goes on
        await c.quit()
        got.append(c.state)
        return got

    got = run(go())
    assert got == want
    assert got == [(1, b"msg1\r\n"),
                   (2, "AuthenticationError", 400, "not yours",
                    "retrieve_many 2"),
                   (3, b"msg3\r\n"), pop3.State.UPDATE]
    srv_b.stop()
    srv_a.stop()
    assert sessions(srv_a) == sessions(srv_b)
    assert "#MISMATCH" not in srv_a.log_text()


def test_auth_err_then_aclose_frees_the_client(auth_err_servers):
    # The batch is kept (a variable) and closed once the error is seen:
    # RETR 3's reply is read and dropped, the next command goes out.
    srv = auth_err_servers[0]

    async def go():
        async with aio_client(srv) as c:
            await c.connect("127.0.0.1", srv.port)
            await c.capabilities()
            await c.login("alice", "secret")
            batch = c.retrieve_many([1, 2, 3])
            await batch.__anext__()
            n, body = await batch.__anext__()
            assert n == 2 and type(body.error) is pop3.AuthenticationError
            await batch.aclose()
            await c.noop()
            assert c.state is pop3.State.TRANSACTION
    run(go())
    srv.stop()
    assert "#MISMATCH" not in srv.log_text()


# -- a batch left early ---------------------------------------------------

@pytest.mark.parametrize("read_it", [False, True])
def test_break_after_error_body_then_next_command(server, read_it):
    # The error body, still referenced after `break`, must not keep its
    # batch alive (read or not): the batch is drained before the next
    # command.
    def blocking():
        with client_for(server) as c:
            c.login("alice", "secret")
            for n, body in c.retrieve_many([9, 1, 2]):
                if read_it:
                    with pytest.raises(pop3.ServerError):
                        b"".join(body)
                break
            assert n == 9 and body.error is not None
            c.noop()
            return b"".join(c.retrieve(3)), body.error.server_text

    async def aio():
        async with aio_client(server) as c:
            await c.connect("127.0.0.1", server.port)
            await c.login("alice", "secret")
            async for n, body in c.retrieve_many([9, 1, 2]):
                if read_it:
                    with pytest.raises(pop3.ServerError):
                        await body.read()
                break
            assert n == 9 and body.error is not None
            await c.noop()
            return await c.retrieve(3).read(), body.error.server_text

    want = blocking()
    assert want == (MSG3, "no such message")
    assert run(aio()) == want
    first, second = sessions(server)
    assert first == second
    assert first[-4:] == ["RETR 2", "NOOP", "RETR 3", "QUIT"]


@pytest.mark.parametrize("close_it", [False, True])
def test_exception_in_async_with_then_next_command(server, close_it):
    class Oops(Exception):
        pass
    seen = []

    async def go():
        async with aio_client(server, trace=lambda d, line: seen.append(
                (d, line))) as c:
            await c.connect("127.0.0.1", server.port)
            await c.login("alice", "secret")
            with pytest.raises(Oops):
                async with c.retrieve_many([1, 2, 3]) as batch:
                    n, body = await batch.__anext__()
                    await body.__anext__()
                    raise Oops()
            # `batch` is still referenced, but the block's exit let it
            # go: its replies are read and dropped by aclose(), or else
            # before the next command.
            if close_it:
                del seen[:]
                await batch.aclose()
                assert [d for d, _ in seen] == ["recv", "recv"]  # 2, 3
            await c.noop()
            assert [x async for x in batch] == []
            with pytest.raises(pop3.StateError, match="abandoned"):
                await body.__anext__()
            return await c.retrieve(2).read()
    assert run(go()) == MSG2
    assert server.sent_lines()[-6:] == ["RETR 1", "RETR 2", "RETR 3",
                                        "NOOP", "RETR 2", "QUIT"]


def test_timeout_mid_batch_commits_nothing(server_factory):
    srv = server_factory("--user", "alice:secret", "--fault",
                         "never-end-body",
                         messages={"alice": {"a.eml": MSG1, "b.eml": MSG2}})

    async def go():
        async with aio_client(srv) as c:
            await c.connect("127.0.0.1", srv.port)
            await c.login("alice", "secret")
            await c.delete(1)  # marked, never to be committed
            batch = c.retrieve_many([2])
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(0.3):
                    async for _, body in batch:
                        await body.read()
            assert c.state is pop3.State.DISCONNECTED
            with pytest.raises(pop3.ConnectionError):
                await c.noop()  # the session failed; it says so
            assert [x async for x in batch] == []
    run(go())
    assert sorted(p.name for p in (srv.maildrop / "alice").iterdir()) == [
        "a.eml", "b.eml"]
    assert "QUIT" not in srv.sent_lines()


def test_then_quit_commits_even_if_the_reply_is_never_read(server_factory):
    # The caveat of then_quit: QUIT leaves with the last command, so a
    # session dropped after that write may still commit its deletions.
    srv = server_factory("--user", "alice:secret", messages={"alice": {
        "a.eml": MSG1, "b.eml": MSG2, "c.eml": MSG1}})
    drop = srv.maildrop / "alice" / "a.eml"

    def soon(cond):
        deadline = time.monotonic() + 5
        while not cond() and time.monotonic() < deadline:
            time.sleep(0.02)
        return cond()

    async def go():
        c = aio_client(srv)
        await c.connect("127.0.0.1", srv.port)
        await c.capabilities()  # PIPELINING
        await c.login("alice", "secret")
        await c.delete(1)
        batch = c.retrieve_many([2, 3], then_quit=True)
        await batch.__anext__()  # one reply read; RETR 3 and QUIT are out
        with pytest.raises(pop3.StateError):
            await c.noop()
        assert soon(lambda: "QUIT" in srv.sent_lines())
        await c.close()  # QUIT's reply never read
    run(go())
    assert soon(lambda: not drop.exists())


# -- capabilities() while a body is open ----------------------------------

def test_capabilities_while_a_body_is_read_as_blocking(server):
    def blocking():
        with client_for(server) as c:
            c.login("alice", "secret")
            body = c.retrieve(1)
            next(body)
            with pytest.raises(pop3.BusyError):
                c.capabilities()
            body.close()
            batch = c.retrieve_many([1, 2])
            next(batch)
            with pytest.raises(pop3.BusyError):
                c.capabilities()
            batch.close()
            for _ in c.retrieve(2):
                break
            return sorted(c.capabilities())

    async def aio():
        async with aio_client(server) as c:
            await c.connect("127.0.0.1", server.port)
            await c.login("alice", "secret")
            body = c.retrieve(1)
            await body.__anext__()
            with pytest.raises(pop3.BusyError):
                await c.capabilities()
            await body.aclose()
            batch = c.retrieve_many([1, 2])
            await batch.__anext__()
            with pytest.raises(pop3.BusyError):
                await c.capabilities()
            await batch.aclose()
            async for _ in c.retrieve(2):
                break
            return sorted(await c.capabilities())

    want = blocking()
    assert "PIPELINING" in want
    assert run(aio()) == want
    first, second = sessions(server)
    assert first == second
    assert first.count("CAPA") == 2  # before the batch, after the break
