"""The benchmark's report: medians into a Markdown table (results.md) and
the same as a chart (results.png).  Reads the dict run_bench.py builds
(also saved as BUILD/bench/results-*.json):

    python3 bench/report.py RESULTS.json [OUT.md] [OUT.png]
"""

import json
import statistics
import sys

KIB, MIB = 1024, 1024 * 1024

# The targets: (workload, tool, what, bound, text).  "what" is
# wall or cpu against the limit row / poplib, or rss growth.
TARGETS = [
    ("4k", "c", "wall/limit", 1.25,
     "2,000 × 4 KB: C API wall time within 1.25× of the limit row"),
    ("4k", "python", "wall/limit", 1.6,
     "2,000 × 4 KB: Python binding within 1.6× of the limit row"),
    ("4k", "c", "cpu/poplib", 0.1,
     "2,000 × 4 KB: C API client CPU at most a tenth of poplib's"),
    ("200m", "c", "wall/limit", 1.1,
     "200 MB: C API wall time within 1.1× of the limit row"),
    ("200m", "c", "rss-growth", 4 * MIB,
     "200 MB: C API peak RSS under 4 MB above its 4 KB-workload peak"),
    ("delay", "c", "wall/limit", 2.0,
     "500 × 4 KB at 10 ms: C API within 2× of the limit row"),
    # Not one of the issue's: what opts.pipelining ASSUME gives there.
    ("delay", "c_known", "wall/limit", 2.0,
     "(extra, not an issue 8 target) 500 × 4 KB at 10 ms: C API, "
     "pipelining known (no CAPA before the login), within 2× of the limit "
     "row"),
    ("delay", "python", "wall/limit", 2.0,
     "500 × 4 KB at 10 ms: Python binding within 2× of the limit row"),
]


def human(n):
    """4096 -> '4 KB', 209715200 -> '200 MB' (binary units, as seeded)."""
    for unit, div in (("GB", 1 << 30), ("MB", MIB), ("KB", KIB)):
        if n >= div:
            v = n / div
            return ("%d %s" if v == int(v) else "%.1f %s") % (v, unit)
    return "%d B" % n


def medians(wl):
    """{tool key: {wall, cpu, rss_kb, runs}} over the successful runs."""
    out = {}
    for key, samples in wl["samples"].items():
        if samples:
            out[key] = {f: statistics.median(s[f] for s in samples)
                        for f in ("wall", "cpu", "rss_kb")}
            out[key]["runs"] = len(samples)
            out[key]["min"] = min(s["wall"] for s in samples)
            out[key]["max"] = max(s["wall"] for s in samples)
    return out


def _secs(v):
    return "%.3f s" % v if v < 10 else "%.2f s" % v


def _ratio(a, b):
    return "%.2f×" % (a / b) if a is not None and b else "–"


def _rate(wl, wall):
    mb = wl["octets"] / 1e6 / wall
    msgs = wl["count"] / wall
    if wl["count"] == 1:
        return "%.1f MB/s" % mb
    return "%.1f MB/s, %s msg/s" % (mb, format(round(msgs), ","))


