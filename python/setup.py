"""Build of the pop3 package: SWIG on bindings/python.i, and the C
library's own sources compiled into the extension, so a wheel needs only
the system OpenSSL.

The C sources live outside this directory (../libpop3, ../bindings).  An
sdist carries copies of them under vendor/, and a build uses vendor/ when
it is there, so building from an sdist works too.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist

HERE = Path(__file__).resolve().parent
VENDOR = "vendor"
# What an sdist copies from the repository into vendor/.
VENDORED = ("CMakeLists.txt", "libpop3", "bindings")


def source_root() -> Path:
    """The tree holding libpop3/ and bindings/: an sdist's vendor/ copy,
    else the repository around this directory."""
    for root in (HERE / VENDOR, HERE.parent):
        if ((root / "libpop3" / "src").is_dir()
                and (root / "bindings" / "python.i").is_file()
                and (root / "CMakeLists.txt").is_file()):
            return root
    sys.exit("pop3: libpop3/ and bindings/ not found (looked in "
             f"{HERE / VENDOR} and {HERE.parent})")


ROOT = source_root()
CMAKE = (ROOT / "CMakeLists.txt").read_text()


def cmake_version() -> str:
    """The one version number: CMake's project(libpop3 VERSION x.y.z)."""
    m = re.search(r"project\s*\(\s*libpop3\s+VERSION\s+(\d+)\.(\d+)\.(\d+)",
                  CMAKE)
    if not m:
        sys.exit("pop3: no project(libpop3 VERSION x.y.z) in CMakeLists.txt")
    return ".".join(m.groups())


def c_sources() -> list:
    """The library's sources as CMake lists them in POP3_SOURCES (set and
    list(APPEND)), so files other work adds there are picked up."""
    names = []
    for m in re.finditer(r"(?:set|list\s*\(\s*APPEND)\s*\(?\s*POP3_SOURCES"
                         r"\s+([^)]*)\)", CMAKE):
        names += m.group(1).split()
    names = [n for n in names if n.endswith(".c") and "$" not in n]
    if not names:  # an unexpected CMakeLists: fall back to every file
        names = sorted(str(p.relative_to(ROOT))
                       for p in (ROOT / "libpop3" / "src").glob("*.c"))
    paths = [ROOT / n for n in names]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        sys.exit("pop3: missing C sources: " + ", ".join(missing))
    return [str(p) for p in paths]


VERSION = cmake_version()
WARN = ["-Wall", "-Wextra", "-Wshadow", "-Wstrict-prototypes",
        "-Wmissing-prototypes", "-Wformat=2"]
# The test suite builds with POP3_WERROR=1; a user's pip install does not
# fail on a warning a newer compiler invents.
WERROR = ["-Werror"] if os.environ.get("POP3_WERROR") == "1" else []


