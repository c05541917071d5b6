"""pop3.aio against Dovecot on loopback (users aio1..aio4, listed by the
dovecot fixture in tests/CMakeLists.txt): every method, the automatic
login choice, TLS both ways, concurrent sessions."""

import asyncio
from pathlib import Path

import pytest

import pop3
import pop3.aio
from conftest import MSG1, MSG2

PASSWORD = "secret"


@pytest.fixture
def aio_dovecot(dovecot, tmpdir_path):
    """The fixture's Dovecot, if it has our users; seed(user) gives one
    MSG1 and MSG2."""
    passwd = Path(dovecot.dir) / "passwd"
    if not passwd.is_file() or "aio1:" not in passwd.read_text():
        pytest.skip("this Dovecot has no aio users (run through CTest)")

    def seed(user):
        files = []
        for i, data in enumerate((MSG1, MSG2), 1):
            path = tmpdir_path / f"m{i}.eml"
            path.write_bytes(data)
            files.append(str(path))
        assert dovecot.seed(user, files) == 2
    dovecot.seed_two = seed
    return dovecot


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 60))


def client(d, **kw):
    kw.setdefault("tls", "none")
    kw.setdefault("timeout", 20)
    return pop3.aio.Client(d.host, d.port, **kw)


def test_every_method(aio_dovecot):
    d = aio_dovecot
    d.seed_two("aio1")

    async def go():
        async with client(d) as c:
            assert c.apop_timestamp
            await c.login("aio1", PASSWORD)
            assert await c.stat() == (2, len(MSG1) + len(MSG2))
            assert await c.list() == {1: len(MSG1), 2: len(MSG2)}
            assert await c.list(2) == len(MSG2)
            uids = await c.uidl()
            assert sorted(uids) == [1, 2] and await c.uidl(1) == uids[1]
            assert await c.retrieve(1).read() == MSG1
            assert b"".join([ch async for ch in c.retrieve(2)]) == MSG2
            assert (await c.top(1, 0).read()).endswith(
                b"Subject: first\r\n\r\n")
            assert (await c.read_message(2))["Subject"] == "dots"
            assert "UIDL" in await c.capabilities()
            await c.noop()
            await c.delete(1)
            assert (await c.stat()).count == 1
            await c.reset()
            await c.delete(2)
    run(go())
    assert d.count("aio1") == 1


def test_logins_and_tls(aio_dovecot):
    d = aio_dovecot
    d.seed_two("aio2")
    if not d.ca_file:
        pytest.skip("Dovecot without TLS")

    async def go():
        async with client(d) as c:
            await c.apop("aio2", PASSWORD)
        async with client(d) as c:
            await c.authenticate("aio2", PASSWORD)
            assert c.auth_used == "SCRAM-SHA-256"
        for mech in ("PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-1"):
            async with client(d) as c:
                await c.auth(mech, "aio2", PASSWORD)
        async with client(d) as c:
            with pytest.raises(pop3.AuthenticationError):
                await c.login("aio2", "wrong")
        async with pop3.aio.Client("localhost", d.port, tls="stls",
                                   ca_file=d.ca_file, timeout=20) as c:
            assert c.is_tls
            await c.authenticate("aio2", PASSWORD)
            assert await c.retrieve(1).read() == MSG1
        if d.pop3s_port:
            async with pop3.aio.Client("127.0.0.1", d.pop3s_port,
                                       tls="implicit", ca_file=d.ca_file,
                                       timeout=20) as c:
                await c.login("aio2", PASSWORD)
                assert (await c.stat()).count == 2
    run(go())


def test_concurrent_sessions(aio_dovecot):
    d = aio_dovecot
    for u in ("aio3", "aio4"):
        d.seed_two(u)

    async def one(user):
        async with client(d) as c:
            await c.login(user, PASSWORD)
            return [await c.retrieve(n).read() for n in (1, 2)]

    async def go():
        # Sessions of different users at once; 20 rounds through one loop.
        results = []
        for _ in range(10):
            results += await asyncio.gather(one("aio3"), one("aio4"))
        return results
    assert all(r == [MSG1, MSG2] for r in run(go()))


def test_cancel_leaves_dovecot_maildrop(aio_dovecot):
    d = aio_dovecot
    d.seed_two("aio1")

    async def go():
        c = client(d)
        with pytest.raises(asyncio.CancelledError):
            async with c:
                await c.login("aio1", PASSWORD)
                await c.delete(1)
                await c.delete(2)
                asyncio.current_task().cancel()
                await c.noop()
    run(go())
    assert d.count("aio1") == 2
