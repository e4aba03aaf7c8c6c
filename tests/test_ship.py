"""Shipping modelreg to CI (issue #3): the Action, the workflow, CODEOWNERS, the pre-commit hook.

The workflow and the action are checked against GitHub's published schemas (check-jsonschema's
built-in copies, offline); the action's steps run for real through `action_runner` against
shallow clones of a bare remote; `init --github` and `codeowners` run on real repositories;
the hook runs inside real `git commit`s.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from action_runner import PROJECT
from conftest import git
from helpers import git_out, make_model
from modelreg import Registry
from modelreg.cli import COMMAND_MODULES, cli
from modelreg.errors import InvalidParameter
from modelreg.github_files import (
    BEGIN,
    END,
    WORKFLOW_PATH,
    Owners,
    WorkflowOptions,
    render_workflow,
    update_codeowners,
)

BIN = Path(sys.executable).parent
MODELREG = str(BIN / "modelreg")
EXAMPLE_WORKFLOW = PROJECT / "example-registry" / "modelreg-workflow.yml"


def modelreg(*args: str | Path, code: int = 0) -> str:
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == code, f"exit {result.exit_code}\n{result.stdout}{result.stderr}"
    return result.stdout + result.stderr


def schema_check(schema: str, *files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "check-jsonschema"), "--builtin-schema", schema,
                           *map(str, files)], capture_output=True, text=True)


# ---------------------------------------------------------------- against GitHub's schemas


def test_the_action_is_valid_against_the_github_actions_schema() -> None:
    ran = schema_check("vendor.github-actions", PROJECT / "action.yml")
    assert ran.returncode == 0, ran.stdout + ran.stderr


WORKFLOWS = {
    "root": WorkflowOptions(),
    "subfolder": WorkflowOptions(prefix="ml/registry", branch="release", store="artifacts"),
    "s3": WorkflowOptions(prefix="teams/risk [eu]", store="s3://models/registry"),
}


@pytest.mark.parametrize("case", WORKFLOWS)
def test_rendered_workflows_are_valid_against_the_workflow_schema(
    case: str, tmp_path: Path
) -> None:
    path = tmp_path / "modelreg.yml"
    path.write_text(render_workflow(WORKFLOWS[case]))
    ran = schema_check("vendor.github-workflows", path)
    assert ran.returncode == 0, ran.stdout + ran.stderr


def test_the_schema_check_catches_a_broken_workflow(tmp_path: Path) -> None:
    """The check above is not vacuous: a misspelt event and a job without `runs-on` fail."""
    broken = render_workflow(WorkflowOptions()).replace("merge_group:", "merge_groups:")
    (tmp_path / "a.yml").write_text(broken)
    (tmp_path / "b.yml").write_text(render_workflow(WorkflowOptions()).replace(
        "    runs-on: ubuntu-latest\n", ""))
    assert schema_check("vendor.github-workflows", tmp_path / "a.yml").returncode == 1
    assert schema_check("vendor.github-workflows", tmp_path / "b.yml").returncode == 1


def test_the_example_workflow_is_the_rendered_one_and_valid() -> None:
    assert EXAMPLE_WORKFLOW.read_text() == render_workflow(WorkflowOptions())
    ran = schema_check("vendor.github-workflows", EXAMPLE_WORKFLOW)
    assert ran.returncode == 0, ran.stdout + ran.stderr


def test_a_subfolder_workflow_watches_and_names_the_subfolder() -> None:
    flow = yaml.safe_load(render_workflow(WORKFLOWS["subfolder"]))
    on = flow[True]  # YAML 1.1 reads the key `on` as true, as GitHub's own parser does not
    watched = ["ml/registry/registry.yaml", "ml/registry/models/**", WORKFLOW_PATH]
    assert on["pull_request"]["paths"] == watched and on["push"]["paths"] == watched
    assert on["push"]["branches"] == ["release"] and "merge_group" in on
    assert flow["permissions"] == {"contents": "read"}
    steps = flow["jobs"]["check"]["steps"]
    assert steps[0]["uses"].startswith("actions/checkout@") and steps[0]["with"]["fetch-depth"] == 0
    assert steps[1]["with"] == {"registry": "ml/registry", "verify-artifacts": "false"}
    outputs = flow["jobs"]["check"]["outputs"]
    assert outputs["diff-json"] == "${{ steps.modelreg.outputs.diff-json }}"


def test_workflow_values_are_quoted_and_globs_escaped() -> None:
    flow = yaml.safe_load(render_workflow(WORKFLOWS["s3"]))
    assert flow[True]["pull_request"]["paths"][:2] == [
        "teams/risk \\[eu\\]/registry.yaml", "teams/risk \\[eu\\]/models/**"]
    assert flow["jobs"]["check"]["steps"][1]["with"] == {"registry": "teams/risk [eu]",
                                                        "extras": "s3"}
    root = yaml.safe_load(render_workflow(WorkflowOptions(branch="yes")))
    assert root[True]["push"]["branches"] == ["yes"]  # a string, not YAML 1.1's true
    assert root[True]["pull_request"]["paths"][:2] == ["registry.yaml", "models/**"]


def test_the_workflow_template_ships_as_package_data() -> None:
    pyproject = (PROJECT / "pyproject.toml").read_text()  # tomllib is 3.11+; we support 3.10
    assert re.search(r'^modelreg = \[.*"templates/\*".*\]$', pyproject, re.M)
    test_extra = pyproject.split("\ntest = [", 1)[1].split("\n]", 1)[0]
    assert '"check-jsonschema' in test_extra


# ---------------------------------------------------------------- the CODEOWNERS block

OWNERS = Owners(default=("@org/ml",), release=("@org/release",))


def block(*lines: str) -> str:
    return "\n".join([BEGIN, *lines, END]) + "\n"


def test_codeowners_block_for_a_subfolder_registry() -> None:
    text = update_codeowners(None, "ml/registry", ["fraud", "churn"], OWNERS)
    assert text == block(
        "/ml/registry/models/ @org/ml",
        "/ml/registry/models/churn/ @org/ml",
        "/ml/registry/models/fraud/ @org/ml",
        "/ml/registry/registry.yaml @org/release",
        "/ml/registry/models/*/aliases.yaml @org/release",  # last: the last match wins
    )
    root = update_codeowners(None, "", ["fraud"], Owners(default=("@ml", "ana@example.com")))
    assert root == block("/models/ @ml ana@example.com", "/models/fraud/ @ml ana@example.com",
                         "/registry.yaml @ml ana@example.com",
                         "/models/*/aliases.yaml @ml ana@example.com")


def test_rewriting_the_block_keeps_every_byte_outside_it() -> None:
    before = "# team rules\n*.py @org/python\n\n"
    after = "\n/docs/ @org/docs   \n# trailing comment without newline"
    old = before + block("/models/ @old", "/models/gone/ @old", "/models/x/versions/ @hand")
    text = update_codeowners(old + after, "", ["fraud"], OWNERS)
    assert text.startswith(before) and text.endswith(after)
    assert text[len(before) : len(text) - len(after)] == block(
        "/models/ @org/ml", "/models/fraud/ @org/ml", "/registry.yaml @org/release",
        "/models/*/aliases.yaml @org/release")
    appended = update_codeowners("* @all", "", [], OWNERS)  # no block yet, no final newline
    assert appended.startswith("* @all\n\n" + BEGIN)
    crlf = update_codeowners("* @all\r\n", "", [], OWNERS)
    assert crlf.startswith("* @all\r\n\r\n" + BEGIN + "\r\n") and "\n" not in crlf.replace(
        "\r\n", "")


def test_models_keep_their_own_owners_and_the_rest_follow_the_default() -> None:
    old = block("/r/models/ @org/ml", "/r/models/fraud/ @org/risk @ana",
                "/r/models/churn/ @org/ml", "/r/registry.yaml @org/policy",
                "/r/models/*/aliases.yaml @org/release")
    kept = update_codeowners(old, "r", ["churn", "fraud", "new"], Owners())
    assert kept == block("/r/models/ @org/ml", "/r/models/churn/ @org/ml",
                         "/r/models/fraud/ @org/risk @ana", "/r/models/new/ @org/ml",
                         "/r/registry.yaml @org/policy", "/r/models/*/aliases.yaml @org/release")
    moved = update_codeowners(old, "r", ["churn", "fraud"], Owners(default=("@org/ml2",)))
    assert "/r/models/churn/ @org/ml2\n" in moved and "/r/models/fraud/ @org/risk @ana\n" in moved
    assert "/r/models/*/aliases.yaml @org/release\n" in moved


def test_a_second_registry_of_the_monorepo_keeps_its_lines() -> None:
    first = update_codeowners(None, "a", ["m"], OWNERS)
    both = update_codeowners(first, "b", ["n"], Owners(default=("@b",)))
    assert both.count(BEGIN) == 1 and "/a/models/m/ @org/ml\n" in both
    assert "/b/models/n/ @b\n" in both and "/b/models/*/aliases.yaml @b\n" in both
    assert update_codeowners(both, "a", ["m"], Owners()) == update_codeowners(
        both, "a", ["m"], Owners())


@pytest.mark.parametrize(
    ("text", "owners", "prefix", "message"),
    [
        (None, Owners(), "", "pass --owner"),
        (BEGIN + "\n/models/ @x\n", Owners(), "", "no '# END modelreg'"),
        (block() + block(), OWNERS, "", "2 '# BEGIN modelreg' lines"),
        (None, OWNERS, "ml/re*g", "CODEOWNERS patterns cannot name"),
    ],
)
def test_codeowners_refusals(text: str | None, owners: Owners, prefix: str, message: str) -> None:
    with pytest.raises(InvalidParameter, match=re.escape(message)):
        update_codeowners(text, prefix, [], owners)


@pytest.mark.parametrize("owner", ["org/team", "@", "@a b", "@org/", "team@", "@-x"])
def test_owners_must_be_users_teams_or_emails(owner: str) -> None:
    with pytest.raises(InvalidParameter, match="is not @user, @org/team or an email"):
        Owners(default=(owner,))


def test_a_space_in_the_registry_folder_is_escaped() -> None:
    text = update_codeowners(None, "ml models", [], OWNERS)
    assert "/ml\\ models/models/ @org/ml\n" in text


# ---------------------------------------------------------------- init --github, codeowners


def test_init_github_writes_the_three_files_in_one_commit(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (repo / ".github").mkdir()
    (repo / ".github" / "CODEOWNERS").write_text("* @org/everyone\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "CODEOWNERS")
    monkeypatch.chdir(repo)
    out = modelreg("init", "ml/registry", "--github", "--owner", "@org/ml",
                   "--release-owners", "@org/release, @ana")
    assert "Wrote .github/workflows/modelreg.yml and .github/CODEOWNERS" in out
    assert git_out(repo, "rev-list", "--count", "HEAD") == "3\n"
    files = git_out(repo, "show", "--name-only", "--format=", "HEAD").split()
    assert sorted(files) == [".github/CODEOWNERS", WORKFLOW_PATH, "ml/registry/.gitignore",
                             "ml/registry/registry.yaml"]
    assert git_out(repo, "status", "--porcelain") == ""
    branch = "main"
    expected = render_workflow(WorkflowOptions(prefix="ml/registry", branch=branch,
                                               store="artifacts"))
    assert (repo / WORKFLOW_PATH).read_text() == expected
    assert (repo / ".github/CODEOWNERS").read_text() == "* @org/everyone\n\n" + block(
        "/ml/registry/models/ @org/ml", "/ml/registry/registry.yaml @org/release @ana",
        "/ml/registry/models/*/aliases.yaml @org/release @ana")
    assert Registry(repo / "ml/registry").search_registered_models() == []


def test_init_github_at_the_root_and_its_refusals(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(repo)
    head = git_out(repo, "rev-parse", "HEAD")
    assert "go with --github" in modelreg("init", "--owner", "@x", code=2)
    assert "pass --owner" in modelreg("init", "--github", code=1)
    assert git_out(repo, "rev-parse", "HEAD") == head and not (repo / "registry.yaml").exists()
    modelreg("init", "--github", "--owner", "@org/ml", "--branch", "prod")
    workflow = (repo / WORKFLOW_PATH).read_text()
    assert workflow == render_workflow(WorkflowOptions(branch="prod", store="artifacts"))
    assert "/models/*/aliases.yaml @org/ml\n" in (repo / ".github/CODEOWNERS").read_text()
    assert (repo / ".gitignore").read_text().endswith("/artifacts/\n")
    other = tmp_path / "other"
    other.mkdir()
    git(other, "init", "-q", "-b", "main")
    (other / ".github/workflows").mkdir(parents=True)
    (other / WORKFLOW_PATH).write_text("name: mine\n")
    (other / ".gitignore").write_text("*.pyc")
    git(other, "add", "-A")
    git(other, "commit", "-q", "-m", "a workflow of our own")
    monkeypatch.chdir(other)
    assert "modelreg.yml exists already" in modelreg("init", "--github", "--owner", "@o", code=1)
    modelreg("init")
    assert (other / ".gitignore").read_text() == "*.pyc\n/artifacts/\n"  # kept, one line added


def test_codeowners_rewrites_only_the_block_as_one_commit(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(repo)
    modelreg("init", "ml/registry", "--github", "--owner", "@org/ml")
    registry = Registry(repo / "ml/registry")
    for name in ("fraud", "churn model"):
        registry.register(name, make_model(tmp_path / name))
    owners_file = repo / ".github/CODEOWNERS"
    owners_file.write_text("# keep me  \n" + owners_file.read_text() + "/docs/ @docs")
    git(repo, "commit", "-q", "-am", "hand edits outside the block")
    monkeypatch.chdir(repo / "ml/registry")
    out = modelreg("codeowners")
    assert out == "Updated .github/CODEOWNERS (2 model folders)\n"
    assert owners_file.read_text() == "# keep me  \n" + block(
        "/ml/registry/models/ @org/ml", "/ml/registry/models/churn%20model/ @org/ml",
        "/ml/registry/models/fraud/ @org/ml", "/ml/registry/registry.yaml @org/ml",
        "/ml/registry/models/*/aliases.yaml @org/ml") + "/docs/ @docs"
    assert git_out(repo, "show", "--name-only", "--format=%s", "HEAD").split("\n")[:3] == [
        "Update the modelreg block of .github/CODEOWNERS (2 model folders)", "",
        ".github/CODEOWNERS"]
    assert git_out(repo, "status", "--porcelain") == ""
    head = git_out(repo, "rev-parse", "HEAD")
    again = json.loads(modelreg("codeowners", "--json"))
    assert again == {"path": ".github/CODEOWNERS", "models": 2, "commit": head.strip(),
                     "committed": False}
    registry.delete_registered_model("fraud")
    modelreg("codeowners", "--release-owners", "@org/release")
    text = owners_file.read_text()
    assert "fraud" not in text and "/ml/registry/models/*/aliases.yaml @org/release\n" in text


def test_codeowners_in_a_bare_repository(repo: Path, bare_remote: Path) -> None:
    Registry.init(repo / "reg")
    git(repo, "push", "-q", str(bare_remote), "main")
    uri = f"modelreg://{bare_remote}?path=reg&ref=main"
    modelreg("--registry", uri, "codeowners", "--owner", "@org/ml")
    text = git_out(bare_remote, "show", "main:.github/CODEOWNERS")
    assert text.startswith(BEGIN) and "/reg/models/ @org/ml\n" in text


# ---------------------------------------------------------------- pre-commit


def test_the_hooks_file_names_a_hook_that_exists() -> None:
    hooks = yaml.safe_load((PROJECT / ".pre-commit-hooks.yaml").read_text())
    [hook] = [h for h in hooks if h["id"] == "modelreg-validate"]
    assert hook["language"] == "python" and hook["pass_filenames"] is False
    script, command = hook["entry"].split()
    pyproject = (PROJECT / "pyproject.toml").read_text()
    assert re.search(rf'^{script} = "modelreg.cli:main"$', pyproject, re.M)
    assert command in COMMAND_MODULES
    files = re.compile(hook["files"])
    for path in ("registry.yaml", "models/fraud/aliases.yaml", "ml/reg/models/f/versions/3.yaml"):
        assert files.search(path), path
    for path in ("README.md", "src/registry.yaml.bak", "modelsx/a.yaml"):
        assert not files.search(path), path


def test_the_projects_own_config_validates_example_registry() -> None:
    config = yaml.safe_load((PROJECT / ".pre-commit-config.yaml").read_text())
    [repo] = config["repos"]
    [hook] = repo["hooks"]
    assert repo["repo"] == "local" and hook["id"] == "modelreg-validate"
    entry = hook["entry"].split()
    assert entry[0] == ".venv/bin/modelreg"
    done = subprocess.run([MODELREG, *entry[1:]], cwd=PROJECT, capture_output=True, text=True)
    assert done.returncode == 0 and "is valid (2 models)" in done.stdout, done.stderr
    assert re.search(hook["files"], "example-registry/models/churn-model/versions/1.yaml")


def hook(repo: Path, command: str) -> None:
    script = repo / ".git" / "hooks" / "pre-commit"
    script.write_text(f"#!/bin/sh\nenv | grep '^GIT_' > \"$(git rev-parse --git-common-dir)"
                      f"/hook-env\"\nexec {command}\n")
    script.chmod(0o755)


def commit(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)


def test_the_hook_runs_inside_git_commit(repo: Path, tmp_path: Path) -> None:
    """Git runs hooks with GIT_INDEX_FILE (a temporary index for `-a` and partial commits),
    and GIT_DIR / GIT_WORK_TREE when it was given them: validate must judge the registry."""
    registry = Registry.init(repo / "ml/registry")
    registry.register("fraud", make_model(tmp_path / "m"))
    hook(repo, f"{MODELREG} --registry ml/registry validate")
    aliases = repo / "ml/registry/models/fraud/aliases.yaml"
    good = aliases.read_text()
    aliases.write_text(good.replace("aliases: {}", "aliases: {champion: 9}"))
    refused = commit(repo, "commit", "-am", "point champion at nothing")
    assert refused.returncode == 1 and "aliases.yaml" in refused.stdout + refused.stderr
    assert "GIT_INDEX_FILE" in (repo / ".git/hook-env").read_text()
    assert commit(repo, "commit", "-m", "partial", "ml/registry/models/fraud/aliases.yaml"
                  ).returncode == 1
    aliases.write_text(good)
    (repo / "notes.txt").write_text("fine\n")
    sub = repo / "ml"
    assert commit(sub, "add", "-A").returncode == 0
    done = commit(sub, "commit", "-m", "from a subfolder")
    assert done.returncode == 0, done.stdout + done.stderr
    (repo / "notes.txt").write_text("finer\n")
    done = commit(tmp_path, f"--git-dir={repo / '.git'}", f"--work-tree={repo}",
                  "commit", "-am", "with GIT_DIR and GIT_WORK_TREE")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "GIT_DIR=" in (repo / ".git/hook-env").read_text()


def test_the_hook_runs_in_a_linked_worktree(repo: Path, tmp_path: Path) -> None:
    Registry.init(repo)
    hook(repo, f"{MODELREG} validate")
    tree = tmp_path / "linked"
    git(repo, "worktree", "add", "-q", "-b", "side", str(tree))
    (tree / "registry.yaml").write_text((tree / "registry.yaml").read_text() + "extra: 1\n")
    refused = commit(tree, "commit", "-am", "bad field")
    assert refused.returncode == 1 and "extra" in refused.stdout + refused.stderr
    git(tree, "checkout", "--", "registry.yaml")
    (tree / "x.txt").write_text("x\n")
    git(tree, "add", "x.txt")
    assert commit(tree, "commit", "-m", "fine").returncode == 0


@pytest.mark.parametrize(
    "options",
    [WorkflowOptions(action="evil\n  run: x"), WorkflowOptions(action="modelreg"),
     WorkflowOptions(branch=""), WorkflowOptions(prefix="a\nb")],
)
def test_workflow_refusals(options: WorkflowOptions) -> None:
    with pytest.raises(InvalidParameter):
        render_workflow(options)


def test_workflow_action_references() -> None:
    for action in ("./", "./.github/actions/modelreg", "org/modelreg@v1",
                   "org/monorepo/tools/modelreg@0123abc"):
        assert f"uses: {action}\n" in render_workflow(WorkflowOptions(action=action))
