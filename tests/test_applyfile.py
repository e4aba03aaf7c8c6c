"""`modelreg apply OPS.yaml`: the file is checked whole before anything runs, then runs as one
commit. Parsing is tested on plain text; running on a real registry in a real Git repository."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import git_out, init_registry, make_model, repo_state
from modelreg import applyfile, yamlio
from modelreg.applyfile import StepFailed, StepRef
from modelreg.errors import InvalidParameter, ManifestError, NotFound
from modelreg.model import Stage

BASE = Path("/work/here")

RELEASE = """\
- register: {name: fraud, path: model, metrics: {auc: 0.95}, tags: {team: risk}}
- alias: {name: fraud, alias: champion, version: "$1"}
- stage: {name: fraud, version: $1, stage: production, archive_existing: true}
- tag: {name: fraud, version: "$1", key: validation_status, value: approved}
- copy: {src: "models:/fraud/$1", dst: fraud-eu}
- describe: {name: fraud-eu, description: "EU copy"}
"""


def parse(text: str) -> tuple[applyfile.Step, ...]:
    loaded = yamlio.load(text, path="ops.yaml")
    return applyfile.parse(loaded.data, base_dir=BASE, source="ops.yaml", lines=loaded.lines)


def test_a_release_file_parses_into_checked_steps() -> None:
    steps = parse(RELEASE)
    assert [s.op for s in steps] == ["register", "alias", "stage", "tag", "copy", "describe"]
    register, alias, stage, tag, copy, _ = steps
    assert register.args == {
        "name": "fraud", "path": str(BASE / "model"), "metrics": {"auc": 0.95},
        "tags": {"team": "risk"},
    }
    assert alias.args["version"] == StepRef(step=1)
    assert stage.args == {"name": "fraud", "version": StepRef(step=1), "stage": "Production",
                          "archive_existing": True}
    assert tag.args["value"] == "approved"
    assert copy.args["src"] == "models:/fraud/$1"
    assert [s.line for s in steps] == [1, 2, 3, 4, 5, 6]
    assert alias.label == "step 2 (alias)"


def test_paths_absolute_and_uris_are_kept() -> None:
    steps = parse(
        "- register: {name: a, path: /abs/model}\n"
        "- register: {name: b, path: 's3://bucket/run/7/model', reference: true}\n"
        "- unalias: {name: a, alias: old}\n- alias-delete: {name: a, alias: older}\n"
    )
    assert steps[0].args["path"] == "/abs/model"
    assert steps[1].args["path"] == "s3://bucket/run/7/model"
    assert [s.op for s in steps[2:]] == ["unalias", "unalias"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- alias: {name: fraud, alias: champion, versoin: 2}",
         "ops.yaml:1: step 1 (alias): unknown key 'versoin' (keys: name, alias, version)"),
        ("- register: {name: fraud, path: m}\n- alias: {name: fraud, alias: champion}",
         "ops.yaml:2: step 2 (alias): missing key 'version'"),
        ("- promote: {name: fraud}", "ops.yaml:1: step 1: unknown operation 'promote'"),
        ("- alias: {name: fraud, alias: champion, version: 1}\n  stage: {name: fraud}",
         "step 1: expected a mapping with one operation"),
        ("- alias: fraud", "step 1 (alias): expected a mapping of arguments"),
        ("{alias: {name: a}}", "ops.yaml: expected a non-empty YAML list of operations"),
        ("[]", "expected a non-empty YAML list"),
        ("- alias: {name: fraud, alias: champion, version: '$1'}",
         "step 1 (alias): '$1' does not name an earlier step"),
        ("- create: {name: a}\n- alias: {name: a, alias: champion, version: '$1'}",
         "step 2 (alias): '$1' names step 1 (create), which makes no version"),
        ("- alias: {name: fraud, alias: champion, version: '$one'}", "write \"$N\""),
        ("- alias: {name: fraud, alias: latest, version: 1}",
         "step 1 (alias): alias 'latest' is reserved"),
        ("- alias: {name: fraud, alias: champion, version: 0}", "version 0 is not a positive"),
        ("- stage: {name: fraud, version: 1, stage: Prod}", "step 1 (stage): invalid stage 'Prod'"),
        ("- register: {name: 'a/b', path: m}", "may not contain '/'"),
        ("- register: {name: a, path: m, metrics: {auc: .nan}}", "not a finite number"),
        ("- register: {name: a, path: m, metrics: [auc]}", "metrics must be a mapping"),
        ("- register: {name: a, path: m, tags: {v: 1.10}}", "tag 'v': value must be a string"),
        ("- tag: {name: a, key: k, value: 3}", "value must be a string, not int (quote it)"),
        ("- stage: {name: a, version: 1, stage: Staging, archive_existing: 'yes'}",
         "archive_existing must be true or false"),
        ("- copy: {src: 'models:/fraud', dst: b}", "invalid model URI"),
        ("- register: {name: a, path: ''}", "path must not be empty"),
        ("- rename: {name: a, new_name: 'x:y'}", "may not contain '/' or ':'"),
    ],
)
def test_every_mistake_is_one_line_naming_its_step(text: str, message: str) -> None:
    with pytest.raises(InvalidParameter) as caught:
        parse(text)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_yaml_that_hides_what_runs_is_refused(tmp_path: Path) -> None:
    ops = tmp_path / "ops.yaml"
    ops.write_text("- alias: {name: a, name: b, alias: c, version: 1}\n")
    with pytest.raises(ManifestError, match="duplicate key 'name'"):
        applyfile.load(ops, base_dir=tmp_path)
    with pytest.raises(InvalidParameter, match="cannot read"):
        applyfile.load(tmp_path / "missing.yaml", base_dir=tmp_path)


def test_a_file_runs_as_one_commit(tmp_path: Path, repo: Path) -> None:
    reg = init_registry(repo)
    reg.register("fraud", make_model(tmp_path / "v1", "one"))
    reg.transition_model_version_stage("fraud", 1, "Production")
    make_model(tmp_path / "model", "two")
    ops = tmp_path / "release.yaml"
    ops.write_text(RELEASE)
    before = git_out(repo, "rev-list", "--count", "HEAD")

    results = applyfile.apply(reg, applyfile.load(ops, base_dir=tmp_path), message="Release v2")

    assert int(git_out(repo, "rev-list", "--count", "HEAD")) == int(before) + 1
    assert git_out(repo, "log", "-1", "--format=%s") == "Release v2\n"
    assert results[0].version == 2 and results[4].name == "fraud-eu"
    assert reg.get_model_version_by_alias("fraud", "champion").version == 2
    v2 = reg.get_model_version("fraud", 2)
    assert v2.current_stage is Stage.PRODUCTION and v2.tags["validation_status"] == "approved"
    assert v2.metrics == {"auc": 0.95}
    assert reg.get_model_version("fraud", 1).current_stage is Stage.ARCHIVED
    copied = reg.get_model_version("fraud-eu", 1)
    assert copied.lineage.copied_from is not None
    assert copied.lineage.copied_from.uri.startswith("models:/fraud/2")
    assert reg.get_registered_model("fraud-eu").description == "EU copy"
    assert git_out(repo, "status", "--porcelain") == ""


def test_a_failing_step_commits_nothing(tmp_path: Path, repo: Path) -> None:
    reg = init_registry(repo)
    reg.register("fraud", make_model(tmp_path / "v1", "one"))
    before = repo_state(repo)
    steps = parse(
        "- tag: {name: fraud, key: owner, value: ana}\n"
        "- alias: {name: fraud, alias: champion, version: 7}\n"
    )
    with pytest.raises(StepFailed) as caught:
        applyfile.apply(reg, steps)
    assert str(caught.value).startswith("step 2 (alias): model 'fraud' version 7 does not exist")
    assert isinstance(caught.value.cause, NotFound)
    assert caught.value.code == "RESOURCE_DOES_NOT_EXIST"
    assert repo_state(repo) == before


def test_model_level_tag_describe_delete_and_rename(tmp_path: Path, repo: Path) -> None:
    reg = init_registry(repo)
    reg.register("a", make_model(tmp_path / "v1", "one"))
    reg.register("a", make_model(tmp_path / "v2", "two"))
    steps = parse(
        "- create: {name: b, tags: {team: risk}, description: new}\n"
        "- tag: {name: a, key: owner, value: ana}\n"
        "- untag: {name: b, key: team}\n"
        "- describe: {name: a, version: 2, description: second}\n"
        "- tag: {name: a, version: 2, key: k, value: v}\n"
        "- untag: {name: a, version: 2, key: k}\n"
        "- delete: {name: a, version: 1}\n"
        "- rename: {name: a, new_name: c}\n"
        "- delete: {name: b}\n"
    )
    applyfile.apply(reg, steps)
    c = reg.get_registered_model("c")
    assert c.tags == {"owner": "ana"}
    v2 = reg.get_model_version("c", 2)
    assert v2.description == "second" and v2.tags == {}
    with pytest.raises(NotFound):
        reg.get_model_version("c", 1)
    with pytest.raises(NotFound):
        reg.get_registered_model("b")
