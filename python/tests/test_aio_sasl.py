"""pop3.aio's SASL against the scripted server, compared with pop3.Client:
every mechanism (the OAuth 2.0 ones included), refused secrets, the
one-step form refused, servers that fail to prove themselves (the session
ends) or give up (cancelled with "*"), and challenges counted as the C
client counts them."""

import pytest

import pop3
import pop3.aio
from pop3 import _sasl
from conftest import MSG1, client_for, run

MECHS = ["PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-1", "SCRAM-SHA-256",
         "XOAUTH2", "OAUTHBEARER"]
PW = "s3cr=t,x"


def outcome(e):
    if e is None:
        return "ok"
    return (type(e).__name__, e.status, e.server_text, e.resp_code)


def blocking_auth(srv, mech, user, secret, state=False):
    """(outcome, method used), and with `state` the state after it."""
    with client_for(srv) as c:
        try:
            c.auth(mech, user, secret)
            c.stat()
            got = outcome(None), c.auth_used
        except pop3.Error as e:
            got = outcome(e), c.auth_used
        return got + (c.state,) if state else got


def aio_auth(srv, mech, user, secret, state=False):
    async def go():
        c = pop3.aio.Client(tls="none", timeout=10)
        await c.connect("127.0.0.1", srv.port)
        try:
            try:
                await c.auth(mech, user, secret)
                await c.stat()
                got = outcome(None), c.auth_used
            except pop3.Error as e:
                got = outcome(e), c.auth_used
            return got + (c.state,) if state else got
        finally:
            await c.close()
    return run(go())


@pytest.fixture
def sasl_server(server_factory):
    def start(*faults):
        args = ["--user", "alice:" + PW, "--sasl", "all"]
        for f in faults:
            args += ["--fault", f]
        return server_factory(*args, messages={"alice": {"a.eml": MSG1}})
    return start


@pytest.mark.parametrize("mech", MECHS)
def test_mechanism_as_blocking(sasl_server, mech):
    srv = sasl_server()
    assert aio_auth(srv, mech, "alice", PW) == ("ok", mech)
    want = blocking_auth(srv, mech, "alice", "wrong")
    got = aio_auth(srv, mech, "alice", "wrong")
    assert want[0][0] == "AuthenticationError"
    assert got == want
    assert PW not in srv.log_text()  # base64 or never sent


def test_oauthbearer_message_as_blocking(sasl_server):
    srv = sasl_server()
    assert aio_auth(srv, "OAUTHBEARER", "alice", PW) == \
        blocking_auth(srv, "OAUTHBEARER", "alice", PW) == \
        ("ok", "OAUTHBEARER")
    # Both sent the same initial response (host and port included).
    auth = [line for line in srv.sent_lines() if line.startswith("AUTH")]
    assert len(auth) == 2 and auth[0] == auth[1]
    # Without a user (allowed by RFC 7628) this server cannot tell whose
    # token it is: both clients are refused the same way.
    want = blocking_auth(srv, "OAUTHBEARER", "", PW)
    assert want[0][0] == "AuthenticationError"
    assert aio_auth(srv, "OAUTHBEARER", "", PW) == want


@pytest.mark.parametrize("fault,mech", [
    ("ir-refused", "XOAUTH2"), ("ir-refused", "OAUTHBEARER"),
    ("scram-bad-signature", "SCRAM-SHA-256"),
    ("scram-skip-signature", "SCRAM-SHA-1"),
    ("scram-bad-nonce", "SCRAM-SHA-256"),
    ("sasl-bad-base64", "CRAM-MD5"),
    ("sys-temp", "XOAUTH2"),
])
def test_server_faults_as_blocking(sasl_server, fault, mech):
    srv = sasl_server(fault)
    want = blocking_auth(srv, mech, "alice", PW, state=True)
    got = aio_auth(srv, mech, "alice", PW, state=True)
    if fault.startswith(("scram-", "sasl-")):
        # A server that did not prove itself, or a broken exchange, ends
        # the session: nobody knows where the server stands.
        assert want[0][1] in (pop3._pop3.POP3_E_AUTH_SERVER,
                              pop3._pop3.POP3_E_PROTOCOL)
        assert want[2] is got[2] is pop3.State.DISCONNECTED
    else:
        assert got[2] is want[2]
    if fault == "scram-bad-signature":
        # The text quoted is the (wrong) signature: random per session.
        assert got[0][:2] == want[0][:2] and got[0][3] == want[0][3]
        assert got[0][2].startswith("dj") and want[0][2].startswith("dj")
    else:
        assert got[0] == want[0]
    if fault == "ir-refused":
        assert got[0] == "ok"
        # One-step AUTH refused, then the two-step form, per client.
        auth = [line for line in srv.sent_lines() if line.startswith("AUTH")]
        assert auth.count(f"AUTH {mech}") == 2


