"""What the benchmark needs beyond the CMake build: the pop3 Python
package (built from python/ into the build tree, offline, as the tests
do) and, for the chart only, matplotlib from PyPI.  Both go under
BUILD/bench, never into the system's site-packages."""

import os
import shutil
import subprocess
import sys

SRC = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PIP = [sys.executable, "-m", "pip", "install", "--quiet",
       "--disable-pip-version-check", "--root-user-action=ignore"]


def _newest(*dirs):
    newest = 0.0
    for d in dirs:
        for root, subdirs, files in os.walk(d):
            subdirs[:] = [s for s in subdirs if s not in ("build", "dist")
                          and not s.endswith(".egg-info")]
            for f in files:
                newest = max(newest, os.stat(os.path.join(root, f)).st_mtime)
    return newest


def python_venv(bench_dir, log):
    """(python, how): the interpreter the Python runners (libpop3's and
    poplib's alike) run under.  A venv of this Python without the system's
    site-packages, as a deployed mail script would have: the site-packages
    of a shared Python may hold .pth hooks that run at every start-up
    (this machine's imports certifi, ~40 ms) and would be measured as part
    of both runners.  Falls back to this Python itself, and says so."""
    venv = os.path.join(bench_dir, "venv")
    python = os.path.join(venv, "bin", "python3")
    # The venv and python-site must match the running Python (its
    # extension module is built by it): remake the venv for another one.
    stamp, made_by = os.path.join(venv, ".bench-python"), \
        "%s %s" % (sys.executable, sys.version)
    try:
        with open(stamp) as f:
            same = f.read() == made_by
    except OSError:
        same = False
    if not same or not os.access(python, os.X_OK):
        log("creating the runners' venv %s" % venv)
        r = subprocess.run([sys.executable, "-m", "venv", "--without-pip",
                            "--clear", venv], capture_output=True, text=True)
        if r.returncode != 0 or not os.access(python, os.X_OK):
            why = (r.stderr or r.stdout).strip().splitlines()[-1:] or ["?"]
            log("no venv (%s): the runners use %s" % (why[0],
                                                     sys.executable))
            return sys.executable, "%s (no venv: %s)" % (sys.executable,
                                                         why[0])
        with open(stamp, "w") as f:
            f.write(made_by)
    return python, "a venv of %s without site-packages (bench/" \
        "setup_deps.py)" % sys.executable


def python_site(bench_dir, log):
    """BUILD/bench/python-site with the pop3 package, rebuilt when the
    package, the bindings or the library changed since."""
    site = os.path.join(bench_dir, "python-site")
    stamp = os.path.join(site, ".bench-stamp")
    srcs = [os.path.join(SRC, d) for d in ("python", "bindings", "libpop3")]
    if os.path.exists(stamp) and os.stat(stamp).st_mtime >= _newest(*srcs):
        return site
    log("building the pop3 Python package into %s" % site)
    tree = _sdist_tree(bench_dir)
    env = dict(os.environ, POP3_WERROR="1", PYTHONDONTWRITEBYTECODE="1")
    try:
        subprocess.run(PIP + ["--no-build-isolation", "--no-deps",
                              "--no-index", "--upgrade", "--target", site,
                              tree], env=env, check=True)
    finally:
        shutil.rmtree(tree, ignore_errors=True)
    with open(stamp, "w"):
        pass
    return site


def _sdist_tree(bench_dir):
    """A private copy of python/ with the C sources under vendor/, laid out
    as an sdist: pip builds in the source tree, and python/build must not
    be shared with a test suite building at the same time."""
    tree = os.path.join(bench_dir, "python-src")
    shutil.rmtree(tree, ignore_errors=True)
    skip = shutil.ignore_patterns("build", "dist", "vendor", "*.egg-info",
                                  "__pycache__", "*.so", "_pop3.py")
    shutil.copytree(os.path.join(SRC, "python"), tree, ignore=skip)
    vendor = os.path.join(tree, "vendor")
    for d in ("libpop3", "bindings"):
        shutil.copytree(os.path.join(SRC, d), os.path.join(vendor, d),
                        ignore=skip)
    shutil.copy(os.path.join(SRC, "CMakeLists.txt"), vendor)
    return tree


def plot_site(bench_dir, log):
    """Make matplotlib importable: the system's, or one installed from
    PyPI into BUILD/bench/plot-site."""
    site = os.path.join(bench_dir, "plot-site")
    if os.path.isdir(site):
        sys.path.insert(0, site)
    try:
        import matplotlib  # noqa: F401
        return
    except ImportError:
        pass
    log("installing matplotlib from PyPI into %s" % site)
    subprocess.run(PIP + ["--target", site, "matplotlib"], check=True)
    sys.path.insert(0, site)
    import matplotlib  # noqa: F401,F811
