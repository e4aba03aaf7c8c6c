"""The `modelreg` command line: every command family, its text and `--json`, its exit codes.

Commands run through one helper, `run`, over click's CliRunner with exceptions NOT caught (a
bug surfaces as itself), on a real registry in a real Git repository with a local store. A few
cases run the real `modelreg` executable (start-up cost, a progress bar on a real terminal).
"""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from helpers import git_out, init_registry, make_model
from modelreg import Registry, views
from modelreg.cli import cli
from modelreg.model import ArtifactMode, Artifacts, FileEntry, ModelVersion, RegisteredModel, Stage
from modelreg.problems import Problem

MODELREG = str(Path(sys.executable).parent / "modelreg")


@dataclass
class Ran:
    code: int
    out: str
    err: str

    @property
    def json(self) -> Any:
        return json.loads(self.out)


Run = Callable[..., Ran]


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch) -> Run:
    """`run(*args, code=0)`: invoke modelreg in the current folder, assert the exit code."""

    def invoke(*args: str | Path, code: int = 0) -> Ran:
        result = CliRunner().invoke(
            cli, [str(a) for a in args], catch_exceptions=False, prog_name="modelreg"
        )
        ran = Ran(result.exit_code, result.stdout, result.stderr)
        assert ran.code == code, f"exit {ran.code}\nstdout:\n{ran.out}\nstderr:\n{ran.err}"
        if code == 1 and ran.err.startswith("modelreg: "):
            assert len(ran.err.strip().splitlines()) == 1, ran.err
        return ran

    return invoke


@pytest.fixture
def reg(tmp_path: Path, repo: Path, monkeypatch: pytest.MonkeyPatch) -> Registry:
    """A registry with `fraud` version 1; commands run inside its folder."""
    registry = init_registry(repo)
    registry.register("fraud", make_model(tmp_path / "v1", "weights v1\n"))
    monkeypatch.chdir(registry.location.path)
    return registry


# ---------------------------------------------------------------- init and register


def test_init_makes_a_registry_as_one_commit(
    run: Run, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(repo)
    ran = run("init", "ml-registry")
    assert ran.out.startswith(f"Initialized registry in {repo / 'ml-registry'} (store: ")
    assert (repo / "ml-registry/registry.yaml").is_file()
    assert git_out(repo, "log", "-1", "--format=%s") == "Initialize modelreg registry\n"
    assert "already" in run("init", "ml-registry", code=1).err


def test_register_prints_the_version_and_its_json(run: Run, reg: Registry, tmp_path: Path) -> None:
    model = make_model(tmp_path / "v2", "weights v2\n")
    ran = run("register", "fraud", model, "--metric", "auc=0.94", "--tag", "team=risk",
              "--run-id", "0a1b2c", "--description", "Second", "--code-commit", "abc123",
              "--data", "s3://data/train.parquet")
    assert ran.out == "Registered fraud version 2 (models:/fraud/2)\n"
    assert ran.err == ""
    mv = run("versions", "show", "fraud", "2", "--json").json
    assert (mv["name"], mv["version"], mv["uri"]) == ("fraud", 2, "models:/fraud/2")
    assert mv["stage"] == "None"
    assert mv["metrics"] == {"auc": 0.94} and mv["tags"] == {"team": "risk"}
    assert mv["run_id"] == "0a1b2c" and mv["description"] == "Second"
    assert mv["lineage"] == {"code_commit": "abc123", "data": ["s3://data/train.parquet"],
                             "copied_from": None}
    assert mv["source"] == model.resolve().as_uri()
    art = mv["artifacts"]
    assert art["mode"] == "stored" and art["digest"].startswith("sha256:")
    assert art["size"] == len("weights v2\n") and art["file_count"] == 1
    assert art["location"].endswith(art["uri"])
    as_json = run("register", "fraud", model, "--json").json
    assert as_json["version"] == 3 and as_json["artifacts"]["digest"] == art["digest"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--metric", "auc=high"], "modelreg: error: metric 'auc': 'high' is not a number\n"),
        (["--metric", "auc"], "modelreg: error: --metric 'auc' is not KEY=VALUE\n"),
        (["--tag", "a=1", "--tag", "a=2"], "modelreg: error: --tag 'a' is given twice\n"),
    ],
)
def test_key_value_options_are_checked(run: Run, reg: Registry, tmp_path: Path, args: list[str],
                                       message: str) -> None:
    model = make_model(tmp_path / "m", "x")
    assert run("register", "fraud", model, *args, code=1).err == message


