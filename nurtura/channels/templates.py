"""Message templates in Liquid: email (subject, HTML, text) and SMS text.

HTML is autoescaped (a contact's name cannot inject markup); `<mjml>` sources are compiled
to responsive HTML after Liquid; `<style>` blocks are inlined (css-inline). A variable that
does not exist renders as empty and is listed in `Rendered.missing` (unless a `default`
filter covered it); it never fails a send. `date` takes an optional timezone.
"""

from __future__ import annotations

import contextvars
import html as htmllib
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache
from html.parser import HTMLParser
from typing import Any, ClassVar

import css_inline
import mjml
from liquid import Environment, Undefined
from liquid.builtin.filters.misc import default as liquid_default
from liquid.exceptions import LiquidError
from liquid.filter import with_context
from liquid.template import BoundTemplate

from nurtura.engine import timing
from nurtura.errors import BadInput, UnknownTimezone

CHANNELS = ("email", "sms")
CATEGORIES = ("marketing", "transactional")
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")


@dataclass
class Template:
    """A named message: email (subject, html and/or text) or SMS (text)."""

    name: str
    channel: str = "email"
    category: str = "marketing"
    subject: str | None = None
    html: str | None = None
    text: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The file form (no name: it is the file's or the key's)."""
        out: dict[str, Any] = {"channel": self.channel}
        if self.category != "marketing":
            out["category"] = self.category
        for key in ("subject", "html", "text"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out


@dataclass
class Rendered:
    subject: str
    html: str | None
    text: str
    missing: list[str] = field(default_factory=list)


def from_json(name: str, doc: Any) -> Template:
    """A template from its JSON form; BadInput names the field at fault."""
    if not isinstance(doc, dict):
        raise BadInput("a template must be a JSON object", field="template")
    allowed = {"name", "channel", "category", "subject", "html", "text"}
    extra = sorted(set(doc) - allowed)
    if extra:
        raise BadInput(f"unknown key {extra[0]!r}; allowed: {sorted(allowed)}", field=extra[0])
    for key in allowed:
        if doc.get(key) is not None and not isinstance(doc[key], str):
            raise BadInput(f"'{key}' must be a string", field=key)
    t = Template(name=name, channel=doc.get("channel") or "email",
                 category=doc.get("category") or "marketing", subject=doc.get("subject"),
                 html=doc.get("html"), text=doc.get("text"))
    check(t)
    return t


def check(t: Template) -> None:
    """Name, channel, category, required parts and Liquid syntax; BadInput names the field."""
    if not NAME.match(t.name):
        raise BadInput(f"bad template name {t.name!r}: letters, digits, '.', '_', '-' "
                       "(up to 200, starting with a letter or digit)", field="name")
    if t.channel not in CHANNELS:
        raise BadInput(f"'channel' must be one of {list(CHANNELS)}, not {t.channel!r}",
                       field="channel")
    if t.category not in CATEGORIES:
        raise BadInput(f"'category' must be one of {list(CATEGORIES)}, not {t.category!r}",
                       field="category")
    if t.channel == "email":
        if not (t.subject or "").strip():
            raise BadInput("an email needs a 'subject'", field="subject")
        if not (t.html or "").strip() and not (t.text or "").strip():
            raise BadInput("an email needs 'html' or 'text' (or both)", field="html")
    else:
        if not (t.text or "").strip():
            raise BadInput("an SMS needs its 'text'", field="text")
        for key in ("subject", "html"):
            if getattr(t, key):
                raise BadInput(f"an SMS has no '{key}'", field=key)
    for key in ("subject", "html", "text"):
        source = getattr(t, key)
        if source:
            try:
                _parse(key == "html", source)
            except LiquidError as exc:
                raise BadInput(f"'{key}': {exc}", field=key) from None


# -- rendering --------------------------------------------------------------------------------


@dataclass
class _State:
    tz: str
    now: datetime
    missing: list[_Missing] = field(default_factory=list)


_state: contextvars.ContextVar[_State | None] = contextvars.ContextVar("nurtura_render",
                                                                       default=None)


class _Missing(Undefined):
    """Renders as empty (as Undefined does) and records itself for the preview."""

    __slots__ = ("covered",)

    def __init__(self, name: str, **kwargs: Any) -> None:
        super().__init__(name, **kwargs)
        self.covered = False
        state = _state.get()
        if state is not None:
            state.missing.append(self)

    def path(self) -> str:
        hint = self.hint or ""
        if hint.endswith(" is undefined"):
            return hint[: -len(" is undefined")].strip("'")
        return self.name


def _default(obj: Any, default_: object = "", *, allow_false: bool = False) -> Any:
    if isinstance(obj, _Missing):
        obj.covered = True
    return liquid_default(obj, default_, allow_false=allow_false)


def to_instant(value: Any, now: datetime) -> datetime | None:
    """A datetime, an ISO 8601 string, epoch seconds, or "now"/"today"; None if not a time."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str):
        text = value.strip()
        if text in ("now", "today"):
            return now
        if text.isdigit():
            return datetime.fromtimestamp(int(text), UTC)
        try:
            return timing.parse_instant(text)
        except ValueError:
            return None
    return None


