"""pop3.Capabilities: what a server's CAPA reply (RFC 2449) listed."""

from __future__ import annotations

from collections.abc import Mapping

# typing is for the type checker alone: importing it costs a short-lived
# script more than the rest of the package (see docs/performance.md).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Dict, Iterable, Iterator, List, Optional, Tuple
    from typing import Mapping as _Mapping
    _Base = _Mapping[str, List[str]]
else:
    _Base = Mapping

__all__ = ["Capabilities"]


class Capabilities(_Base):
    """The server's capabilities: a read-only mapping of each capability's
    name to its arguments, in the order the server listed them.

    Names compare case-insensitively and are given in upper case::

        caps = client.capabilities()
        "UIDL" in caps                 # True
        caps["sasl"]                   # ['PLAIN', 'SCRAM-SHA-256']
        caps.get("LOGIN-DELAY")        # ['900'], or None
        caps.has_sasl("scram-sha-256") # True
        caps.arg("IMPLEMENTATION")     # 'Dovecot 2.3' (the text as sent)
        caps.lines                     # ('TOP', 'UIDL', 'SASL PLAIN ...')

    Arguments are the rest of the line split at spaces; :meth:`arg` gives
    that rest unsplit (for free text such as ``IMPLEMENTATION``).  An
    empty mapping means the server listed nothing -- or has no CAPA at
    all (RFC 1939 servers answer it with ``-ERR``).
    """

    __slots__ = ("_lines", "_caps", "_names")

    def __init__(self, lines: Iterable[str] = ()) -> None:
        self._lines: Tuple[str, ...] = tuple(lines)
        self._caps: Dict[str, Tuple[str, List[str]]] = {}
        for line in self._lines:
            name, _, rest = line.strip().partition(" ")
            # A name listed twice: the first line counts, as in C
            # (pop3_capa_arg).
            if name and name.upper() not in self._caps:
                self._caps[name.upper()] = (rest.strip(), rest.split())

    @property
    def lines(self) -> Tuple[str, ...]:
        """The capability lines as the server sent them."""
        return self._lines

    def __getitem__(self, name: str) -> List[str]:
        if not isinstance(name, str):
            raise KeyError(name)
        return list(self._caps[name.upper()][1])

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.upper() in self._caps

    def __iter__(self) -> Iterator[str]:
        return iter(self._caps)

    def __len__(self) -> int:
        return len(self._caps)

    def arg(self, name: str) -> Optional[str]:
        """The text after capability `name` as sent ("" when it has no
        arguments), or ``None`` when it is not listed."""
        entry = self._caps.get(name.upper())
        return None if entry is None else entry[0]

    @property
    def sasl(self) -> List[str]:
        """The SASL mechanisms offered (``AUTH``), upper case; [] when
        none."""
        return [m.upper() for m in self._caps.get("SASL", ("", []))[1]]

    def has_sasl(self, mechanism: str) -> bool:
        """Whether the SASL capability lists `mechanism` (any case)."""
        return mechanism.upper() in self.sasl

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Capabilities):
            return self._lines == other._lines
        if isinstance(other, Mapping):
            return dict(self.items()) == dict(other.items())
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # like dict's

    def __repr__(self) -> str:
        return f"Capabilities({dict(self.items())!r})"
