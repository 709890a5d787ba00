"""Format 1 of the process file as Pydantic models; export of an import is the same JSON."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Number = int | float
JsonFilter = dict[str, Any]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class TriggerNode(_Strict):
    type: Literal["trigger"]
    event: str = Field(min_length=1)
    where: JsonFilter | None = None
    next: str


class ActionNode(_Strict):
    """One action; which parameters it needs depends on `do` (checked by validate.py)."""

    type: Literal["action"]
    do: str
    next: str | None = None
    tag: str | None = None
    list: str | None = None
    field: str | None = None
    value: Any = None
    by: int | None = None
    name: str | None = None
    template: str | None = None
    url: str | None = None
    method: str | None = None
    body: Any = None
    headers: dict[str, str] | None = None
    timeout: str | None = None  # webhook: a duration
    retries: int | None = Field(default=None, ge=0, le=20)  # webhook
    process: str | None = None
    text: str | None = None
    owner: str | None = None
    funnel: str | None = None
    stage: str | None = None


class ConditionNode(_Strict):
    type: Literal["condition"]
    if_: JsonFilter = Field(alias="if")
    yes: str
    no: str


class WaitFor(_Strict):
    event: str = Field(min_length=1)
    where: JsonFilter | None = None
    next: str


class WaitNode(_Strict):
    type: Literal["wait"]
    for_: list[WaitFor] = Field(alias="for", min_length=1)
    timeout: str | None = None
    on_timeout: str | None = None


class DelayNode(_Strict):
    type: Literal["delay"]
    for_: str | None = Field(default=None, alias="for")
    until_time: str | None = None
    days: list[str] | None = None
    timezone: str | None = None
    until: str | None = None
    offset: str | None = None
    next: str


class SplitBranch(_Strict):
    weight: Number = Field(gt=0)
    next: str


class SplitWinner(_Strict):
    by: str
    after: str | int


class SplitNode(_Strict):
    type: Literal["split"]
    branches: list[SplitBranch] = Field(min_length=2)
    winner: SplitWinner | None = None


class EndNode(_Strict):
    type: Literal["end"]
    outcome: str | None = None


Node = Annotated[
    TriggerNode | ActionNode | ConditionNode | WaitNode | DelayNode | SplitNode | EndNode,
    Field(discriminator="type"),
]
NODE_TYPES = ("trigger", "action", "condition", "wait", "delay", "split", "end")


class ExitOn(_Strict):
    event: str = Field(min_length=1)
    where: JsonFilter | None = None


class ProcessFile(_Strict):
    """The whole document. Unset optional keys stay unset, so export matches import."""

    nurtura: Literal[1]
    name: str = Field(min_length=1)
    description: str | None = None
    reentry: Literal["once", "always", "if_not_active"] = "if_not_active"
    timezone: str = "UTC"
    exit_on: list[ExitOn] = Field(default_factory=list)
    nodes: dict[str, Node]
    ui: dict[str, Any] | None = None

    def to_json_obj(self) -> dict[str, Any]:
        """The document as JSON data, exactly the keys it was loaded with."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_json_obj(), ensure_ascii=False, indent=indent)


def node_targets(node: Any) -> list[tuple[str, str]]:
    """(JSON sub-path, target id) of every edge leaving a node."""
    out: list[tuple[str, str]] = []
    if isinstance(node, TriggerNode | DelayNode):
        out.append(("next", node.next))
    elif isinstance(node, ActionNode):
        if node.next is not None:
            out.append(("next", node.next))
    elif isinstance(node, ConditionNode):
        out += [("yes", node.yes), ("no", node.no)]
    elif isinstance(node, WaitNode):
        out += [(f"for[{i}].next", w.next) for i, w in enumerate(node.for_)]
        if node.on_timeout is not None:
            out.append(("on_timeout", node.on_timeout))
    elif isinstance(node, SplitNode):
        out += [(f"branches[{i}].next", b.next) for i, b in enumerate(node.branches)]
    return out
