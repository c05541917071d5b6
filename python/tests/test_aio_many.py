"""pop3.aio's retrieve_many / top_many / delete_many, the pipelined login
and utf8(), against the scripted server (which lists PIPELINING and
answers commands that arrive together in order): the semantics of
test_many.py, and the same results and bytes on the wire as pop3.Client
on the same calls."""

import pytest

import pop3
import pop3.aio
from conftest import MSG1, MSG2, MSG3, aio_for, client_for, run, sessions


async def logged_in(srv, **kw):
    c = aio_for(srv, **kw)
    await c.__aenter__()
    await c.login("alice", "secret")
    return c


def commands(srv, verb):
    return [ln for ln in srv.sent_lines() if ln.startswith(verb)]


async def pairs_of(batch):
    """[(n, body bytes or the body's error)] of a whole batch."""
    out = []
    async for n, body in batch:
        try:
            out.append((n, await body.read()))
        except pop3.ServerError as e:
            out.append((n, e))
    return out


def test_retrieve_many_in_order_and_pipelined(server):
    seen = []

    async def go():
        async with aio_for(server, trace=lambda d, l: seen.append((d, l))) \
                as c:
            await c.login("alice", "secret")
            assert "PIPELINING" in await c.capabilities()
            del seen[:]
            return await pairs_of(c.retrieve_many([3, 1, 2]))
    assert run(go()) == [(3, MSG3), (1, MSG1), (2, MSG2)]
    first_recv = next(i for i, (d, _) in enumerate(seen) if d == "recv")
    assert [l for _, l in seen[:first_recv]] == ["RETR 3", "RETR 1",
                                                 "RETR 2"]


def test_err_in_the_middle_goes_on(server):
    async def go():
        c = await logged_in(server)
        got = await pairs_of(c.retrieve_many([1, 9, 2]))
        await c.noop()  # the batch is over: the session goes on
        count = (await c.stat()).count
        await c.quit()
        return got, count
    got, count = run(go())
    assert got[0] == (1, MSG1) and got[2] == (2, MSG2) and count == 3
    n, err = got[1]
    assert n == 9 and type(err) is pop3.ServerError
    assert err.server_text == "no such message"
    assert err.operation == "retrieve_many 9"


def test_error_body_raises_every_time(server):
    async def go():
        c = await logged_in(server)
        batch = c.retrieve_many([9, 1])
        n, body = await batch.__anext__()
        assert n == 9 and isinstance(body.error, pop3.ServerError)
        for _ in range(2):
            with pytest.raises(pop3.ServerError):
                await body.__anext__()
        await body.aclose()  # nothing to drop
        n, body = await batch.__anext__()
        assert (n, body.error, await body.read()) == (1, None, MSG1)
        with pytest.raises(StopAsyncIteration):
            await batch.__anext__()
        await c.quit()
    run(go())


def test_unread_bodies_are_skipped_old_ones_abandoned(server):
    async def go():
        c = await logged_in(server)
        assert [n async for n, _ in c.retrieve_many([1, 2, 3])] == [1, 2, 3]
        assert await c.retrieve(2).read() == MSG2
        batch = c.retrieve_many([1, 2])
        _, first = await batch.__anext__()
        _, second = await batch.__anext__()
        with pytest.raises(pop3.StateError, match="abandoned"):
            await first.__anext__()
        assert await second.read() == MSG2
        assert [x async for x in batch] == []
        await c.quit()
    run(go())


def test_break_then_next_command(server):
    async def go():
        c = await logged_in(server)
        async for n, body in c.retrieve_many([1, 2, 3]):
            await body.__anext__()
            break
        # The dropped batch's replies are read and discarded first.
        assert (await c.stat()).count == 3
        assert await c.retrieve(3).read() == MSG3
        await c.quit()
    run(go())


def test_busy_while_a_batch_runs_and_aclose(server):
    async def go():
        c = await logged_in(server)
        async with c.retrieve_many([1, 2]) as batch:
            await batch.__anext__()
            with pytest.raises(pop3.BusyError):
                await c.stat()
            with pytest.raises(pop3.BusyError):
                await c.delete_many([1])
            with pytest.raises(pop3.BusyError):
                await c.retrieve_many([1]).__anext__()
        await c.noop()  # leaving the block closed the batch
        batch = c.retrieve_many([1, 2, 3])
        await batch.__anext__()
        await batch.aclose()
        assert [x async for x in batch] == []
        assert await c.list(1) == len(MSG1)
        await c.quit()
    run(go())
    assert not commands(server, "DELE")


