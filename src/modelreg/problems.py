"""What `validate` and `check` find: one value per problem, all of them reported in one run.

A problem names the registry-relative file, the line (when there is one), the JSON path inside
the document and a stable `code` that scripts and CI annotations can match on. Collecting
values instead of raising on the first one is what lets a reviewer fix a pull request in one
round (STYLE §10).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning", "notice"]

# What `validate` reports. `check` adds its own codes (VERSION_TAKEN, IMMUTABLE_FIELD, ...).
SCHEMA = "SCHEMA"  # the document does not follow the format's JSON Schema
YAML = "YAML"  # not parseable YAML
MANIFEST_TOO_LARGE = "MANIFEST_TOO_LARGE"  # over 1 MiB: refused before it is parsed
DUPLICATE_KEY = "DUPLICATE_KEY"
ANCHOR = "ANCHOR"  # YAML anchors/aliases: the diff would not show what is read
MERGE_KEY = "MERGE_KEY"  # YAML `<<` merge keys, same reason
UNREADABLE = "UNREADABLE"  # a file the view refuses to read (a symlink in a work tree, ...)
MISSING_REGISTRY_FILE = "MISSING_REGISTRY_FILE"
FILE_NAME_MISMATCH = "FILE_NAME_MISMATCH"  # versions/7.yaml says `version: 8`
NAME_MISMATCH = "NAME_MISMATCH"  # the model's folder is not the one its name maps to
ALIAS_TARGET_MISSING = "ALIAS_TARGET_MISSING"
STAGE_TARGET_MISSING = "STAGE_TARGET_MISSING"
VERSION_IN_TWO_STAGES = "VERSION_IN_TWO_STAGES"
LAST_VERSION_TOO_LOW = "LAST_VERSION_TOO_LOW"
CASE_COLLISION = "CASE_COLLISION"
UNKNOWN_FILE = "UNKNOWN_FILE"
MISSING_MODEL_FILE = "MISSING_MODEL_FILE"

_MEMBER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True, slots=True, kw_only=True)
class Problem:
    """One finding. `line` is 1-based; `json_path` is '' when the problem is about a file or
    folder as a whole (an unknown file, a missing `model.yaml`)."""

    path: str
    line: int | None = None
    json_path: str = ""
    code: str
    severity: Severity = "error"
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        inside = f" {self.json_path}:" if self.json_path else ""
        return f"{where}:{inside} {self.message}"

    @property
    def sort_key(self) -> tuple[str, int, str, str, str]:
        return (self.path, self.line or 0, self.json_path, self.code, self.message)


def json_path(at: Iterable[str | int]) -> str:
    """`('tags', 'owner')` -> `$.tags.owner`; `('stages', 'Staging', 0)` -> `$.stages.Staging[0]`;
    keys that are not identifiers are bracketed: `$.tags['team name']`."""
    out = "$"
    for part in at:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _MEMBER.match(part):
            out += f".{part}"
        else:
            escaped = part.replace("\\", "\\\\").replace("'", "\\'")
            out += f"['{escaped}']"
    return out


def sort(problems: Iterable[Problem]) -> list[Problem]:
    """By file, then line, then JSON path: the order a reader fixes them in."""
    return sorted(problems, key=lambda p: p.sort_key)


def has_errors(problems: Iterable[Problem]) -> bool:
    return any(p.severity == "error" for p in problems)
