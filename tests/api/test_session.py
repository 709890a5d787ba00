"""Signing in: argon2 passwords, an HttpOnly SameSite session cookie, CSRF on changes, and a
viewer who cannot change anything."""

from __future__ import annotations

from contextlib import closing

import httpx
import pytest

from nurtura.errors import BadInput, Conflict
from nurtura.store import users
from tests.api.conftest import T0, Server


def _signed_in(server: Server, name: str, password: str) -> tuple[httpx.Client, str]:
    http = httpx.Client(base_url=server.url, timeout=10)
    reply = http.post("/api/session", json={"username": name, "password": password})
    assert reply.status_code == 200, reply.text
    cookie = reply.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    return http, reply.json()["csrf"]


def test_author_changes_with_csrf_and_viewer_only_reads(server: Server) -> None:
    users.create_user(server.store.engine, "anna", "correct horse", "author", T0)
    users.create_user(server.store.engine, "victor", "battery staple", "viewer", T0)
    author, csrf = _signed_in(server, "anna", "correct horse")
    with closing(author):
        assert author.get("/api/session").json() == {"user": "anna", "role": "author",
                                                    "csrf": csrf}
        assert author.post("/api/processes", json={}).status_code == 403  # no CSRF token
        made = author.post("/api/processes", json={}, headers={"X-CSRF-Token": csrf})
        assert made.status_code == 201
        assert author.delete("/api/session").status_code == 204
        assert author.get("/api/session").status_code == 401
    viewer, vcsrf = _signed_in(server, "victor", "battery staple")
    with closing(viewer):
        assert viewer.get("/api/processes").status_code == 200
        denied = viewer.post("/api/processes", json={}, headers={"X-CSRF-Token": vcsrf})
        assert denied.status_code == 403 and "viewer" in denied.json()["detail"]
        pid = made.json()["id"]
        assert viewer.delete(f"/api/processes/{pid}",
                             headers={"X-CSRF-Token": vcsrf}).status_code == 403
        assert viewer.post(f"/api/processes/{pid}/enable",
                           headers={"X-CSRF-Token": vcsrf}).status_code == 403


def test_wrong_password_and_unknown_user_look_the_same(server: Server) -> None:
    users.create_user(server.store.engine, "anna", "correct horse", "admin", T0)
    for name, pw in (("anna", "wrong password"), ("nobody", "correct horse")):
        reply = httpx.post(f"{server.url}/api/session", json={"username": name, "password": pw})
        assert reply.status_code == 401
        assert reply.json()["detail"] == "wrong username or password"


def test_passwords_are_argon2_hashes_and_users_are_checked(server: Server) -> None:
    users.create_user(server.store.engine, "anna", "correct horse", "admin", T0)
    with server.store.engine.connect() as conn:
        (stored,) = conn.exec_driver_sql("select password_hash from users").one()
    assert stored.startswith("$argon2") and "correct horse" not in stored
    with pytest.raises(Conflict):
        users.create_user(server.store.engine, "anna", "another one", "admin", T0)
    with pytest.raises(BadInput):
        users.create_user(server.store.engine, "bob", "short", "admin", T0)
    with pytest.raises(BadInput):
        users.create_user(server.store.engine, "bob", "long enough", "owner", T0)
