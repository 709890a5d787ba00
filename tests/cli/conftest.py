"""Fixtures of the CLI tests: a real SMTP server for `nurtura deliver`."""

from __future__ import annotations

from tests.mail import smtp  # noqa: F401 - the SMTP server fixture
