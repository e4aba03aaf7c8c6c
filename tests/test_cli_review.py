"""`modelreg diff` and `modelreg check` on the command line: text, JSON, Markdown, GitHub
annotations and the job summary, and their exit codes.

Commands run over click's CliRunner with exceptions not caught, in a real repository whose
registry is at `registry/` (so paths in annotations carry the prefix).
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pytest
from click.testing import CliRunner

from helpers import git_out, init_registry, make_model
from modelreg import Registry
from modelreg.cli import cli
from modelreg.registry import RegisterOptions

POLICY = """\
policy:
  aliases:
    champion:
      require_tags: {validation_status: "approved"}
"""


@dataclass
class Ran:
    code: int
    out: str
    err: str

    @property
    def json(self) -> Any:
        return json.loads(self.out)


class Run(Protocol):
    def __call__(self, *args: str | Path, code: int = 0) -> Ran: ...


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch) -> Run:
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)

    def invoke(*args: str | Path, code: int = 0) -> Ran:
        result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False,
                                    prog_name="modelreg")
        ran = Ran(result.exit_code, result.stdout, result.stderr)
        assert ran.code == code, f"exit {ran.code}\nstdout:\n{ran.out}\nstderr:\n{ran.err}"
        return ran

    return invoke


@pytest.fixture
def reg(tmp_path: Path, repo: Path, monkeypatch: pytest.MonkeyPatch) -> Registry:
    """main: fraud v1 (approved, champion) and v2, champion protected; on branch `feature`,
    champion moved to v2 by hand. Commands run in the registry folder."""
    registry = init_registry(repo)
    approved = RegisterOptions(tags={"validation_status": "approved"}, metrics={"auc": 0.91})
    registry.register("fraud", make_model(tmp_path / "v1", "weights v1\n"), options=approved)
    registry.register("fraud", make_model(tmp_path / "v2", "weights v2\n"))
    registry.set_registered_model_alias("fraud", "champion", 1)
    config = repo / "registry" / "registry.yaml"
    config.write_text(config.read_text() + POLICY)
    git_out(repo, "commit", "-q", "-am", "Protect champion")
    git_out(repo, "checkout", "-q", "-b", "feature")
    aliases = repo / "registry" / "models" / "fraud" / "aliases.yaml"
    aliases.write_text(aliases.read_text().replace("champion: 1", "champion: 2"))
    git_out(repo, "commit", "-q", "-am", "Promote fraud v2")  # by hand: review is the PR's
    monkeypatch.chdir(registry.location.path)
    return registry


def rev(repo: Path, name: str) -> str:
    return git_out(repo, "rev-parse", name).strip()


MESSAGE = ("protected alias 'champion' of model 'fraud': v2 needs tag "
           "validation_status='approved' (tag it on the base branch first: modelreg versions tag "
           "fraud 2 validation_status approved)")


# ---------------------------------------------------------------- diff


def test_diff_as_text_json_and_markdown(run: Run, reg: Registry) -> None:
    assert run("diff", "main", "feature").out == "fraud@champion: moved v1 -> v2\n"
    [event] = run("diff", "main", "feature", "--json").json
    assert (event["kind"], event["model"], event["alias"], event["old"], event["new"]) == (
        "alias-moved", "fraud", "champion", 1, 2)
    assert event["artifact_uri"].endswith(event["digest"].removeprefix("sha256:"))
    markdown = run("diff", "main", "feature", "--markdown").out
    assert "| | `fraud@champion` | moved v1 -> v2 |" in markdown
    assert run("diff", "feature", "feature").out == "no registry changes\n"
    assert "unknown revision 'nope'" in run("diff", "main", "nope", code=1).err


def workdir(registry: Registry) -> Path:
    repo = registry.repo.workdir
    assert repo is not None
    return repo


def test_first_parent_diff_lists_each_commits_events_in_order(
    run: Run, reg: Registry, tmp_path: Path
) -> None:
    repo = workdir(reg)
    v2, alias, policy = (rev(repo, f"main~{n}") for n in (2, 1, 0))
    events = run("diff", "--first-parent", "main~3", "main", "--json").json
    assert [(e["commit"], e["kind"]) for e in events] == [
        (v2, "version-registered"), (alias, "alias-set"), (policy, "registry-changed")]
    assert run("diff", "--first-parent", "main~3", "main").out == (
        f"{v2[:10]}  Register fraud version 2\n"
        f"    fraud v2: registered from {(tmp_path / 'v2').as_uri()}, "
        f"artifacts {events[0]['artifact_uri']}\n"
        "\n"
        f"{alias[:10]}  Set alias champion of fraud to version 1\n"
        "    fraud@champion: set to v1\n"
        "\n"
        f"{policy[:10]}  Protect champion\n"
        '    registry: policy changed: (none) -> {"aliases": {"champion": {"require_tags": '
        '{"validation_stat…\n'
    )


def test_a_merge_commits_events_are_its_first_parent_diff(run: Run, reg: Registry) -> None:
    """The branch's own commits are not listed: the merge that brought them into the branch
    is, with everything they did, and main's commit before it on its own."""
    repo = workdir(reg)
    git_out(repo, "checkout", "-q", "-b", "approve", "feature")
    reg.set_model_version_tag("fraud", 2, "validation_status", "approved")
    git_out(repo, "checkout", "-q", "main")
    reg.update_registered_model("fraud", description="Scores card payments")
    git_out(repo, "merge", "-q", "--no-ff", "--no-edit", "approve")
    edit, merge = rev(repo, "main~1"), rev(repo, "main")
    assert run("diff", "--first-parent", "main~2", "main").out == (
        f"{edit[:10]}  Update description of registered model fraud\n"
        "    fraud: description edited: 'Scores card payments'\n"
        "\n"
        f"{merge[:10]}  Merge branch 'approve'\n"
        "    fraud v2: tag 'validation_status' set to 'approved'\n"
        "    fraud@champion: moved v1 -> v2\n"
    )
    merged = run("diff", "--first-parent", "main~1", "main", "--json").json
    assert merged == [{**e, "commit": merge} for e in run("diff", "main~1", "main", "--json").json]


