"""pop3.aio against Dovecot on loopback (users aio1..aio4, listed by the
dovecot fixture in tests/CMakeLists.txt): every method, the automatic
login choice, TLS both ways, concurrent sessions, the pipelined batches
and login."""

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


def test_batches_same_as_blocking(aio_dovecot):
    # The pipelined login, the batches, utf8() and QUIT with the last
    # RETR on a real server: the same results, commands and final
    # maildrop from pop3.Client and pop3.aio.Client.
    d = aio_dovecot

    def blocking():
        d.seed_two("aio1")
        sent = []
        with pop3.Client(d.host, d.port, tls="none", timeout=20,
                         trace=lambda w, line: w == "send"
                         and sent.append(line)) as c:
            try:
                c.utf8()
                out = ["utf8", c.is_utf8]
            except pop3.UnsupportedError:
                out = ["no utf8"]
            assert "PIPELINING" in c.capabilities()
            c.login("aio1", PASSWORD)
            out.append(tuple(c.stat()))
            out += [(n, b"".join(b)) for n, b in c.retrieve_many([2, 1])]
            out += [(n, b"".join(b)) for n, b in c.top_many([1, 2], 0)]
            with pytest.raises(pop3.ServerError) as e:
                c.delete_many([1, 3])
            out.append((sorted(e.value.failed), e.value.deleted))
            out.append(tuple(c.stat()))
            c.reset()
            c.delete_many([1])
            out += [(n, b"".join(b)) for n, b in
                    c.retrieve_many([2], then_quit=True)]
        return out, sent, d.count("aio1")

    async def aio():
        d.seed_two("aio1")
        sent = []
        async with client(d, trace=lambda w, line: w == "send"
                          and sent.append(line)) as c:
            try:
                await c.utf8()
                out = ["utf8", c.is_utf8]
            except pop3.UnsupportedError:
                out = ["no utf8"]
            assert "PIPELINING" in await c.capabilities()
            await c.login("aio1", PASSWORD)
            out.append(tuple(await c.stat()))
            out += [(n, await b.read()) async for n, b in
                    c.retrieve_many([2, 1])]
            out += [(n, await b.read()) async for n, b in
                    c.top_many([1, 2], 0)]
            with pytest.raises(pop3.ServerError) as e:
                await c.delete_many([1, 3])
            out.append((sorted(e.value.failed), e.value.deleted))
            out.append(tuple(await c.stat()))
            await c.reset()
            await c.delete_many([1])
            out += [(n, await b.read()) async for n, b in
                    c.retrieve_many([2], then_quit=True)]
        return out, sent, d.count("aio1")

    want = blocking()
    got = run(aio())
    assert got == want
    out, sent, left = got
    stat0, r2, r1, t1, t2, dele, stat1, last = out[-8:]
    assert stat0 == (2, len(MSG1) + len(MSG2))
    assert (r2, r1) == ((2, MSG2), (1, MSG1))
    assert t1[1].endswith(b"Subject: first\r\n\r\n") and t2[0] == 2
    assert dele == ([3], [1]) and stat1 == (1, len(MSG2))
    assert last == (2, MSG2) and left == 1
    assert sent.count("STAT") == 2  # the login's, and one after DELE
    assert sent[-2:] == ["RETR 2", "QUIT"]


@pytest.mark.parametrize("how", ["cancel", "timeout"])
def test_interrupted_batch_leaves_dovecot_maildrop(aio_dovecot, how):
    # A task cancelled, or an asyncio.timeout() expiring, while a batch
    # is in flight (its RETRs sent, the second body half read): the
    # connection is dropped without QUIT, the marked deletion is not
    # committed, and the client reports the failure until close().
    d = aio_dovecot
    assert d.seed("aio1", generate=(6, 200_000)) == 6
    sent = []

    async def reader(c, midway):
        async for n, body in c.retrieve_many(range(2, 7)):
            async for _ in body:
                if n == 3:
                    midway()

    async def go():
        c = client(d, trace=lambda w, line: w == "send" and sent.append(line))
        await c.connect(d.host, d.port)
        await c.login("aio1", PASSWORD)
        await c.delete(1)
        if how == "cancel":
            started = asyncio.Event()
            task = asyncio.create_task(reader(c, started.set))
            await started.wait()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
        else:
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(None) as t:
                    loop = asyncio.get_running_loop()
                    await reader(c, lambda: t.reschedule(loop.time()))
        assert c.state is pop3.State.DISCONNECTED
        with pytest.raises(pop3.ConnectionError):
            await c.noop()
        await c.close()
    run(go())
    assert "QUIT" not in sent
    assert [s for s in sent if s.startswith("RETR")] == [
        f"RETR {n}" for n in range(2, 7)]
    assert d.count("aio1") == 6


def test_early_capa_and_assumed_pipelining(aio_dovecot):
    # early_capa, pipelining="assume" and pipeline_login on a real server:
    # CAPA goes before the greeting is read, the login and its CAPA and
    # STAT in one write, then a batch (on the PIPELINING of the login's
    # CAPA); over STLS the early CAPA is the one checked for STLS, and
    # CAPA is asked again under TLS only.  Without early_capa, "assume"
    # alone logs in with no CAPA first.  (aio4 is also used by
    # test_concurrent_sessions; each test seeds it afresh.)
    d = aio_dovecot

    async def session(early_capa=True, **kw):
        d.seed_two("aio4")
        trace = []
        async with client(d, early_capa=early_capa, pipelining="assume",
                          pipeline_login=True,
                          trace=lambda w, line: trace.append((w, line)),
                          **kw) as c:
            await c.login("aio4", PASSWORD)
            assert await c.stat() == (2, len(MSG1) + len(MSG2))
            got = [(n, await b.read()) async for n, b in
                   c.retrieve_many([1, 2], then_quit=True)]
            assert got == [(1, MSG1), (2, MSG2)]
        if early_capa:
            assert trace[0] == ("send", "CAPA")
            assert trace[1][0] == "recv" and trace[1][1].startswith("+OK")
        return [line for w, line in trace if w == "send"]

    login = ["USER aio4", "PASS ****", "CAPA", "STAT", "RETR 1", "RETR 2",
             "QUIT"]

    async def go():
        assert await session() == ["CAPA"] + login
        assert await session(early_capa=False) == login
        if d.ca_file:
            assert await session(tls="stls", ca_file=d.ca_file) == [
                "CAPA", "STLS", "CAPA"] + login
    run(go())
