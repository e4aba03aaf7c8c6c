"""`check`'s findings for people (text), for GitHub Actions (workflow-command annotations and
a Markdown job summary) and for scripts (JSON). Pure: a `CheckResult` in, strings out.

Paths are the repository's (the registry's prefix, then the registry path): annotations need
them, and a reviewer finds the file from the repository's root.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypedDict

from modelreg import render, views
from modelreg.problems import Problem

if TYPE_CHECKING:
    from modelreg.check import CheckResult

_ICONS = {"error": "❌", "warning": "⚠️", "notice": "ℹ️"}


class CheckJson(TypedDict):
    """`modelreg check --json`. `ok` is false when any problem is an error (exit 1); problem
    paths are relative to the repository; `events` are `modelreg diff --json`'s."""

    ok: bool
    registry: str
    base: str
    head: str
    merge_base: str
    errors: int
    warnings: int
    notices: int
    problems: list[views.ProblemJson]
    events: list[render.EventJson]


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def verdict(result: CheckResult) -> str:
    """`check failed: 1 error, 1 warning` / `check passed: 2 registry changes, no problems`."""
    counts = [_plural(result.count(s), s) for s in ("error", "warning", "notice")
              if result.count(s)]
    if not result.ok:
        return f"check failed: {', '.join(counts)}"
    changes = _plural(len(result.diff), "registry change")
    return f"check passed: {changes}, {', '.join(counts) or 'no problems'}"


def _where(result: CheckResult, problem: Problem) -> str:
    path = result.repo_path(problem.path)
    return f"{path}:{problem.line}" if problem.line is not None else path


def problem_line(result: CheckResult, problem: Problem) -> str:
    """`registry/models/fraud/aliases.yaml:4: error POLICY_TAG_MISSING: $.aliases.champion:
    message` (one line)."""
    inside = f"{problem.json_path}: " if problem.json_path else ""
    return (f"{_where(result, problem)}: {problem.severity} {problem.code}: {inside}"
            f"{problem.message}")


def _header(result: CheckResult) -> list[str]:
    if not result.head or not result.merge_base:
        return []
    span = f"{result.merge_base[:10]}..{result.head[:10]}"
    where = f" in {result.prefix}/" if result.prefix else ""
    lines = [f"{_plural(len(result.diff), 'registry change')}{where} ({span}), judged against "
             f"base {result.base[:10]}:"]
    return lines + [f"  {render.describe(e)}" for e in result.diff.events]


def check_text(result: CheckResult) -> str:
    """What a person reads in a terminal: the changes, each problem, the verdict."""
    lines = _header(result)
    lines += [problem_line(result, p) for p in result.problems]
    return "\n".join([*lines, verdict(result)]) + "\n"


# ---------------------------------------------------------------- GitHub Actions


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(result: CheckResult, problem: Problem) -> str:
    """`::error file=registry/models/fraud/aliases.yaml,line=4,title=CODE::message`."""
    command = {"error": "error", "warning": "warning"}.get(problem.severity, "notice")
    props = [f"file={_escape_property(result.repo_path(problem.path))}"]
    if problem.line is not None:
        props.append(f"line={problem.line}")
    props.append(f"title={_escape_property(problem.code)}")
    inside = f"{problem.json_path}: " if problem.json_path else ""
    return f"::{command} {','.join(props)}::{_escape_data(inside + problem.message)}"


def check_github(result: CheckResult) -> str:
    """The text report, with every problem as a workflow-command annotation instead."""
    lines = _header(result)
    lines += [annotation(result, p) for p in result.problems]
    return "\n".join([*lines, verdict(result)]) + "\n"


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def job_summary(result: CheckResult) -> str:
    """Markdown for `$GITHUB_STEP_SUMMARY`: the verdict, a table of problems, the diff."""
    mark = "✅" if result.ok else "❌"
    lines = [f"## {mark} modelreg check: {verdict(result).removeprefix('check ')}", ""]
    if result.head and result.merge_base:
        lines += [f"Change `{result.merge_base[:10]}..{result.head[:10]}` judged against base "
                  f"`{result.base[:10]}`" + (f" (registry `{result.prefix}/`)" if result.prefix
                                             else "") + ".", ""]
    if result.problems:
        lines += ["| | Where | Code | Problem |", "|---|---|---|---|"]
        lines += [f"| {_ICONS.get(p.severity, 'ℹ️')} | `{_cell(_where(result, p))}` "
                  f"| `{p.code}` | {_cell(p.message)} |" for p in result.problems]
        lines.append("")
    lines += ["### Registry changes", "", render.diff_markdown(result.diff)]
    return "\n".join(lines).rstrip("\n") + "\n"


# ---------------------------------------------------------------- JSON


def check_json(result: CheckResult) -> CheckJson:
    return CheckJson(
        ok=result.ok, registry=result.prefix, base=result.base, head=result.head,
        merge_base=result.merge_base, errors=result.count("error"),
        warnings=result.count("warning"), notices=result.count("notice"),
        problems=[views.problem_json(_rooted(result, p)) for p in result.problems],
        events=render.diff_json(result.diff),
    )


def _rooted(result: CheckResult, problem: Problem) -> Problem:
    from dataclasses import replace

    return replace(problem, path=result.repo_path(problem.path))


REPORTERS: dict[str, Callable[[CheckResult], Any]] = {
    "text": check_text,
    "github": check_github,
    "json": check_json,
}