def workload_table(wl, tools):
    m = medians(wl)
    base = m.get("c")
    lines = [
        "| Tool | Wall (median) | Range | Throughput | Client CPU "
        "| Peak RSS | Wall ÷ libpop3 C | CPU ÷ libpop3 C |",
        "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for t in tools:
        k = t["key"]
        if t["missing"]:
            continue
        errs = wl["errors"].get(k, [])
        if k not in m:
            lines.append("| %s | FAILED: %s | | | | | | |"
                         % (t["label"], errs[0] if errs else "no run"))
            continue
        r = m[k]
        label = t["label"] + (" (%d failed runs)" % len(errs) if errs else "")
        lines.append("| %s | %s | %s–%s | %s | %s | %.1f MiB | %s | %s |" % (
            label, _secs(r["wall"]), _secs(r["min"]), _secs(r["max"]),
            _rate(wl, r["wall"]), _secs(r["cpu"]), r["rss_kb"] / KIB,
            _ratio(r["wall"], base and base["wall"]),
            _ratio(r["cpu"], base and base["cpu"])))
    return lines


def memory_table(results):
    by = {w["key"]: medians(w) for w in results["workloads"]}
    if "4k" not in by or "200m" not in by:
        return []
    big = next(w for w in results["workloads"] if w["key"] == "200m")
    small = next(w for w in results["workloads"] if w["key"] == "4k")
    lines = ["| Tool | Peak RSS, %s | Peak RSS, %s | Growth |"
             % (small["title"], big["title"]), "|---|---:|---:|---:|"]
    for t in results["tools"]:
        a, b = by["4k"].get(t["key"]), by["200m"].get(t["key"])
        if a and b:
            lines.append("| %s | %.1f MiB | %.1f MiB | %+.1f MiB |" % (
                t["label"], a["rss_kb"] / KIB, b["rss_kb"] / KIB,
                (b["rss_kb"] - a["rss_kb"]) / KIB))
    return lines


def targets(results):
    """[(text, measured, met or None)] for every target."""
    by = {w["key"]: medians(w) for w in results["workloads"]}
    out = []
    for wkey, tkey, what, bound, text in TARGETS:
        m = by.get(wkey, {})
        if tkey == "c" and "c_pipe" in m:  # the API's best way to fetch
            tkey = "c_pipe"
            text = text.replace("C API", "C API (pipelined)")
        r = m.get(tkey)
        val = None
        if r and what == "wall/limit" and "limit" in m:
            val = r["wall"] / m["limit"]["wall"]
            shown = "%.2f× (%s vs %s)" % (val, _secs(r["wall"]),
                                         _secs(m["limit"]["wall"]))
        elif r and what == "cpu/poplib" and "poplib" in m:
            val = r["cpu"] / m["poplib"]["cpu"]
            shown = "%.2f× (%s vs %s)" % (val, _secs(r["cpu"]),
                                         _secs(m["poplib"]["cpu"]))
        elif r and what == "rss-growth" and tkey in by.get("4k", {}):
            val = (r["rss_kb"] - by["4k"][tkey]["rss_kb"]) * KIB
            shown = "%+.1f MiB" % (val / MIB)
        if val is None:
            out.append((text, "not measured", None))
        else:
            out.append((text, shown, val <= bound))
    return out


def markdown(results):
    mc = results["machine"]
    tools = results["tools"]
    lines = [
        "# libpop3 benchmark results", "",
        "Measured %s to %s with `make bench` (bench/run_bench.py)."
        % (results["started"], results.get("finished", "?")), "",
        "- Machine: %s, %s cores, %s RAM; %s." % (
            mc["cpu"] or "unknown CPU", mc["cores"], mc["memory"],
            mc["system"]),
        "- Server: Dovecot %s on 127.0.0.1 (tests/dovecot/harness.py), one "
        "seeded maildrop a workload, the same for every tool." % mc["dovecot"],
        "- Scale %g (BENCH_SCALE); %d repetitions a tool (%d for the delay "
        "workload), tools alternated in a rotating order; medians shown; "
        "range is min–max." % (results["scale"], results["reps"],
                               results["delay_reps"]),
        "- Wall time is the whole client process, fork to exit; client CPU "
        "is its user + system time and peak RSS its maximum resident set "
        "(wait4).  Every run was checked to receive every octet of the "
        "maildrop (STAT); a run that did not is reported as failed.",
        ] + (["- Python runners: " + results["python"] + "."]
             if results.get("python") else []) + (
            ["- Note: " + results["note"]] if results.get("note") else []) + [
        "- Versions: " + "; ".join("%s: %s" % (t["label"], t["version"])
                                    for t in tools if t["version"]) + ".",
        ""]
    for w in results["workloads"]:
        lb, la = w["load_before"][0], w["load_after"][0]
        lines += ["## %s" % w["title"], "",
                  "%s messages, %s octets (STAT).  Load average %.2f before, "
                  "%.2f after." % (format(w["count"], ","),
                                   format(w["octets"], ","), lb, la), ""]
        lines += workload_table(w, tools) + [""]
    mem = memory_table(results)
    if mem:
        lines += ["## Memory: peak RSS, small messages against one large",
                  ""] + mem + [""]
    lines += ["## Targets (issue 8)", "", "| Target | Measured | Met |",
              "|---|---:|:---:|"]
    for text, shown, met in targets(results):
        lines.append("| %s | %s | %s |" % (
            text, shown, "–" if met is None else ("yes" if met else "no")))
    lines.append("")
    missing = [t for t in tools if t["missing"]]
    if missing:
        lines += ["## Not run", ""]
        lines += ["- %s: %s" % (t["label"], t["missing"]) for t in missing]
        lines.append("")
    return "\n".join(lines)


def chart(results, path):
    """One panel of median wall times per workload, one of client CPU and
    one of peak RSS; the libpop3 rows in one colour, peers in another."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tools = [t for t in results["tools"] if not t["missing"]]
    wls = results["workloads"]
    panels = [(w, "wall") for w in wls]
    small = next((w for w in wls if w["key"] == "4k"), None)
    if small:
        panels.append((small, "cpu"))
    panels.append((None, "rss"))
    cols = 3
    rows = (len(panels) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(6 * cols, 3.4 * rows),
                             squeeze=False)
    colour = {True: "#2a6fb0", False: "#b0602a", "limit": "#777777"}
    for ax, (w, what) in zip(axes.flat, panels):
        names, vals, cols_ = [], [], []
        for t in tools:
            if what == "rss":
                for x in wls:
                    if x["key"] not in ("4k", "200m"):
                        continue
                    r = medians(x).get(t["key"])
                    if r:
                        names.append("%s, %s" % (t["label"], x["title"]))
                        vals.append(r["rss_kb"] / KIB)
                        cols_.append(colour["limit"] if t["limit"] else
                                     colour[t["libpop3"]])
                continue
            r = medians(w).get(t["key"])
            if not r:
                continue
            names.append(t["label"])
            vals.append(r[what])
            cols_.append(colour["limit"] if t["limit"]
                         else colour[t["libpop3"]])
        y = range(len(names))
        ax.barh(list(y), vals, color=cols_)
        ax.set_yticks(list(y))
        ax.set_yticklabels(names, fontsize=8)
        ax.invert_yaxis()
        for i, v in enumerate(vals):
            ax.text(v, i, " %.3g" % v, va="center", fontsize=7)
        if what == "wall":
            ax.set_title("%s: median wall time" % w["title"], fontsize=9)
            ax.set_xlabel("seconds (lower is better)", fontsize=8)
        elif what == "cpu":
            ax.set_title("%s: client CPU (user + sys)" % w["title"],
                         fontsize=9)
            ax.set_xlabel("seconds", fontsize=8)
        else:
            ax.set_title("Peak RSS: small messages vs one large",
                         fontsize=9)
            ax.set_xlabel("MiB (log scale)", fontsize=8)
            ax.set_xscale("log")
        ax.tick_params(axis="x", labelsize=7)
        if what == "rss":
            ax.set_xlim(min(vals or [1]) / 2, max(vals or [1]) * 4)
        else:
            ax.set_xlim(0, max(vals or [1]) * 1.25)
    for ax in list(axes.flat)[len(panels):]:
        ax.axis("off")
    fig.suptitle("libpop3 (blue) against its peers (orange) and the raw "
                 "limit (grey); Dovecot on loopback, %s" % results["started"],
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv):
    with open(argv[1]) as f:
        results = json.load(f)
    text = markdown(results)
    if len(argv) > 2:
        with open(argv[2], "w") as f:
            f.write(text)
    else:
        print(text)
    if len(argv) > 3:
        chart(results, argv[3])


if __name__ == "__main__":
    main(sys.argv)
