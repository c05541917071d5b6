"""retrieve_many / top_many / delete_many: pipelined batches, against the
scripted server (which lists PIPELINING and answers commands that arrive
together in order)."""

import pytest

import pop3
from conftest import MSG1, MSG2, MSG3, client_for

_c = pop3._pop3


def logged_in(srv, **kw):
    c = client_for(srv, **kw)
    c.login("alice", "secret")
    return c


def commands(srv, verb):
    return [ln for ln in srv.sent_lines() if ln.startswith(verb)]


def test_retrieve_many_in_order(server):
    with logged_in(server) as c:
        got = [(n, b"".join(body)) for n, body in c.retrieve_many([3, 1, 2])]
    assert got == [(3, MSG3), (1, MSG1), (2, MSG2)]
    assert commands(server, "RETR") == ["RETR 3", "RETR 1", "RETR 2"]


def test_retrieve_many_is_pipelined(server):
    # Every RETR goes out before the first reply is read.
    seen = []
    with logged_in(server, trace=lambda d, line: seen.append((d, line))) as c:
        assert "PIPELINING" in c.capabilities()
        nums = c.list()
        del seen[:]
        for _, body in c.retrieve_many(nums):
            for _ in body:
                pass
    first_recv = next(i for i, (d, _) in enumerate(seen) if d == "recv")
    assert [l for d, l in seen[:first_recv]] == ["RETR 1", "RETR 2",
                                                 "RETR 3"]


def test_retrieve_many_err_in_the_middle(server):
    with logged_in(server) as c:
        pairs = []
        for n, body in c.retrieve_many([1, 9, 2]):
            try:
                pairs.append((n, b"".join(body)))
            except pop3.ServerError as e:
                pairs.append((n, e))
        assert pairs[0] == (1, MSG1) and pairs[2] == (2, MSG2)
        n, err = pairs[1]
        assert n == 9 and type(err) is pop3.ServerError
        assert err.server_text == "no such message"
        assert err.operation == "retrieve_many 9"
        c.noop()  # the batch is over: the session goes on
        assert c.stat().count == 3


def test_error_body_raises_every_time(server):
    with logged_in(server) as c:
        batch = c.retrieve_many([9, 1])
        n, body = next(batch)
        assert n == 9 and isinstance(body.error, pop3.ServerError)
        for _ in range(2):
            with pytest.raises(pop3.ServerError):
                next(body)
        body.close()  # nothing to drop
        n, body = next(batch)
        assert (n, body.error, b"".join(body)) == (1, None, MSG1)
        with pytest.raises(StopIteration):
            next(batch)


def test_unread_bodies_are_skipped(server):
    with logged_in(server) as c:
        batch = c.retrieve_many([1, 2, 3])
        nums = [n for n, _ in batch]  # bodies never read
        assert nums == [1, 2, 3]
        assert b"".join(c.retrieve(2)) == MSG2


def test_old_body_is_abandoned_when_the_batch_moves_on(server):
    with logged_in(server) as c:
        batch = c.retrieve_many([1, 2])
        _, first = next(batch)
        _, second = next(batch)
        with pytest.raises(pop3.StateError, match="abandoned"):
            next(first)
        assert b"".join(second) == MSG2


def test_break_then_next_command(server):
    with logged_in(server) as c:
        for n, body in c.retrieve_many([1, 2, 3]):
            next(body, None)
            break
        # The batch was dropped: its replies are read and discarded first.
        assert c.stat().count == 3
        assert b"".join(c.retrieve(3)) == MSG3


def test_busy_while_a_batch_runs(server):
    with logged_in(server) as c:
        with c.retrieve_many([1, 2]) as batch:
            next(batch)
            with pytest.raises(pop3.BusyError):
                c.stat()
            with pytest.raises(pop3.BusyError):
                c.delete_many([1])
        c.noop()  # leaving the with block closed the batch
    assert not commands(server, "DELE")


def test_exception_in_with_batch_lets_it_go(server):
    # Leaving `with batch:` by an exception does no I/O, but the batch is
    # let go although the name (and the traceback) still hold it: the
    # next command reads and drops the rest, then runs.
    with logged_in(server) as c:
        with pytest.raises(ValueError):
            with c.retrieve_many([1, 2, 3]) as batch:
                n, body = next(batch)
                next(body)
                raise ValueError("the caller's own failure")
        assert c.stat().count == 3
        assert b"".join(c.retrieve(2)) == MSG2
        with pytest.raises(pop3.StateError):
            next(batch)  # not silently empty: it was cut short
    assert commands(server, "RETR") == ["RETR 1", "RETR 2", "RETR 3",
                                        "RETR 2"]


def test_close_ends_a_batch_early(server):
    with logged_in(server) as c:
        batch = c.retrieve_many([1, 2, 3])
        next(batch)
        batch.close()
        assert list(batch) == []
        assert c.list(1) == len(MSG1)


def test_top_many_headers(server):
    with logged_in(server) as c:
        got = {n: b"".join(body) for n, body in c.top_many([1, 2], 0)}
    assert got[1] == MSG1.split(b"\r\n\r\n")[0] + b"\r\n\r\n"
    assert got[2].startswith(b"From: b@example.org")
    assert commands(server, "TOP") == ["TOP 1 0", "TOP 2 0"]


