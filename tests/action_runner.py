"""Runs the composite steps of `action.yml` the way a GitHub runner does, on this machine.

Each `run:` step runs in bash with its `env:` evaluated from a context (`github`, `inputs`,
`steps`), `GITHUB_OUTPUT`/`GITHUB_STEP_SUMMARY`/`GITHUB_PATH` files, and `RUNNER_TEMP`; its
outputs are read back for the next steps' expressions and `if:` conditions, as the runner
does. Only `${{ a.b.c }}` look-ups and `x == 'v'` / `x != 'v'` conditions are understood:
the action uses nothing else (a test checks it), so this is the action's logic, really run.
`uses:` steps are not run: their outputs come from `given` (setup-python's `python-path`).
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

PROJECT = Path(__file__).resolve().parent.parent
EXPRESSION = re.compile(r"\$\{\{\s*([A-Za-z_][\w.-]*)\s*\}\}")
CONDITION = re.compile(r"^([A-Za-z_][\w.-]*) (==|!=) '([^']*)'$")


def load_action() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((PROJECT / "action.yml").read_text())
    return data


@dataclass
class Ran:
    outputs: dict[str, str]  # the action's outputs
    steps: dict[str, dict[str, str]]  # each step's outputs
    ran: list[str]  # ids of the steps that ran, in order
    failed: str | None  # the id of the step that failed, if one did
    log: str  # stdout and stderr of every step
    summary: str  # what the steps wrote to the job summary
    path: list[str] = field(default_factory=list)  # what they added to PATH


def lookup(context: dict[str, Any], dotted: str) -> str:
    node: Any = context
    for part in dotted.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return "" if node is None else str(node).lower() if isinstance(node, bool) else str(node)


def evaluate(text: str, context: dict[str, Any]) -> str:
    return EXPRESSION.sub(lambda m: lookup(context, m.group(1)), text)


def condition(text: str, context: dict[str, Any]) -> bool:
    match = CONDITION.match(text.strip())
    if match is None:
        raise AssertionError(f"the runner does not understand the condition {text!r}")
    equal = lookup(context, match.group(1)) == match.group(3)
    return equal if match.group(2) == "==" else not equal


def read_outputs(path: Path) -> dict[str, str]:
    """`key=value` lines and `key<<DELIM` ... `DELIM` blocks, as the runner reads them."""
    out: dict[str, str] = {}
    lines = path.read_text().splitlines() if path.exists() else []
    i = 0
    while i < len(lines):
        line = lines[i]
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            key, delimiter = line.split("<<", 1)
            end = lines.index(delimiter, i + 1)
            out[key] = "\n".join(lines[i + 1 : end])
            i = end + 1
            continue
        key, _, value = line.partition("=")
        out[key] = value
        i += 1
    return out


def run_action(
    cwd: Path, *, event_name: str, event: Mapping[str, Any], inputs: dict[str, str] | None = None,
    given: dict[str, dict[str, str]] | None = None, skip: tuple[str, ...] = (),
    temp: Path, action_path: Path = PROJECT,
) -> Ran:
    """Run the action's steps in `cwd`; `skip` names steps whose outputs `given` supplies."""
    action = load_action()
    defaults = {k: str(v.get("default", "")) for k, v in action["inputs"].items()}
    context: dict[str, Any] = {
        "github": {"event_name": event_name, "event": event, "action_path": str(action_path)},
        "inputs": {**defaults, **(inputs or {})},
        "steps": {k: {"outputs": v} for k, v in (given or {}).items()},
    }
    ran = Ran(outputs={}, steps={}, ran=[], failed=None, log="", summary="")
    temp.mkdir(parents=True, exist_ok=True)
    for number, step in enumerate(action["runs"]["steps"]):
        sid = step.get("id", f"step{number}")
        if "uses" in step or sid in skip:
            continue
        if "if" in step and not condition(step["if"], context):
            continue
        outputs, ok = _run_step(step, number, cwd, context, ran, temp)
        context["steps"][sid] = {"outputs": outputs}
        ran.steps[sid] = outputs
        ran.ran.append(sid)
        if not ok:
            ran.failed = sid
            break
    ran.outputs = {k: evaluate(v["value"], context) for k, v in action["outputs"].items()}
    return ran


def _run_step(
    step: dict[str, Any], number: int, cwd: Path, context: dict[str, Any], ran: Ran,
    temp: Path,
) -> tuple[dict[str, str], bool]:
    assert step.get("shell") == "bash", f"step {number} must say shell: bash"
    files = {name: temp / f"{name}-{number}" for name in ("output", "path")}
    summary = temp / "summary.md"
    env = {**os.environ, "RUNNER_TEMP": str(temp), "GITHUB_OUTPUT": str(files["output"]),
           "GITHUB_PATH": str(files["path"]), "GITHUB_STEP_SUMMARY": str(summary),
           "GITHUB_ACTIONS": "true"}
    env.update({k: evaluate(str(v), context) for k, v in (step.get("env") or {}).items()})
    assert "${{" not in step["run"], "scripts take values from env:, never spliced in"
    done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c",
                           step["run"]], cwd=cwd, env=env, capture_output=True, text=True)
    ran.log += done.stdout + done.stderr
    ran.summary = summary.read_text() if summary.exists() else ""
    if files["path"].exists():
        ran.path += files["path"].read_text().split()
    return read_outputs(files["output"]), done.returncode == 0
