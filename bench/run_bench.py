#!/usr/bin/env python3
"""The benchmark: libpop3 (C, Python, Lua) against its peers, on a real
Dovecot on loopback.  `make bench` runs it; `make bench-smoke` (and the
CTest test bench_smoke) runs a tiny version to keep it working.

    run_bench.py --build BUILD_DIR [--out DIR] [--png] [--smoke]
                 [--scale S] [--reps N] [--delay-reps N] [--only KEY,...]

For each workload it seeds one maildrop, then runs every tool REPS times,
in a rotating order, each run fetching every message; a run whose tool
did not receive every octet of the maildrop fails the benchmark.  The
report (medians) goes to OUT/results.md, the chart to OUT/results.png,
the raw samples to OUT/results.json.  Must run as root (Dovecot).

Environment: BENCH_SCALE (e.g. 0.1 for a quick run) scales the number of
messages, or the size of a single message; BENCH_REPS the repetitions.
"""

import argparse
import json
import os
import platform
import poplib
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(SRC, "tests", "dovecot"))

import delay_proxy  # noqa: E402
import harness  # noqa: E402
import measure  # noqa: E402
import report  # noqa: E402
import setup_deps  # noqa: E402
import tools as toolmod  # noqa: E402

KIB, MIB = 1024, 1024 * 1024
PASSWORD = "secret"
RUN_TIMEOUT = 900.0  # one run of one tool, seconds


class Workload:
    def __init__(self, key, count, size, delay_ms=0):
        self.key, self.count, self.size = key, count, size
        self.delay_ms = delay_ms

    @property
    def user(self):
        return "bench" + self.key

    def scaled(self, scale):
        """Fewer messages, or a smaller single message."""
        if self.count > 1:
            return Workload(self.key, max(1, round(self.count * scale)),
                            self.size, self.delay_ms)
        return Workload(self.key, 1, max(KIB, int(self.size * scale)),
                        self.delay_ms)

    def title(self):
        t = "%s × %s" % (format(self.count, ","), report.human(self.size))
        if self.delay_ms:
            t += ", %g ms each way" % self.delay_ms
        return t


WORKLOADS = [
    Workload("4k", 2000, 4 * KIB),
    Workload("256k", 200, 256 * KIB),
    Workload("200m", 1, 200 * MIB),
    Workload("delay", 500, 4 * KIB, delay_ms=10),
]


class Interrupted(Exception):
    pass


def _on_signal(signum, frame):
    raise Interrupted("signal %d" % signum)


def stat(port, user):
    """(count, octets) of a maildrop, by STAT."""
    c = poplib.POP3("127.0.0.1", port, timeout=60)
    try:
        c.user(user)
        c.pass_(PASSWORD)
        return c.stat()
    finally:
        c.quit()


def machine():
    """What the numbers were measured on."""
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = ""
    try:
        with open("/proc/meminfo") as f:
            mem = "%.1f GiB" % (int(f.readline().split()[1]) / MIB)
    except (OSError, ValueError, IndexError):
        pass
    dovecot = subprocess.run(["dovecot", "--version"], capture_output=True,
                             text=True).stdout.strip()
    return {"cpu": cpu, "cores": os.cpu_count(), "memory": mem,
            "kernel": platform.release(), "system": platform.platform(),
            "dovecot": dovecot}


def run_tool(tool, ep, tag):
    """One measured run; (sample dict, error or None)."""
    argv, env = tool.command(ep, tag)
    try:
        r = measure.run(argv, os.path.join(tool.ctx["build"], "bench",
                                           "rusage_run"),
                        env=env, timeout=RUN_TIMEOUT)
    except TimeoutError as e:
        return None, str(e)
    err = None
    if r.rc != 0:
        err = "exit status %d: %s" % (r.rc, r.stderr.strip()[-300:])
    else:
        try:
            got = tool.octets(r, ep, tag)
        except (ValueError, IndexError):
            got = -1
        err = tool.check(got, ep) if got >= 0 else \
            "could not count what it received"
    tool.after(ep, tag)
    return {"wall": r.wall, "cpu": r.cpu, "rss_kb": r.rss_kb}, err


