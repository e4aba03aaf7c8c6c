"""What an operation produces: files to write, and the words and trailers of its commit.

Operations are functions `(Snapshot, OpContext) -> Change` (STYLE §2). They read nothing but
the snapshot and the context (clock, actor, id are parameters), so the writer can run one
again on a moved head, and a transaction can run several on top of one another.
"""

from __future__ import annotations

import datetime as _dt
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from modelreg.snapshot import OverlayFiles, Snapshot


@dataclass(frozen=True, slots=True, kw_only=True)
class OpContext:
    now: str
    actor: str
    op_id: str

    @classmethod
    def create(cls, actor: str, *, now: _dt.datetime | None = None) -> OpContext:
        return cls(now=format_time(now), actor=actor, op_id=str(uuid.uuid4()))


def format_time(moment: _dt.datetime | None = None) -> str:
    """RFC 3339 UTC with milliseconds: `2026-11-24T06:23:37.123Z`."""
    moment = (moment or _dt.datetime.now(_dt.timezone.utc)).astimezone(_dt.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass(frozen=True, slots=True, kw_only=True)
class Change:
    """Files to write (`None` deletes), relative to the registry folder, and the commit's words.

    `op` is the `Modelreg-Op` trailer (`alias-set`, `version-create`, ...); `trailers` are the
    further `Key: value` lines (`Model`, `Version`, `Alias`, ...). `result` is what the API
    returns to its caller (a ModelVersion, a RegisteredModel, None).
    """

    writes: Mapping[str, bytes | None]
    op: str
    summary: str
    body: str = ""
    trailers: tuple[tuple[str, str], ...] = ()
    result: Any = None
    parts: tuple[Change, ...] = field(default=())

    def message(self, op_id: str) -> str:
        """The commit message: summary, body, then trailers (`git interpret-trailers` form)."""
        lines = [self.summary, ""]
        if self.body:
            lines += [self.body.rstrip("\n"), ""]
        lines.append(f"Modelreg-Op: {self.op}")
        lines += [f"{k}: {v}" for k, v in self.trailers]
        lines.append(f"Modelreg-Op-Id: {op_id}")
        return "\n".join(lines) + "\n"


Operation = Callable[[Snapshot, OpContext], Change]


def transaction(operations: Sequence[Operation], summary: str = "") -> Operation:
    """Several operations as one: each sees the files the ones before it wrote."""

    def run(snapshot: Snapshot, ctx: OpContext) -> Change:
        writes: dict[str, bytes | None] = {}
        parts: list[Change] = []
        for operation in operations:
            view = Snapshot(OverlayFiles(snapshot.files, writes)) if writes else snapshot
            change = operation(view, ctx)
            writes.update(change.writes)
            parts.append(change)
        if len(parts) == 1:
            return parts[0]
        body = "\n".join(f"- {p.summary}" for p in parts)
        trailers = tuple(t for p in parts for t in (("Modelreg-Step", p.op), *p.trailers))
        return Change(
            writes=writes,
            op="transaction",
            summary=summary or f"Apply {len(parts)} registry operations",
            body=body,
            trailers=trailers,
            result=[p.result for p in parts],
            parts=tuple(parts),
        )

    return run
