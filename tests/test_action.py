"""The Action's steps, really run (issue #3): `action_runner` plays the GitHub runner.

Each scenario is a registry on a bare remote and a CI checkout that is a shallow clone of it,
as actions/checkout makes by default: the action must fetch what it compares itself, judge a
pull request against the base branch's tip, check each push and report what it changed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from action_runner import PROJECT, Ran, load_action, run_action
from conftest import git
from helpers import git_out, make_model
from modelreg import Registry

MODELREG = str(Path(sys.executable).parent / "modelreg")


def test_the_action_passes_values_through_env_only() -> None:
    for step in load_action()["runs"]["steps"]:
        assert "${{" not in step.get("run", ""), step.get("id")


@pytest.fixture
def remote(repo: Path, bare_remote: Path, tmp_path: Path) -> dict[str, str]:
    """A registry on a bare remote: main (fraud v1), a pull request registering v2 from it,
    and main moved on meanwhile (a tag edit). Returns the commits by name."""
    registry = Registry.init(repo / "registry")
    registry.register("fraud", make_model(tmp_path / "v1", "weights v1\n"))
    git(repo, "remote", "add", "origin", str(bare_remote))
    git(repo, "push", "-q", "origin", "main")
    opened = git_out(repo, "rev-parse", "HEAD").strip()
    git(repo, "switch", "-q", "-c", "pr")
    registry.register("fraud", make_model(tmp_path / "v2", "weights v2\n"))
    git(repo, "push", "-q", "origin", "pr")
    git(repo, "switch", "-q", "main")
    registry.set_model_version_tag("fraud", 1, "team", "risk")
    git(repo, "push", "-q", "origin", "main")
    return {"opened": opened, "pr": git_out(repo, "rev-parse", "pr").strip(),
            "main": git_out(repo, "rev-parse", "main").strip()}


def shallow_clone(bare: Path, branch: str, dest: Path) -> Path:
    git(dest.parent, "clone", "-q", "--depth", "1", "--branch", branch, f"file://{bare}",
        str(dest))
    assert git_out(dest, "rev-parse", "--is-shallow-repository") == "true\n"
    return dest


GIVEN = {"install": {"modelreg": MODELREG, "python": sys.executable}}


def action(ci: Path, tmp_path: Path, event_name: str, event: Mapping[str, Any],
           **inputs: str) -> Ran:
    return run_action(ci, event_name=event_name, event=event, temp=tmp_path / "runner",
                      inputs={"registry": "registry", **inputs}, given=GIVEN, skip=("install",))


def test_on_a_pull_request_the_action_fetches_the_base_tip_and_checks(
    remote: dict[str, str], bare_remote: Path, tmp_path: Path
) -> None:
    ci = shallow_clone(bare_remote, "pr", tmp_path / "ci")
    event = {"pull_request": {"number": 7, "base": {"ref": "main", "sha": remote["opened"]},
                              "head": {"sha": remote["pr"]}}}
    ran = action(ci, tmp_path, "pull_request", event, **{"verify-artifacts": "false"})
    assert ran.steps["revisions"] == {"base": remote["main"], "head": remote["pr"],
                                      "mode": "check"}, ran.log
    assert git_out(ci, "rev-parse", "--is-shallow-repository") == "false\n"
    assert git_out(ci, "merge-base", remote["main"], remote["pr"]).strip() == remote["opened"]
    assert ran.ran[-1] == "check" and "diff" not in ran.ran and ran.failed is None, ran.log


def test_on_a_merge_group_the_action_checks_the_queue_commits(
    remote: dict[str, str], bare_remote: Path, tmp_path: Path
) -> None:
    ci = shallow_clone(bare_remote, "main", tmp_path / "ci")
    event = {"merge_group": {"base_sha": remote["opened"], "head_sha": remote["main"]}}
    ran = action(ci, tmp_path, "merge_group", event, **{"verify-artifacts": "false"})
    assert ran.steps["revisions"] == {"base": remote["opened"], "head": remote["main"],
                                      "mode": "check"}, ran.log
    assert ran.outputs["base"] == remote["opened"] and ran.outputs["changed"] == ""


def test_on_a_push_the_action_diffs_then_checks(
    remote: dict[str, str], bare_remote: Path, tmp_path: Path
) -> None:
    ci = shallow_clone(bare_remote, "main", tmp_path / "ci")
    event = {"before": remote["opened"], "after": remote["main"]}
    ran = action(ci, tmp_path, "push", event, **{"verify-artifacts": "false"})
    assert ran.ran[-2:] == ["diff", "check"] and ran.failed is None, ran.log
    assert ran.outputs["changed"] == "true"
    events = json.loads(ran.outputs["diff-json"])
    events = events["events"] if isinstance(events, dict) else events
    assert [(e["kind"], e["model"], e["key"]) for e in events] == [
        ("version-tag-set", "fraud", "team")]
    assert "What this push changed" in ran.summary


def test_a_push_that_creates_the_branch_or_another_event_validates(
    remote: dict[str, str], bare_remote: Path, tmp_path: Path
) -> None:
    ci = shallow_clone(bare_remote, "main", tmp_path / "ci")
    created = action(ci, tmp_path, "push", {"before": "0" * 40, "after": remote["main"]})
    assert created.steps["revisions"]["mode"] == "validate" and created.ran[-1] == "validate"
    assert created.failed is None and "created the branch" in created.log, created.log
    other = action(ci, tmp_path, "workflow_dispatch", {})
    assert other.ran == ["revisions", "validate"] and other.failed is None
    assert other.outputs == {"changed": "", "diff-json": "", "base": "", "head": ""}


def test_the_action_refuses_a_folder_outside_git(tmp_path: Path) -> None:
    ran = action(tmp_path, tmp_path, "push", {"before": "1" * 40, "after": "2" * 40},
                 registry=str(tmp_path))
    assert ran.failed == "revisions" and "run actions/checkout before modelreg" in ran.log


@pytest.mark.slow
def test_the_install_step_installs_the_actions_own_checkout(tmp_path: Path) -> None:
    """A real `pip install` of this project as the action does it (not editable): the
    template ships, and `modelreg` is put on PATH without the venv's python."""
    source = tmp_path / "action"
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others",
                             "--exclude-standard"], cwd=PROJECT, check=True,
                            capture_output=True).stdout.decode().split("\0")
    for rel in filter(None, listed):
        if (PROJECT / rel).is_file() and not rel.startswith(("tests/", "example-registry/")):
            (source / rel).parent.mkdir(parents=True, exist_ok=True)
            (source / rel).write_bytes((PROJECT / rel).read_bytes())
    base_python = Path(sys.base_prefix) / "bin" / "python3"
    ran = run_action(tmp_path, event_name="workflow_dispatch", event={}, temp=tmp_path / "t",
                     given={"python": {"python-path": str(base_python)}},
                     skip=("revisions", "check", "validate"), action_path=source)
    assert ran.ran == ["install"] and ran.failed is None, ran.log
    installed = Path(ran.steps["install"]["modelreg"])
    assert installed.is_file() and ran.path == [str(tmp_path / "t" / "modelreg-bin")]
    assert sorted(p.name for p in (tmp_path / "t" / "modelreg-bin").iterdir()) == ["modelreg"]
    code = ("from importlib import resources; print(resources.files('modelreg')"
            ".joinpath('templates/modelreg-workflow.yml').is_file())")
    python = Path(ran.steps["install"]["python"])
    assert subprocess.run([str(python), "-c", code], capture_output=True, text=True,
                          check=True).stdout == "True\n"


