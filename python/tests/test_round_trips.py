"""pop3.Client's early_capa and pipelining options: what goes out before
which reply (seen through the trace hook, in order), against the scripted
server (which lists PIPELINING) and Dovecot."""

import pytest

import pop3
from conftest import MSG1, MSG2, client_for


def traced(srv, **kw):
    """A client whose trace goes into the returned list as (dir, line)."""
    seen = []
    c = client_for(srv, trace=lambda d, line: seen.append((d, line)), **kw)
    return c, seen


def sent_before_reply(seen, start=0):
    """The commands sent from `start` up to the next line received."""
    out = []
    for d, line in seen[start:]:
        if d == "recv":
            break
        out.append(line)
    return out


def test_early_capa_goes_before_the_greeting(server):
    c, seen = traced(server, early_capa=True)
    with c:
        assert seen[0] == ("send", "CAPA")
        assert seen[1][0] == "recv" and seen[1][1].startswith("+OK")
        # Known on return, without another CAPA.
        assert "PIPELINING" in c.capabilities(refresh=False)
        assert server.sent_lines() == ["CAPA"]


def test_early_capa_feeds_the_pipelined_login(server):
    # No capabilities() call: the early CAPA is what lets the login go
    # in one write.
    c, seen = traced(server, early_capa=True, pipeline_login=True)
    with c:
        mark = len(seen)
        c.login("alice", "secret")
        assert sent_before_reply(seen, mark) == ["USER alice", "PASS ****",
                                                 "CAPA", "STAT"]
        assert c.stat().count == 3


def test_without_early_capa_the_login_waits(server):
    c, seen = traced(server, pipeline_login=True)
    with c:
        assert seen[0][0] == "recv"  # the greeting comes first
        mark = len(seen)
        c.login("alice", "secret")
        assert sent_before_reply(seen, mark) == ["USER alice"]


def test_assume_logs_in_without_capa(server):
    c, seen = traced(server, pipelining="assume", pipeline_login=True)
    with c:
        c.login("alice", "secret")
        assert sent_before_reply(seen, 1) == ["USER alice", "PASS ****",
                                              "CAPA", "STAT"]
        got = [(n, b"".join(body)) for n, body in c.retrieve_many([1, 2])]
    assert got == [(1, MSG1), (2, MSG2)]
    assert server.sent_lines()[0] == "USER alice"


def test_assume_batch_after_apop_asks_no_capa(server):
    c, seen = traced(server, pipelining="assume")
    with c:
        c.apop("alice", "secret")
        mark = len(seen)
        for _, body in c.retrieve_many([1, 2]):
            for _ in body:
                pass
        assert sent_before_reply(seen, mark) == ["RETR 1", "RETR 2"]
    assert "CAPA" not in server.sent_lines()


def test_off_sends_one_command_at_a_time(server):
    c, seen = traced(server, pipelining="off", pipeline_login=True,
                     early_capa=True)
    with c:
        assert "PIPELINING" in c.capabilities(refresh=False)
        mark = len(seen)
        c.login("alice", "secret")
        assert sent_before_reply(seen, mark) == ["USER alice"]
        mark = len(seen)
        got = [(n, b"".join(body))
               for n, body in c.retrieve_many([1, 2], then_quit=True)]
        assert sent_before_reply(seen, mark) == ["RETR 1"]
    # QUIT only once the batch is over (here: leaving the with block).
    assert [d + " " + line.split()[0] for d, line in seen[mark:]] == \
        ["send RETR", "recv +OK", "send RETR", "recv +OK", "send QUIT",
         "recv +OK"]
    assert got == [(1, MSG1), (2, MSG2)]


@pytest.mark.parametrize("bad", ["sometimes", "", "on"])
def test_bad_pipelining_value(server, bad):
    with pytest.raises(pop3.ArgumentError) as e:
        client_for(server, pipelining=bad)
    assert "pipelining" in str(e.value) and e.value.status == \
        pop3._pop3.POP3_E_ARG


def test_pipelining_must_be_a_str(server):
    with pytest.raises(TypeError):
        client_for(server, pipelining=1)


def test_dovecot_early_capa_and_assumed_pipelining(dovecot, tmpdir_path):
    files = []
    for i, data in enumerate((MSG1, MSG2), 1):
        path = tmpdir_path / f"m{i}.eml"
        path.write_bytes(data)
        files.append(str(path))
    assert dovecot.seed("py3", files) == 2
    seen = []
    with pop3.Client(dovecot.host, dovecot.port, tls="none", timeout=20,
                     early_capa=True, pipelining="assume",
                     pipeline_login=True,
                     trace=lambda d, line: seen.append((d, line))) as c:
        assert seen[0] == ("send", "CAPA")
        assert "PIPELINING" in c.capabilities(refresh=False)
        mark = len(seen)
        c.login("py3", "secret")
        assert sent_before_reply(seen, mark) == ["USER py3", "PASS ****",
                                                 "CAPA", "STAT"]
        got = [b"".join(body) for _, body in
               c.retrieve_many(range(1, c.stat().count + 1))]
    assert got == [MSG1, MSG2]
    assert dovecot.count("py3") == 2
