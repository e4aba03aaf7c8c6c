"""Artifacts of the versions a change registers: present in the store, and matching their
digests (`--verify-artifacts`). Only new versions are read: existing ones were checked when
they landed, and their records cannot change (IMMUTABLE_FIELD)."""

from __future__ import annotations

from collections.abc import Callable

from modelreg.check import codes
from modelreg.check.view import ChangeView
from modelreg.diff import EventKind
from modelreg.errors import ModelregError
from modelreg.model import Artifacts, ModelVersion
from modelreg.policy.lines import Lines
from modelreg.problems import Problem

# `Store.verify`: one line per file missing or changed, [] when all is well.
Verify = Callable[[Artifacts], list[str]]


def artifact_problems(view: ChangeView, verify: Verify) -> list[Problem]:
    """ARTIFACT_MISSING / ARTIFACT_MISMATCH for each version the change registers."""
    lines = Lines(view.after.files)
    found = []
    for event in view.diff.events:
        if event.kind is not EventKind.VERSION_REGISTERED or not event.file:
            continue
        mv = _version(view, event.file)
        if mv is None or mv.artifacts is None:
            continue
        try:
            wrong = verify(mv.artifacts)
        except ModelregError as exc:  # the store cannot be reached or read: fail closed
            wrong = [f"cannot be read, so they are missing as far as this check can tell: {exc}"]
        line = lines.of(event.file, ("artifacts",))
        for text in wrong:
            code = codes.ARTIFACT_MISSING if "missing" in text else codes.ARTIFACT_MISMATCH
            found.append(Problem(
                path=event.file, line=line, json_path="$.artifacts", code=code,
                message=f"{mv.name} v{mv.version}'s artifacts at {mv.artifacts.uri}: {text}"))
    return found


def _version(view: ChangeView, path: str) -> ModelVersion | None:
    try:
        mv: ModelVersion | None = view.after.parsed_at("version", path)
    except ModelregError:
        return None  # the schema check reports it
    return mv
