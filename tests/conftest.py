"""Shared fixtures: a fresh store per test, on SQLite (a real file, WAL) and on the real
PostgreSQL server — the same store tests run on both."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from nurtura.store.sql import Store
from tests.pg import fresh_database


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        s = Store(f"sqlite:///{tmp_path / 'test.db'}")
        yield s
        s.close()
        return
    with fresh_database() as url:
        s = Store(url)
        yield s
        s.close()