def test_top_many_headers(server):
    async def go():
        c = await logged_in(server)
        got = dict(await pairs_of(c.top_many([1, 2], 0)))
        await c.quit()
        return got
    got = run(go())
    assert got[1] == MSG1.split(b"\r\n\r\n")[0] + b"\r\n\r\n"
    assert got[2].startswith(b"From: b@example.org")
    assert commands(server, "TOP") == ["TOP 1 0", "TOP 2 0"]


def test_bad_arguments_send_nothing(server):
    async def go():
        c = await logged_in(server)
        assert [x async for x in c.retrieve_many([])] == []
        await c.delete_many(())
        with pytest.raises(pop3.ArgumentError):
            c.retrieve_many([1, 0])
        with pytest.raises(TypeError):
            c.retrieve_many("12")
        with pytest.raises(TypeError):
            await c.delete_many([1, "2"])
        with pytest.raises(TypeError):
            c.top_many([1], "0")
        await c.noop()
        await c.quit()
    run(go())
    assert not commands(server, "RETR") and not commands(server, "DELE")


def test_before_login_is_a_state_error(server):
    async def go():
        async with aio_for(server) as c:
            with pytest.raises(pop3.StateError):
                await c.retrieve_many([1]).__anext__()
            with pytest.raises(pop3.StateError):
                await c.delete_many([1])
    run(go())
    assert server.sent_lines() == ["QUIT"]


def test_connection_lost_mid_batch(server_factory):
    srv = server_factory("--user", "alice:secret", "--fault",
                         "close-mid-second-body",
                         messages={"alice": {"a": MSG1, "b": MSG2 * 200}})

    async def go():
        c = await logged_in(srv)
        batch = c.retrieve_many([1, 2])
        n, body = await batch.__anext__()
        assert await body.read() == MSG1
        n, body = await batch.__anext__()
        with pytest.raises(pop3.ConnectionError):
            await body.read()
        assert [x async for x in batch] == []  # the batch ended with it
        with pytest.raises(pop3.ConnectionError):
            await c.noop()  # and so did the session
        await c.close()
    run(go())
    assert len(list((srv.maildrop / "alice").iterdir())) == 2


def test_delete_many(server):
    async def go():
        c = await logged_in(server)
        with pytest.raises(pop3.ServerError) as ei:
            await c.delete_many([1, 9, 3])
        e = ei.value
        assert e.deleted == [1, 3] and list(e.failed) == [9]
        assert type(e.failed[9]) is pop3.ServerError
        assert "refused 1 of 3" in str(e)
        assert (await c.stat()).count == 1  # 1 and 3 stay marked
        await c.reset()
        assert (await c.stat()).count == 3
        await c.delete_many([1, 3])
        await c.quit()
    run(go())
    assert sorted(p.name for p in (server.maildrop / "alice").iterdir()) == [
        "u2.eml"]
    assert commands(server, "DELE") == ["DELE 1", "DELE 9", "DELE 3",
                                        "DELE 1", "DELE 3"]


@pytest.mark.parametrize("one_write", [False, True])
def test_login_pipelined_after_capabilities(server, one_write):
    # USER and PASS go out before the first reply is read, then CAPA and
    # STAT (with pipeline_login, all four at once), as from pop3.Client.
    seen = []

    async def go():
        async with aio_for(server, pipeline_login=one_write,
                           trace=lambda d, l: seen.append((d, l))) as c:
            assert "PIPELINING" in await c.capabilities()
            del seen[:]
            await c.login("alice", "secret")
            first_recv = next(i for i, (d, _) in enumerate(seen)
                              if d == "recv")
            assert [l for _, l in seen[:first_recv]] == (
                ["USER alice", "PASS ****", "CAPA", "STAT"] if one_write
                else ["USER alice", "PASS ****"])
            assert [l for d, l in seen if d == "send"] == [
                "USER alice", "PASS ****", "CAPA", "STAT"]
            with pytest.raises(pop3.ServerError):
                await c.list(7)  # leaves a -ERR text behind
            del seen[:]
            assert await c.stat() == (3, len(MSG1) + len(MSG2) + len(MSG3))
            assert seen == []  # no round trip
            assert (c.server_text, c.resp_code) == (
                f"3 {len(MSG1) + len(MSG2) + len(MSG3)}", "")
            await c.delete(1)
            assert (await c.stat()).count == 2  # asked again after DELE
    run(go())
    assert commands(server, "STAT") == ["STAT", "STAT"]


