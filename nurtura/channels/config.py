"""Messaging settings, read once from the environment (NURTURA_SMTP_HOST, …) into a typed
object; docs/messaging.md lists every variable. Bad values raise BadInput naming the variable."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from datetime import timedelta
from email.utils import parseaddr
from typing import Any, Literal

from pydantic import BaseModel, Field

from nurtura.errors import BadInput
from nurtura.model.durations import DurationError, parse_duration
from nurtura.model.filters import is_hhmm

DEFAULT_SMS_BODY = '{"to": "{{ to }}", "text": "{{ text }}"}'


class QuietHours(BaseModel):
    """Local times of day [start, end) in which a channel sends nothing (may wrap midnight)."""

    start: str
    end: str


class Cap(BaseModel):
    """At most `count` marketing messages per contact within `period`."""

    count: int = Field(ge=1)
    period: timedelta


class Settings(BaseModel):
    """Everything delivery needs to know about the outside world."""

    smtp_host: str | None = None
    smtp_port: int | None = None
    smtp_tls: Literal["starttls", "ssl", "none"] = "starttls"
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_timeout: float = 30.0
    from_addr: str = "Nurtura <nurtura@localhost>"
    reply_to: str | None = None
    base_url: str = "http://127.0.0.1:8000"
    secret: str | None = None
    track_opens: bool = True
    track_clicks: bool = True

    sms_url: str | None = None
    sms_auth: str | None = None  # "Bearer abc" → Authorization; "X-Api-Key: abc" → that header
    sms_body: str = DEFAULT_SMS_BODY
    sms_from: str | None = None
    sms_timeout: float = 10.0

    webhook_timeout: float = 10.0
    webhook_retries: int = 5
    webhook_secret: str | None = None

    rate: dict[str, float] = Field(default_factory=dict)  # channel → messages per second
    quiet: dict[str, QuietHours] = Field(default_factory=dict)  # channel → quiet hours
    email_cap: Cap | None = None

    max_attempts: int = 8
    retry_base: timedelta = timedelta(minutes=1)
    retry_max: timedelta = timedelta(hours=6)
    lease: timedelta = timedelta(minutes=5)
    batch: int = 200
    group: int = 10  # messages marked `sending` per transaction (at most lost on a crash)
    at_least_once: bool = False  # email and SMS: resend a send interrupted by a crash

    @property
    def port(self) -> int:
        if self.smtp_port is not None:
            return self.smtp_port
        return {"ssl": 465, "starttls": 587, "none": 25}[self.smtp_tls]

    @property
    def from_email(self) -> str:
        return parseaddr(self.from_addr)[1] or "nurtura@localhost"

    @property
    def domain(self) -> str:
        """The domain of Message-IDs: the From address's."""
        return self.from_email.rpartition("@")[2] or "localhost"

    def backoff(self, attempts: int) -> timedelta:
        """Wait before retry number `attempts` (1, 2, …): base · 2^(n−1), at most retry_max."""
        step: timedelta = self.retry_base * (2 ** max(0, min(attempts - 1, 30)))
        return step if step < self.retry_max else self.retry_max


def _get(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name)
    return value.strip() if value is not None and value.strip() != "" else None


def _float(env: Mapping[str, str], name: str) -> float | None:
    value = _get(env, name)
    if value is None:
        return None
    try:
        out = float(value)
    except ValueError:
        raise BadInput(f"{name}={value!r}: not a number", field=name) from None
    if out < 0:
        raise BadInput(f"{name}={value!r}: must not be negative", field=name)
    return out


def _duration(env: Mapping[str, str], name: str) -> timedelta | None:
    value = _get(env, name)
    if value is None:
        return None
    try:
        return parse_duration(value)
    except DurationError as exc:
        raise BadInput(f"{name}: {exc}", field=name) from None


def _bool(env: Mapping[str, str], name: str) -> bool | None:
    value = _get(env, name)
    if value is None:
        return None
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise BadInput(f"{name}={value!r}: use true or false", field=name)


def parse_quiet(name: str, value: str) -> QuietHours:
    start, sep, end = value.replace(" ", "").partition("-")
    if not sep or not is_hhmm(start) or not is_hhmm(end) or start == end:
        raise BadInput(f"{name}={value!r}: use HH:MM-HH:MM, e.g. 21:00-08:00", field=name)
    return QuietHours(start=start, end=end)


def parse_cap(name: str, value: str) -> Cap:
    count, sep, period = value.replace(" ", "").partition("/")
    try:
        if not sep:
            raise ValueError
        return Cap(count=int(count), period=parse_duration(period))
    except (ValueError, DurationError):
        raise BadInput(f"{name}={value!r}: use COUNT/PERIOD, e.g. 3/1d", field=name) from None


