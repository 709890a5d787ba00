"""Debian's Chromium for the browser tests and the editor benchmark: found on the PATH, or
installed once with apt (`apt-get update && apt-get install -y chromium`). Playwright's
own browser download (`playwright install`) is never used."""

from __future__ import annotations

import os
import shutil
import subprocess
from functools import cache

CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
LAUNCH_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]


class NoBrowser(RuntimeError):
    """Chromium is missing and could not be installed (the reason is the message)."""


def _found() -> str | None:
    for path in CANDIDATES:
        if os.access(path, os.X_OK):
            return path
    return shutil.which("chromium") or shutil.which("chromium-browser")


@cache
def chromium() -> str:
    """The path of Chromium, installing the Debian package when it is missing; raises
    NoBrowser with the reason when that fails."""
    path = _found()
    if path:
        return path
    if shutil.which("apt-get") is None:
        raise NoBrowser("chromium is not installed and there is no apt-get to install it")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]):
        try:
            done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900,
                                  check=False)
        except (OSError, subprocess.TimeoutExpired) as e:
            raise NoBrowser(f"`{' '.join(cmd)}` failed: {e}") from e
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            raise NoBrowser(f"`{' '.join(cmd)}` failed ({done.returncode}): {' '.join(tail)}")
    path = _found()
    if not path:
        raise NoBrowser("apt-get installed chromium but no chromium binary was found")
    return path
