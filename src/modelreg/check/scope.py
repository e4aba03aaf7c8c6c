"""`validate`'s rules, applied to what a change touches and nothing else.

`validate_registry` judges a whole folder; here it judges a view restricted to the model
folders the change touches, and inside each to the version files it touches plus the few that
the cross-file rules need (the versions aliases and stages name, the highest number). The same
restricted view of the base branch tells which problems were there before: those are not the
change's (an incremental linter's rule), so only new ones are reported.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from urllib.parse import unquote

from modelreg import layout, problems
from modelreg.check.codes import UNKNOWN_STAGE
from modelreg.check.view import ChangeView
from modelreg.errors import ModelregError
from modelreg.model import AliasTable
from modelreg.problems import Problem
from modelreg.snapshot import Files, Snapshot
from modelreg.validate import validate_registry

_MODELS = layout.MODELS_DIR
Scope = Mapping[str, frozenset[str]]  # model folder -> names kept in its versions/ folder


class ScopedFiles:
    """`inner`, with `models/` listing only the folders of `scope` and each `versions/`
    listing only the names `scope` keeps. Reads pass through."""

    def __init__(self, inner: Files, scope: Scope) -> None:
        self.inner = inner
        self.scope = scope

    @property
    def revision(self) -> str:
        return self.inner.revision

    def read(self, path: str) -> bytes | None:
        return self.inner.read(path)

    def blob_id(self, path: str) -> str | None:
        return self.inner.blob_id(path)

    def listdir(self, path: str) -> list[str]:
        names = self.inner.listdir(path)
        if path == _MODELS:
            return [n for n in names if n in self.scope]
        parts = path.split("/")
        if len(parts) == 3 and parts[0] == _MODELS and parts[2] == layout.VERSIONS_DIR:
            kept = self.scope.get(parts[1], frozenset())
            return [n for n in names if n in kept]
        return names


def changed_problems(view: ChangeView) -> list[Problem]:
    """`validate`'s problems that the change brings to what it touches."""
    scope = scope_of(view.merged, view.paths)
    after = validate_registry(ScopedFiles(view.merged.files, scope))
    before = {_key(p) for p in validate_registry(ScopedFiles(view.base.files, scope))}
    return [_relabel(p) for p in after if _key(p) not in before]


def scope_of(snapshot: Snapshot, paths: Iterable[str]) -> Scope:
    """The model folders `paths` touch (and those that differ from one only by case), each
    with the version files touched, named by its aliases and stages, and the highest one."""
    touched: dict[str, set[str]] = {}
    for path in paths:
        parts = path.split("/")
        if parts[0] != _MODELS or len(parts) < 2:
            continue
        kept = touched.setdefault(parts[1], set())
        if len(parts) >= 4 and parts[2] == layout.VERSIONS_DIR:
            kept.add(parts[3])
    if touched:
        folded = {_fold(folder) for folder in touched}
        for folder in snapshot.files.listdir(_MODELS):
            if _fold(folder) in folded:
                touched.setdefault(folder, set())
    for folder, kept in touched.items():
        kept |= _needed(snapshot, folder)
    return {folder: frozenset(kept) for folder, kept in touched.items()}


def _needed(snapshot: Snapshot, folder: str) -> set[str]:
    """The version files the cross-file rules of a model folder read."""
    base = f"{_MODELS}/{folder}"
    try:
        table: AliasTable | None = snapshot.parsed_at("aliases", f"{base}/{layout.ALIASES_FILE}")
    except ModelregError:
        table = None  # the schema check reports it
    named = set(table.aliases.values()) if table else set()
    named |= {v for versions in (table.stages.values() if table else ()) for v in versions}
    numbers = [n for n in map(layout.version_number,
                              snapshot.files.listdir(f"{base}/{layout.VERSIONS_DIR}")) if n]
    if numbers:
        named.add(max(numbers))
    return {f"{number}.yaml" for number in named}


def _fold(folder: str) -> str:
    return unquote(folder).casefold()


def _key(problem: Problem) -> tuple[str, str, str, str]:
    """What makes two problems the same one, whatever line it moved to."""
    return (problem.path, problem.json_path, problem.code, problem.message)


def _relabel(problem: Problem) -> Problem:
    """An unknown key under `stages:` is an unknown stage: say so with its own code."""
    is_stage = problem.json_path.startswith("$.stages.") or problem.json_path.startswith(
        "$.stages[")
    if (problem.code == problems.SCHEMA and problem.path.endswith(f"/{layout.ALIASES_FILE}")
            and is_stage and problem.message.startswith("unknown field")):
        message = problem.message.replace("unknown field", "unknown stage", 1).replace(
            "(fields: ", "(stages: ")
        return Problem(path=problem.path, line=problem.line, json_path=problem.json_path,
                       code=UNKNOWN_STAGE, message=f"{message}; a version in no stage is in "
                       "stage None")
    return problem
