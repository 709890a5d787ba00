"""The filter language of SPEC as a small typed AST, parsed from JSON with path-named errors.

Filters never become SQL text: the engine evaluates the AST against a contact view.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from nurtura.errors import FilterInvalid, Problem
from nurtura.model.durations import DurationError, parse_duration

OPS = ("eq", "ne", "gt", "gte", "lt", "lte", "in", "contains", "exists")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HAS_KINDS = ("email", "phone", "timezone", "owner")
CHANNELS = ("email", "sms")
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True)
class Cmp:
    """A comparison `op` against `value` (`exists` takes a boolean)."""

    op: str
    value: Any


@dataclass(frozen=True)
class All:
    items: tuple[Filter, ...]


@dataclass(frozen=True)
class Any_:
    items: tuple[Filter, ...]


@dataclass(frozen=True)
class Not:
    item: Filter


@dataclass(frozen=True)
class Tag:
    tag: str


@dataclass(frozen=True)
class InList:
    list: str


@dataclass(frozen=True)
class Field:
    field: str
    cmp: Cmp


@dataclass(frozen=True)
class Prop:
    prop: str
    cmp: Cmp


@dataclass(frozen=True)
class Var:
    var: str
    cmp: Cmp


@dataclass(frozen=True)
class Number:
    """`total_paid` or `score` compared by one or more ops (`{"gte": 10, "lt": 20}`)."""

    what: Literal["total_paid", "score"]
    cmps: tuple[Cmp, ...]


@dataclass(frozen=True)
class EventHistory:
    name: str
    where: Filter | None
    within: timedelta | None
    count: tuple[Cmp, ...]
    since_run: bool


@dataclass(frozen=True)
class Subscribed:
    channel: str


@dataclass(frozen=True)
class Has:
    what: str


@dataclass(frozen=True)
class InProcess:
    process: str


@dataclass(frozen=True)
class Stage:
    funnel: str
    cmp: Cmp


@dataclass(frozen=True)
class Rfm:
    segments: tuple[str, ...]


@dataclass(frozen=True)
class Owner:
    owner: str


@dataclass(frozen=True)
class Note:
    contains: str


@dataclass(frozen=True)
class LocalTime:
    start: str
    end: str


@dataclass(frozen=True)
class Weekday:
    days: tuple[str, ...]


Filter = (
    All | Any_ | Not | Tag | InList | Field | Prop | Var | Number | EventHistory | Subscribed
    | Has | InProcess | Stage | Rfm | Owner | Note | LocalTime | Weekday
)

LEAF_KEYS = (
    "all", "any", "not", "tag", "list", "field", "prop", "var", "total_paid", "score", "event",
    "subscribed", "has", "in_process", "stage", "rfm", "owner", "note", "local_time", "weekday",
)


class _Parser:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def bad(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    def parse(self, raw: Any, path: str) -> Filter | None:
        if not isinstance(raw, dict):
            self.bad(path, f"a filter must be an object like {{\"tag\": \"VIP\"}}, not {raw!r}")
            return None
        kinds = [k for k in raw if k in LEAF_KEYS]
        if len(kinds) != 1:
            unknown = [k for k in raw if k not in LEAF_KEYS and k not in OPS]
            if unknown:
                self.bad(
                    f"{path}.{unknown[0]}",
                    f"unknown filter key {unknown[0]!r}; known: {', '.join(LEAF_KEYS)}",
                )
            elif not kinds:
                self.bad(path, f"empty filter; use one of: {', '.join(LEAF_KEYS)}")
            else:
                self.bad(path, f"a filter has exactly one kind, found {kinds}; wrap them in 'all'")
            return None
        kind = kinds[0]
        method = getattr(self, "_" + kind)
        result: Filter | None = method(raw, path)
        return result

    def _extra(self, raw: dict[str, Any], path: str, allowed: set[str]) -> bool:
        ok = True
        for key in raw:
            if key not in allowed:
                self.bad(f"{path}.{key}", f"unknown key {key!r} here; allowed: {sorted(allowed)}")
                ok = False
        return ok

    def _group(self, raw: dict[str, Any], path: str, key: str) -> tuple[Filter, ...] | None:
        self._extra(raw, path, {key})
        items = raw[key]
        if not isinstance(items, list) or not items:
            self.bad(f"{path}.{key}", f"'{key}' takes a non-empty list of filters")
            return None
        parsed = [self.parse(item, f"{path}.{key}[{i}]") for i, item in enumerate(items)]
        if any(p is None for p in parsed):
            return None
        return tuple(p for p in parsed if p is not None)

    def _all(self, raw: dict[str, Any], path: str) -> Filter | None:
        items = self._group(raw, path, "all")
        return All(items) if items is not None else None

    def _any(self, raw: dict[str, Any], path: str) -> Filter | None:
        items = self._group(raw, path, "any")
        return Any_(items) if items is not None else None

    def _not(self, raw: dict[str, Any], path: str) -> Filter | None:
        self._extra(raw, path, {"not"})
        inner = self.parse(raw["not"], f"{path}.not")
        return Not(inner) if inner is not None else None

    def _name(self, raw: dict[str, Any], path: str, key: str) -> str | None:
        value = raw[key]
        if not isinstance(value, str) or not value:
            self.bad(f"{path}.{key}", f"'{key}' takes a non-empty string, not {value!r}")
            return None
        return value

    def _simple(self, raw: dict[str, Any], path: str, key: str) -> str | None:
        self._extra(raw, path, {key})
        return self._name(raw, path, key)

    def _tag(self, raw: dict[str, Any], path: str) -> Filter | None:
        name = self._simple(raw, path, "tag")
        return Tag(name) if name is not None else None

    def _list(self, raw: dict[str, Any], path: str) -> Filter | None:
        name = self._simple(raw, path, "list")
        return InList(name) if name is not None else None

    def _owner(self, raw: dict[str, Any], path: str) -> Filter | None:
        name = self._simple(raw, path, "owner")
        return Owner(name) if name is not None else None

    def _in_process(self, raw: dict[str, Any], path: str) -> Filter | None:
        name = self._simple(raw, path, "in_process")
        return InProcess(name) if name is not None else None

    def _subscribed(self, raw: dict[str, Any], path: str) -> Filter | None:
        name = self._simple(raw, path, "subscribed")
        if name is not None and name not in CHANNELS:
            self.bad(f"{path}.subscribed", f"channel must be one of {list(CHANNELS)}")
            return None
        return Subscribed(name) if name is not None else None

    def _has(self, raw: dict[str, Any], path: str) -> Filter | None:
        name = self._simple(raw, path, "has")
        if name is not None and name not in HAS_KINDS:
            self.bad(f"{path}.has", f"'has' takes one of {list(HAS_KINDS)}")
            return None
        return Has(name) if name is not None else None

    def _cmp_of(self, raw: dict[str, Any], path: str, key: str) -> Cmp | None:
        """The one op beside `key` in `{"field": "city", "eq": "Delft"}`."""
        clean = self._extra(raw, path, {key, *OPS})
        ops = [k for k in raw if k in OPS]
        if not ops and not clean:
            return None  # the unknown key was the operator: already reported
        if len(ops) != 1:
            self.bad(path, f"'{key}' takes exactly one operator of {list(OPS)}, found {ops}")
            return None
        return self._cmp(ops[0], raw[ops[0]], f"{path}.{ops[0]}")

    def _cmp(self, op: str, value: Any, path: str) -> Cmp | None:
        if op not in OPS:
            self.bad(path, f"unknown operator {op!r}; known: {list(OPS)}")
            return None
        if op == "exists" and not isinstance(value, bool):
            self.bad(path, "'exists' takes true or false")
            return None
        if op == "in" and not isinstance(value, list):
            self.bad(path, "'in' takes a list of values")
            return None
        if op in ("gt", "gte", "lt", "lte") and (
            isinstance(value, bool) or not isinstance(value, int | float | str)
        ):
            self.bad(path, f"'{op}' takes a number (or an ISO time string)")
            return None
        return Cmp(op, value)

    def _cmps(self, raw: Any, path: str, numeric: bool = True) -> tuple[Cmp, ...] | None:
        if not isinstance(raw, dict) or not raw:
            self.bad(path, 'takes comparisons like {"gte": 50000}')
            return None
        out = []
        for op, value in raw.items():
            if numeric and (isinstance(value, bool) or not isinstance(value, int | float)):
                self.bad(f"{path}.{op}", f"'{op}' takes a number, not {value!r}")
                return None
            cmp = self._cmp(op, value, f"{path}.{op}")
            if cmp is None:
                return None
            out.append(cmp)
        return tuple(out)

    def _field(self, raw: dict[str, Any], path: str) -> Filter | None:
        name, cmp = self._name(raw, path, "field"), self._cmp_of(raw, path, "field")
        return Field(name, cmp) if name is not None and cmp is not None else None

    def _prop(self, raw: dict[str, Any], path: str) -> Filter | None:
        name, cmp = self._name(raw, path, "prop"), self._cmp_of(raw, path, "prop")
        return Prop(name, cmp) if name is not None and cmp is not None else None

    def _var(self, raw: dict[str, Any], path: str) -> Filter | None:
        name, cmp = self._name(raw, path, "var"), self._cmp_of(raw, path, "var")
        return Var(name, cmp) if name is not None and cmp is not None else None

    def _number(self, raw: dict[str, Any], path: str, key: Literal["total_paid", "score"]) -> (
        Filter | None
    ):
        self._extra(raw, path, {key})
        cmps = self._cmps(raw[key], f"{path}.{key}")
        return Number(key, cmps) if cmps is not None else None

    def _total_paid(self, raw: dict[str, Any], path: str) -> Filter | None:
        return self._number(raw, path, "total_paid")

    def _score(self, raw: dict[str, Any], path: str) -> Filter | None:
        return self._number(raw, path, "score")

    def _event(self, raw: dict[str, Any], path: str) -> Filter | None:
        self._extra(raw, path, {"event", "where", "within", "count", "since"})
        name = self._name(raw, path, "event")
        where = self.parse(raw["where"], f"{path}.where") if "where" in raw else None
        within = None
        if "within" in raw:
            try:
                within = parse_duration(raw["within"])
            except DurationError as exc:
                self.bad(f"{path}.within", str(exc))
                return None
        count: tuple[Cmp, ...] | None = (Cmp("gte", 1),)
        if "count" in raw:
            count = self._cmps(raw["count"], f"{path}.count")
        since = raw.get("since")
        if since is not None and since != "run":
            self.bad(f"{path}.since", "'since' takes only \"run\"")
            return None
        if name is None or count is None or ("where" in raw and where is None):
            return None
        return EventHistory(name, where, within, count, since == "run")

    def _stage(self, raw: dict[str, Any], path: str) -> Filter | None:
        self._extra(raw, path, {"stage"})
        body = raw["stage"]
        if not isinstance(body, dict) or not isinstance(body.get("funnel"), str):
            self.bad(f"{path}.stage", 'takes {"funnel": NAME, "eq": STAGE} (or another op)')
            return None
        cmp = self._cmp_of(body, f"{path}.stage", "funnel")
        return Stage(body["funnel"], cmp) if cmp is not None else None

    def _rfm(self, raw: dict[str, Any], path: str) -> Filter | None:
        self._extra(raw, path, {"rfm"})
        value = raw["rfm"]
        names = [value] if isinstance(value, str) else value
        if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
            self.bad(f"{path}.rfm", "takes a segment name or a list of them")
            return None
        from nurtura.model.rfm import SEGMENTS

        for name in names:
            if name not in SEGMENTS:
                self.bad(f"{path}.rfm", f"unknown RFM segment {name!r}; known: {list(SEGMENTS)}")
                return None
        return Rfm(tuple(names))

    def _note(self, raw: dict[str, Any], path: str) -> Filter | None:
        self._extra(raw, path, {"note"})
        body = raw["note"]
        if not isinstance(body, dict) or set(body) != {"contains"} or not isinstance(
            body["contains"], str
        ):
            self.bad(f"{path}.note", 'takes {"contains": TEXT}')
            return None
        return Note(body["contains"])

    def _local_time(self, raw: dict[str, Any], path: str) -> Filter | None:
        self._extra(raw, path, {"local_time"})
        body = raw["local_time"]
        between = body.get("between") if isinstance(body, dict) else None
        if (
            not isinstance(between, list)
            or len(between) != 2
            or not all(isinstance(t, str) and _HHMM.match(t) for t in between)
            or set(body) != {"between"}
        ):
            self.bad(f"{path}.local_time", 'takes {"between": ["HH:MM", "HH:MM"]}')
            return None
        return LocalTime(between[0], between[1])

    def _weekday(self, raw: dict[str, Any], path: str) -> Filter | None:
        self._extra(raw, path, {"weekday"})
        days = raw["weekday"]
        if isinstance(days, str):
            days = [days]
        if not isinstance(days, list) or not days or any(d not in WEEKDAYS for d in days):
            self.bad(f"{path}.weekday", f"takes a list of {list(WEEKDAYS)}")
            return None
        return Weekday(tuple(days))


def parse_filter(raw: Any, path: str = "$") -> Filter:
    """Parse a JSON filter; raise FilterInvalid with every problem, each at its JSON path."""
    parser = _Parser()
    result = parser.parse(raw, path)
    if parser.problems or result is None:
        raise FilterInvalid(parser.problems or [Problem(path, "invalid filter")])
    return result


def walk(f: Filter) -> list[Filter]:
    """Every node of a filter tree, depth first."""
    out: list[Filter] = [f]
    if isinstance(f, All | Any_):
        for item in f.items:
            out.extend(walk(item))
    elif isinstance(f, Not):
        out.extend(walk(f.item))
    elif isinstance(f, EventHistory) and f.where is not None:
        out.extend(walk(f.where))
    return out


def is_hhmm(text: Any) -> bool:
    return isinstance(text, str) and bool(_HHMM.match(text))
