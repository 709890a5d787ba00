"""Debian's Chromium for the browser tests and the editor benchmark: found on the PATH, or
installed once with apt (`apt-get update && apt-get install -y chromium`). Playwright's
own browser download (`playwright install`) is never used.

Parallel pytest workers (`-n 2`) each ask for the browser at the same time: a file lock
makes one of them install while the others wait and then find it, and apt itself is told
to wait for a lock held by another apt (`DPkg::Lock::Timeout`) instead of failing at once.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
import time
from functools import cache
from pathlib import Path

CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
LAUNCH_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
APT_LOCK_WAIT = 600  # seconds apt waits for another apt or dpkg to finish


class NoBrowser(RuntimeError):
    """Chromium is missing and could not be installed (the reason is the message)."""


def _found() -> str | None:
    for path in CANDIDATES:
        if os.access(path, os.X_OK):
            return path
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _install() -> None:
    """`apt-get update` and `apt-get install chromium`, as root or through sudo."""
    if shutil.which("apt-get") is None:
        raise NoBrowser("chromium is not installed and there is no apt-get to install it")
    sudo: list[str] = []
    if os.geteuid() != 0:
        if shutil.which("sudo") is None:
            raise NoBrowser("chromium is not installed and installing it needs root "
                            "(`apt-get install chromium`)")
        sudo = ["sudo", "-n"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    wait = ["-o", f"DPkg::Lock::Timeout={APT_LOCK_WAIT}"]
    started = time.monotonic()
    for cmd in ([*sudo, "apt-get", *wait, "update", "-qq"],
                [*sudo, "apt-get", *wait, "install", "-y", "-qq", "chromium"]):
        try:
            done = subprocess.run(cmd, env=env, capture_output=True, text=True,
                                  timeout=APT_LOCK_WAIT + 900, check=False)
        except (OSError, subprocess.TimeoutExpired) as e:
            raise NoBrowser(f"`{' '.join(cmd)}` failed: {e}") from e
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            raise NoBrowser(f"`{' '.join(cmd)}` failed ({done.returncode}): {' '.join(tail)}")
    print(f"installed chromium with apt-get in {time.monotonic() - started:.0f} s",
          file=sys.stderr)


@cache
def chromium() -> str:
    """The path of Chromium, installing the Debian package when it is missing (one process
    at a time); raises NoBrowser with the reason when that fails."""
    path = _found()
    if path:
        return path
    with open(Path(tempfile.gettempdir()) / "nurtura-chromium-install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        path = _found()  # another worker may have installed it while this one waited
        if not path:
            _install()
            path = _found()
    if not path:
        raise NoBrowser("apt-get installed chromium but no chromium binary was found")
    return path
