"""pop3.aio's early_capa and pipelining options, against scripted
servers, by the C client's rules (tests/unit/test_pipelined_login.c):

- early_capa: CAPA goes out before the greeting (the scenarios greet only
  once CAPA is in, so a client that waited would time out) and its reply
  is the session's capabilities;
- pipelining="assume": the login and batches pipeline without a CAPA
  first, until a CAPA read says otherwise;
- pipelining="off": one command at a time even with PIPELINING listed.

A client that waits for a reply the scenario gives only later times out
(3 s); a command it should not send is a #MISMATCH in the server's log.
The trace shows the order of commands and replies."""

import pytest

import pop3
import pop3.aio
from conftest import aio_for, run, sessions, tls_server_args

LIMIT = 3  # seconds: a client waiting for a reply that never comes


@pytest.fixture
def scenario(server_factory, tmpdir_path):
    """scenario(text, *args) -> a scripted server replaying text (more
    pop3d.py arguments in args)."""
    made = []

    def start(text, *args):
        path = tmpdir_path / f"s{len(made)}.scenario"
        path.write_text(text)
        made.append(path)
        return server_factory("--scenario", str(path), *args)
    return start


def traced(srv, **kw):
    """aio_for(srv, ...) with its trace: (client, [(direction, line)])."""
    lines = []
    c = aio_for(srv, timeout=LIMIT,
                trace=lambda d, line: lines.append((d, line)), **kw)
    return c, lines


def in_order(trace, wanted):
    """Whether `wanted` appears in `trace` as a run, in that order."""
    n = len(wanted)
    return any(trace[i:i + n] == wanted for i in range(len(trace) - n + 1))


def no_mismatch(srv):
    assert "#MISMATCH" not in srv.log_text(), srv.log_text()


# -- early_capa ------------------------------------------------------------

def test_early_capa_goes_before_the_greeting(scenario):
    # Its PIPELINING is what the login pipelines on: all four lines in one
    # write, no second CAPA before it.
    srv = scenario("C CAPA\n"
                   "S +OK ready <1.2@x>\\r\\n"
                   "+OK\\r\\nUSER\\r\\nPIPELINING\\r\\n.\\r\\n\n"
                   "C USER alice\n"
                   "C*\n"
                   "C CAPA\n"
                   "C STAT\n"
                   "S +OK\\r\\n+OK logged in\\r\\n"
                   "+OK\\r\\nPIPELINING\\r\\nTOP\\r\\n.\\r\\n+OK 2 20\\r\\n\n"
                   "C QUIT\n"
                   "S +OK bye\\r\\n\n"
                   "E\n")
    c, trace = traced(srv, early_capa=True, pipeline_login=True)

    async def go():
        async with c:
            assert c.greeting == "ready <1.2@x>"
            assert c.apop_timestamp == "<1.2@x>"
            await c.login("alice", "secret")
            assert await c.stat() == (2, 20)  # from the login's STAT
    run(go())
    assert trace[:2] == [("send", "CAPA"), ("recv", "+OK ready <1.2@x>")]
    assert sessions(srv) == [["CAPA", "USER alice", "PASS secret", "CAPA",
                              "STAT", "QUIT"]]
    no_mismatch(srv)


@pytest.mark.parametrize("pipelining", ["auto", "assume"])
def test_early_capa_refused_is_rfc1939(scenario, pipelining):
    # -ERR to the early CAPA: connected all the same, and with nothing
    # listed the login goes one command at a time, no CAPA after it;
    # "assume" too, the -ERR being the CAPA read.
    srv = scenario("C CAPA\n"
                   "S +OK ready\\r\\n-ERR what\\r\\n\n"
                   "C USER alice\n"
                   "S +OK\\r\\n\n"
                   "C*\n"
                   "S +OK in\\r\\n\n"
                   "C QUIT\n"
                   "S +OK bye\\r\\n\n"
                   "E\n")
    c, trace = traced(srv, early_capa=True, pipeline_login=True,
                      pipelining=pipelining)

    async def go():
        async with c:
            assert c.state is pop3.State.AUTHORIZATION
            await c.login("alice", "secret")
            assert c.state is pop3.State.TRANSACTION
    run(go())
    assert in_order(trace, [("send", "USER alice"), ("recv", "+OK"),
                            ("send", "PASS ****"), ("recv", "+OK in")])
    assert sessions(srv) == [["CAPA", "USER alice", "PASS secret", "QUIT"]]
    no_mismatch(srv)


def test_early_capa_err_greeting_and_hang_up(scenario):
    # A -ERR greeting fails the connect with its text (CAPA's reply left
    # unread); connect() may be tried again, here on a server that hangs
    # up on the early CAPA: that fails too.
    refuses = scenario("C CAPA\n"
                       "S -ERR [SYS/TEMP] busy\\r\\n"
                       "+OK\\r\\nUSER\\r\\n.\\r\\n\n"
                       "E\n")
    hangs_up = scenario("C CAPA\n"
                        "X\n")
    c = aio_for(refuses, timeout=LIMIT, early_capa=True)

    async def go():
        with pytest.raises(pop3.TemporaryServerError):
            await c.connect("127.0.0.1", refuses.port)
        assert c.server_text == "busy" and c.resp_code == "SYS/TEMP"
        assert c.state is pop3.State.DISCONNECTED
        with pytest.raises(pop3.ConnectionError):
            await c.connect("127.0.0.1", hangs_up.port)
        assert c.state is pop3.State.DISCONNECTED
        await c.close()
    run(go())
    assert sessions(refuses) == [["CAPA"]]
    assert sessions(hangs_up) == [["CAPA"]]
    no_mismatch(refuses)


