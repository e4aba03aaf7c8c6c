"""The README cannot drift from the product (issue #2).

A fresh copy of the project gets a fresh virtualenv from the quickstart's demo command, which
must pass; then the tour's shell blocks run verbatim, in order, in a fresh directory with that
virtualenv's `modelreg` on PATH, and the Python tour runs verbatim with its interpreter. The
quickstart's test command is what `.ci/run` runs (running it here would recurse).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
README = (PROJECT / "README.md").read_text()


def section(title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", README, re.S | re.M)
    assert match, f"README has no section {title!r}"
    return match.group(1)


def blocks(text: str, lang: str) -> list[str]:
    return re.findall(rf"^```{lang}\n(.*?)^```", text, re.S | re.M)


def test_quickstart_is_two_commands_and_ci_runs_the_second() -> None:
    commands = blocks(section("Quickstart"), "console")
    assert [c.strip() for c in commands] == ["./scripts/demo", "./scripts/test"]
    assert "./scripts/test" in (PROJECT / ".ci/run").read_text()


@pytest.fixture(scope="module")
def fresh_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's files as a fresh clone would have them (tracked and new, not ignored)."""
    dest = tmp_path_factory.mktemp("fresh") / "modelreg"
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=PROJECT, check=True, capture_output=True,
    ).stdout.decode().split("\0")
    for rel in filter(None, listed):
        src = PROJECT / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    return dest


def clean_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHON"))}
    env["PATH"] = os.pathsep.join(
        p for p in env["PATH"].split(os.pathsep) if not p.startswith(str(PROJECT / ".venv"))
    )
    env["HOME"] = str(home)
    return env


@pytest.mark.slow
def test_demo_then_tours_verbatim(fresh_project: Path, tmp_path: Path) -> None:
    env = clean_env(tmp_path)
    demo = subprocess.run(
        ["./scripts/demo"], cwd=fresh_project, env=env, capture_output=True, text=True,
        timeout=900,
    )
    assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]
    assert "Demo finished" in demo.stdout

    venv_bin = fresh_project / ".venv" / "bin"
    env["PATH"] = f"{venv_bin}{os.pathsep}{env['PATH']}"
    shell = "set -euo pipefail\n" + "\n".join(blocks(section("Tour of the command line"), "bash"))
    work = tmp_path / "tour"
    work.mkdir()
    tour = subprocess.run(
        ["bash", "-c", shell], cwd=work, env=env, capture_output=True, text=True, timeout=300
    )
    assert tour.returncode == 0, tour.stdout[-3000:] + tour.stderr[-3000:]
    assert "Registered fraud version 2" in tour.stdout

    # Promotion by pull request: a bare remote, a proposal that fails the check, then passes.
    review = "set -euo pipefail\n" + "\n".join(blocks(section("Promotion by pull request"), "bash"))
    place = tmp_path / "review"
    place.mkdir()
    quiet = {k: v for k, v in env.items() if k != "GITHUB_ACTIONS"}  # plain-text check output
    promoted = subprocess.run(
        ["bash", "-c", review], cwd=place, env=quiet, capture_output=True, text=True, timeout=300
    )
    assert promoted.returncode == 0, promoted.stdout[-3000:] + promoted.stderr[-3000:]
    assert "error POLICY_TAG_MISSING" in promoted.stdout
    assert "check failed: 1 error" in promoted.stdout
    assert "check passed" in promoted.stdout
    assert promoted.stdout.rstrip().splitlines()[-1].startswith("models:/fraud/1  ")
    assert "aliases=champion" in promoted.stdout.rstrip().splitlines()[-1]

    for code in blocks(section("Tour of the Python API"), "python"):
        run = subprocess.run(
            [str(venv_bin / "python"), "-c", code], cwd=work, env=env,
            capture_output=True, text=True, timeout=300,
        )
        assert run.returncode == 0, run.stdout + run.stderr
        assert "Production" in run.stdout


def test_the_readme_shows_the_workflow_that_ships() -> None:
    shown = blocks(section("Promotion by pull request"), "yaml")
    shipped = (PROJECT / "example-registry" / "modelreg-workflow.yml").read_text()
    assert shown == [shipped]
