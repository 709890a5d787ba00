"""Email over SMTP: the message (headers, text and HTML parts) and a sender that keeps one
connection open across messages and sorts failures into "try again" and "never"."""

from __future__ import annotations

import binascii
import contextlib
import hashlib
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.header import Header
from email.utils import format_datetime, formataddr, parseaddr
from functools import lru_cache

from nurtura.channels.config import Settings

ONE_CLICK = "List-Unsubscribe=One-Click"
CRLF = "\r\n"


@dataclass
class Outcome:
    """What a send came to: `ok`, `retry` (4xx, connection) or `bounce` (5xx)."""

    status: str
    code: int | None = None
    detail: str = ""


def message_id(key: str, domain: str) -> str:
    """Stable per outbox row, so a retried send carries the same Message-ID."""
    digest = hashlib.blake2b(key.encode(), digest_size=12).hexdigest()
    return f"<{digest}.nurtura@{domain}>"


def _header(name: str, value: str) -> str:
    """`Name: value`, RFC 2047-encoded when it is not ASCII (no CR/LF can get through)."""
    value = " ".join(value.split())
    if value.isascii():
        return f"{name}: {value}\r\n"
    return f"{name}: {Header(value, 'utf-8', header_name=name).encode(linesep=CRLF)}\r\n"


@lru_cache(maxsize=64)
def _address(value: str) -> str:
    if "<" not in value and value.isascii():
        return value.strip()
    name, addr = parseaddr(value)
    return formataddr((name, addr), charset="utf-8") if name else addr


def _qp(text: str) -> bytes:
    """Quoted-printable UTF-8 with CRLF line ends (the C codec: fast)."""
    body = "\n".join(text.splitlines()) + "\n"
    return binascii.b2a_qp(body.encode("utf-8"), istext=True).replace(b"\n", b"\r\n")


def build(settings: Settings, *, to: str, subject: str, text: str, html: str | None,
          msgid: str, when: datetime, unsubscribe: str | None, key: str) -> bytes:
    """The message as sent (MIME written directly: the email package's generator cost more
    than everything else a send does); `unsubscribe` adds List-Unsubscribe with one-click
    POST (RFC 8058)."""
    head = [_header("From", _address(settings.from_addr)), _header("To", _address(to)),
            _header("Subject", subject), _header("Date", format_datetime(when)),
            _header("Message-ID", msgid), "MIME-Version: 1.0\r\n"]
    if settings.reply_to:
        head.append(_header("Reply-To", _address(settings.reply_to)))
    if unsubscribe:
        head.append(_header("List-Unsubscribe", f"<{unsubscribe}>"))
        head.append(f"List-Unsubscribe-Post: {ONE_CLICK}\r\n")
    head.append(_header("X-Nurtura-Message", key))
    plain = _qp(text or "")
    part = ('Content-Type: text/{}; charset="utf-8"\r\n'
            "Content-Transfer-Encoding: quoted-printable\r\n\r\n")
    if html is None:
        return ("".join(head) + part.format("plain")).encode() + plain
    # "=_" never occurs in quoted-printable text, so the boundary cannot clash with a body
    boundary = "=_nurtura_" + hashlib.blake2b(key.encode(), digest_size=8).hexdigest()
    head.append(f'Content-Type: multipart/alternative; boundary="{boundary}"\r\n\r\n')
    return b"".join([
        "".join(head).encode(), f"--{boundary}\r\n{part.format('plain')}".encode(), plain,
        f"--{boundary}\r\n{part.format('html')}".encode(), _qp(html),
        f"--{boundary}--\r\n".encode()])


class SmtpSender:
    """One SMTP connection, opened on first use and reused; reopened after a drop."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.conn: smtplib.SMTP | None = None

    def _open(self) -> smtplib.SMTP:
        s = self.settings
        assert s.smtp_host is not None
        conn: smtplib.SMTP
        if s.smtp_tls == "ssl":
            conn = smtplib.SMTP_SSL(s.smtp_host, s.port, timeout=s.smtp_timeout,
                                    context=ssl.create_default_context())
        else:
            conn = smtplib.SMTP(s.smtp_host, s.port, timeout=s.smtp_timeout)
            if s.smtp_tls == "starttls":
                conn.starttls(context=ssl.create_default_context())
        if s.smtp_user:
            conn.login(s.smtp_user, s.smtp_password or "")
        return conn

    def close(self) -> None:
        if self.conn is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self.conn.quit()
            self.conn = None

    def send(self, sender: str, to: str, data: bytes) -> Outcome:
        """Send one message; a dropped connection is reopened once before giving up."""
        for attempt in (1, 2):
            try:
                if self.conn is None:
                    self.conn = self._open()
                refused = self.conn.sendmail(sender, [to], data)
            except smtplib.SMTPServerDisconnected as exc:
                self.conn = None
                if attempt == 2:
                    return Outcome("retry", None, f"disconnected: {exc}")
                continue
            except smtplib.SMTPRecipientsRefused as exc:
                code, text = next(iter(exc.recipients.values()), (None, b""))
                return _by_code(code, text)
            except (smtplib.SMTPSenderRefused, smtplib.SMTPAuthenticationError) as exc:
                self.close()  # our side is wrong (sender, login): retry later, never bounce
                return Outcome("retry", exc.smtp_code, _text(exc.smtp_error))
            except smtplib.SMTPResponseException as exc:
                self._reset()
                return _by_code(exc.smtp_code, exc.smtp_error)
            except (smtplib.SMTPException, OSError) as exc:
                self.close()
                return Outcome("retry", None, f"{type(exc).__name__}: {exc}")
            if refused:
                code, text = next(iter(refused.values()))
                return _by_code(code, text)
            return Outcome("ok", 250)
        return Outcome("retry", None, "unreachable")  # pragma: no cover

    def _reset(self) -> None:
        if self.conn is None:
            return
        try:
            self.conn.rset()
        except (smtplib.SMTPException, OSError):
            self.close()


def _text(raw: bytes | str) -> str:
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


def _by_code(code: int | None, text: bytes | str) -> Outcome:
    detail = _text(text)
    if code is not None and 500 <= code < 600:
        return Outcome("bounce", code, detail)
    return Outcome("retry", code, detail)
