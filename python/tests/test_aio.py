"""pop3.aio against the scripted server: every method, the same results as
the blocking client, TLS, many sessions in one loop, cancellation and
timeouts that never commit a deletion."""

import asyncio
import sys

import pytest

import pop3
import pop3.aio
from conftest import MSG1, MSG2, MSG3, SOURCE_DIR, aio_for, client_for, run


def test_every_method_same_as_blocking(server):
    with client_for(server) as c:
        c.login("alice", "secret")
        want = (c.stat(), c.list(), c.uidl(), c.list(2), c.uidl(3),
                [b"".join(c.retrieve(n)) for n in (1, 2, 3)],
                b"".join(c.top(1, 0)))
        c.reset()

    async def go():
        async with aio_for(server) as c:
            assert c.state is pop3.State.AUTHORIZATION
            assert c.apop_timestamp and c.greeting.endswith(c.apop_timestamp)
            await c.login("alice", "secret")
            assert c.state is pop3.State.TRANSACTION
            got = (await c.stat(), await c.list(), await c.uidl(),
                   await c.list(2), await c.uidl(3),
                   [await c.retrieve(n).read() for n in (1, 2, 3)],
                   await c.top(1, 0).read())
            chunks = [ch async for ch in c.retrieve(2)]
            assert b"".join(chunks) == MSG2
            assert (await c.read_message(1))["Subject"] == "first"
            caps = await c.capabilities()
            assert "UIDL" in caps and "TOP" in caps
            await c.noop()
            await c.delete(1)
            assert (await c.stat()).count == 2
            await c.reset()
            await c.delete(3)
            return got
        # leaving the block sent QUIT: message 3 is gone
    got = run(go())
    assert got == want
    assert got[5] == [MSG1, MSG2, MSG3]
    assert sorted(p.name for p in (server.maildrop / "alice").iterdir()) == \
        ["u1.eml", "u2.eml"]
    assert "QUIT" in server.sent_lines()


@pytest.mark.parametrize("how", ["login", "apop", "authenticate", "PLAIN",
                                 "LOGIN", "CRAM-MD5", "SCRAM-SHA-1",
                                 "SCRAM-SHA-256"])
def test_authentication(server_factory, how):
    srv = server_factory("--user", "alice:s3cr=t,x", "--apop", "--sasl",
                         "all", messages={"alice": {"a.eml": MSG1}})

    async def go():
        async with aio_for(srv, trace=lambda d, line: lines.append(line)) as c:
            if how in ("login", "apop", "authenticate"):
                await getattr(c, how)("alice", "s3cr=t,x")
            else:
                await c.auth(how, "alice", "s3cr=t,x")
            assert (await c.stat()).count == 1
            return c.auth_used
    lines = []
    used = run(go())
    if how == "authenticate":
        assert used == "SCRAM-SHA-256"
    assert not any("s3cr" in line for line in lines)  # secrets masked


def test_wrong_password_and_codes(server_factory):
    srv = server_factory("--user", "alice:secret", "--apop", "--sasl",
                         "all", messages={"alice": {}})
    busy = server_factory("--user", "alice:secret", "--fault", "in-use")

    async def go():
        async with aio_for(srv) as c:
            with pytest.raises(pop3.AuthenticationError) as e:
                await c.login("alice", "wrong")
            assert e.value.resp_code == "AUTH"
        async with aio_for(srv) as c:
            with pytest.raises(pop3.AuthenticationError):
                await c.auth("SCRAM-SHA-256", "alice", "wrong")
        async with aio_for(busy) as c:
            with pytest.raises(pop3.MailboxInUseError):
                await c.login("alice", "secret")
    run(go())


def test_bad_arguments_send_nothing(server):
    async def go():
        async with aio_for(server) as c:
            for bad in ("a\r\nDELE 1", "a\nb", "a\0b"):
                with pytest.raises(pop3.ArgumentError):
                    await c.login(bad, "secret")
            with pytest.raises(pop3.ArgumentError):
                await c.login("alice", "x" * 300)  # over 255 octets
            with pytest.raises(pop3.StateError):
                await c.stat()  # not logged in: refused locally
            with pytest.raises(pop3.ArgumentError):
                c.retrieve(0)
            with pytest.raises(pop3.UnsupportedError):
                await c.auth("NTLM", "alice", "secret")
            await c.login("alice", "secret")
            body = c.retrieve(1)
            assert await body.__anext__()
            with pytest.raises(pop3.BusyError):
                await c.noop()
            await body.aclose()
            await c.noop()
    run(go())
    sent = server.sent_lines()
    assert not any(line.startswith(("DELE", "STAT")) for line in sent)
    assert sent.count("USER alice") == 1


def test_many_sessions_one_loop(server_factory):
    n = 100
    users = {f"u{i}": {"m.eml": MSG1 + f"X-N: {i}\r\n".encode()}
             for i in range(n)}
    args = [a for u in users for a in ("--user", f"{u}:pw")]
    srv = server_factory(*args, messages=users)

    async def one(i):
        async with aio_for(srv, timeout=20) as c:
            await c.login(f"u{i}", "pw")
            body = await c.retrieve(1).read()
            assert body.endswith(f"X-N: {i}\r\n".encode())
            return len(body)

    async def go():
        return await asyncio.gather(*(one(i) for i in range(n)))
    sizes = run(go())
    assert len(sizes) == n
    assert server_quits(srv) == n


