"""The exception root of Nurtura and the typed errors that reach users."""

from __future__ import annotations

import re
from dataclasses import dataclass


class NurturaError(Exception):
    """Root of every error Nurtura raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, at a JSON path such as `$.nodes.by_total.yes`."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class ProcessInvalid(NurturaError):
    """A process file with one or more problems, all reported at once."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class FilterInvalid(NurturaError):
    """A filter that does not parse; `problems` carry paths relative to the filter."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class BadInput(NurturaError):
    """An input (event, contact, line) that cannot be accepted; names the field at fault."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        if field is None:
            m = re.match(r"^(?:[^:]*:\d+: )?'([^']+)'", message)
            field = m.group(1) if m else None
        self.field = field


class Conflict(NurturaError):
    """The request clashes with what is stored (a name already taken, …)."""


class UnknownContact(NurturaError):
    """A step or command named a contact that does not exist."""


class UnknownProcess(NurturaError):
    """A command named a process that does not exist."""


class UnknownTemplate(NurturaError):
    """A command named a message template that does not exist."""


class UnknownTimezone(NurturaError):
    """A timezone name that the IANA database does not know."""