def test_token_arguments_refused_before_sending(sasl_server):
    srv = sasl_server()

    async def go():
        async with pop3.aio.Client("127.0.0.1", srv.port, tls="none") as c:
            with pytest.raises(pop3.ArgumentError):
                await c.auth("XOAUTH2", "alice", "tok\x01en")
            with pytest.raises(pop3.ArgumentError):
                await c.auth("XOAUTH2", "", PW)
            with pytest.raises(pop3.ArgumentError):
                await c.auth("OAUTHBEARER", "alice", "")
            await c.auth("XOAUTH2", "alice", PW)
    run(go())
    assert [line for line in srv.sent_lines()
            if line.startswith("AUTH")] == [line for line in
                                            srv.sent_lines()
                                            if line.startswith("AUTH X")]
    assert len([line for line in srv.sent_lines()
                if line.startswith("AUTH")]) == 1


@pytest.mark.parametrize("mech", ["SCRAM-SHA-1", "SCRAM-SHA-256"])
def test_scram_server_error_cancels_as_blocking(sasl_server, mech):
    # The server gives up with "e=": the client answers "*", gets -ERR
    # and the session goes on in AUTHORIZATION, so a login still works.
    srv = sasl_server("scram-server-error")

    def blocking():
        with client_for(srv) as c:
            with pytest.raises(pop3.Error) as e:
                c.auth(mech, "alice", PW)
            state = c.state
            c.login("alice", PW)
            return outcome(e.value), state, c.stat().count

    async def aio():
        async with pop3.aio.Client("127.0.0.1", srv.port, tls="none",
                                   timeout=10) as c:
            with pytest.raises(pop3.Error) as e:
                await c.auth(mech, "alice", PW)
            state = c.state
            await c.login("alice", PW)
            return outcome(e.value), state, (await c.stat()).count

    want = blocking()
    assert want[0][0] == "AuthenticationError"
    assert want[1] is pop3.State.AUTHORIZATION and want[2] == 1
    assert run(aio()) == want
    sent = srv.sent_lines()
    assert sent.count("*") == 2
    for i in (i for i, line in enumerate(sent) if line == "*"):
        assert sent[i - 2].startswith(f"AUTH {mech}")  # AUTH, proof, "*"


class Echo(_sasl.Mechanism):
    """A mechanism that answers any number of challenges (none of the
    real ones takes more than two), to count rounds."""
    name = "X-ECHO"

    def step(self, challenge):
        return challenge


def echo_scenario(tmp_path, challenges, accepted):
    lines = ["S +OK ready\\r\\n", "C AUTH X-ECHO"]
    for _ in range(challenges):
        lines += ["S + MQ==\\r\\n", "C MQ=="]
    if accepted:
        lines += ["S +OK in\\r\\n", "C QUIT", "S +OK bye\\r\\n"]
    else:
        lines = lines[:-1]  # the client gives up at the last challenge
    path = tmp_path / f"echo{challenges}.scenario"
    path.write_text("\n".join(lines + ["E"]) + "\n")
    return str(path)


@pytest.mark.parametrize("challenges,accepted", [(8, True), (9, False)])
def test_challenge_rounds_as_c(server_factory, tmp_path, monkeypatch,
                               challenges, accepted):
    # sasl.c answers MAX_ROUNDS (8) challenges and refuses a 9th; the
    # +OK after the 8th is no round.
    monkeypatch.setattr(_sasl, "make", lambda *a: Echo(b"", b""))
    srv = server_factory("--scenario",
                         echo_scenario(tmp_path, challenges, accepted))

    async def go():
        c = pop3.aio.Client(tls="none", timeout=10)
        await c.connect("127.0.0.1", srv.port)
        try:
            await c.auth("X-ECHO", "alice", PW)
            state = c.state
            await c.quit()
            return "ok", state
        except pop3.Error as e:
            return type(e).__name__, c.state
        finally:
            await c.close()

    want = ("ok", pop3.State.TRANSACTION) if accepted else \
        ("ProtocolError", pop3.State.DISCONNECTED)
    assert run(go()) == want
    srv.stop()
    assert "#MISMATCH" not in srv.log_text()
