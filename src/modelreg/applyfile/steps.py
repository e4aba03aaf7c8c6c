"""The values of an operations file: its steps, `"$N"` references, and a failed step."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from modelreg.errors import ModelregError

# operation -> (required keys, optional keys)
FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "register": (("name", "path"), ("reference", "metrics", "tags", "description", "run_id",
                                    "run_link", "source", "code_commit", "data")),
    "create": (("name",), ("tags", "description")),
    "alias": (("name", "alias", "version"), ()),
    "unalias": (("name", "alias"), ()),
    "stage": (("name", "version", "stage"), ("archive_existing",)),
    "tag": (("name", "key", "value"), ("version",)),
    "untag": (("name", "key"), ("version",)),
    "describe": (("name", "description"), ("version",)),
    "copy": (("src", "dst"), ()),
    "rename": (("name", "new_name"), ()),
    "delete": (("name",), ("version",)),
}
SYNONYMS = {"alias-delete": "unalias"}
PRODUCES_VERSION = frozenset({"register", "copy"})
STEP_REF = re.compile(r"\$(\d+)")


@dataclass(frozen=True, slots=True, kw_only=True)
class StepRef:
    """`"$N"`: the version number step N produced, known once it ran."""

    step: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    """One checked operation of the file. `args` hold checked values (versions as int or
    StepRef, paths made absolute)."""

    number: int
    op: str
    args: Mapping[str, Any]
    line: int | None = None

    @property
    def label(self) -> str:
        return f"step {self.number} ({self.op})"


class StepFailed(ModelregError):
    """A step was refused while the file ran; nothing was committed. Keeps the cause's code."""

    def __init__(self, step: Step, cause: ModelregError) -> None:
        super().__init__(f"{step.label}: {cause}", code=cause.code)
        self.step = step
        self.cause = cause

