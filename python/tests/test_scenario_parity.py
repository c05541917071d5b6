"""pop3.Client and pop3.aio.Client give the same results on every scenario
of tests/scenarios: the calls of tests/scenarios/calls.txt are made by
both, each against its own scripted server, and what they return or raise
(class, status, server text, response code), the greeting, the state at
the end and the lines the server received must all be equal."""

import asyncio
from pathlib import Path

import pytest

import pop3
import pop3.aio
from conftest import SOURCE_DIR, sessions

SCENARIOS = SOURCE_DIR / "tests" / "scenarios" if SOURCE_DIR else None


def read_calls(path):
    """{scenario name: (options, [call words])} from calls.txt."""
    sections, current = {}, None
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], ({}, []))
            continue
        words = line.split(" ")
        if words[0] == "options":
            current[0].update(w.split("=", 1) for w in words[1:])
        else:
            current[1].append(words)
    return sections


CALLS = read_calls(SCENARIOS / "calls.txt") if SCENARIOS else {}
NAMES = sorted(p.stem for p in SCENARIOS.glob("*.scenario")) \
    if SCENARIOS else []


def test_every_scenario_has_calls():
    assert NAMES, "no scenarios found"
    assert sorted(CALLS) == NAMES


def error_of(e):
    return ("error", type(e).__name__, e.status, e.server_text, e.resp_code)


def value_of(v):
    if isinstance(v, pop3.Stat):
        return ("stat", v.count, v.size)
    if isinstance(v, pop3.Capabilities):
        return ("capa", sorted((k, tuple(a)) for k, a in v.items()))
    return ("ok", v)


def many_args(args):
    """retrieve_many [then_quit] N...: (numbers, then_quit)."""
    then_quit = args[:1] == ["then_quit"]
    return [int(a) for a in args[then_quit:]], then_quit


def blocking_batch(batch):
    out = []
    for n, body in batch:
        try:
            out.append((n, "ok", b"".join(body)))
        except pop3.Error as e:
            out.append((n,) + error_of(e))
    return out


async def aio_batch(batch):
    out = []
    async for n, body in batch:
        try:
            out.append((n, "ok", await body.read()))
        except pop3.Error as e:
            out.append((n,) + error_of(e))
    return out


def blocking_run(port, options, calls):
    results = []
    try:
        c = pop3.Client("127.0.0.1", port, **options)
    except pop3.Error as e:
        return [("connect",) + error_of(e)], "disconnected"
    results.append(("connect", c.greeting, c.apop_timestamp))
    for words in calls:
        verb, args = words[0], words[1:]
        try:
            if verb in ("retrieve", "top"):
                value = b"".join(getattr(c, verb)(*map(int, args)))
            elif verb == "retrieve_many":
                nums, then_quit = many_args(args)
                value = blocking_batch(c.retrieve_many(
                    nums, then_quit=then_quit))
            elif verb in ("login", "apop"):
                value = getattr(c, verb)(*args)
            else:
                value = getattr(c, verb)(*map(int, args))
            results.append((verb,) + value_of(value))
        except pop3.Error as e:
            results.append((verb,) + error_of(e))
    state = c.state.name.lower()
    c.close()
    return results, state


async def aio_run(port, options, calls):
    results = []
    c = pop3.aio.Client(**options)
    try:
        await c.connect("127.0.0.1", port)
    except pop3.Error as e:
        return [("connect",) + error_of(e)], "disconnected"
    results.append(("connect", c.greeting, c.apop_timestamp))
    for words in calls:
        verb, args = words[0], words[1:]
        try:
            if verb in ("retrieve", "top"):
                value = await getattr(c, verb)(*map(int, args)).read()
            elif verb == "retrieve_many":
                nums, then_quit = many_args(args)
                value = await aio_batch(c.retrieve_many(
                    nums, then_quit=then_quit))
            elif verb in ("login", "apop"):
                value = await getattr(c, verb)(*args)
            else:
                value = await getattr(c, verb)(*map(int, args))
            results.append((verb,) + value_of(value))
        except pop3.Error as e:
            results.append((verb,) + error_of(e))
    state = c.state.name.lower()
    await c.close()
    return results, state


def client_options(words):
    """The keywords both clients take for calls.txt's options words;
    pipelining is left to the clients' default unless given."""
    unknown = set(words) - {"tls", "timeout", "pipeline_login",
                            "early_capa", "pipelining"}
    assert not unknown, f"unknown options in calls.txt: {unknown}"
    options = {"tls": words.get("tls", "none"),
               "timeout": float(words.get("timeout", 10)),
               "pipeline_login": words.get("pipeline_login") == "yes",
               "early_capa": words.get("early_capa") == "yes"}
    if "pipelining" in words:
        options["pipelining"] = words["pipelining"]
    return options


@pytest.mark.parametrize("name", NAMES)
def test_blocking_and_asyncio_agree(server_factory, name):
    options, calls = CALLS[name]
    options = client_options(options)
    scenario = str(SCENARIOS / f"{name}.scenario")
    srv_b = server_factory("--scenario", scenario)
    srv_a = server_factory("--scenario", scenario)

    want = blocking_run(srv_b.port, options, calls)
    got = asyncio.run(asyncio.wait_for(
        aio_run(srv_a.port, options, calls), 60))
    # One call at a time, so a failure shows the call that differs.
    for g, w in zip(got[0], want[0]):
        assert g == w
    assert got == want
    srv_b.stop()
    srv_a.stop()
    # Both sent what the scenario expects: no other line (#MISMATCH), and
    # nothing before a reply the scenario says to wait for (#EARLY, at
    # its Q) ...
    for client, srv in (("pop3.Client", srv_b), ("pop3.aio", srv_a)):
        bad = [line for line in srv.log_text().splitlines()
               if line.startswith(("#MISMATCH", "#EARLY"))]
        assert not bad, (client, bad)
    # ... and the same bytes went out.
    assert sessions(srv_a) == sessions(srv_b)
    assert len(sessions(srv_a)) == 1