@pytest.mark.parametrize("one_write", [False, True])
def test_login_pipelined_refused_keeps_the_reason(server, one_write):
    async def go():
        async with aio_for(server, pipeline_login=one_write) as c:
            await c.capabilities()
            with pytest.raises(pop3.AuthenticationError) as e:
                await c.login("alice", "wrong")
            assert c.state is pop3.State.AUTHORIZATION
            # PASS's reply, not the CAPA or STAT read after it
            assert e.value.server_text == c.server_text == \
                "invalid credentials"
            await c.login("alice", "secret")  # still in step
            assert (await c.stat()).count == 3
    run(go())
    # Without pipeline_login, a refused PASS is followed by nothing.
    assert server.sent_lines()[:4] == (
        ["CAPA", "USER alice", "PASS wrong", "CAPA"] if one_write
        else ["CAPA", "USER alice", "PASS wrong", "USER alice"])


def test_retrieve_many_then_quit(server):
    seen = []

    async def go():
        c = await logged_in(server, trace=lambda d, l: seen.append((d, l)))
        await c.capabilities()
        del seen[:]
        got = await pairs_of(c.retrieve_many([1, 2], then_quit=True))
        with pytest.raises(pop3.StateError):
            await c.noop()  # QUIT is out
        with pytest.raises(pop3.StateError):
            await c.delete(1)
        await c.quit()
        return got, c.state
    got, state = run(go())
    assert got == [(1, MSG1), (2, MSG2)]
    assert [l for d, l in seen if d == "send"] == ["RETR 1", "RETR 2",
                                                   "QUIT"]
    assert commands(server, "QUIT") == ["QUIT"]
    assert state is pop3.State.UPDATE  # QUIT's +OK was read


def test_then_quit_without_pipelining_sends_quit_at_quit(server_factory):
    srv = server_factory("--user", "alice:secret", "--fault", "capa-err",
                         messages={"alice": {"a": MSG1, "b": MSG2}})

    async def go():
        c = await logged_in(srv)
        got = await pairs_of(c.retrieve_many([2, 1], then_quit=True))
        await c.noop()  # no QUIT went out: the session goes on
        await c.quit()
        return got
    assert run(go()) == [(2, MSG2), (1, MSG1)]
    # CAPA asked once, then one command at a time
    assert srv.sent_lines() == ["USER alice", "PASS secret", "CAPA",
                                "RETR 2", "RETR 1", "NOOP", "QUIT"]


def test_utf8(server_factory):
    srv = server_factory("--user", "jürgen:pässword", "--utf8",
                         messages={"jürgen": {"a": MSG1}})

    async def go():
        async with aio_for(srv) as c:
            assert not c.is_utf8
            await c.utf8()
            await c.utf8()  # already on: nothing sent
            assert c.is_utf8
            await c.login("jürgen", "pässword")
            assert (await c.stat()).count == 1
            with pytest.raises(pop3.StateError):
                await c.utf8()  # before login only
    run(go())
    assert srv.sent_lines()[:2] == ["CAPA", "UTF8"]


def test_utf8_not_offered(server):
    async def go():
        async with aio_for(server) as c:
            with pytest.raises(pop3.UnsupportedError):
                await c.utf8()
            assert not c.is_utf8
    run(go())
    assert "UTF8" not in server.sent_lines()


@pytest.mark.parametrize("offered", [False, True])
def test_utf8_option_same_as_blocking(server_factory, offered):
    # Client(utf8=True): connect turns it on when offered, else goes on.
    args = ["--user", "alice:secret"] + (["--utf8"] if offered else [])
    srv_b = server_factory(*args, messages={"alice": {"a": MSG1}})
    srv_a = server_factory(*args, messages={"alice": {"a": MSG1}})
    with client_for(srv_b, utf8=True) as c:
        want = c.is_utf8
        c.login("alice", "secret")

    async def go():
        async with aio_for(srv_a, utf8=True) as c:
            got = c.is_utf8
            await c.login("alice", "secret")
            return got
    assert run(go()) == want == offered
    srv_b.stop()
    srv_a.stop()
    assert srv_a.sent_lines() == srv_b.sent_lines()
    assert srv_a.sent_lines()[:2] == (["CAPA", "UTF8"] if offered
                                      else ["CAPA", "USER alice"])