def test_first_parent_needs_old_on_news_first_parents(run: Run, reg: Registry) -> None:
    repo = workdir(reg)
    main, feature = rev(repo, "main"), rev(repo, "feature")
    ran = run("diff", "--first-parent", "feature", "main", code=1)
    assert ran.out == ""
    assert ran.err == (
        f"modelreg: error: 'feature' ({feature[:10]}) is not a first-parent ancestor of 'main' "
        f"({main[:10]}): it is not in its history; drop --first-parent for the net diff of the "
        "two revisions\n")
    git_out(repo, "checkout", "-q", "main")
    git_out(repo, "merge", "-q", "--no-ff", "--no-edit", "feature")
    merged = run("diff", "--first-parent", feature, "main", code=1)
    assert merged.err.count("\n") == 1 and merged.err.startswith(
        f"modelreg: error: '{feature}' is not a first-parent ancestor of 'main' (")
    assert "it is reached only through a merged branch; drop --first-parent" in merged.err
    assert run("diff", feature, "main").out == "no registry changes\n"  # the way out


def test_first_parent_json_is_diff_json_with_each_events_commit(run: Run, reg: Registry) -> None:
    feature = rev(workdir(reg), "feature")
    events = run("diff", "--first-parent", "main", "feature", "--json").json
    assert events == [{**e, "commit": feature} for e in run("diff", "main", "feature",
                                                            "--json").json]
    assert list(events[0]) == ["kind", "model", "version", "alias", "stage", "key", "old", "new",
                               "immutable", "file", "reason", "artifact_uri", "digest", "commit"]
    assert (events[0]["kind"], events[0]["old"], events[0]["new"]) == ("alias-moved", 1, 2)
    markdown = run("diff", "--first-parent", "main", "feature", "--markdown").out
    assert markdown.startswith("**1 registry change in 1 commit** to `fraud`\n")
    assert (f"| | `{feature[:10]}` Promote fraud v2 | `fraud@champion` | moved v1 -> v2 |"
            in markdown)
    assert run("diff", "--first-parent", "feature", "feature", "--json").json == []
    assert run("diff", "--first-parent", "feature", "feature").out == "no registry changes\n"


# ---------------------------------------------------------------- check


