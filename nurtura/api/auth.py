"""Who is calling: an API token (Bearer, or HTTP Basic with the token as user, as Segment's
write key) with scopes `write` (ingestion only) and `admin` (everything); or a person
signed in to the editor (session cookie) with a role: admin and author may change things,
a viewer may only read. Cookie requests that change something must carry the session's
CSRF token in `X-CSRF-Token`."""

from __future__ import annotations

import base64
import hmac
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import HTTPException, Request

from nurtura.store import users
from nurtura.store.tokens import TokenInfo, Verifier

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="nurtura", Basic realm="nurtura"'}
COOKIE = "nurtura_session"
SAFE = ("GET", "HEAD", "OPTIONS")
Caller = TokenInfo | users.Session


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


def session_of(request: Request) -> users.Session | None:
    raw = request.cookies.get(COOKIE)
    if not raw:
        return None
    return users.find_session(request.app.state.store.engine, raw,
                              request.app.state.clock.now())


def _by_session(request: Request, session: users.Session, scope: str) -> users.Session:
    if request.method not in SAFE:
        sent = request.headers.get("x-csrf-token", "")
        if not hmac.compare_digest(sent, session.csrf):
            raise HTTPException(403, "missing or wrong X-CSRF-Token for this session")
        if session.user.role == "viewer":
            raise HTTPException(403, "a viewer cannot change anything")
    if scope == "users" and session.user.role != "admin":
        raise HTTPException(403, "only an admin manages users")
    return session


def require(scope: str) -> Callable[[Request], Coroutine[Any, Any, Caller]]:
    """A dependency that lets through tokens with `scope` (admin may do everything) and
    signed-in people whose role allows the request."""

    async def check(request: Request) -> Caller:
        raw = raw_token(request)
        if raw is None:
            session = session_of(request)
            if session is not None:
                return _by_session(request, session, scope)
            raise HTTPException(401, "an API token or a signed-in session is required",
                                headers=CHALLENGE)
        verifier: Verifier = request.app.state.verifier
        info = verifier.check(raw)
        if info is None:
            raise HTTPException(401, "unknown API token", headers=CHALLENGE)
        if scope not in info.scopes and "admin" not in info.scopes:
            raise HTTPException(403, f"this token lacks the '{scope}' scope")
        return info

    return check