# ---------------------------------------------------------------- models and versions


def test_models_family(run: Run, reg: Registry) -> None:
    created = run("models", "create", "churn", "--tag", "team=growth", "--description", "Churn",
                  "--json").json
    assert created == {
        "name": "churn", "description": "Churn", "tags": {"team": "growth"}, "last_version": 0,
        "aliases": {}, "latest_versions": [], "created_at": created["created_at"],
        "created_by": created["created_by"],
    }
    assert list(created) == list(views.ModelJson.__annotations__)
    assert run("models", "tag", "churn", "owner", "ana").out == "Set tag owner=ana on churn\n"
    assert run("models", "untag", "churn", "team").out == "Removed tag team from churn\n"
    run("models", "update", "churn", "--description", "Who leaves")
    shown = run("models", "show", "churn", "--json").json
    assert shown["tags"] == {"owner": "ana"} and shown["description"] == "Who leaves"
    assert run("models", "rename", "churn", "churn2").out == "Renamed churn to churn2\n"
    page = run("models", "list", "--json").json
    assert [m["name"] for m in page["registered_models"]] == ["churn2", "fraud"]
    assert page["next_page_token"] is None
    assert run("models", "list").out.splitlines()[0].startswith("churn2  last_version=0")
    filtered = run("models", "list", "--filter", "name = 'fraud'", "--json").json
    assert [m["name"] for m in filtered["registered_models"]] == ["fraud"]
    assert run("models", "delete", "churn2").out == "Deleted registered model churn2\n"
    assert "'churn2' does not exist" in run("models", "show", "churn2", code=1).err


def test_models_show_text_names_latest_versions(run: Run, reg: Registry) -> None:
    reg.transition_model_version_stage("fraud", 1, "Staging")
    text = run("models", "show", "fraud").out
    assert text.startswith("fraud  last_version=1  aliases=-")
    assert "  latest: models:/fraud/1 (Staging)" in text


def test_versions_family(run: Run, reg: Registry, tmp_path: Path) -> None:
    reg.register("fraud", make_model(tmp_path / "v2", "two"))
    assert run("versions", "tag", "fraud", "2", "validation_status", "approved").out == (
        "Set tag validation_status=approved on fraud version 2\n"
    )
    updated = run("versions", "update", "fraud", "2", "--description", "Reviewed", "--json").json
    assert updated["description"] == "Reviewed"
    run("versions", "untag", "fraud", "2", "validation_status")
    assert run("versions", "delete", "fraud", "1").out == "Deleted fraud version 1\n"
    listed = run("versions", "list", "fraud", "--json").json
    assert [(v["version"], v["tags"], v["description"]) for v in listed] == [(2, {}, "Reviewed")]
    assert list(listed[0]) == list(views.VersionJson.__annotations__)
    listed_text = run("versions", "list", "fraud").out
    assert listed_text == "models:/fraud/2  stage=None  aliases=-  'Reviewed'\n"
    shown = run("versions", "show", "fraud", "2").out.splitlines()
    assert shown[0].startswith("models:/fraud/2  stage=None  aliases=-")
    assert any(line.startswith("  artifacts: stored sha256:") for line in shown)
    assert "version 1 was deleted" in run("versions", "show", "fraud", "1", code=1).err
    assert "'nope' does not exist" in run("versions", "list", "nope", code=1).err


# ---------------------------------------------------------------- aliases, stages, reads


def test_aliases_stages_and_resolve(run: Run, reg: Registry, tmp_path: Path) -> None:
    reg.register("fraud", make_model(tmp_path / "v2", "two"))
    ran = run("alias", "set", "fraud", "champion", "2")
    assert ran.out == "Set alias champion of fraud to version 2\n"
    ran = run("stage", "fraud", "1", "Production")
    assert ran.out == "Moved fraud version 1 to stage Production\n"
    moved = run("stage", "fraud", "2", "production", "--archive-existing", "--json").json
    assert moved["stage"] == "Production" and moved["aliases"] == ["champion"]
    text = run("resolve", "models:/fraud@champion").out.strip()
    location = reg.get_model_version_download_uri("fraud", 2)
    assert text == f"models:/fraud/2  stage=Production  aliases=champion  {location}"
    resolved = run("resolve", "models:/fraud/Production", "--json").json
    assert resolved["version"] == 2 and resolved["artifacts"]["location"] == location
    assert run("resolve", "models:/fraud/Archived", "--json").json["version"] == 1
    assert run("alias", "delete", "fraud", "champion").out == "Deleted alias champion of fraud\n"
    err = run("resolve", "models:/fraud@champion", code=1).err
    assert err == "modelreg: error: model 'fraud' has no alias 'champion' (aliases: none)\n"


