"""pop3.connect(url): a logged-in Client from a pop3:// or pop3s:// URL."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only; typing is slow to import
    from typing import Any, Optional

from . import _pop3 as _c
from ._client import TLS, Client
from ._errors import ArgumentError

__all__ = ["connect"]


def _refuse(url: str, why: str) -> ArgumentError:
    # Never echo the URL itself: it may hold a password.
    return ArgumentError(f"connect: bad POP3 URL: {why}",
                         status=_c.POP3_E_ARG)


def connect(url: str, **options: Any) -> Client:
    """Connect to the server a URL names and, if the URL has a user, log in.

    ``pop3://[user[;AUTH=mech][:password]@]host[:port][/]`` and the same
    with ``pop3s://``, as curl reads them (RFC 2384):

    - ``pop3s://`` is implicit TLS (default port 995); ``pop3://`` is STLS,
      required (default port 110), on any port.  ``tls=`` overrides both.
    - user and password are percent-decoded (``%40`` for ``@``).
    - ``;AUTH=+APOP`` asks for APOP, ``;AUTH=<mechanism>`` for that SASL
      mechanism, ``;AUTH=*`` (or none) for :meth:`Client.authenticate`.
    - IPv6 addresses go in brackets: ``pop3://[::1]:1100``.

    Other keyword arguments go to :class:`Client`.  On any failure the
    connection is closed (no QUIT) before the exception propagates.
    """
    if not isinstance(url, str):
        raise TypeError(f"url must be a str, not {type(url).__name__}")
    # Here, not at the top: urllib.parse is slow to import and only
    # connect() needs it.
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("pop3", "pop3s"):
        raise _refuse(url, "the scheme must be pop3:// or pop3s://")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise _refuse(url, "a POP3 URL here names a server only, with no "
                      "path, query or fragment")
    try:
        host = parts.hostname
        port: Optional[int] = parts.port
    except ValueError as e:
        raise _refuse(url, str(e)) from None
    if not host:
        raise _refuse(url, "no host")
    # Secure by default: pop3s:// is TLS from the first byte; pop3:// must
    # be upgraded with STLS before a credential goes out, whatever the
    # port (as curl reads pop3://, never implicit TLS).
    options.setdefault("tls", TLS.IMPLICIT if scheme == "pop3s" else TLS.STLS)

    user = mech = password = None
    if parts.username is not None:
        user = unquote(parts.username)
        # RFC 2384: user;AUTH=mechanism
        name, sep, auth = user.partition(";")
        if sep:
            if not auth.upper().startswith("AUTH="):
                raise _refuse(url, "only ;AUTH= may follow the user name")
            user, mech = name, auth[5:]
    if parts.password is not None:
        password = unquote(parts.password)
    if user is not None and password is None:
        raise _refuse(url, "a user but no password")

    client = Client(**options)
    try:
        client.connect(host, port)
        if user is not None and password is not None:
            if mech is None or mech == "*":
                client.authenticate(user, password)
            elif mech.upper() == "+APOP":
                client.apop(user, password)
            else:
                client.auth(mech, user, password)
    except BaseException:
        client.close()
        raise
    return client
