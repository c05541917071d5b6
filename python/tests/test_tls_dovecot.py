"""TLS, SASL and CAPA against a real server: the Dovecot of the test
fixture, started with --tls (a POP3S listener, STLS on the POP3 port, and
a test CA in $DOVECOT_DIR/tls/ca.pem that the system does not trust)."""

import pytest

import pop3
from conftest import MSG1, MSG2

PASSWORD = "secret"
MECHANISMS = ["PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-1", "SCRAM-SHA-256"]


@pytest.fixture
def tls_dovecot(dovecot):
    """The fixture's Dovecot, which must have TLS: no skipping here."""
    assert dovecot.pop3s_port, "the Dovecot fixture has no POP3S listener"
    assert dovecot.ca_file, "the Dovecot fixture has no test CA"
    return dovecot


@pytest.fixture
def mail(tls_dovecot, tmpdir_path):
    def seed(user):
        files = []
        for i, data in enumerate((MSG1, MSG2), 1):
            path = tmpdir_path / f"m{i}.eml"
            path.write_bytes(data)
            files.append(str(path))
        assert tls_dovecot.seed(user, files) == 2
    return seed


def pop3s(d, **kw):
    kw.setdefault("timeout", 20)
    return pop3.Client(d.host, d.pop3s_port, tls="implicit", **kw)


def stls(d, **kw):
    kw.setdefault("timeout", 20)
    return pop3.Client(d.host, d.port, tls="stls", **kw)


# -- POP3S and STLS, verified ------------------------------------------------

def test_pop3s_verified(tls_dovecot, mail):
    mail("py8")
    with pop3s(tls_dovecot, ca_file=tls_dovecot.ca_file) as c:
        assert c.is_tls
        c.login("py8", PASSWORD)
        assert b"".join(c.retrieve(1)) == MSG1
        assert b"".join(c.retrieve(2)) == MSG2


def test_stls_verified(tls_dovecot, mail):
    mail("py8")
    with stls(tls_dovecot, ca_file=tls_dovecot.ca_file) as c:
        assert c.is_tls  # upgraded in connect(), before any credential
        caps = c.capabilities(refresh=False)  # read again after STLS
        assert "STLS" not in caps and "UIDL" in caps
        c.authenticate("py8", PASSWORD)
        assert c.auth_used == "SCRAM-SHA-256"
        assert c.stat() == (2, len(MSG1) + len(MSG2))


def test_default_mode_is_stls_required(tls_dovecot, mail):
    # tls= not given: on a port other than 995 that is STLS, required.
    mail("py8")
    with pop3.Client(tls_dovecot.host, tls_dovecot.port, timeout=20,
                     ca_file=tls_dovecot.ca_file) as c:
        assert c.tls is pop3.TLS.DEFAULT and c.is_tls
        c.authenticate("py8", PASSWORD)
        assert c.stat().count == 2


def test_urls_are_secure_by_default(tls_dovecot, mail):
    mail("py8")
    d = tls_dovecot
    with pop3.connect(f"pop3s://py8:{PASSWORD}@{d.host}:{d.pop3s_port}",
                      ca_file=d.ca_file, timeout=20) as c:
        assert c.tls is pop3.TLS.IMPLICIT and c.is_tls
        assert c.stat().count == 2
    with pop3.connect(f"pop3://py8:{PASSWORD}@{d.host}:{d.port}",
                      ca_file=d.ca_file, timeout=20) as c:
        assert c.tls is pop3.TLS.STLS and c.is_tls
        assert c.auth_used == "SCRAM-SHA-256"
    url = f"pop3://py8;AUTH=CRAM-MD5:{PASSWORD}@{d.host}:{d.port}"
    with pop3.connect(url, ca_file=d.ca_file, timeout=20) as c:
        assert c.is_tls and c.auth_used == "CRAM-MD5"


def test_stls_by_hand(tls_dovecot, mail):
    mail("py8")
    with pop3.Client(tls_dovecot.host, tls_dovecot.port, tls="none",
                     ca_file=tls_dovecot.ca_file, timeout=20) as c:
        assert not c.is_tls
        assert "STLS" in c.capabilities()
        c.stls()
        assert c.is_tls
        assert "STLS" not in c.capabilities()
        with pytest.raises(pop3.StateError):
            c.stls()  # TLS is on already: nothing sent
        c.auth("SCRAM-SHA-256", "py8", PASSWORD)
        assert c.stat().count == 2


# -- what is refused ------------------------------------------------------------

def test_untrusted_ca_refused(tls_dovecot):
    # The test CA is not in the system's store.
    with pytest.raises(pop3.CertificateError) as ei:
        pop3s(tls_dovecot)
    e = ei.value
    assert isinstance(e, pop3.TLSError)
    assert "certificate verify failed" in e.error_detail
    assert e.error_detail in str(e)
    assert e.operation == "connect"


