"""pop3 -- a POP3 client (RFC 1939, with TLS), over the libpop3 C library.

Quick start::

    import pop3

    with pop3.Client("mail.example.org", tls="implicit") as c:
        c.login("alice", "secret")
        for n, uid in c.uidl().items():
            msg = c.read_message(n)          # an email.message.EmailMessage
            print(uid, msg["Subject"])

or ``pop3.connect("pop3s://alice:secret@mail.example.org")``.

- :class:`Client` -- one session; a context manager that sends QUIT on a
  clean exit and only drops the connection on an exception, so an
  interrupted session never commits deletions.
- :meth:`Client.retrieve` / :meth:`Client.top` -- a message as an iterator
  of ``bytes`` chunks, in constant memory; :meth:`Client.read_message`
  parses it; :meth:`Client.retrieve_many` / :meth:`Client.delete_many`
  pipeline many messages.
- :meth:`Client.authenticate` -- the strongest login both sides support
  (SCRAM, CRAM-MD5, ..., APOP, USER); :meth:`Client.auth` for a named
  SASL mechanism; :meth:`Client.capabilities` for CAPA.
- :class:`Error` and its subclasses -- every failure, with the server's
  text and response code.

Blocking calls release the GIL: threads, each with its own client, run in
parallel.  Docs: docs/python.md in the libpop3 source tree.
"""

from . import _pop3
from ._capa import Capabilities
from ._client import TLS, Auth, Batch, Body, Client, Stat, State
from ._errors import (ArgumentError, AuthenticationError, AuthUnavailableError,
                      BusyError, CertificateError, ConnectionError, Error,
                      LineTooLongError, LoginDelayError, MailboxInUseError,
                      PermanentServerError, ProtocolError, ServerError,
                      StateError, TemporaryServerError, TimeoutError,
                      TLSError, TLSUnavailableError, UnsupportedError)
from ._url import connect

__version__: str = _pop3.pop3_version()
"""The version of the bundled C library (and of this package)."""

__all__ = [
    "Client", "connect", "Body", "Batch", "Capabilities", "Stat", "State",
    "TLS", "Auth",
    "Error", "ArgumentError", "UnsupportedError", "StateError", "BusyError",
    "ServerError", "MailboxInUseError", "LoginDelayError",
    "TemporaryServerError", "PermanentServerError", "AuthenticationError",
    "AuthUnavailableError", "ProtocolError", "LineTooLongError",
    "ConnectionError", "TimeoutError", "TLSError", "CertificateError",
    "TLSUnavailableError", "__version__",
]
