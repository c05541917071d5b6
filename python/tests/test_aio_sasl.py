"""pop3.aio's SASL against the scripted server, compared with pop3.Client:
every mechanism (the OAuth 2.0 ones included), refused secrets, the
one-step form refused, and servers that fail to prove themselves."""

import asyncio

import pytest

import pop3
import pop3.aio
from conftest import MSG1, client_for

MECHS = ["PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-1", "SCRAM-SHA-256",
         "XOAUTH2", "OAUTHBEARER"]
PW = "s3cr=t,x"


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 30))


def outcome(e):
    if e is None:
        return "ok"
    return (type(e).__name__, e.status, e.server_text, e.resp_code)


def blocking_auth(srv, mech, user, secret):
    with client_for(srv) as c:
        try:
            c.auth(mech, user, secret)
            c.stat()
            return outcome(None), c.auth_used
        except pop3.Error as e:
            return outcome(e), c.auth_used


def aio_auth(srv, mech, user, secret):
    async def go():
        c = pop3.aio.Client(tls="none", timeout=10)
        await c.connect("127.0.0.1", srv.port)
        try:
            await c.auth(mech, user, secret)
            await c.stat()
            return outcome(None), c.auth_used
        except pop3.Error as e:
            return outcome(e), c.auth_used
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
    want = blocking_auth(srv, mech, "alice", PW)
    got = aio_auth(srv, mech, "alice", PW)
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