def test_wrong_ca_refused(tls_dovecot, certs):
    # A CA file that is valid but did not sign Dovecot's certificate,
    # over POP3S and over STLS alike.
    for make in (pop3s, stls):
        with pytest.raises(pop3.CertificateError) as ei:
            make(tls_dovecot, ca_file=str(certs / "other-ca.pem"))
        assert "certificate verify failed" in ei.value.error_detail


def test_wrong_name_refused(tls_dovecot):
    with pytest.raises(pop3.CertificateError) as ei:
        pop3s(tls_dovecot, ca_file=tls_dovecot.ca_file,
              server_name="mail.example.org")
    assert "hostname mismatch" in ei.value.error_detail
    # The certificate names localhost: right name, right CA, same address.
    with pop3s(tls_dovecot, ca_file=tls_dovecot.ca_file,
               server_name="localhost") as c:
        assert c.is_tls


def test_unreadable_ca_file_is_a_tls_error(tls_dovecot, tmpdir_path):
    with pytest.raises(pop3.TLSError) as ei:
        pop3s(tls_dovecot, ca_file=str(tmpdir_path / "missing.pem"))
    assert ei.value.error_detail


def test_verify_off_only_when_asked(tls_dovecot, mail):
    mail("py8")
    with pop3s(tls_dovecot, verify=False) as c:
        assert c.is_tls
        c.login("py8", PASSWORD)


# -- SASL against Dovecot ------------------------------------------------------

@pytest.mark.parametrize("mech", MECHANISMS)
def test_each_sasl_mechanism(tls_dovecot, mail, mech):
    mail("py7")
    with stls(tls_dovecot, ca_file=tls_dovecot.ca_file) as c:
        assert c.capabilities().has_sasl(mech)
        c.auth(mech, "py7", PASSWORD)
        assert c.auth_used == mech
        assert c.state is pop3.State.TRANSACTION
        assert b"".join(c.retrieve(1)) == MSG1


@pytest.mark.parametrize("mech", ["PLAIN", "SCRAM-SHA-256"])
def test_sasl_wrong_password(tls_dovecot, mech):
    with stls(tls_dovecot, ca_file=tls_dovecot.ca_file) as c:
        with pytest.raises(pop3.AuthenticationError) as ei:
            c.auth(mech, "py7", "not-the-password")
        assert ei.value.resp_code == "AUTH"
        assert "not-the-password" not in str(ei.value)


def test_sasl_in_cleartext_session(tls_dovecot, mail):
    # tls="none" is the caller's choice of cleartext; SCRAM never sends
    # the password anyway.
    mail("py7")
    with pop3.Client(tls_dovecot.host, tls_dovecot.port, tls="none",
                     timeout=20) as c:
        c.auth("SCRAM-SHA-256", "py7", PASSWORD)
        assert not c.is_tls and c.stat().count == 2


def test_authenticate_picks_and_limits(tls_dovecot, mail):
    mail("py7")
    d = tls_dovecot
    with stls(d, ca_file=d.ca_file) as c:
        c.authenticate("py7", PASSWORD)
        assert c.auth_used == "SCRAM-SHA-256"
    with stls(d, ca_file=d.ca_file, auth_methods=["plain", "USER"]) as c:
        c.authenticate("py7", PASSWORD)
        assert c.auth_used == "PLAIN"
    with stls(d, ca_file=d.ca_file, auth_methods=pop3.Auth.APOP) as c:
        c.authenticate("py7", PASSWORD)
        assert c.auth_used == "APOP"
    with stls(d, ca_file=d.ca_file,
              auth_methods=pop3.Auth.CRAM_MD5 | pop3.Auth.USER) as c:
        c.authenticate("py7", PASSWORD)
        assert c.auth_used == "CRAM-MD5"


# -- capabilities ---------------------------------------------------------------

def test_capabilities_of_dovecot(tls_dovecot):
    with pop3.Client(tls_dovecot.host, tls_dovecot.port, tls="none",
                     timeout=20) as c:
        caps = c.capabilities()
        for name in ("TOP", "UIDL", "RESP-CODES", "PIPELINING", "USER",
                     "AUTH-RESP-CODE", "STLS", "SASL"):
            assert name in caps, (name, caps.lines)
        assert set(MECHANISMS) <= set(caps["SASL"])
        assert caps["sasl"] == caps.sasl  # any case
        assert caps["TOP"] == [] and caps.arg("TOP") == ""
        assert caps.get("LOGIN-DELAY") is None and caps.arg("NOPE") is None
        assert list(caps) == [ln.split()[0].upper() for ln in caps.lines]
        c.login("py6", PASSWORD)
        after = c.capabilities()
        assert "STLS" not in after and "UIDL" in after