def test_reads_at_a_past_revision(run: Run, reg: Registry, tmp_path: Path) -> None:
    reg.register("fraud", make_model(tmp_path / "v2", "two"))
    reg.set_registered_model_alias("fraud", "champion", 2)
    reg.set_registered_model_alias("fraud", "champion", 1)
    assert run("resolve", "models:/fraud@champion", "--json").json["version"] == 1
    assert run("resolve", "models:/fraud@champion", "--at", "HEAD~1", "--json").json["version"] == 2
    assert run("resolve", "models:/fraud/latest", "--at", "HEAD~3", "--json").json["version"] == 1
    before = run("versions", "list", "fraud", "--at", "HEAD~2", "--json").json
    assert [v["version"] for v in before] == [1, 2]
    assert run("resolve", "models:/fraud/1", "--at", "no-such-rev", code=1).err.startswith(
        "modelreg: error: "
    )


def test_download_and_copy(run: Run, reg: Registry, tmp_path: Path) -> None:
    dest = tmp_path / "deployed"
    assert run("download", "models:/fraud/1", dest).out == f"{dest}\n"
    assert (dest / "model.bin").read_text() == "weights v1\n"
    again = run("download", "models:/fraud/latest", tmp_path / "again", "--json").json
    assert again["path"] == str(tmp_path / "again") and again["uri"] == "models:/fraud/1"
    assert list(again) == ["path", "name", "version", "uri", "digest"]
    copied = run("copy", "models:/fraud/1", "fraud-eu", "--json").json
    assert (copied["name"], copied["version"]) == ("fraud-eu", 1)
    assert copied["lineage"]["copied_from"]["uri"] == "models:/fraud/1"
    assert copied["artifacts"]["digest"] == again["digest"]
    text = run("copy", "models:/fraud/1", "fraud-eu").out
    assert text == "Copied models:/fraud/1 to fraud-eu version 2 (models:/fraud-eu/2)\n"


def test_search_pages(run: Run, reg: Registry, tmp_path: Path) -> None:
    reg.register("fraud", make_model(tmp_path / "v2", "two"), options=_opts(team="risk"))
    reg.register("other", make_model(tmp_path / "o", "o"), options=_opts(team="risk"))
    page = run("search", "tags.team = 'risk'", "--order-by", "name ASC", "--json").json
    found = [(v["name"], v["version"]) for v in page["model_versions"]]
    assert found == [("fraud", 2), ("other", 1)]
    first = run("search", "--max-results", "1", "--json").json
    assert len(first["model_versions"]) == 1 and first["next_page_token"]
    text = run("search", "--max-results", "1").out.splitlines()
    assert text[-1] == f"(more results: --page-token {first['next_page_token']})"
    token = first["next_page_token"]
    rest = run("search", "--max-results", "5", "--page-token", token, "--json").json
    assert len(rest["model_versions"]) == 2
    assert run("search", "name = 'fraud' AND tags.team = 'risk'").out.startswith("models:/fraud/2")


def _opts(**tags: str) -> Any:
    from modelreg import RegisterOptions

    return RegisterOptions(tags=tags)


# ---------------------------------------------------------------- log, validate, apply


def test_log_text_and_json(run: Run, reg: Registry) -> None:
    reg.set_registered_model_alias("fraud", "champion", 1)
    text = run("log", "fraud", "--max-count", "1").out
    assert "fraud@champion: set to v1" in text
    entries = run("log", "--json").json
    assert entries[0]["op"] == "alias-set" and entries[-1]["op"] == "registry-init"
    assert entries[0]["events"][0]["kind"] == "alias-set"
    assert len(run("log", "fraud", "--at", "HEAD~1", "--json").json) == 1


