"""Shared fixtures: a fresh SQLite store per test (a real file, WAL, migrated)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from nurtura.store.sql import Store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(f"sqlite:///{tmp_path / 'test.db'}")
    yield s
    s.close()