def run_workload(wl, dovecot_dir, port, tools, reps, warmup, log):
    """Every tool `reps` times on one seeded maildrop, order rotating."""
    count, octets = stat(port, wl.user)
    if count != wl.count:
        raise RuntimeError("%s: seeded %d messages, STAT says %d"
                           % (wl.user, wl.count, count))
    proxy = None
    try:
        if wl.delay_ms:
            proxy, port = delay_proxy.start(port, wl.delay_ms)
        ep = toolmod.Endpoint("127.0.0.1", port, wl.user, PASSWORD,
                              count, octets)
        for t in tools:
            t.prepare(ep, wl.key)
        result = {"key": wl.key, "title": wl.title(), "count": count,
                  "octets": octets, "load_before": os.getloadavg(),
                  "samples": {t.key: [] for t in tools},
                  "errors": {t.key: [] for t in tools}}
        # Warm Dovecot's index and the page cache; not measured.
        if warmup:
            for t in tools:
                if t.key in ("limit", "c"):
                    run_tool(t, ep, wl.key)
        for rep in range(reps):
            order = tools[rep % len(tools):] + tools[:rep % len(tools)]
            for t in order:
                sample, err = run_tool(t, ep, wl.key)
                if err:
                    result["errors"][t.key].append(err)
                    log("  %-20s FAILED: %s" % (t.label, err))
                else:
                    result["samples"][t.key].append(sample)
                    log("  %-20s %8.3f s  cpu %7.3f s  rss %7.1f MiB"
                        % (t.label, sample["wall"], sample["cpu"],
                           sample["rss_kb"] / KIB))
        result["load_after"] = os.getloadavg()
        return result
    finally:
        delay_proxy.stop(proxy)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", required=True, help="the CMake build dir")
    ap.add_argument("--out", help="where results.md/.png go "
                    "(default: bench/, or BUILD/bench/smoke with --smoke)")
    ap.add_argument("--png", action="store_true",
                    help="draw results.png (installs matplotlib from PyPI "
                    "under BUILD/bench if it is missing)")
    ap.add_argument("--smoke", action="store_true",
                    help="tiny and quick: scale 0.01, one repetition")
    ap.add_argument("--scale", type=float,
                    default=float(os.environ.get("BENCH_SCALE", "1")))
    ap.add_argument("--reps", type=int,
                    default=int(os.environ.get("BENCH_REPS", "5")))
    ap.add_argument("--delay-reps", type=int, default=3,
                    help="repetitions of the delay workload (slow peers)")
    ap.add_argument("--only", help="comma-separated tool keys")
    ap.add_argument("--note", default=os.environ.get("BENCH_NOTE", ""),
                    help="a line on the conditions, quoted in the report")
    ap.add_argument("--workloads", help="comma-separated workload keys")
    args = ap.parse_args(argv)
    if args.smoke:
        args.scale, args.reps, args.delay_reps = 0.01, 1, 1
    if os.geteuid() != 0:
        ap.error("must run as root (Dovecot switches users)")

    build = os.path.abspath(args.build)
    bench_dir = os.path.join(build, "bench")
    out = os.path.abspath(args.out or (os.path.join(bench_dir, "smoke")
                                       if args.smoke else HERE))
    tag = "smoke" if args.smoke else "full"
    work = os.path.join(bench_dir, "work-" + tag)
    dovecot_dir = os.path.join(bench_dir, "dovecot-" + tag)
    for d in (build, bench_dir, work, out):
        os.makedirs(d, exist_ok=True)
    for d in (build, bench_dir):
        os.chmod(d, os.stat(d).st_mode | 0o005)  # Dovecot must traverse

    def log(msg):
        print(msg, flush=True)

    python, python_how = setup_deps.python_venv(bench_dir, log)
    ctx = {"build": build, "work": work, "python": python,
           "python_site": setup_deps.python_site(bench_dir, log)}
    tools = toolmod.all_tools(ctx)
    if args.only:
        keep = set(args.only.split(","))
        tools = [t for t in tools if t.key in keep or t.key == "c"]
    skipped = {t.key: t.missing() for t in tools if t.missing()}
    for k, why in skipped.items():
        if k == "c":
            ap.error(why)
        log("skipping %s: %s" % (k, why))
    runnable = [t for t in tools if t.key not in skipped]

    workloads = [w.scaled(args.scale) for w in WORKLOADS]
    if args.workloads:
        keep = set(args.workloads.split(","))
        workloads = [w for w in workloads if w.key in keep]

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _on_signal)
    results = {"started": time.strftime("%Y-%m-%d %H:%M:%S %z"),
               "scale": args.scale, "reps": args.reps,
               "delay_reps": args.delay_reps, "machine": machine(),
               "note": args.note, "python": python_how,
               "tools": [{"key": t.key, "label": t.label,
                          "libpop3": t.libpop3, "limit": t.limit,
                          "version": t.version(),
                          "missing": skipped.get(t.key)} for t in tools],
               "workloads": []}
    failed = False
    try:
        users = [(w.user, PASSWORD) for w in workloads]
        info = harness.start(dovecot_dir, users)
        port = info["pop3_port"]
        for w in workloads:
            log("seeding %s: %s" % (w.user, w.title()))
            harness.seed(dovecot_dir, w.user, generate=(w.count, w.size))
        for w in workloads:
            reps = args.delay_reps if w.delay_ms else args.reps
            log("workload %s (%d repetitions, load %.2f)"
                % (w.title(), reps, os.getloadavg()[0]))
            res = run_workload(w, dovecot_dir, int(port), runnable, reps,
                               not (args.smoke or w.delay_ms), log)
            res["delay_ms"] = w.delay_ms
            results["workloads"].append(res)
            failed = failed or any(res["errors"].values())
    except Interrupted as e:
        log("interrupted (%s): stopping" % e)
        return 130
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)  # let the clean-up finish
        harness.stop(dovecot_dir)
        _remove_tree(dovecot_dir)
        _remove_tree(work)
    results["finished"] = time.strftime("%Y-%m-%d %H:%M:%S %z")

    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    text = report.markdown(results)
    with open(os.path.join(out, "results.md"), "w") as f:
        f.write(text)
    print(text)
    if args.png:
        setup_deps.plot_site(bench_dir, log)
        report.chart(results, os.path.join(out, "results.png"))
        log("wrote %s" % os.path.join(out, "results.png"))
    if failed:
        log("FAILED: some runs did not receive the whole maildrop")
        return 1
    return 0


def _remove_tree(path):
    """rm -rf, for the seeded maildrops and per-run files."""
    subprocess.run(["rm", "-rf", "--one-file-system", path], check=False)


if __name__ == "__main__":
    sys.exit(main())
