"""HTTP channels: the SMS gateway (URL, auth header, JSON body template) and webhooks
(method, URL, JSON body, timeout, `X-Nurtura-Signature`). Both sort answers as SMTP does:
2xx ok; 408, 429, 5xx and network errors retry; any other 4xx is final."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx

from nurtura.channels.config import Settings
from nurtura.channels.email import Outcome

_PLACEHOLDER = re.compile(r"\{\{\s*(to|text|from)\s*\}\}")
SIGNATURE = "X-Nurtura-Signature"


def fill(doc: Any, render: Callable[[str], str]) -> Any:
    """`doc` with every string passed through `render` (keys too); structure kept."""
    if isinstance(doc, str):
        return render(doc)
    if isinstance(doc, list):
        return [fill(v, render) for v in doc]
    if isinstance(doc, dict):
        return {render(str(k)): fill(v, render) for k, v in doc.items()}
    return doc


def auth_header(value: str | None) -> dict[str, str]:
    """`Bearer abc` or `Basic …` → Authorization; `Name: value` → that header."""
    if not value:
        return {}
    name, sep, rest = value.partition(":")
    if sep and " " not in name.strip() and name.strip():
        return {name.strip(): rest.strip()}
    return {"Authorization": value}


def signature(secret: bytes, body: bytes, when: datetime) -> str:
    """`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>." + body>` (as Stripe signs)."""
    t = int(when.timestamp())
    mac = hmac.new(secret, str(t).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def verify_signature(secret: bytes, body: bytes, header: str, now: datetime,
                     tolerance: float = 300.0) -> bool:
    """What a receiver does: the MAC matches and the time is within `tolerance` seconds."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        t = int(parts["t"])
    except (KeyError, ValueError):
        return False
    mac = hmac.new(secret, str(t).encode() + b"." + body, hashlib.sha256).hexdigest()
    fresh = abs(now.timestamp() - t) <= tolerance
    return hmac.compare_digest(mac.encode(), parts.get("v1", "").encode()) and fresh


def _outcome(response: httpx.Response) -> Outcome:
    code = response.status_code
    detail = response.text[:500]
    if 200 <= code < 300:
        return Outcome("ok", code, detail)
    if code in (408, 425, 429) or code >= 500:
        return Outcome("retry", code, detail)
    return Outcome("bounce", code, detail)


class Http:
    """One HTTP client (connection pool) for the SMS gateway and webhooks."""

    def __init__(self, settings: Settings, secret: bytes) -> None:
        self.settings = settings
        self.secret = secret
        self.client = httpx.Client(follow_redirects=False, headers={
            "User-Agent": "Nurtura"})

    def close(self) -> None:
        self.client.close()

    def sms(self, to: str, text: str, key: str) -> Outcome:
        s = self.settings
        if not s.sms_url:
            return Outcome("retry", None, "no SMS gateway configured (NURTURA_SMS_URL)")
        values = {"to": to, "text": text, "from": s.sms_from or ""}
        body = fill(json.loads(s.sms_body),
                    lambda v: _PLACEHOLDER.sub(lambda m: values[m.group(1)], v))
        headers = {**auth_header(s.sms_auth), "Idempotency-Key": key}
        return self._send("POST", s.sms_url, body, headers, s.sms_timeout)

    def webhook(self, method: str, url: str, body: Any, headers: dict[str, str],
                timeout: float | None, key: str, when: datetime) -> Outcome:
        raw = b"" if body is None or method == "GET" else json.dumps(
            body, ensure_ascii=False, separators=(",", ":")).encode()
        hdrs = {"Content-Type": "application/json", **headers,
                SIGNATURE: signature(self.secret, raw, when),
                "X-Nurtura-Delivery": key, "Idempotency-Key": key}
        try:
            response = self.client.request(method, url, content=raw or None, headers=hdrs,
                                           timeout=timeout or self.settings.webhook_timeout)
        except httpx.HTTPError as exc:
            return Outcome("retry", None, f"{type(exc).__name__}: {exc}")
        return _outcome(response)

    def _send(self, method: str, url: str, body: Any, headers: dict[str, str],
              timeout: float) -> Outcome:
        try:
            response = self.client.request(method, url, json=body, headers=headers,
                                           timeout=timeout)
        except httpx.HTTPError as exc:
            return Outcome("retry", None, f"{type(exc).__name__}: {exc}")
        return _outcome(response)
