"""API tokens: created once and shown once; stored as SHA-256 (they are long random
strings, so a fast hash is enough, as GitHub does); verified with a short cache."""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.engine import Engine

from nurtura.store import codec
from nurtura.store.schema import tokens

SCOPES = ("write", "admin", "metrics")
_CACHE_SECONDS = 10.0


@dataclass(frozen=True)
class TokenInfo:
    id: int
    name: str
    scopes: frozenset[str]


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def create(engine: Engine, name: str, scopes: set[str], now: datetime) -> str:
    """A new token; the raw value is returned once and never stored."""
    unknown = scopes - set(SCOPES)
    if unknown or not scopes:
        raise ValueError(f"scopes must be among {list(SCOPES)}")
    raw = "nrt_" + secrets.token_urlsafe(32)
    with engine.begin() as conn:
        conn.execute(tokens.insert().values(name=name, hash=_digest(raw),
                                            scopes=",".join(sorted(scopes)),
                                            created_at=codec.ms(now)))
    return raw


def revoke(engine: Engine, token_id: int) -> bool:
    with engine.begin() as conn:
        return conn.execute(delete(tokens).where(tokens.c.id == token_id)).rowcount > 0


class Verifier:
    """Looks tokens up by hash, remembering answers for a few seconds."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._cache: dict[str, tuple[float, TokenInfo | None]] = {}

    def check(self, raw: str) -> TokenInfo | None:
        digest = _digest(raw)
        hit = self._cache.get(digest)
        if hit is not None and time.monotonic() - hit[0] < _CACHE_SECONDS:
            return hit[1]
        with self.engine.connect() as conn:
            row = conn.execute(select(tokens).where(tokens.c.hash == digest)).first()
        info = TokenInfo(row.id, row.name, frozenset(row.scopes.split(","))) if row else None
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[digest] = (time.monotonic(), info)
        return info


def exists(engine: Engine) -> bool:
    """Whether any token was made yet."""
    with engine.connect() as conn:
        return conn.execute(select(tokens.c.id).limit(1)).first() is not None