def test_early_capa_without_stls_sends_one_capa(scenario):
    # STLS required: the early CAPA is the one checked, none asked again
    # in cleartext; without STLS in it nothing more is sent.
    srv = scenario("C CAPA\n"
                   "S +OK ready\\r\\n+OK\\r\\nUSER\\r\\n.\\r\\n\n"
                   "E\n")
    c = aio_for(srv, tls="stls", timeout=LIMIT, early_capa=True)

    async def go():
        with pytest.raises(pop3.TLSUnavailableError):
            await c.connect("127.0.0.1", srv.port)
        await c.close()
    run(go())
    assert sessions(srv) == [["CAPA"]]
    no_mismatch(srv)


@pytest.mark.parametrize("early", [True, False])
def test_stls_required_capa_refused_says_so(scenario, early):
    # -ERR to CAPA (early or not) with STLS required: the same words as
    # the C client (and pop3.Client) use, not "offers no STLS".
    first = "C CAPA\nS +OK ready\\r\\n-ERR no\\r\\n\n" if early else \
        "S +OK ready\\r\\n\nC CAPA\nS -ERR no\\r\\n\n"
    srv = scenario(first + "E\n")
    c = aio_for(srv, tls="stls", timeout=LIMIT, early_capa=early)

    async def go():
        with pytest.raises(pop3.TLSUnavailableError) as e:
            await c.connect("127.0.0.1", srv.port)
        await c.close()
        return e.value
    err = run(go())
    assert "refused CAPA" in str(err)
    srv2 = scenario(first + "E\n")
    with pytest.raises(pop3.TLSUnavailableError) as e:
        pop3.Client("127.0.0.1", srv2.port, tls="stls", timeout=LIMIT,
                    early_capa=early)
    assert "refused CAPA" in str(e.value)
    no_mismatch(srv)


def test_early_capa_then_stls_asks_again(scenario, certs):
    # STLS listed in the early CAPA: STLS at once, and once TLS is on,
    # CAPA again (RFC 2595 4), as without early_capa.
    srv = scenario("C CAPA\n"
                   "S +OK ready\\r\\n+OK\\r\\nUSER\\r\\nSTLS\\r\\n.\\r\\n\n"
                   "C STLS\n"
                   "S +OK go ahead\\r\\n\n"
                   "T\n"
                   "C CAPA\n"
                   "S +OK\\r\\nUSER\\r\\n.\\r\\n\n"
                   "C QUIT\n"
                   "S +OK bye\\r\\n\n"
                   "E\n", *tls_server_args(certs))
    c = aio_for(srv, tls="stls", timeout=LIMIT, early_capa=True,
                ca_file=str(certs / "ca.pem"))

    async def go():
        async with c:
            assert c.is_tls
    run(go())
    sent = [x for x in sessions(srv)[0] if not x.startswith("#")]
    assert sent == ["CAPA", "STLS", "CAPA", "QUIT"]
    no_mismatch(srv)


# -- pipelining="assume" -------------------------------------------------

def test_assume_logs_in_without_capa_and_a_later_capa_wins(scenario):
    # No CAPA before the login, which goes in one write (the scenario
    # answers once all four lines are in; a CAPA first is a #MISMATCH).
    # The CAPA read with it lists no PIPELINING, and that decides: the
    # batch sends RETR 2 only once RETR 1 is answered.
    srv = scenario("S +OK ready\\r\\n\n"
                   "C USER alice\n"
                   "C*\n"
                   "C CAPA\n"
                   "C STAT\n"
                   "S +OK\\r\\n+OK in\\r\\n+OK\\r\\nTOP\\r\\n.\\r\\n"
                   "+OK 2 20\\r\\n\n"
                   "C RETR 1\n"
                   "S +OK one\\r\\nmsg1\\r\\n.\\r\\n\n"
                   "C RETR 2\n"
                   "S +OK two\\r\\nmsg2\\r\\n.\\r\\n\n"
                   "C QUIT\n"
                   "S +OK bye\\r\\n\n"
                   "E\n")
    c, trace = traced(srv, pipelining="assume", pipeline_login=True)

    async def go():
        async with c:
            await c.login("alice", "secret")
            assert await c.stat() == (2, 20)
            got = [(n, await b.read()) async for n, b in
                   c.retrieve_many([1, 2], then_quit=True)]
            assert got == [(1, b"msg1\r\n"), (2, b"msg2\r\n")]
    run(go())
    assert in_order(trace, [("send", "RETR 1"), ("recv", "+OK one"),
                            ("send", "RETR 2"), ("recv", "+OK two"),
                            ("send", "QUIT")])
    assert sessions(srv) == [["USER alice", "PASS secret", "CAPA", "STAT",
                              "RETR 1", "RETR 2", "QUIT"]]
    no_mismatch(srv)


