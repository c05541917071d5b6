#!/usr/bin/env python3
"""Build the pop3 package, install it into a private directory (never the
system's site-packages), and run its pytest suite against that install,
from outside the source tree so `import pop3` cannot find src/.

    python3 python/run_tests.py --target DIR [pytest args...]

CTest runs this (label "python"); it works by hand too.
"""

import argparse
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--target", required=True, type=Path,
                   help="directory to install the package into")
    args, pytest_args = p.parse_known_args()
    target = args.target.resolve()
    target.mkdir(parents=True, exist_ok=True)

    env = dict(os.environ, POP3_WERROR="1", PYTHONDONTWRITEBYTECODE="1")
    # No build isolation and no index: setuptools, wheel and pytest come
    # from scripts/install-deps, so the tests need no network.
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet",
                    "--disable-pip-version-check", "--root-user-action=ignore",
                    "--no-build-isolation",
                    "--no-deps", "--no-index", "--upgrade",
                    "--target", str(target), str(HERE)],
                   env=env, check=True)

    env["PYTHONPATH"] = str(target)
    env.setdefault("POP3_SOURCE_DIR", str(HERE.parent))
    return subprocess.run([sys.executable, "-m", "pytest", "-q",
                           "-p", "no:cacheprovider", "--rootdir", str(HERE),
                           str(HERE / "tests")] + pytest_args,
                          env=env, cwd=str(target.parent)).returncode


if __name__ == "__main__":
    sys.exit(main())