def test_a_pull_request_whose_number_main_took_meanwhile_fails(
    remote: dict[str, str], repo: Path, bare_remote: Path, tmp_path: Path
) -> None:
    """Judged against the base branch's tip now, not the event's (stale) base.sha."""
    Registry(repo / "registry").register("fraud", make_model(tmp_path / "v2b", "other v2\n"))
    git(repo, "push", "-q", "origin", "main")
    ci = shallow_clone(bare_remote, "pr", tmp_path / "ci")
    event = {"pull_request": {"number": 7, "base": {"ref": "main", "sha": remote["opened"]},
                              "head": {"sha": remote["pr"]}}}
    ran = action(ci, tmp_path, "pull_request", event, **{"verify-artifacts": "false"})
    assert ran.failed == "check" and "VERSION_TAKEN" in ran.log, ran.log
    assert "::error file=registry/models/fraud/versions/2.yaml" in ran.log
    unverified = action(ci, tmp_path, "pull_request", event)  # the store is not in the clone
    assert unverified.failed == "check"


def test_on_pull_request_target_the_action_fetches_the_head_too(
    remote: dict[str, str], bare_remote: Path, tmp_path: Path
) -> None:
    """pull_request_target checks out the base branch: the pull request's head is fetched."""
    ci = shallow_clone(bare_remote, "main", tmp_path / "ci")
    assert subprocess.run(["git", "cat-file", "-e", remote["pr"]], cwd=ci).returncode != 0
    event = {"pull_request": {"number": 7, "base": {"ref": "main", "sha": remote["opened"]},
                              "head": {"sha": remote["pr"]}}}
    ran = action(ci, tmp_path, "pull_request_target", event, **{"verify-artifacts": "false"})
    assert ran.steps["revisions"]["head"] == remote["pr"] and ran.failed is None, ran.log
    assert git_out(ci, "cat-file", "-t", remote["pr"]) == "commit\n"