def server_quits(srv):
    return srv.sent_lines().count("QUIT")


def test_cancel_mid_body_commits_nothing(server_factory):
    srv = server_factory("--user", "alice:secret", "--fault",
                         "never-end-body",
                         messages={"alice": {"a.eml": MSG1, "b.eml": MSG2}})
    started = None

    async def reader(c):
        async for _ in c.retrieve(2):
            started.set()

    async def go():
        nonlocal started
        started = asyncio.Event()
        c = aio_for(srv)
        with pytest.raises(asyncio.CancelledError):
            async with c:
                await c.login("alice", "secret")
                await c.delete(1)  # marked, never to be committed
                task = asyncio.create_task(reader(c))
                await started.wait()
                task.cancel()
                await task
        assert c.state is pop3.State.DISCONNECTED
    run(go())
    assert sorted(p.name for p in (srv.maildrop / "alice").iterdir()) == \
        ["a.eml", "b.eml"]
    assert "QUIT" not in srv.sent_lines()


def test_timeouts(server_factory):
    silent = server_factory("--user", "alice:secret", "--fault", "silent")
    stall = server_factory("--user", "alice:secret", "--fault",
                           "never-end-body", messages={"alice": {
                               "a.eml": MSG1, "b.eml": MSG2}})

    async def go():
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        with pytest.raises(pop3.TimeoutError):
            async with aio_for(silent, timeout=0.3):
                pass
        assert loop.time() - t0 < 3
        # the client's own timeout, per chunk
        async with aio_for(stall, timeout=0.3) as c:
            await c.login("alice", "secret")
            await c.delete(1)
            with pytest.raises(TimeoutError):
                await c.retrieve(2).read()
            assert c.state is pop3.State.DISCONNECTED
            with pytest.raises(pop3.TimeoutError):
                await c.noop()  # the failure sticks until close()
        # the caller's asyncio.timeout around a whole operation
        async with aio_for(stall) as c:
            await c.login("alice", "secret")
            await c.delete(1)
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(0.3):
                    await c.retrieve(2).read()
    run(go())
    assert (stall.maildrop / "alice" / "a.eml").exists()
    assert "QUIT" not in stall.sent_lines()


def test_protocol_errors(server_factory):
    srv = server_factory("--user", "alice:secret", "--fault", "nul-status",
                         messages={"alice": {"a.eml": MSG1}})
    eof = server_factory("--user", "alice:secret", "--fault",
                         "close-mid-body", messages={"alice": {
                             "a.eml": MSG1 * 200}})

    async def go():
        async with aio_for(srv) as c:
            await c.login("alice", "secret")
            with pytest.raises(pop3.ProtocolError):
                await c.stat()
            assert c.state is pop3.State.DISCONNECTED
        async with aio_for(eof) as c:
            await c.login("alice", "secret")
            with pytest.raises(pop3.ConnectionError):
                await c.retrieve(1).read()
    run(go())


@pytest.fixture
def tls_files(tmpdir_path):
    sys.path.insert(0, str(SOURCE_DIR / "tests/server"))
    import certs
    d = tmpdir_path / "tls"
    certs.make(str(d))
    return d


def test_tls(server_factory, tls_files):
    tls = ("--tls-cert", str(tls_files / "server.pem"),
           "--tls-key", str(tls_files / "server.key"))
    stls = server_factory("--user", "alice:secret", *tls,
                          messages={"alice": {"a.eml": MSG1}})
    implicit = server_factory("--user", "alice:secret", "--implicit-tls",
                              *tls, messages={"alice": {"a.eml": MSG1}})
    inject = server_factory("--user", "alice:secret", "--fault",
                            "stls-inject", *tls)
    plain = server_factory("--user", "alice:secret")
    ca = str(tls_files / "ca.pem")

    async def go():
        async with aio_for(stls, tls="stls", ca_file=ca,
                           server_name="localhost") as c:
            assert c.is_tls
            await c.authenticate("alice", "secret")  # USER under TLS
            assert await c.retrieve(1).read() == MSG1
        async with aio_for(implicit, tls="implicit", ca_file=ca) as c:
            assert c.is_tls  # verified against 127.0.0.1 in the SAN
            await c.login("alice", "secret")
        with pytest.raises(pop3.CertificateError):
            async with aio_for(implicit, tls="implicit"):
                pass  # not our CA: refused
        with pytest.raises(pop3.ProtocolError):
            async with aio_for(inject, tls="stls", ca_file=ca):
                pass
        with pytest.raises(pop3.TLSUnavailableError):
            async with aio_for(plain, tls="stls", ca_file=ca):
                pass
        async with aio_for(plain) as c:  # cleartext by name only
            with pytest.raises(pop3.AuthUnavailableError):
                async with aio_for(plain, tls="stls_if_offered") as c2:
                    await c2.authenticate("alice", "secret")
            await c.login("alice", "secret")
    run(go())
    for srv in (inject, plain):
        assert not any(line.startswith(("USER", "PASS"))
                       for line in srv.sent_lines()[:2])