def test_check_text_says_what_changed_what_is_wrong_and_fails(run: Run, reg: Registry) -> None:
    repo = reg.repo.workdir
    assert repo is not None
    base, head = rev(repo, "main"), rev(repo, "feature")
    ran = run("check", "--base", "main", code=1)
    assert ran.out.splitlines() == [
        f"1 registry change in registry/ ({base[:10]}..{head[:10]}), judged against base "
        f"{base[:10]}:",
        "  fraud@champion: moved v1 -> v2",
        "registry/models/fraud/aliases.yaml:3: error POLICY_TAG_MISSING: $.aliases.champion: "
        + MESSAGE,
        "check failed: 1 error",
    ]
    assert ran.err == ""


def test_check_passes_once_main_approves_the_version(run: Run, reg: Registry) -> None:
    repo = reg.repo.workdir
    assert repo is not None
    git_out(repo, "checkout", "-q", "main")
    reg.set_model_version_tag("fraud", 2, "validation_status", "approved")
    git_out(repo, "checkout", "-q", "feature")
    ran = run("check", "--base", "main", "--head", "feature")
    assert ran.out.splitlines()[-1] == "check passed: 1 registry change, no problems"


def test_check_json(run: Run, reg: Registry) -> None:
    doc = run("check", "--base", "main", "--json", code=1).json
    assert (doc["ok"], doc["registry"], doc["errors"], doc["warnings"], doc["notices"]) == (
        False, "registry", 1, 0, 0)
    assert doc["problems"] == [{
        "path": "registry/models/fraud/aliases.yaml", "line": 3,
        "json_path": "$.aliases.champion", "code": "POLICY_TAG_MISSING", "severity": "error",
        "message": MESSAGE,
    }]
    assert [e["kind"] for e in doc["events"]] == ["alias-moved"]
    assert doc["merge_base"] == doc["base"] != doc["head"]


def test_under_github_actions_annotations_and_a_job_summary(
    run: Run, reg: Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("# earlier step\n")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    ran = run("check", "--base", "main", code=1)
    assert ("::error file=registry/models/fraud/aliases.yaml,line=3,title=POLICY_TAG_MISSING::"
            f"$.aliases.champion: {MESSAGE}") in ran.out.splitlines()
    text = summary.read_text()
    assert text.startswith("# earlier step\n## ❌ modelreg check: failed: 1 error\n")
    assert ("| ❌ | `registry/models/fraud/aliases.yaml:3` | `POLICY_TAG_MISSING` | "
            f"{MESSAGE} |") in text
    assert "| | `fraud@champion` | moved v1 -> v2 |" in text
    json_run = run("check", "--base", "main", "--json", code=1)
    assert json.loads(json_run.out)["ok"] is False
    assert summary.read_text().count("modelreg check") == 2  # appended, step after step


def test_github_format_escapes_and_notices(
    run: Run, repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    git_out(repo, "checkout", "-q", "-b", "feature")
    registry = init_registry(repo)
    registry.register("fraud", make_model(tmp_path / "m", "weights\n"))
    monkeypatch.chdir(registry.location.path)
    ran = run("check", "--base", "main", "--format", "github")
    notice = next(line for line in ran.out.splitlines() if line.startswith("::"))
    assert notice.startswith("::notice file=registry/registry.yaml,title=BASE_NO_REGISTRY::")
    assert ran.out.splitlines()[-1] == "check passed: 3 registry changes, 1 notice"


def test_a_shallow_clone_fails_closed(run: Run, reg: Registry, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    repo = reg.repo.workdir
    assert repo is not None
    base = rev(repo, "main")
    clone = tmp_path / "ci"
    subprocess.run(["git", "clone", "-q", "--depth", "1", "--branch", "feature",
                    f"file://{repo}", str(clone)], check=True)
    monkeypatch.chdir(clone / "registry")
    ran = run("check", "--base", base, code=1)
    assert ran.out.startswith(f"registry/registry.yaml: error BASE_UNREADABLE: the base {base!r} "
                              "is not in this repository (this clone is shallow")
    assert ran.out.splitlines()[-1] == "check failed: 1 error"


def test_an_unknown_head_is_an_error(run: Run, reg: Registry) -> None:
    ran = run("check", "--base", "main", "--head", "nope", code=1)
    assert ran.err.startswith("modelreg: error: unknown revision 'nope'")
