"""Waiting for a server started in another process to answer (tests and benchmarks)."""

from __future__ import annotations

import subprocess
import time

import httpx


def wait_http(url: str, timeout: float = 60, proc: subprocess.Popen[bytes] | None = None
              ) -> None:
    """Until GET `url` answers 200; AssertionError after `timeout` s or if `proc` exits."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if (proc is not None and proc.poll() is not None) or time.monotonic() > deadline:
            raise AssertionError(f"{url} did not answer")
        time.sleep(0.1)
