"""Run one client process and measure it: wall time, the CPU time and
peak RSS of that process alone (wait4's rusage, taken by rusage_run),
and its output."""

import fcntl
import os
import selectors
import signal
import subprocess
import tempfile
import time


class Run:
    """What one run of a client gave."""

    def __init__(self, wall, cpu, rss_kb, rc, stdout, stdout_octets, stderr):
        self.wall = wall                # seconds, fork to exit (wrapper)
        self.cpu = cpu                  # user + sys seconds of the client
        self.rss_kb = rss_kb            # peak resident set, KiB
        self.rc = rc                    # exit status (negative: signal)
        self.stdout = stdout            # first 4 KiB of stdout
        self.stdout_octets = stdout_octets
        self.stderr = stderr            # last 2 KiB of stderr


def run(argv, wrapper, env=None, timeout=600.0):
    """Run argv under `wrapper` (rusage_run) to completion, reading its
    stdout to the end (counted; only the head kept, so a client may stream
    a whole maildrop through it).  Kills it once `timeout` seconds have
    passed."""
    rfd, wfd = os.pipe()
    with tempfile.TemporaryFile() as err:
        try:
            proc = subprocess.Popen([wrapper, str(wfd)] + list(argv),
                                    stdin=subprocess.DEVNULL,
                                    stdout=subprocess.PIPE, stderr=err,
                                    env=env, pass_fds=(wfd,),
                                    start_new_session=True)
        finally:
            os.close(wfd)
        fd = proc.stdout.fileno()
        try:  # a larger pipe means fewer wake-ups for a streaming client
            fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, 1 << 20)
        except (AttributeError, OSError):
            pass
        try:
            head, octets = _drain(proc, fd, time.monotonic() + timeout)
            proc.wait(timeout)
        finally:
            if proc.poll() is None:  # the wrapper and its client
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            proc.stdout.close()
            with os.fdopen(rfd, "rb") as f:
                report = f.read().split()
        err.seek(0, os.SEEK_END)
        err.seek(max(0, err.tell() - 2048))
        tail = err.read().decode("utf-8", "replace")
    if proc.returncode != 0 or len(report) != 4:
        raise RuntimeError("%s failed: %s" % (wrapper, tail))
    wall, cpu, rss, rc = report
    return Run(float(wall), float(cpu), int(rss), int(rc), head, octets,
               tail)


def _drain(proc, fd, deadline):
    """Read fd to EOF; (first 4 KiB, total octets).  TimeoutError at the
    deadline."""
    head = bytearray()
    octets = 0
    sel = selectors.DefaultSelector()
    sel.register(fd, selectors.EVENT_READ)
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("%s: no exit within the time limit"
                                   % proc.args[0])
            if not sel.select(min(left, 1.0)):
                continue
            data = os.read(fd, 1 << 20)
            if not data:
                return bytes(head), octets
            octets += len(data)
            if len(head) < 4096:
                head += data[:4096 - len(head)]
    finally:
        sel.close()