class BuildExt(build_ext):
    """Generate version.h, run SWIG, compile the library's sources with the
    library's flags, then the wrapper with relaxed ones, into one module."""

    def build_extension(self, ext):
        tmp = Path(self.build_temp).resolve()
        gen_inc = tmp / "include"
        self._write_version_h(gen_inc / "pop3" / "version.h")
        includes = [str(ROOT / "libpop3" / "include"), str(gen_inc)]

        # SWIG writes the C wrapper into build_temp and the proxy _pop3.py
        # straight into the package's build directory.  build_py may run
        # before or after us and would miss a generated file: see
        # BuildPy, which runs us first.
        pkg_dir = self._package_dir()
        pkg_dir.mkdir(parents=True, exist_ok=True)
        wrapper = tmp / "python_wrap.c"
        self._swig(wrapper, pkg_dir, includes)

        # The library: its own flags, hidden symbols, C99 as CMake builds it.
        objects = self.compiler.compile(
            c_sources(), output_dir=str(tmp / "lib"),
            macros=[("_POSIX_C_SOURCE", "200809L"), ("POP3_STATIC", "1")],
            include_dirs=includes + [str(ROOT / "libpop3" / "src")],
            extra_postargs=["-std=c99", "-fvisibility=hidden"]
            + WARN + WERROR,
            depends=ext.depends)
        ext.sources = [str(wrapper)]
        ext.include_dirs = includes
        ext.define_macros = [("POP3_STATIC", "1")]
        ext.extra_objects = objects
        # SWIG's generated code trips these; only this file is relaxed.
        ext.extra_compile_args = (["-fvisibility=hidden", "-Wall", "-Wextra",
                                   "-Wno-unused-parameter",
                                   "-Wno-missing-field-initializers",
                                   "-Wno-cast-function-type"] + WERROR)
        ext.libraries = ["ssl", "crypto"]
        super().build_extension(ext)

    def _package_dir(self) -> Path:
        if self.inplace:
            return HERE / "src" / "pop3"
        return Path(self.build_lib).resolve() / "pop3"

    def _write_version_h(self, path: Path) -> None:
        major, minor, patch = VERSION.split(".")
        text = (ROOT / "libpop3" / "include" / "pop3"
                / "version.h.in").read_text()
        for key, value in (("PROJECT_VERSION_MAJOR", major),
                           ("PROJECT_VERSION_MINOR", minor),
                           ("PROJECT_VERSION_PATCH", patch),
                           ("PROJECT_VERSION", VERSION)):
            text = text.replace(f"@{key}@", value)
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.is_file() or path.read_text() != text:
            path.write_text(text)

    def _swig(self, wrapper: Path, outdir: Path, includes: list) -> None:
        swig = os.environ.get("SWIG") or shutil.which("swig4.0") \
            or shutil.which("swig")
        if not swig:
            sys.exit("pop3: SWIG (4.0 or later) is needed: apt-get install "
                     "swig")
        cmd = [swig, "-python", "-Wall", "-Werror",
               # The proxy is pop3._pop3; SWIG would name the C module
               # __pop3, which Python mangles inside the proxy's classes.
               "-interface", "_pop3_c",
               "-I" + str(ROOT / "bindings")] \
            + ["-I" + i for i in includes] \
            + ["-outdir", str(outdir), "-o", str(wrapper),
               str(ROOT / "bindings" / "python.i")]
        self.announce(" ".join(cmd), level=2)
        wrapper.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(cmd, check=True)


class BuildPy(build_py):
    """setuptools runs build_py before build_ext, so the SWIG proxy
    (_pop3.py), which build_ext makes, would be missing from the wheel:
    build the extension first."""

    def run(self):
        self.run_command("build_ext")
        super().run()

    def find_package_modules(self, package, package_dir):
        # An in-place build may have left an older proxy in src/pop3/:
        # never let it overwrite the one build_ext just generated.
        return [m for m in super().find_package_modules(package, package_dir)
                if not (package == "pop3" and m[1] == "_pop3")]


class SDist(sdist):
    """Put the C library and the SWIG files into the sdist, under vendor/,
    so it builds on its own."""

    def make_release_tree(self, base_dir, files):
        super().make_release_tree(base_dir, files)
        if ROOT == HERE / VENDOR:
            return  # an sdist of an sdist: MANIFEST.in already took vendor/
        dest = Path(base_dir) / VENDOR
        for name in VENDORED:
            src = ROOT / name
            if src.is_dir():
                shutil.copytree(src, dest / name, dirs_exist_ok=True,
                                ignore=shutil.ignore_patterns("*.o", "*~"))
            else:
                dest.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, dest / name)


def depends() -> list:
    """Files whose change must rebuild the extension."""
    files = [ROOT / "CMakeLists.txt"]
    for d, pats in ((ROOT / "libpop3", ("**/*.c", "**/*.h", "**/*.in")),
                    (ROOT / "bindings", ("*.i",))):
        for pat in pats:
            files += d.glob(pat)
    return sorted(str(f) for f in files)


setup(
    version=VERSION,
    ext_modules=[Extension("pop3._pop3_c", sources=[], depends=depends())],
    cmdclass={"build_ext": BuildExt, "build_py": BuildPy, "sdist": SDist},
)