def test_validate_reports_every_problem_and_fails(run: Run, reg: Registry) -> None:
    ran = run("validate")
    assert ran.out.startswith(f"registry at {reg.location.path} is valid (1 model)")
    valid = {"valid": True, "errors": 0, "warnings": 0, "problems": []}
    assert run("validate", "--json").json == valid
    version_file = reg.location.path / "models/fraud/versions/1.yaml"
    version_file.write_text(re.sub(r"(?m)^version: 1$", "version: 2", version_file.read_text()))
    (reg.location.path / "models/fraud/notes.txt").write_text("hi")
    failed = run("validate", code=1)
    lines = failed.out.splitlines()
    assert any(line.startswith("models/fraud/versions/1.yaml:") and "$.version:" in line
               for line in lines)
    assert any(line.startswith("models/fraud/notes.txt: ") for line in lines)
    assert lines[-1] == "2 problems (2 errors)"
    report = run("validate", "--json", code=1).json
    assert report["valid"] is False and report["errors"] == 2
    assert {p["code"] for p in report["problems"]} == {"FILE_NAME_MISMATCH", "UNKNOWN_FILE"}
    assert list(report["problems"][0]) == list(views.ProblemJson.__annotations__)


def test_apply_runs_a_file_as_one_commit(run: Run, reg: Registry, tmp_path: Path) -> None:
    make_model(tmp_path / "model", "weights v3\n")
    ops = tmp_path / "release.yaml"
    ops.write_text(
        "- register: {name: fraud, path: model, metrics: {auc: 0.95}}\n"  # beside the file
        "- alias: {name: fraud, alias: champion, version: \"$1\"}\n"
        "- stage: {name: fraud, version: \"$1\", stage: Production, archive_existing: true}\n"
    )
    commits = int(git_out(reg.location.path, "rev-list", "--count", "HEAD"))
    ran = run("apply", ops, "--message", "Release fraud v2")
    head = git_out(reg.location.path, "rev-parse", "HEAD").strip()
    assert ran.out.splitlines() == [
        "step 1 (register): models:/fraud/2  stage=None  aliases=-",
        "step 2 (alias): done",
        "step 3 (stage): models:/fraud/2  stage=Production  aliases=champion",
        f"Applied 3 operations as commit {head[:10]}",
    ]
    assert int(git_out(reg.location.path, "rev-list", "--count", "HEAD")) == commits + 1
    assert git_out(reg.location.path, "log", "-1", "--format=%s") == "Release fraud v2\n"
    bad = tmp_path / "bad.yaml"
    bad.write_text("- alias: {name: fraud, alias: champion, versoin: 2}\n")
    err = run("apply", bad, code=1).err
    assert err == (f"modelreg: error: {bad}:1: step 1 (alias): unknown key 'versoin' "
                   "(keys: name, alias, version)\n")
    again = tmp_path / "again.yaml"
    again.write_text("- alias: {name: fraud, alias: prod, version: 2}\n"
                     "- tag: {name: fraud, key: owner, value: ana}\n")
    data = run("apply", again, "--json").json
    assert data["commit"] == git_out(reg.location.path, "rev-parse", "HEAD").strip()
    assert data["results"] == [None, None]
    assert "step 1 (alias): model 'fraud' version 9" in run(
        "apply", _write(tmp_path / "nine.yaml", "- alias: {name: fraud, alias: x, version: 9}\n"),
        code=1,
    ).err


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


# ---------------------------------------------------------------- errors and exit codes


def test_usage_errors_exit_2(run: Run, reg: Registry) -> None:
    assert "Missing argument" in run("resolve", code=2).err
    assert "No such option" in run("resolve", "models:/fraud/1", "--jsn", code=2).err
    assert "No such command" in run("resolv", code=2).err
    assert "is not a valid integer" in run("search", "--max-results", "many", code=2).err
    assert run("apply", "missing.yaml", code=2).err.count("does not exist") == 1


def test_library_errors_are_one_line(run: Run, reg: Registry) -> None:
    err = run("alias", "set", "fraud", "latest", "1", code=1).err
    assert err.startswith("modelreg: error: alias 'latest' is reserved")
    assert "Traceback" not in err


