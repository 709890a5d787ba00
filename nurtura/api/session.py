"""Signing in to the editor: a session cookie (HttpOnly, SameSite=Strict) and a CSRF token."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import BaseModel, Field

from nurtura.api.auth import COOKIE, session_of
from nurtura.api.problems import RESPONSES
from nurtura.store import users

router = APIRouter(prefix="/api/session", tags=["session"], responses=RESPONSES)


class Credentials(BaseModel):
    username: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=1000)


class Who(BaseModel):
    user: str
    role: str
    csrf: str


@router.post("")
def sign_in(request: Request, response: Response, creds: Credentials) -> Who:
    """Check the password (argon2) and open a session; the cookie is HttpOnly."""
    engine = request.app.state.store.engine
    user = users.check_password(engine, creds.username, creds.password)
    if user is None:
        raise HTTPException(401, "wrong username or password")
    raw, session = users.open_session(engine, user, request.app.state.clock.now())
    response.set_cookie(COOKIE, raw, httponly=True, samesite="strict", path="/",
                        secure=request.url.scheme == "https",
                        max_age=users.SESSION_DAYS * 86400)
    return Who(user=user.username, role=user.role, csrf=session.csrf)


@router.get("")
def who_am_i(request: Request) -> Who:
    """The signed-in person, role and CSRF token; 401 when not signed in."""
    session = session_of(request)
    if session is None:
        raise HTTPException(401, "not signed in")
    return Who(user=session.user.username, role=session.user.role, csrf=session.csrf)


@router.delete("", status_code=204)
def sign_out(request: Request) -> Response:
    raw = request.cookies.get(COOKIE)
    if raw:
        users.close_session(request.app.state.store.engine, raw)
    response = Response(status_code=204)
    response.delete_cookie(COOKIE, path="/")
    return response
