"""Deliverers made by a test are closed after it (their SMTP connection, HTTP client)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.mail import http_sink, smtp  # noqa: F401 - fixtures for this folder
from tests.runtime.messaging import OPEN


@pytest.fixture(autouse=True)
def close_deliverers() -> Iterator[None]:
    yield
    while OPEN:
        OPEN.pop().close()