@with_context
def _date(value: Any, fmt: Any = None, tz: Any = None, *, context: Any = None) -> str:
    """`{{ t | date: "%d.%m %H:%M", "Europe/Moscow" }}`: the time in a timezone (default:
    the contact's, else the process's, else UTC)."""
    if isinstance(value, Undefined) or value is None:
        return ""
    state = _state.get()
    now = state.now if state else datetime.now(UTC)
    instant = to_instant(value, now)
    if instant is None:
        return str(value)
    name = tz if isinstance(tz, str) and tz else (state.tz if state else "UTC")
    try:
        zone = timing.zone(name)
    except UnknownTimezone:
        zone = timing.zone("UTC")
    local = instant.astimezone(zone)
    if fmt is None or isinstance(fmt, Undefined):
        return local.isoformat()
    try:
        return local.strftime(str(fmt))
    except ValueError:
        return local.isoformat()


def _environment(autoescape: bool) -> Environment:
    env = Environment(autoescape=autoescape, undefined=_Missing)
    env.add_filter("default", _default)
    env.add_filter("date", _date)
    return env


_ENVS = {True: _environment(True), False: _environment(False)}


@lru_cache(maxsize=512)
def _parse(html: bool, source: str) -> BoundTemplate:
    return _ENVS[html].from_string(source)


def render_part(source: str | None, data: dict[str, Any], *, html: bool = False) -> str:
    """One part (subject, HTML or text) with `data`; missing names go to the active state."""
    if not source:
        return ""
    return str(_parse(html, source).render(**data))


def render(t: Template, data: dict[str, Any], *, tz: str = "UTC",
           now: datetime | None = None) -> Rendered:
    """Subject, final HTML (MJML compiled, CSS inlined, a full document) and text; a
    missing text part of an email is made from its HTML. Raises LiquidError on a template
    error other than a missing variable."""
    state = _State(tz, now or datetime.now(UTC))
    token = _state.set(state)
    try:
        subject = " ".join(render_part(t.subject, data).split())
        body_html = render_part(t.html, data, html=True) if t.html else None
        text = render_part(t.text, data) if t.text else ""
    finally:
        _state.reset(token)
    if body_html is not None:
        body_html = finish_html(body_html)
        if not text.strip():
            text = html_to_text(body_html)
    missing: list[str] = []
    for m in state.missing:
        p = m.path()
        if not m.covered and p not in missing:
            missing.append(p)
    return Rendered(subject, body_html, text, missing)


_INLINER = css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)
_DOC_START = ('<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" '
              'content="width=device-width, initial-scale=1"></head><body style="margin:0;'
              'padding:16px;font-family:Helvetica,Arial,sans-serif;font-size:16px;'
              'line-height:1.5;color:#222">')


def finish_html(body: str) -> str:
    """MJML → HTML, a fragment → a responsive document, <style> → inline styles."""
    head = body.lstrip()[:200].lower()
    if head.startswith("<mjml"):
        body = mjml.mjml2html(body, disable_comments=True)
    elif "<html" not in head and "<!doctype" not in head:
        body = f'{_DOC_START}<div style="max-width:600px;margin:0 auto">{body}</div></body></html>'
    if "<style" in body.lower():
        body = _INLINER.inline(body)
    return body


class _Text(HTMLParser):
    """HTML → readable text: paragraphs on their own lines, links as `text (url)`."""

    BLOCK: ClassVar[set[str]] = {"p", "div", "br", "tr", "h1", "h2", "h3", "h4", "li", "table",
                                 "section"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.href: list[str | None] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "script", "head", "title"):
            self.skip += 1
        elif tag in self.BLOCK:
            self.out.append("\n\n" if tag == "p" else "\n")
        if tag == "a":
            self.href.append(dict(attrs).get("href"))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script", "head", "title"):
            self.skip = max(0, self.skip - 1)
        elif tag == "a" and self.href:
            href = self.href.pop()
            if href and href.startswith(("http://", "https://")):
                self.out.append(f" ({href})")
        elif tag in self.BLOCK:
            self.out.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.out.append(re.sub(r"\s+", " ", data))


def html_to_text(body: str) -> str:
    parser = _Text()
    parser.feed(body)
    text = "".join(parser.out)
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"


def escape(text: str) -> str:
    return htmllib.escape(text, quote=True)


def render_json(doc: Any, data: dict[str, Any], *, tz: str = "UTC",
                now: datetime | None = None) -> Any:
    """A JSON document (a webhook body) with Liquid in its strings rendered; structure kept."""
    token = _state.set(_State(tz, now or datetime.now(UTC)))
    try:
        return _fill(doc, data)
    finally:
        _state.reset(token)


def _fill(doc: Any, data: dict[str, Any]) -> Any:
    if isinstance(doc, str):
        return render_part(doc, data) if "{" in doc else doc
    if isinstance(doc, list):
        return [_fill(v, data) for v in doc]
    if isinstance(doc, dict):
        return {_fill(str(k), data): _fill(v, data) for k, v in doc.items()}
    return doc
