"""Signed links: the open pixel, click redirects and the unsubscribe page.

A token is `payload.mac`: the payload is compact JSON in base64url, the MAC an HMAC-SHA256
(truncated to 128 bits) over the link's purpose and the payload. A token made for one
purpose is not accepted for another; a token changed in any way does not verify.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import re
from typing import Any

PIXEL_GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
OPEN, CLICK, UNSUBSCRIBE = "o", "c", "u"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Signer:
    """Makes and checks tokens with one secret."""

    def __init__(self, secret: str | bytes) -> None:
        self.key = secret.encode() if isinstance(secret, str) else secret

    def _mac(self, purpose: str, body: str) -> str:
        digest = hmac.new(self.key, f"{purpose}.{body}".encode(), hashlib.sha256).digest()
        return _b64(digest[:16])

    def sign(self, purpose: str, payload: dict[str, Any]) -> str:
        body = _b64(json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode())
        return f"{body}.{self._mac(purpose, body)}"

    def verify(self, purpose: str, token: str) -> dict[str, Any] | None:
        """The payload, or None when the token is malformed or its MAC does not match."""
        body, sep, mac = token.partition(".")
        if not sep or not body or not mac or len(token) > 8000:
            return None
        if not hmac.compare_digest(mac.encode(), self._mac(purpose, body).encode()):
            return None
        try:
            payload = json.loads(_unb64(body))
        except (ValueError, UnicodeDecodeError):
            return None
        return payload if isinstance(payload, dict) else None


class Links:
    """The URLs a message carries, under `base` (NURTURA_BASE_URL)."""

    def __init__(self, base: str, signer: Signer) -> None:
        self.base = base.rstrip("/")
        self.signer = signer

    def open_url(self, key: str) -> str:
        return f"{self.base}/t/o/{self.signer.sign(OPEN, {'k': key})}"

    def click_url(self, key: str, url: str) -> str:
        return f"{self.base}/t/c/{self.signer.sign(CLICK, {'k': key, 'u': url})}"

    def unsubscribe_url(self, key: str, contact_id: str) -> str:
        return f"{self.base}/u/{self.signer.sign(UNSUBSCRIBE, {'k': key, 'c': contact_id})}"

    def track(self, body: str, key: str, *, opens: bool = True, clicks: bool = True) -> str:
        """Links to http(s) pages go through the click redirect (not the unsubscribe link,
        nor links marked `data-notrack`); the open pixel goes before `</body>`."""
        if clicks:
            body = _A_TAG.sub(lambda m: self._rewrite(m.group(0), key), body)
        if opens:
            pixel = (f'<img src="{html.escape(self.open_url(key))}" width="1" height="1" '
                     'alt="" style="display:block;border:0;width:1px;height:1px">')
            at = body.lower().rfind("</body>")
            body = body[:at] + pixel + body[at:] if at >= 0 else body + pixel
        return body

    def _rewrite(self, tag: str, key: str) -> str:
        if "data-notrack" in tag.lower():
            return tag
        m = _HREF.search(tag)
        if m is None:
            return tag
        g = next(i for i in (1, 2, 3) if m.group(i) is not None)
        url = html.unescape(m.group(g)).strip()
        if not url.lower().startswith(("http://", "https://")) or url.startswith(
            self.base + "/u/"
        ):
            return tag
        new = html.escape(self.click_url(key, url), quote=True)
        return tag[: m.start(g)] + new + tag[m.end(g):]


_A_TAG = re.compile(r"<a\b[^>]*>", re.IGNORECASE)
_HREF = re.compile(r"""\shref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+))""", re.IGNORECASE)