def test_bad_arguments_send_nothing(server):
    with logged_in(server) as c:
        assert list(c.retrieve_many([])) == []
        c.delete_many(())
        with pytest.raises(pop3.ArgumentError):
            c.retrieve_many([1, 0])
        with pytest.raises(TypeError):
            c.retrieve_many("12")
        with pytest.raises(TypeError):
            c.delete_many([1, "2"])
        with pytest.raises(TypeError):
            c.top_many([1], "0")
        c.noop()
    assert not commands(server, "RETR") and not commands(server, "DELE")


def test_connection_lost_mid_batch(server_factory):
    srv = server_factory("--user", "alice:secret", "--fault",
                         "close-mid-second-body",
                         messages={"alice": {"a": MSG1, "b": MSG2 * 200}})
    with pytest.raises(pop3.ConnectionError):
        with logged_in(srv) as c:
            batch = c.retrieve_many([1, 2])
            n, body = next(batch)
            assert b"".join(body) == MSG1
            n, body = next(batch)
            try:
                b"".join(body)
            finally:
                assert list(batch) == []  # the batch ended with it
    assert len(list((srv.maildrop / "alice").iterdir())) == 2


def test_delete_many_commits_at_quit(server):
    with logged_in(server) as c:
        c.delete_many([1, 3])
        assert c.stat().count == 1
    assert sorted(p.name for p in (server.maildrop / "alice").iterdir()) == [
        "u2.eml"]
    assert commands(server, "DELE") == ["DELE 1", "DELE 3"]


def test_delete_many_err_in_the_middle(server):
    with logged_in(server) as c:
        with pytest.raises(pop3.ServerError) as ei:
            c.delete_many([1, 9, 3])
        e = ei.value
        assert e.deleted == [1, 3]
        assert list(e.failed) == [9]
        assert isinstance(e.failed[9], pop3.ServerError)
        assert "refused 1 of 3" in str(e)
        assert c.stat().count == 1  # 1 and 3 stay marked
        c.reset()
        assert c.stat().count == 3


def test_delete_many_error_in_with_block_deletes_nothing(server):
    with pytest.raises(pop3.ServerError):
        with logged_in(server) as c:
            c.delete_many([1, 2, 9])
    assert len(list((server.maildrop / "alice").iterdir())) == 3
    assert "QUIT" not in server.sent_lines()


def test_delete_many_all_refused(server_factory):
    srv = server_factory("--user", "alice:secret", "--fault", "dele-err",
                         messages={"alice": {"a": MSG1, "b": MSG2}})
    with logged_in(srv) as c:
        with pytest.raises(pop3.ServerError) as ei:
            c.delete_many([1, 2])
        assert ei.value.deleted == [] and sorted(ei.value.failed) == [1, 2]


@pytest.mark.parametrize("one_write", [False, True])
def test_login_pipelined_after_capabilities(server, one_write):
    # With PIPELINING known before login, USER and PASS go out before the
    # first reply is read, then CAPA and STAT (with pipeline_login, all
    # four at once), and stat() needs no round trip.
    seen = []
    with client_for(server, pipeline_login=one_write,
                    trace=lambda d, line: seen.append((d, line))) as c:
        assert "PIPELINING" in c.capabilities()
        del seen[:]
        c.login("alice", "secret")
        first_recv = next(i for i, (d, _) in enumerate(seen) if d == "recv")
        assert [l for _, l in seen[:first_recv]] == (
            ["USER alice", "PASS ****", "CAPA", "STAT"] if one_write
            else ["USER alice", "PASS ****"])
        assert [l for d, l in seen if d == "send"] == [
            "USER alice", "PASS ****", "CAPA", "STAT"]
        del seen[:]
        assert c.stat() == (3, len(MSG1) + len(MSG2) + len(MSG3))
        assert seen == []
        c.delete(1)
        assert c.stat().count == 2  # asked again after DELE
    assert commands(server, "STAT") == ["STAT", "STAT"]


def test_login_pipelined_refused_keeps_the_reason(server):
    with client_for(server) as c:
        c.capabilities()
        with pytest.raises(pop3.AuthenticationError) as e:
            c.login("alice", "wrong")
        assert c.state is pop3.State.AUTHORIZATION
        # PASS's reply, not the CAPA or STAT read after it
        assert e.value.server_text == c.server_text == "invalid credentials"
        c.login("alice", "secret")  # the session is still in step
        assert c.stat().count == 3


def test_retrieve_many_then_quit(server):
    seen = []
    with logged_in(server, trace=lambda d, line: seen.append((d, line))) as c:
        c.capabilities()
        del seen[:]
        got = [(n, b"".join(b)) for n, b in
               c.retrieve_many([1, 2], then_quit=True)]
        sent = [l for d, l in seen if d == "send"]
        with pytest.raises(pop3.StateError):
            c.noop()  # QUIT is out
    assert got == [(1, MSG1), (2, MSG2)]
    assert sent == ["RETR 1", "RETR 2", "QUIT"]
    assert commands(server, "QUIT") == ["QUIT"]
    assert c.state is pop3.State.UPDATE  # QUIT's +OK was read
