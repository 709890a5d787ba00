"""What recipients reach without a token: the open pixel, click redirects and the
unsubscribe page (plain HTML forms, no JavaScript; RFC 8058 one-click POST). Links carry an
HMAC-signed token: a tampered or made-up token gets 404, never a redirect."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Path, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from nurtura.api.problems import RESPONSES
from nurtura.channels import config
from nurtura.channels.links import CLICK, OPEN, PIXEL_GIF, UNSUBSCRIBE, Links, Signer
from nurtura.channels.templates import escape
from nurtura.store import outbox, tracking
from nurtura.store.sql import Store

router = APIRouter(tags=["tracking"])
Token = Annotated[str, Path(min_length=1, max_length=4000)]
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: RESPONSES[404], 422: RESPONSES[422]}
HTML_404: dict[int | str, dict[str, Any]] = {
    404: {"description": "Unknown or tampered link", "content": {"text/html": {}}},
    422: RESPONSES[422]}


def links(request: Request) -> Links:
    """The app's signer (settings from the environment, secret from it or the database)."""
    state = request.app.state
    found: Links | None = getattr(state, "links", None)
    if found is None:
        settings = getattr(state, "settings", None) or config.from_env()
        store: Store = state.store
        found = Links(settings.base_url, Signer(settings.secret or outbox.secret(store)))
        state.links = found
    return found


def _verify(request: Request, purpose: str, token: str) -> dict[str, Any]:
    payload = links(request).signer.verify(purpose, token)
    if payload is None or not isinstance(payload.get("k"), str):
        raise HTTPException(404, "unknown link")
    return payload


@router.get("/t/o/{token}", response_class=Response, responses={
    200: {"description": "A 1×1 transparent GIF", "content": {"image/gif": {
        "schema": {"type": "string", "format": "binary"}}}}, **NOT_FOUND})
def pixel(request: Request, token: Token) -> Response:
    """The open pixel: counts an open of the message and emits `email.opened`."""
    payload = _verify(request, OPEN, token)
    store: Store = request.app.state.store
    d = tracking.find(store, payload["k"])
    if d is not None and d.channel == "email":
        tracking.record_open(store, d, request.app.state.clock.now())
        request.app.state.wake()
    return Response(PIXEL_GIF, media_type="image/gif",
                    headers={"Cache-Control": "no-store, max-age=0"})


@router.get("/t/c/{token}", response_class=RedirectResponse, status_code=302, responses={
    302: {"description": "To the link's page"}, **NOT_FOUND})
def click(request: Request, token: Token) -> RedirectResponse:
    """A tracked link: counts the click, emits `email.clicked` (`url`), redirects to it."""
    payload = _verify(request, CLICK, token)
    url = payload.get("u")
    if not isinstance(url, str) or not url.lower().startswith(("http://", "https://")):
        raise HTTPException(404, "unknown link")
    store: Store = request.app.state.store
    d = tracking.find(store, payload["k"])
    if d is not None and d.channel == "email":
        tracking.record_click(store, d, url, request.app.state.clock.now())
        request.app.state.wake()
    return RedirectResponse(url, status_code=302, headers={"Cache-Control": "no-store"})


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>body{{font-family:Helvetica,Arial,sans-serif;max-width:32rem;margin:3rem auto;
padding:0 1rem;line-height:1.5;color:#222}}button{{font-size:1rem;padding:.6rem 1.2rem;
cursor:pointer}}label{{display:block;margin:.4rem 0}}</style></head>
<body><h1>{title}</h1>{body}</body></html>
"""


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(PAGE.format(title=escape(title), body=body), status_code=status,
                        headers={"Cache-Control": "no-store"})


def _unknown() -> HTMLResponse:
    return _page("Link not valid", "<p>This unsubscribe link is not valid. Use the link "
                 "from the most recent message you received.</p>", 404)


@router.get("/u/{token}", response_class=HTMLResponse, responses=HTML_404)
def unsubscribe_page(request: Request, token: Token) -> HTMLResponse:
    """The unsubscribe page: a form (no JavaScript) choosing the channels to leave."""
    payload = links(request).signer.verify(UNSUBSCRIBE, token)
    if payload is None or not isinstance(payload.get("c"), str):
        return _unknown()
    store: Store = request.app.state.store
    contact = store.get_contact(payload["c"])
    sms = contact is not None and bool(contact.phone)
    boxes = '<label><input type="checkbox" name="channel" value="email" checked> Emails</label>'
    if sms:
        boxes += '<label><input type="checkbox" name="channel" value="sms"> Text messages ' \
                 '(SMS)</label>'
    return _page("Unsubscribe", f'<p>Choose what you no longer want to receive.</p>'
                 f'<form method="post" action="{escape(token)}">{boxes}'
                 '<p><button type="submit">Unsubscribe</button></p></form>')


@router.post("/u/{token}", response_class=HTMLResponse, responses=HTML_404)
def unsubscribe(request: Request, token: Token,
                channel: Annotated[list[str] | None, Form()] = None,
                one_click: Annotated[str | None, Form(alias="List-Unsubscribe")] = None,
                ) -> HTMLResponse:
    """Opt out: the form's channels, or email alone for a one-click POST (RFC 8058,
    body `List-Unsubscribe=One-Click`). Emits `email.unsubscribed` / `sms.unsubscribed`."""
    payload = links(request).signer.verify(UNSUBSCRIBE, token)
    if payload is None or not isinstance(payload.get("c"), str) or not isinstance(
        payload.get("k"), str
    ):
        return _unknown()
    chosen = [c for c in dict.fromkeys(channel or []) if c in ("email", "sms")]
    via = "one-click" if one_click is not None and not chosen else "page"
    if not chosen:
        chosen = ["email"]
    store: Store = request.app.state.store
    d = tracking.find(store, payload["k"])
    tracking.record_unsubscribe(store, payload["c"], payload["k"], d, chosen, via,
                                request.app.state.clock.now())
    request.app.state.wake()
    what = " and ".join({"email": "emails", "sms": "text messages"}[c] for c in chosen)
    return _page("You are unsubscribed",
                 f"<p>You will no longer receive {what} from us.</p>")
