"""The exception classes, one per family of the C library's status codes.

Every failure the library reports becomes an instance of :class:`Error` or
one of its subclasses; the C status number stays available as
``.status`` (with its name as ``.status_name``), and the server's last
reply as ``.server_text`` and ``.resp_code``.
"""

from __future__ import annotations

import builtins

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only; typing is slow to import
    from typing import Any, Dict, List, Optional, Type

from . import _pop3 as _c

__all__ = [
    "Error", "ArgumentError", "UnsupportedError", "StateError", "BusyError",
    "ServerError", "MailboxInUseError", "LoginDelayError",
    "TemporaryServerError", "PermanentServerError", "AuthenticationError",
    "AuthUnavailableError", "ProtocolError", "LineTooLongError",
    "ConnectionError", "TimeoutError", "TLSError", "CertificateError",
    "TLSUnavailableError",
]


class Error(Exception):
    """Base class of every error raised by :mod:`pop3`.

    Attributes:
        status: the C library's status code (an ``int``, e.g. 400).
        status_name: its short English description (``pop3_strerror``).
        server_text: the text of the server's last status line, after
            ``-ERR`` and any response code ("" when there was none).
        resp_code: the RFC 2449 response code of that line, without
            brackets, e.g. ``"IN-USE"`` ("" when there was none).
        error_detail: the C library's sentence on the failure where the
            status alone says little (``pop3_error_detail``), e.g.
            ``"certificate verify failed: hostname mismatch"``, which TLS
            file did not load, or why no login method was left; "" when
            there is none.  Never holds a secret.
        operation: what was being done, e.g. ``"login"``.
    """

    status: int
    status_name: str
    server_text: str
    resp_code: str
    error_detail: str
    operation: str

    def __init__(self, message: str, *, status: int = 0,
                 server_text: str = "", resp_code: str = "",
                 operation: str = "", error_detail: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.status_name = _c.pop3_strerror(status) if status else ""
        self.server_text = server_text
        self.resp_code = resp_code
        self.error_detail = error_detail
        self.operation = operation


class ArgumentError(Error, ValueError):
    """An argument was refused before anything was sent (for example a
    user name containing CR or LF, or message number 0)."""


class UnsupportedError(Error):
    """Not available in this build or this session."""


class StateError(Error):
    """The command is not allowed in the session's current state (for
    example ``stat()`` before logging in).  Nothing was sent."""


class BusyError(StateError):
    """A message or listing is still being read on this client: finish
    iterating it, or call its ``close()``."""


class ServerError(Error):
    """The server answered ``-ERR``; see ``server_text`` and
    ``resp_code``.

    From :meth:`Client.delete_many`, when the server refused some of the
    messages: ``failed`` maps each refused number to its own error, and
    ``deleted`` lists the numbers that are marked for deletion."""

    failed: Optional[Dict[int, Error]] = None
    deleted: Optional[List[int]] = None


class MailboxInUseError(ServerError):
    """``-ERR [IN-USE]``: another session holds the maildrop."""


class LoginDelayError(ServerError):
    """``-ERR [LOGIN-DELAY]``: logged in again too soon."""


class TemporaryServerError(ServerError):
    """``-ERR [SYS/TEMP]``: a transient server fault; retry later."""


class PermanentServerError(ServerError):
    """``-ERR [SYS/PERM]``: a permanent server fault."""


class AuthenticationError(Error):
    """The server refused the credentials."""


class AuthUnavailableError(AuthenticationError):
    """No usable authentication mechanism (e.g. APOP without a timestamp
    in the greeting)."""


class ProtocolError(Error):
    """The server broke the protocol.  The client is now failed: only
    ``close()`` still works -- except for malformed lines in a LIST or
    UIDL listing: the listing is then read to its end, the session goes
    on, and ``partial`` holds the well-formed entries."""

    partial: Optional[Dict[int, Any]] = None


class LineTooLongError(ProtocolError):
    """A status or listing line from the server was over the limit."""


class ConnectionError(Error, builtins.ConnectionError):
    """Resolving, connecting, reading or writing failed, or the server
    closed the connection.  Also a :class:`builtins.ConnectionError`."""

    def __str__(self) -> str:  # OSError would format (errno, strerror)
        return str(self.args[0]) if self.args else ""


class TimeoutError(Error, builtins.TimeoutError):
    """A connect or I/O deadline passed.  Also a
    :class:`builtins.TimeoutError`."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class TLSError(Error):
    """The TLS handshake or TLS I/O failed."""


class CertificateError(TLSError):
    """The server's certificate or host name is not trusted."""


class TLSUnavailableError(TLSError):
    """TLS was required but the server does not offer it; no credential
    was sent."""


_BY_STATUS: Dict[int, Type[Error]] = {
    _c.POP3_E_ARG: ArgumentError,
    _c.POP3_E_NOMEM: Error,
    _c.POP3_E_UNSUPPORTED: UnsupportedError,
    _c.POP3_E_STATE: StateError,
    _c.POP3_E_BUSY: BusyError,
    _c.POP3_E_SERVER: ServerError,
    _c.POP3_E_IN_USE: MailboxInUseError,
    _c.POP3_E_LOGIN_DELAY: LoginDelayError,
    _c.POP3_E_SYS_TEMP: TemporaryServerError,
    _c.POP3_E_SYS_PERM: PermanentServerError,
    _c.POP3_E_AUTH: AuthenticationError,
    _c.POP3_E_AUTH_UNAVAILABLE: AuthUnavailableError,
    _c.POP3_E_PROTOCOL: ProtocolError,
    _c.POP3_E_LINE_TOO_LONG: LineTooLongError,
    _c.POP3_E_IO: ConnectionError,
    _c.POP3_E_EOF: ConnectionError,
    _c.POP3_E_CONNECT: ConnectionError,
    _c.POP3_E_RESOLVE: ConnectionError,
    _c.POP3_E_TIMEOUT: TimeoutError,
    _c.POP3_E_TLS: TLSError,
    _c.POP3_E_CERT: CertificateError,
    _c.POP3_E_TLS_UNAVAILABLE: TLSUnavailableError,
}

# A status added to the C library later still lands in the right family.
_BY_FAMILY: Dict[int, Type[Error]] = {
    _c.POP3_FAMILY_ARG: ArgumentError,
    _c.POP3_FAMILY_STATE: StateError,
    _c.POP3_FAMILY_SERVER: ServerError,
    _c.POP3_FAMILY_AUTH: AuthenticationError,
    _c.POP3_FAMILY_PROTOCOL: ProtocolError,
    _c.POP3_FAMILY_IO: ConnectionError,
    _c.POP3_FAMILY_TIMEOUT: TimeoutError,
    _c.POP3_FAMILY_TLS: TLSError,
}


def error_class(status: int) -> Type[Error]:
    """The exception class for a C status code."""
    cls = _BY_STATUS.get(status)
    if cls is None:
        cls = _BY_FAMILY.get(_c.pop3_status_family(status), Error)
    return cls


def make_error(status: int, operation: str, server_text: str = "",
               resp_code: str = "", detail: Optional[str] = None,
               error_detail: str = "") -> Error:
    """Build the exception for `status`, with a message that names the
    operation, the failure, the C library's detail and, when the server
    said something, its reply:
    ``login: authentication failed (server: [AUTH] bad password)``,
    ``connect: server certificate not trusted: certificate verify failed:
    unable to get local issuer certificate``.
    """
    message = f"{operation}: {_c.pop3_strerror(status)}"
    if error_detail:
        message += f": {error_detail}"
    if detail:
        message += f" ({detail})"
    if server_text or resp_code:
        reply = f"[{resp_code}] {server_text}" if resp_code else server_text
        message += f" (server: {reply.strip()})"
    return error_class(status)(message, status=status,
                               server_text=server_text, resp_code=resp_code,
                               operation=operation,
                               error_detail=error_detail)