def test_a_push_of_two_clashing_merges_reports_the_diff_then_fails(
    repo: Path, bare_remote: Path, tmp_path: Path
) -> None:
    """One pull request points champion at v2, another deletes v2: each passes alone, and
    the check of the push that merges the second fails loudly, after reporting the diff."""
    registry = Registry.init(repo / "registry")
    for n in (1, 2):
        registry.register("fraud", make_model(tmp_path / f"v{n}", f"weights v{n}\n"))
    git(repo, "remote", "add", "origin", str(bare_remote))
    git(repo, "push", "-q", "origin", "main")
    git(repo, "switch", "-q", "-c", "promote")
    registry.set_registered_model_alias("fraud", "champion", 2)
    git(repo, "switch", "-q", "-c", "cleanup", "main")
    registry.delete_model_version("fraud", 2)
    git(repo, "switch", "-q", "main")
    git(repo, "merge", "-q", "--ff-only", "promote")
    before = git_out(repo, "rev-parse", "HEAD").strip()
    git(repo, "merge", "-q", "--no-edit", "cleanup")
    git(repo, "push", "-q", "origin", "main")
    after = git_out(repo, "rev-parse", "HEAD").strip()
    ci = shallow_clone(bare_remote, "main", tmp_path / "ci")
    ran = action(ci, tmp_path, "push", {"before": before, "after": after},
                 **{"verify-artifacts": "false"})
    assert ran.failed == "check" and ran.outputs["changed"] == "true", ran.log
    kinds = [e["kind"] for e in json.loads(ran.outputs["diff-json"])]
    assert "version-deleted" in kinds
    assert "::error file=registry/models/fraud/aliases.yaml" in ran.log, ran.log


def test_a_push_of_two_merges_lists_each_move_with_its_commit(
    repo: Path, bare_remote: Path, tmp_path: Path
) -> None:
    """champion v1 -> v2 in one merge, v2 -> v3 in the next, pushed together: the net diff
    would say v1 -> v3; diff-json says both moves, each with the merge it came from."""
    registry = Registry.init(repo / "registry")
    for n in (1, 2, 3):
        registry.register("fraud", make_model(tmp_path / f"v{n}", f"weights v{n}\n"))
    registry.set_registered_model_alias("fraud", "champion", 1)
    git(repo, "remote", "add", "origin", str(bare_remote))
    git(repo, "push", "-q", "origin", "main")
    before = git_out(repo, "rev-parse", "HEAD").strip()
    for n in (2, 3):
        git(repo, "switch", "-q", "-c", f"promote-v{n}", "main")
        registry.set_registered_model_alias("fraud", "champion", n)
        git(repo, "switch", "-q", "main")
        git(repo, "merge", "-q", "--no-ff", "--no-edit", f"promote-v{n}")
    git(repo, "push", "-q", "origin", "main")
    merges = [git_out(repo, "rev-parse", r).strip() for r in ("main~1", "main")]
    ci = shallow_clone(bare_remote, "main", tmp_path / "ci")
    ran = action(ci, tmp_path, "push", {"before": before, "after": merges[1]},
                 **{"verify-artifacts": "false"})
    assert ran.failed is None and ran.outputs["changed"] == "true", ran.log
    events = json.loads(ran.outputs["diff-json"])
    assert [(e["kind"], e["alias"], e["old"], e["new"], e["commit"]) for e in events] == [
        ("alias-moved", "champion", 1, 2, merges[0]),
        ("alias-moved", "champion", 2, 3, merges[1]),
    ]
    assert "::warning::" not in ran.log
    assert f"`{merges[0][:10]}` Merge branch 'promote-v2'" in ran.summary


def test_a_push_whose_before_is_not_on_afters_first_parents_gets_the_net_diff(
    remote: dict[str, str], bare_remote: Path, tmp_path: Path
) -> None:
    """As after a force push: `before` (here the pull request's tip) was never in main's
    history, so only the net diff of the two commits can be told, and the log says so."""
    ci = shallow_clone(bare_remote, "main", tmp_path / "ci")
    event = {"before": remote["pr"], "after": remote["main"]}
    ran = action(ci, tmp_path, "push", event, **{"verify-artifacts": "false"})
    assert "diff" in ran.ran and ran.failed != "diff", ran.log
    assert f"::warning::the push's before ({remote['pr']}) is not a first-parent ancestor" in (
        ran.log)
    events = json.loads(ran.outputs["diff-json"])
    assert ("version-tag-set", 1) in [(e["kind"], e["version"]) for e in events]
    assert ("version-deleted", 2) in [(e["kind"], e["version"]) for e in events]
    assert {e["commit"] for e in events} == {None}
