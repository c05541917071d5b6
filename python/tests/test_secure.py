"""capabilities(), auth(), authenticate(), stls() and the TLS options,
against the scripted server (tests/server/pop3d.py with --sasl, --utf8,
--tls-cert, --implicit-tls, --tls-client-ca and faults)."""

import pytest

import pop3
from conftest import MSG1, client_for, tls_server_args

ALL_MECHS = ["PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-1", "SCRAM-SHA-256"]


def alice(server_factory, *args):
    return server_factory("--user", "alice:secret", *args,
                          messages={"alice": {"u1": MSG1}})


def auth_lines(srv):
    return [ln for ln in srv.sent_lines()
            if ln.split(" ")[0] in ("USER", "PASS", "APOP", "AUTH")]


# -- capabilities -------------------------------------------------------------

def test_capabilities_contents(server_factory):
    srv = alice(server_factory, "--capa", "--sasl", "PLAIN,SCRAM-SHA-256",
                "--capa-line", "LOGIN-DELAY 900", "--capa-line", "EXPIRE 31 USER")
    with client_for(srv) as c:
        caps = c.capabilities()
        assert isinstance(caps, pop3.Capabilities)
        assert dict(caps) == {
            "TOP": [], "UIDL": [], "USER": [], "RESP-CODES": [],
            "PIPELINING": [], "IMPLEMENTATION": ["pop3d-test"],
            "SASL": ["PLAIN", "SCRAM-SHA-256"], "LOGIN-DELAY": ["900"],
            "EXPIRE": ["31", "USER"]}
        assert caps.lines[-1] == "EXPIRE 31 USER"
        assert caps.arg("expire") == "31 USER"
        assert "uidl" in caps and "STLS" not in caps
        assert caps.has_sasl("scram-sha-256") and not caps.has_sasl("LOGIN")
        assert caps == dict(caps) and caps == c.capabilities(refresh=False)
    assert [ln for ln in srv.sent_lines() if ln == "CAPA"] == ["CAPA"]


def test_capabilities_without_capa(server_factory):
    srv = alice(server_factory, "--fault", "capa-err")
    with client_for(srv) as c:
        caps = c.capabilities()
        assert len(caps) == 0 and caps.lines == ()
        c.login("alice", "secret")  # the session goes on


def test_capabilities_need_a_connection():
    with pytest.raises(pop3.StateError):
        pop3.Client().capabilities()
    assert len(pop3.Client().capabilities(refresh=False)) == 0


# -- SASL and authenticate ---------------------------------------------------------

@pytest.mark.parametrize("mech", ALL_MECHS)
def test_auth_each_mechanism(server_factory, mech):
    srv = alice(server_factory, "--sasl", "all")
    with client_for(srv) as c:
        c.auth(mech.lower(), "alice", "secret")
        assert c.auth_used == mech
        assert c.stat().count == 1
    assert auth_lines(srv)[0].upper().startswith("AUTH " + mech)


def test_auth_token_mechanisms(server_factory):
    # The scripted server takes the password as the token.
    srv = alice(server_factory, "--sasl", "all")
    for mech in ("XOAUTH2", "OAUTHBEARER"):
        with client_for(srv) as c:
            c.auth(mech, "alice", "secret")
            assert c.auth_used == mech


def test_auth_refused_and_secret_kept(server_factory):
    srv = alice(server_factory, "--sasl", "all")
    seen = []
    with client_for(srv, trace=lambda d, line: seen.append(line)) as c:
        with pytest.raises(pop3.AuthenticationError) as ei:
            c.auth("PLAIN", "alice", "hunter2-wrong")
        assert ei.value.resp_code == "AUTH"
        assert "hunter2" not in str(ei.value)
        with pytest.raises(pop3.UnsupportedError):
            c.auth("GSSAPI", "alice", "secret")
        with pytest.raises(pop3.ArgumentError):
            c.auth("PLAIN", "alice", "se\r\ncret")
        with pytest.raises(TypeError):
            c.auth(b"PLAIN", "alice", "secret")
    assert not any("hunter2" in line for line in seen)
    assert "AUTH PLAIN ****" in seen


def test_scram_server_signature_checked(server_factory):
    srv = alice(server_factory, "--sasl", "all", "--fault",
                "scram-bad-signature")
    with client_for(srv) as c:
        with pytest.raises(pop3.AuthenticationError) as ei:
            c.auth("SCRAM-SHA-256", "alice", "secret")
        assert ei.value.status == pop3._pop3.POP3_E_AUTH_SERVER
        assert c.state is pop3.State.DISCONNECTED