def test_assume_batch_after_apop_asks_no_capa(scenario):
    # APOP reads no CAPA; the batch goes in one write, QUIT with it.
    srv = scenario("S +OK ready <1.2@x>\\r\\n\n"
                   "C*\n"
                   "S +OK in\\r\\n\n"
                   "C RETR 1\n"
                   "C RETR 2\n"
                   "C QUIT\n"
                   "S +OK\\r\\nmsg1\\r\\n.\\r\\n+OK\\r\\nmsg2\\r\\n.\\r\\n"
                   "+OK bye\\r\\n\n"
                   "E\n")
    c = aio_for(srv, timeout=LIMIT, pipelining="assume")

    async def go():
        async with c:
            await c.apop("alice", "secret")
            got = [(n, await b.read()) async for n, b in
                   c.retrieve_many([1, 2], then_quit=True)]
            assert got == [(1, b"msg1\r\n"), (2, b"msg2\r\n")]
            await c.quit()
            assert c.server_text == "bye"
    run(go())
    assert [s[1:] for s in sessions(srv)] == [["RETR 1", "RETR 2", "QUIT"]]
    no_mismatch(srv)


# -- pipelining="off" ------------------------------------------------------

def test_off_one_command_at_a_time(scenario):
    # PIPELINING listed, yet each command waits for the reply before it,
    # pipeline_login or not, and QUIT goes after the batch.
    srv = scenario("S +OK ready\\r\\n\n"
                   "C CAPA\n"
                   "S +OK\\r\\nUSER\\r\\nPIPELINING\\r\\n.\\r\\n\n"
                   "C USER alice\n"
                   "S +OK\\r\\n\n"
                   "C*\n"
                   "S +OK in\\r\\n\n"
                   "C CAPA\n"
                   "S +OK\\r\\nPIPELINING\\r\\n.\\r\\n\n"
                   "C RETR 1\n"
                   "S +OK one\\r\\nmsg1\\r\\n.\\r\\n\n"
                   "C RETR 2\n"
                   "S +OK two\\r\\nmsg2\\r\\n.\\r\\n\n"
                   "C DELE 1\n"
                   "S +OK\\r\\n\n"
                   "C DELE 2\n"
                   "S +OK\\r\\n\n"
                   "C QUIT\n"
                   "S +OK bye\\r\\n\n"
                   "E\n")
    c, trace = traced(srv, pipelining="off", pipeline_login=True)

    async def go():
        async with c:
            assert "PIPELINING" in await c.capabilities()
            await c.login("alice", "secret")
            got = [(n, await b.read()) async for n, b in
                   c.retrieve_many([1, 2], then_quit=True)]
            assert got == [(1, b"msg1\r\n"), (2, b"msg2\r\n")]
            await c.delete_many([1, 2])
    run(go())
    assert in_order(trace, [("send", "USER alice"), ("recv", "+OK"),
                            ("send", "PASS ****"), ("recv", "+OK in")])
    assert in_order(trace, [("send", "RETR 1"), ("recv", "+OK one"),
                            ("send", "RETR 2"), ("recv", "+OK two"),
                            ("send", "DELE 1"), ("recv", "+OK"),
                            ("send", "DELE 2"), ("recv", "+OK"),
                            ("send", "QUIT")])
    no_mismatch(srv)


def test_off_batch_asks_no_capa(scenario):
    # Not pipelining whatever CAPA says: a batch with none read asks none.
    srv = scenario("S +OK ready <1.2@x>\\r\\n\n"
                   "C*\n"
                   "S +OK in\\r\\n\n"
                   "C RETR 1\n"
                   "S +OK\\r\\nmsg1\\r\\n.\\r\\n\n"
                   "C QUIT\n"
                   "S +OK bye\\r\\n\n"
                   "E\n")
    c = aio_for(srv, timeout=LIMIT, pipelining="off")

    async def go():
        async with c:
            await c.apop("alice", "secret")
            assert [n async for n, _ in c.retrieve_many([1])] == [1]
    run(go())
    assert [s[1:] for s in sessions(srv)] == [["RETR 1", "QUIT"]]
    no_mismatch(srv)


# -- arguments -------------------------------------------------------------

def test_pipelining_values():
    for good in ("auto", "assume", "off", "OFF"):
        pop3.aio.Client(pipelining=good)
    for bad in ("", "on", "sometimes", "assume "):
        with pytest.raises(pop3.ArgumentError) as e:
            pop3.aio.Client(pipelining=bad)
        assert f"pipelining={bad!r}" in str(e.value)
        assert "auto, assume, off" in str(e.value)
    with pytest.raises(TypeError):
        pop3.aio.Client(pipelining=1)
    with pytest.raises(TypeError):
        pop3.aio.Client(pipelining=None)
