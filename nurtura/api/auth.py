"""Bearer tokens or HTTP Basic with the token as user (Segment's write key); scopes
`write` (ingestion only) and `admin` (everything)."""

from __future__ import annotations

import base64
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import HTTPException, Request

from nurtura.store.tokens import TokenInfo, Verifier

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="nurtura", Basic realm="nurtura"'}


def raw_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    if scheme.lower() == "basic" and value.strip():
        try:
            user = base64.b64decode(value.strip()).decode().split(":", 1)[0]
        except (ValueError, UnicodeDecodeError):
            return None
        return user or None
    return None


def require(scope: str) -> Callable[[Request], Coroutine[Any, Any, TokenInfo]]:
    """A dependency that lets through tokens with `scope` (admin may do everything)."""

    async def check(request: Request) -> TokenInfo:
        raw = raw_token(request)
        if raw is None:
            raise HTTPException(401, "an API token is required", headers=CHALLENGE)
        verifier: Verifier = request.app.state.verifier
        info = verifier.check(raw)
        if info is None:
            raise HTTPException(401, "unknown API token", headers=CHALLENGE)
        if scope not in info.scopes and "admin" not in info.scopes:
            raise HTTPException(403, f"this token lacks the '{scope}' scope")
        return info

    return check
