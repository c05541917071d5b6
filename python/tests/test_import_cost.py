"""`import pop3` loads only what a session needs: typing, urllib.parse
and the email package are each slower to import than the package itself,
so a short script that fetches mail must not pay for them (typing is for
type checkers, urllib.parse for pop3.connect, email for read_message)."""
import os
import subprocess
import sys
from pathlib import Path

import pop3

HEAVY = ("typing", "urllib.parse", "email", "asyncio", "ssl")


def _loaded_after(code):
    # A fresh interpreter: this one has pytest, which imports them all.
    # -S: the site hooks of this machine's Python may import any of them.
    env = dict(os.environ, PYTHONPATH=str(Path(pop3.__file__).parents[1]))
    r = subprocess.run(
        [sys.executable, "-S", "-c",
         code + "\nimport sys\nprint(' '.join(m for m in %r "
         "if m in sys.modules))" % (HEAVY,)],
        env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return r.stdout.split()


def test_import_pop3_stays_light():
    assert _loaded_after("import pop3") == []


def test_a_session_object_stays_light():
    # Making a client and reading the public names loads nothing heavy.
    assert _loaded_after(
        "import pop3\n"
        "c = pop3.Client(tls='none')\n"
        "pop3.Stat(1, 2), pop3.Capabilities, pop3.State.TRANSACTION\n"
        "c.close()") == []


def test_the_type_aliases_still_import():
    from pop3._client import AuthMethods, StrOrBytes, TraceHook
    import typing
    assert StrOrBytes == typing.Union[str, bytes]
    assert TraceHook is not None and AuthMethods is not None
    import pop3._client as m
    try:
        m.NoSuchName
    except AttributeError as e:
        assert "NoSuchName" in str(e)
    else:
        raise AssertionError("missing names must raise AttributeError")


def test_stat_is_still_a_named_pair():
    s = pop3.Stat(3, 4096)
    assert s == (3, 4096) and s.count == 3 and s.size == 4096
    assert s._asdict() == {"count": 3, "size": 4096}
    assert repr(s) == "Stat(count=3, size=4096)"
    assert "octets" in pop3.Stat.size.__doc__


def test_type_hints_resolve_with_the_documented_names():
    # docs/python.md: the annotations' names must be passed in.
    import email.message
    import typing
    import pop3._client as m
    names = {**vars(typing), **vars(m), "email": email,
             "StrOrBytes": m.StrOrBytes, "TraceHook": m.TraceHook,
             "AuthMethods": m.AuthMethods}
    for cls in (pop3.Client, pop3.Body, pop3.Batch, pop3.Capabilities):
        for name, fn in vars(cls).items():
            if callable(fn) and getattr(fn, "__annotations__", None):
                typing.get_type_hints(fn, names)  # raises if one is missing
    hints = typing.get_type_hints(pop3.Client.login, names)
    assert hints["user"] == typing.Union[str, bytes]