def test_no_registry_says_how_to_make_one(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert "no registry found" in run("resolve", "models:/fraud/1", code=1).err
    assert "no registry at" in run("--registry", tmp_path, "models", "list", code=1).err


def test_registry_option_and_environment(run: Run, reg: Registry, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    path = reg.location.path
    assert run("--registry", path, "resolve", "models:/fraud/1", "--json").json["version"] == 1
    monkeypatch.setenv("MODELREG_REGISTRY", str(path))
    assert run("resolve", "models:/fraud/1", "--json").json["version"] == 1


def test_an_unexpected_error_is_an_internal_error(run: Run, reg: Registry,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: Registry, uri: str) -> ModelVersion:
        raise RuntimeError("the resolver broke")

    monkeypatch.setattr(Registry, "resolve", broken)
    err = run("resolve", "models:/fraud/1", code=1).err
    assert err == ("modelreg: internal error: RuntimeError: the resolver broke "
                   "(rerun with --debug for the traceback)\n")
    with pytest.raises(RuntimeError, match="the resolver broke"):
        run("--debug", "resolve", "models:/fraud/1")


def test_ctrl_c_exits_130(run: Run, reg: Registry, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(self: Registry, uri: str) -> ModelVersion:
        raise KeyboardInterrupt

    monkeypatch.setattr(Registry, "resolve", interrupted)
    run("resolve", "models:/fraud/1", code=130)


def test_debug_shows_library_errors_with_their_traceback(reg: Registry) -> None:
    proc = subprocess.run([MODELREG, "--debug", "resolve", "models:/fraud/7"],
                          capture_output=True, text=True, cwd=reg.location.path)
    assert proc.returncode == 1
    assert "Traceback" in proc.stderr and "NotFound: model 'fraud' version 7" in proc.stderr


# ---------------------------------------------------------------- the real executable


HEAVY = ("fsspec", "pygit2", "jsonschema", "tqdm", "filelock", "yaml")


def test_help_and_import_stay_light() -> None:
    code = (f"import sys; from modelreg.cli import main\n"
            f"print([m for m in {HEAVY!r} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    proc = subprocess.run([MODELREG, "--help"], capture_output=True, text=True)
    assert proc.returncode == 0 and "resolve" in proc.stdout and "Example:" in proc.stdout


RESOLVE_SKIPS = ("pygit2", "fsspec", "jsonschema", "tqdm", "filelock")


def test_resolve_process_skips_git_store_schemas_and_progress(reg: Registry) -> None:
    """A resolve reads through `git cat-file` and never opens the store (STYLE §12)."""
    code = ("import sys\nfrom modelreg.cli import main\ntry:\n"
            "    main(['resolve', 'models:/fraud/1', '--json'])\nexcept SystemExit:\n    pass\n"
            f"print(sorted(m for m in sys.modules if m.split('.')[0] in {RESOLVE_SKIPS!r}),"
            " file=sys.stderr)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=reg.location.path)
    assert json.loads(proc.stdout)["version"] == 1
    assert proc.stderr.strip() == "[]"


def test_real_executable_exit_codes(reg: Registry) -> None:
    usage = subprocess.run([MODELREG, "stage"], capture_output=True, text=True,
                           cwd=reg.location.path)
    assert usage.returncode == 2 and "Usage: modelreg stage" in usage.stderr
    failed = subprocess.run([MODELREG, "resolve", "models:/fraud"], capture_output=True, text=True,
                            cwd=reg.location.path)
    assert failed.returncode == 1
    assert failed.stderr.startswith("modelreg: error: invalid model URI 'models:/fraud'")


def _on_a_terminal(argv: list[str], cwd: Path) -> tuple[int, str, str]:
    """Run `modelreg` with stderr on a pseudo-terminal; its stdout, and what the terminal got."""
    primary, secondary = pty.openpty()
    proc = subprocess.Popen([MODELREG, *argv], cwd=cwd, stdout=subprocess.PIPE, stderr=secondary)
    os.close(secondary)
    seen = b""
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # EIO: the last writer closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    os.close(primary)
    assert proc.stdout is not None
    out = proc.stdout.read().decode()
    proc.stdout.close()
    return proc.wait(), out, seen.decode(errors="replace")


@pytest.mark.slow
def test_progress_bar_only_on_a_terminal_for_big_transfers(reg: Registry, tmp_path: Path) -> None:
    big = tmp_path / "big"
    big.mkdir()
    with open(big / "weights.bin", "wb") as handle:
        handle.truncate(64 * 1024 * 1024)
    reg.register("big", big)
    cwd = reg.location.path

    code, out, terminal = _on_a_terminal(["download", "models:/big/1", str(tmp_path / "a")], cwd)
    assert code == 0 and out == f"{tmp_path / 'a'}\n"
    assert "64.0M" in terminal and "B/s" in terminal, terminal

    argv = ["download", "models:/big/1", str(tmp_path / "b"), "--json"]
    code, out, terminal = _on_a_terminal(argv, cwd)
    assert code == 0 and json.loads(out)["version"] == 1 and terminal == ""

    code, out, terminal = _on_a_terminal(["download", "models:/fraud/1", str(tmp_path / "c")], cwd)
    assert code == 0 and terminal == ""  # small: no bar

    piped = subprocess.run([MODELREG, "download", "models:/big/1", str(tmp_path / "d")], cwd=cwd,
                           capture_output=True, text=True)
    assert piped.returncode == 0 and piped.stderr == ""

    # The same bytes again: nothing moves, but the size is known, so the bar shows.
    code, out, terminal = _on_a_terminal(["register", "big", str(big)], cwd)
    assert code == 0 and out == "Registered big version 2 (models:/big/2)\n"
    assert "64.0M" in terminal, terminal


# ---------------------------------------------------------------- views, on plain values


ART = Artifacts(mode=ArtifactMode.STORED, uri="sha256/ab", digest="sha256:ab", size=1536,
                file_count=2, files=(FileEntry(path="a", size=1, sha256="x"),))
MV = ModelVersion(name="fraud", version=3, artifacts=ART, metrics={"auc": 0.9}, tags={"t": "v"},
                  aliases=("champion", "prod"), current_stage=Stage.PRODUCTION,
                  description="Good one\nmore", created_at="2026-01-01T00:00:00.000Z",
                  created_by="Ana")


def test_version_views() -> None:
    assert views.version_line(MV, "s3://b/sha256/ab") == (
        "models:/fraud/3  stage=Production  aliases=champion,prod  s3://b/sha256/ab"
    )
    assert views.version_row(MV) == (
        "models:/fraud/3  stage=Production  aliases=champion,prod  auc=0.9  'Good one'"
    )
    data = views.version_json(MV, "s3://b/sha256/ab")
    assert data["artifacts"] == {
        "mode": "stored", "uri": "sha256/ab", "location": "s3://b/sha256/ab",
        "digest": "sha256:ab", "size": 1536, "file_count": 2,
    }
    assert data["stage"] == "Production" and data["aliases"] == ["champion", "prod"]
    assert views.version_json(ModelVersion(name="x", version=1))["artifacts"] is None
    details = views.version_details(MV)
    assert "  artifacts: stored sha256:ab  2 files, 1.5 KiB" in details
    assert "  created: 2026-01-01T00:00:00.000Z by Ana" in details
    json.dumps(data)


def test_model_and_problem_views() -> None:
    model = RegisteredModel(name="fraud", last_version=3, aliases={"prod": 3, "champion": 2},
                            latest_versions=(MV,))
    assert views.model_line(model) == "fraud  last_version=3  aliases=champion=2,prod=3"
    assert views.model_json(model)["latest_versions"] == [
        {"version": 3, "stage": "Production", "uri": "models:/fraud/3"}
    ]
    assert views.result_line(model) == "registered model fraud"
    assert views.result_json(None) is None
    problems = [
        Problem(path="models/a/model.yaml", line=3, json_path="$.name", code="SCHEMA",
                message="bad"),
        Problem(path="models/.DS_Store", code="UNKNOWN_FILE", severity="warning", message="odd"),
    ]
    assert views.problems_text(problems).splitlines() == [
        "models/a/model.yaml:3: $.name: bad",
        "models/.DS_Store: odd (warning)",
        "2 problems (1 error, 1 warning)",
    ]
    assert views.validation_json(problems)["valid"] is False
    assert [views.size_text(n) for n in (0, 1023, 1024, 64 * 1024**2)] == [
        "0 B", "1023 B", "1.0 KiB", "64.0 MiB"
    ]
    assert views.page_footer(None) == ""


def test_every_command_is_in_the_lazy_table() -> None:
    """The root loads commands by name; a command missing from the table would be invisible."""
    import importlib
    import pkgutil

    import modelreg.cli as cli_pkg
    from modelreg.cli import COMMAND_MODULES

    defined = {}
    for info in pkgutil.iter_modules(cli_pkg.__path__):
        module = importlib.import_module(f"modelreg.cli.{info.name}")
        for command in getattr(module, "COMMANDS", ()):
            defined[command.name] = info.name
    assert defined == COMMAND_MODULES