def test_authenticate_prefers_scram(server_factory):
    srv = alice(server_factory, "--sasl", "all", "--apop")
    with client_for(srv) as c:
        c.authenticate("alice", "secret")
        assert c.auth_used == "SCRAM-SHA-256"
    with client_for(srv, auth_methods=["APOP", "USER"]) as c:
        c.authenticate("alice", "secret")
        assert c.auth_used == "APOP"
    with client_for(srv, auth_methods="user") as c:
        c.authenticate("alice", "secret")
        assert c.auth_used == "USER"


def test_authenticate_needs_consent_for_cleartext(server_factory):
    # STLS if offered, and this server offers none: cleartext that a man
    # in the middle could have arranged, so no password goes out as is.
    srv = alice(server_factory)
    with client_for(srv, tls="stls_if_offered") as c:
        assert not c.is_tls
        with pytest.raises(pop3.AuthUnavailableError) as ei:
            c.authenticate("alice", "secret")
        assert ei.value.error_detail
        assert ei.value.error_detail in str(ei.value)
    assert not any(ln.startswith("PASS") for ln in srv.sent_lines())
    with client_for(srv, tls="stls_if_offered", allow_cleartext=True) as c:
        c.authenticate("alice", "secret")
        assert c.auth_used == "USER"


def test_auth_methods_checked():
    with pytest.raises(pop3.ArgumentError, match="unknown method"):
        pop3.Client(auth_methods=["SCRAM-SHA-512"])
    with pytest.raises(pop3.ArgumentError, match="no method"):
        pop3.Client(auth_methods=[])
    with pytest.raises(TypeError):
        pop3.Client(auth_methods=[7])
    with pytest.raises(TypeError):
        pop3.Client(auth_methods=3.5)
    assert pop3.Client(auth_methods=pop3.Auth.SCRAM_SHA_256 | pop3.Auth.APOP)


def test_utf8_option(server_factory):
    srv = server_factory("--user", "j\u00fcrgen:p\u00e4ss", "--utf8")
    with client_for(srv, utf8=True) as c:
        assert c.is_utf8
        c.login("j\u00fcrgen", "p\u00e4ss")
    assert "UTF8" in srv.sent_lines()
    plain = alice(server_factory)
    with client_for(plain) as c:
        with pytest.raises(pop3.UnsupportedError):
            c.utf8()
        assert not c.is_utf8


# -- TLS with the scripted server ------------------------------------------------

def test_stls_and_implicit_with_options(server_factory, certs):
    ca = str(certs / "ca.pem")
    srv = alice(server_factory, *tls_server_args(certs))
    with client_for(srv, tls="stls", ca_file=ca) as c:
        assert c.is_tls
        c.authenticate("alice", "secret")
        assert c.auth_used == "USER"  # under TLS, USER is fine
    implicit = alice(server_factory, *tls_server_args(certs, "--implicit-tls"))
    with client_for(implicit, tls="implicit", ca_file=ca,
                    server_name="localhost") as c:
        assert c.is_tls
        c.login("alice", "secret")
    with pytest.raises(pop3.CertificateError) as ei:
        client_for(implicit, tls="implicit",
                   ca_file=str(certs / "other-ca.pem"))
    assert "certificate verify failed" in ei.value.error_detail


def test_client_certificate_passes_through(server_factory, certs):
    srv = alice(server_factory, *tls_server_args(
        certs, "--implicit-tls", "--tls-client-ca", str(certs / "ca.pem")))
    ca = str(certs / "ca.pem")
    with client_for(srv, tls="implicit", ca_file=ca,
                    cert_file=str(certs / "client.pem"),
                    key_file=str(certs / "client.key")) as c:
        c.login("alice", "secret")
    with pytest.raises((pop3.TLSError, pop3.ConnectionError)):
        with client_for(srv, tls="implicit", ca_file=ca) as c:
            c.login("alice", "secret")


def test_stls_refused_ends_the_session(server_factory, certs):
    srv = alice(server_factory, *tls_server_args(certs, "--fault",
                                                 "stls-err"))
    with pytest.raises(pop3.TLSUnavailableError):
        client_for(srv, tls="stls", ca_file=str(certs / "ca.pem"))
    with client_for(srv, tls="none") as c:
        with pytest.raises(pop3.TLSUnavailableError):
            c.stls()
        assert c.state is pop3.State.DISCONNECTED
        with pytest.raises(pop3.TLSUnavailableError):
            c.login("alice", "secret")  # failed: nothing more is sent
    assert not auth_lines(srv)


def test_stls_injection_refused(server_factory, certs):
    srv = alice(server_factory, *tls_server_args(certs, "--fault",
                                                 "stls-inject"))
    with pytest.raises(pop3.ProtocolError):
        client_for(srv, tls="stls", ca_file=str(certs / "ca.pem"))
    assert not auth_lines(srv)