# -- the same as pop3.Client, call by call -------------------------------

def blocking_session(srv, capa_first, nums, then_quit, one_write):
    out = []
    c = client_for(srv, pipeline_login=one_write)
    if capa_first:
        c.capabilities()
    c.login("alice", "secret")
    out.append(tuple(c.stat()))

    def take(batch):
        for n, body in batch:
            try:
                out.append((n, b"".join(body)))
            except pop3.Error as e:
                out.append((n, type(e).__name__, e.status, e.server_text))
    take(c.retrieve_many(nums, then_quit=then_quit))
    if not then_quit:
        take(c.top_many(nums[:2], 1))
        try:
            c.delete_many(nums)
            out.append("deleted")
        except pop3.ServerError as e:
            out.append((sorted(e.failed), e.deleted, e.status))
        out.append(tuple(c.stat()))
    c.quit()
    out.append(c.state.name)
    return out


async def aio_session(srv, capa_first, nums, then_quit, one_write):
    out = []
    c = aio_for(srv, pipeline_login=one_write)
    await c.connect("127.0.0.1", srv.port)
    if capa_first:
        await c.capabilities()
    await c.login("alice", "secret")
    out.append(tuple(await c.stat()))

    async def take(batch):
        async for n, body in batch:
            try:
                out.append((n, await body.read()))
            except pop3.Error as e:
                out.append((n, type(e).__name__, e.status, e.server_text))
    await take(c.retrieve_many(nums, then_quit=then_quit))
    if not then_quit:
        await take(c.top_many(nums[:2], 1))
        try:
            await c.delete_many(nums)
            out.append("deleted")
        except pop3.ServerError as e:
            out.append((sorted(e.failed), e.deleted, e.status))
        out.append(tuple(await c.stat()))
    await c.quit()
    out.append(c.state.name)
    return out


@pytest.mark.parametrize("capa_first,nums,then_quit,faults,one_write", [
    (False, [2, 1, 3], False, (), False),
    (True, [3, 9, 1], False, (), False),  # -ERR mid-batch, pipelined login
    (True, [3, 9, 1], False, (), True),   # ... in one write
    (True, [1, 2], True, (), True),       # QUIT with the batch
    (False, [1, 9, 2], True, ("capa-err",), False),  # no pipelining at all
    (True, [1, 2, 3], False, ("coalesce",), False),
])
def test_same_as_blocking(server_factory, capa_first, nums, then_quit,
                          faults, one_write):
    args = ["--user", "alice:secret"]
    for f in faults:
        args += ["--fault", f]
    mail = {"alice": {"u1.eml": MSG1, "u2.eml": MSG2, "u3.eml": MSG3}}
    srv_b = server_factory(*args, messages=mail)
    srv_a = server_factory(*args, messages=mail)
    want = blocking_session(srv_b, capa_first, nums, then_quit, one_write)
    got = run(aio_session(srv_a, capa_first, nums, then_quit, one_write))
    assert got == want
    srv_b.stop()
    srv_a.stop()
    assert sessions(srv_a) == sessions(srv_b)
    assert sorted(p.name for p in (srv_a.maildrop / "alice").iterdir()) == \
        sorted(p.name for p in (srv_b.maildrop / "alice").iterdir())


def test_long_batch_same_lines_as_blocking(server_factory):
    # More commands than one window (and than the codec's 64 queued
    # replies) holds: the same lines in the same order, every body right.
    msgs = {f"m{i:04d}.eml": f"Subject: {i}\r\n\r\n{'x' * i}\r\n".encode()
            for i in range(1, 701)}
    nums = list(range(700, 0, -1))
    srv_b = server_factory("--user", "alice:secret",
                           messages={"alice": msgs})
    srv_a = server_factory("--user", "alice:secret",
                           messages={"alice": msgs})
    with client_for(srv_b) as c:
        c.login("alice", "secret")
        want = [(n, b"".join(b)) for n, b in c.retrieve_many(nums)]

    async def go():
        async with aio_for(srv_a) as c:
            await c.login("alice", "secret")
            return [(n, await b.read()) async for n, b in
                    c.retrieve_many(nums)]
    got = run(go())
    assert got == want and len(got) == 700
    assert got[0] == (700, msgs["m0700.eml"])
    srv_b.stop()
    srv_a.stop()
    assert sessions(srv_a) == sessions(srv_b)
