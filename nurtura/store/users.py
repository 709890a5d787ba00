"""People who sign in to the editor: argon2 password hashes, roles, and sessions (the
cookie carries a random id; only its SHA-256 is stored, with a CSRF token)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from nurtura.errors import BadInput, Conflict
from nurtura.store import codec
from nurtura.store.schema import sessions, users

ROLES = ("admin", "author", "viewer")
SESSION_DAYS = 14
_hasher = PasswordHasher()
# verifying against this keeps the time of "no such user" equal to "wrong password"
_DUMMY = _hasher.hash("not a password")


@dataclass(frozen=True)
class User:
    id: int
    username: str
    role: str


@dataclass(frozen=True)
class Session:
    user: User
    csrf: str


def create_user(engine: Engine, username: str, password: str, role: str, now: datetime) -> User:
    if role not in ROLES:
        raise BadInput(f"'role' must be one of {list(ROLES)}", field="role")
    if len(password) < 8:
        raise BadInput("'password' must have at least 8 characters", field="password")
    if not username.strip():
        raise BadInput("'username' is empty", field="username")
    try:
        with engine.begin() as conn:
            key = conn.execute(users.insert().values(
                username=username.strip(), password_hash=_hasher.hash(password), role=role,
                created_at=codec.ms(now))).inserted_primary_key
    except IntegrityError:
        raise Conflict(f"a user named {username!r} exists already") from None
    assert key is not None
    return User(int(key[0]), username.strip(), role)


def check_password(engine: Engine, username: str, password: str) -> User | None:
    with engine.connect() as conn:
        row = conn.execute(select(users).where(users.c.username == username)).first()
    try:
        _hasher.verify(row.password_hash if row else _DUMMY, password)
    except (VerificationError, InvalidHashError):
        return None
    return User(row.id, row.username, row.role) if row else None


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def open_session(engine: Engine, user: User, now: datetime) -> tuple[str, Session]:
    """A new session; returns the raw cookie value (shown to the browser only)."""
    raw, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    with engine.begin() as conn:
        conn.execute(sessions.insert().values(
            hash=_digest(raw), user_id=user.id, csrf=csrf,
            expires_at=codec.ms(now + timedelta(days=SESSION_DAYS))))
    return raw, Session(user, csrf)


def find_session(engine: Engine, raw: str, now: datetime) -> Session | None:
    with engine.connect() as conn:
        row = conn.execute(
            select(users.c.id, users.c.username, users.c.role, sessions.c.csrf,
                   sessions.c.expires_at)
            .join(users, users.c.id == sessions.c.user_id)
            .where(sessions.c.hash == _digest(raw))
        ).first()
    if row is None or row.expires_at < codec.ms(now):
        return None
    return Session(User(row.id, row.username, row.role), row.csrf)


def close_session(engine: Engine, raw: str) -> None:
    with engine.begin() as conn:
        conn.execute(delete(sessions).where(sessions.c.hash == _digest(raw)))