def from_env(env: Mapping[str, str] | None = None) -> Settings:
    """The settings from NURTURA_* variables (os.environ by default)."""
    e = os.environ if env is None else env
    values: dict[str, Any] = {}
    for key, var in (("smtp_host", "SMTP_HOST"), ("smtp_user", "SMTP_USER"),
                     ("smtp_password", "SMTP_PASSWORD"), ("from_addr", "FROM"),
                     ("reply_to", "REPLY_TO"), ("secret", "SECRET"),
                     ("sms_url", "SMS_URL"), ("sms_auth", "SMS_AUTH"), ("sms_body", "SMS_BODY"),
                     ("sms_from", "SMS_FROM"), ("webhook_secret", "WEBHOOK_SECRET")):
        value = _get(e, "NURTURA_" + var)
        if value is not None:
            values[key] = value
    base = _get(e, "NURTURA_BASE_URL")
    if base is not None:
        if not base.startswith(("http://", "https://")):
            raise BadInput(f"NURTURA_BASE_URL={base!r}: must start with http:// or https://",
                           field="NURTURA_BASE_URL")
        values["base_url"] = base.rstrip("/")
    port = _get(e, "NURTURA_SMTP_PORT")
    if port is not None:
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise BadInput(f"NURTURA_SMTP_PORT={port!r}: not a port", field="NURTURA_SMTP_PORT")
        values["smtp_port"] = int(port)
    tls = _get(e, "NURTURA_SMTP_TLS")
    if tls is not None:
        if tls.lower() not in ("starttls", "ssl", "none"):
            raise BadInput(f"NURTURA_SMTP_TLS={tls!r}: use starttls, ssl or none",
                           field="NURTURA_SMTP_TLS")
        values["smtp_tls"] = tls.lower()
    if "sms_body" in values:
        try:
            json.loads(values["sms_body"])
        except json.JSONDecodeError:
            raise BadInput("NURTURA_SMS_BODY must be a JSON document", field="NURTURA_SMS_BODY"
                           ) from None
    for key, var in (("smtp_timeout", "SMTP_TIMEOUT"), ("sms_timeout", "SMS_TIMEOUT"),
                     ("webhook_timeout", "WEBHOOK_TIMEOUT")):
        seconds = _float(e, "NURTURA_" + var)
        if seconds is not None:
            values[key] = seconds
    for key, var in (("webhook_retries", "WEBHOOK_RETRIES"), ("max_attempts", "MAX_ATTEMPTS"),
                     ("batch", "DELIVERY_BATCH"), ("group", "DELIVERY_GROUP")):
        number = _float(e, "NURTURA_" + var)
        if number is not None:
            values[key] = max(1, int(number)) if key != "webhook_retries" else int(number)
    for key, var in (("retry_base", "RETRY_BASE"), ("retry_max", "RETRY_MAX"),
                     ("lease", "DELIVERY_LEASE")):
        delta = _duration(e, "NURTURA_" + var)
        if delta is not None:
            values[key] = delta
    for key, var in (("track_opens", "TRACK_OPENS"), ("track_clicks", "TRACK_CLICKS")):
        flag = _bool(e, "NURTURA_" + var)
        if flag is not None:
            values[key] = flag
    guarantee = _get(e, "NURTURA_DELIVERY")
    if guarantee is not None:
        if guarantee not in ("at-most-once", "at-least-once"):
            raise BadInput(f"NURTURA_DELIVERY={guarantee!r}: use at-most-once or at-least-once",
                           field="NURTURA_DELIVERY")
        values["at_least_once"] = guarantee == "at-least-once"
    rate: dict[str, float] = {}
    quiet: dict[str, QuietHours] = {}
    for channel in ("email", "sms", "webhook"):
        per_second = _float(e, f"NURTURA_{channel.upper()}_RATE")
        if per_second:
            rate[channel] = per_second
        hours = _get(e, f"NURTURA_{channel.upper()}_QUIET_HOURS")
        if hours is not None and channel != "webhook":
            quiet[channel] = parse_quiet(f"NURTURA_{channel.upper()}_QUIET_HOURS", hours)
    values["rate"], values["quiet"] = rate, quiet
    cap = _get(e, "NURTURA_EMAIL_CAP")
    if cap is not None:
        values["email_cap"] = parse_cap("NURTURA_EMAIL_CAP", cap)
    return Settings(**values)
