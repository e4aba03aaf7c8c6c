"""`validate_registry`: every problem of a registry folder in one run, on any view of it.

Registries are built from what the writer writes (`manifest.dump_*`), then broken the way a
person or a bad merge would break them. The work-tree view is a real folder in a real Git
repository, edited by hand.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from modelreg import layout, manifest, schemafast
from modelreg.errors import ManifestError
from modelreg.gitrepo.worktree import WorktreeFiles
from modelreg.model import (
    AliasTable,
    ArtifactMode,
    Artifacts,
    Deletion,
    ModelVersion,
    RegisteredModel,
    RegistryConfig,
    Stage,
)
from modelreg.snapshot import MemoryFiles, content_id
from modelreg.validate import validate_registry

T = "2026-01-31T09:30:00.000Z"
ALIASES = "models/fraud/aliases.yaml"


def model(name: str, last: int) -> bytes:
    return manifest.dump_model(RegisteredModel(
        name=name, tags={"owner": "risk"}, last_version=last, created_at=T, created_by="ana"))


def version(name: str, number: int, *, deleted: bool = False) -> bytes:
    return manifest.dump_version(ModelVersion(
        name=name, version=number, source="runs:/r/model",
        artifacts=Artifacts(mode=ArtifactMode.UNVERIFIED, uri="runs:/r/model"),
        metrics={"auc": 0.9}, created_at=T, created_by="ana",
        deleted=Deletion(at=T, by="bob") if deleted else None))


def aliases(table: dict[str, int], **stages: tuple[int, ...]) -> bytes:
    return manifest.dump_aliases(AliasTable(
        aliases=table, stages={Stage(k): v for k, v in stages.items()}))


def healthy() -> dict[str, bytes]:
    """A small registry in which nothing is wrong: two models, a tombstone, aliases, stages."""
    files = {
        "registry.yaml": manifest.dump_registry(RegistryConfig(id="reg-1", store="artifacts")),
        layout.model_file("fraud"): model("fraud", 4),
        layout.aliases_file("fraud"): aliases(
            {"champion": 3, "challenger": 1}, Production=(3,), Archived=(1,)),
        layout.model_file("sklearn Trained Model"): model("sklearn Trained Model", 1),
        layout.version_file("sklearn Trained Model", 1): version("sklearn Trained Model", 1),
    }
    for number in (1, 2, 3):
        files[layout.version_file("fraud", number)] = version("fraud", number, deleted=number == 2)
    return files


def test_a_healthy_registry_has_no_problems() -> None:
    files = healthy()
    assert "models/sklearn%20Trained%20Model/model.yaml" in files
    assert validate_registry(MemoryFiles(files)) == []


def test_every_problem_of_a_registry_in_one_run() -> None:
    files = healthy()
    files["registry.yaml"] += b'stores: "s3://typo"\n'
    files["models/fraud/model.yaml"] = model("fraud", 2)  # versions/3.yaml exists
    files["models/fraud/versions/3.yaml"] = version("fraud", 4)  # says 4 in 3.yaml
    files["models/fraud/versions/1.yaml"] = version("fraud-eu", 1)  # belongs elsewhere
    files["models/fraud/versions/03.yaml"] = version("fraud", 3)
    files["models/fraud/aliases.yaml"] = aliases(
        {"champion": 2, "challenger": 9, "stable": 3},  # 2 is deleted, 9 does not exist
        Production=(3,), Staging=(3,), Archived=(9,))
    files["models/fraud/notes.md"] = b"# notes\n"
    files["models/Fraud/model.yaml"] = model("Fraud", 0)
    files["models/ghost/aliases.yaml"] = aliases({})
    files["models/misplaced/model.yaml"] = model("elsewhere", 0)
    files["models/dup/model.yaml"] = b'name: "dup"\nname: "dup"\n'
    files["models/.DS_Store"] = b"\0"
    found = validate_registry(MemoryFiles(files))
    assert [(p.path, p.line, p.json_path, p.code, p.severity) for p in found] == [
        ("models/.DS_Store", None, "", "UNKNOWN_FILE", "warning"),
        ("models/Fraud/model.yaml", 2, "$.name", "CASE_COLLISION", "error"),
        ("models/dup/model.yaml", 2, "", "DUPLICATE_KEY", "error"),
        (ALIASES, 3, "$.aliases.challenger", "ALIAS_TARGET_MISSING", "error"),
        (ALIASES, 4, "$.aliases.champion", "ALIAS_TARGET_MISSING", "error"),
        (ALIASES, 8, "$.stages.Production[0]", "VERSION_IN_TWO_STAGES", "error"),
        (ALIASES, 9, "$.stages.Archived[0]", "STAGE_TARGET_MISSING", "error"),
        ("models/fraud/model.yaml", 2, "$.name", "CASE_COLLISION", "error"),
        ("models/fraud/model.yaml", 6, "$.last_version", "LAST_VERSION_TOO_LOW", "error"),
        ("models/fraud/notes.md", None, "", "UNKNOWN_FILE", "error"),
        ("models/fraud/versions/03.yaml", None, "", "UNKNOWN_FILE", "error"),
        ("models/fraud/versions/1.yaml", 2, "$.name", "NAME_MISMATCH", "error"),
        ("models/fraud/versions/3.yaml", 3, "$.version", "FILE_NAME_MISMATCH", "error"),
        ("models/ghost", None, "", "MISSING_MODEL_FILE", "error"),
        ("models/misplaced/model.yaml", 2, "$.name", "NAME_MISMATCH", "error"),
        ("registry.yaml", 5, "$.stores", "SCHEMA", "error"),
    ]
    by_place = {(p.path, p.json_path): p.message for p in found}
    assert by_place[ALIASES, "$.aliases.champion"] == (
        "alias 'champion' points at version 2, which is deleted")
    assert by_place[ALIASES, "$.aliases.challenger"] == (
        "alias 'challenger' points at version 9, which does not exist")
    assert by_place[ALIASES, "$.stages.Production[0]"] == (
        "version 3 is in stage Staging and in stage Production")
    assert by_place["models/misplaced/model.yaml", "$.name"] == (
        "name 'elsewhere' belongs in models/elsewhere/, not models/misplaced/")
    assert by_place["models/Fraud/model.yaml", "$.name"] == (
        "model 'Fraud' differs only by case from 'fraud'")
    assert "numbers are never reused" in by_place["models/fraud/model.yaml", "$.last_version"]


def test_a_folder_without_registry_yaml_is_not_a_registry() -> None:
    files = healthy()
    del files["registry.yaml"]
    [problem] = validate_registry(MemoryFiles(files))
    assert (problem.path, problem.code) == ("registry.yaml", "MISSING_REGISTRY_FILE")


def test_a_broken_version_file_still_counts_as_taken() -> None:
    files = healthy()
    files["models/fraud/versions/3.yaml"] = b"name: [\n"
    found = validate_registry(MemoryFiles(files))
    # The alias and the stage on version 3 are not reported: its file exists, only unreadable.
    assert [(p.path, p.code) for p in found] == [("models/fraud/versions/3.yaml", "YAML")]


# ---------------------------------------------------------------- the work tree


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True,
                          env=os.environ.copy()).stdout


def write(root: Path, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)


@pytest.fixture
def checkout(repo: Path) -> Path:
    """A committed healthy registry in the sub-folder `ml/registry` of a real repository."""
    root = repo / "ml" / "registry"
    write(root, healthy())
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "registry")
    return root


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_hand_edits_in_the_work_tree_are_reported_by_file_and_line(checkout: Path) -> None:
    assert validate_registry(WorktreeFiles(checkout)) == []
    # A second `owner:` under tags, and a description reused through an anchor.
    tags = '  owner: "risk"\n'
    edit(checkout / "models/fraud/model.yaml", tags, tags + '  owner: "ml"\n')
    edit(checkout / "models/fraud/versions/1.yaml", 'description: ""', 'description: &d "x"')
    edit(checkout / "models/fraud/versions/1.yaml", 'created_by: "ana"', "created_by: *d")
    found = [str(p) for p in validate_registry(WorktreeFiles(checkout))]
    assert found == [
        "models/fraud/model.yaml:6: duplicate key 'owner'",
        "models/fraud/versions/1.yaml:4: YAML anchors and aliases are not allowed in manifests",
    ]
    assert git(checkout, "status", "--porcelain") != ""  # uncommitted edits: what was judged


def test_a_new_untracked_file_in_a_model_folder_is_reported(checkout: Path) -> None:
    (checkout / "models/fraud/versions/4.yml").write_text("version: 4\n")
    [problem] = validate_registry(WorktreeFiles(checkout))
    assert (problem.path, problem.code) == ("models/fraud/versions/4.yml", "UNKNOWN_FILE")


def test_a_symlinked_manifest_is_a_problem_not_a_read_outside(
    checkout: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "secret.yaml"
    secret.write_text('name: "fraud"\nversion: 4\nSECRET-MARKER: "x"\n')
    (outside / "model.yaml").write_bytes(model("evil", 0))
    (checkout / "models/fraud/versions/4.yaml").symlink_to(secret)
    (checkout / "models/evil").symlink_to(outside, target_is_directory=True)
    found = validate_registry(WorktreeFiles(checkout))
    assert [(p.path, p.code) for p in found] == [
        ("models/evil", "UNREADABLE"),
        ("models/fraud/versions/4.yaml", "UNREADABLE"),
    ]
    assert all("symbolic link" in p.message and "SECRET" not in p.message for p in found)
    view = WorktreeFiles(checkout)
    with pytest.raises(ManifestError, match="symbolic link"):
        view.read("models/evil/model.yaml")
    with pytest.raises(ManifestError, match="symbolic link"):
        view.listdir("models/evil")


def test_worktree_view_matches_git(checkout: Path) -> None:
    view = WorktreeFiles(checkout)
    repo = checkout.parents[1]
    path = "models/fraud/versions/1.yaml"
    assert view.revision == ""
    assert view.blob_id(path) == git(repo, "rev-parse", f"HEAD:ml/registry/{path}").strip()
    assert view.blob_id(path) == content_id((checkout / path).read_bytes())
    assert view.read(path) == (checkout / path).read_bytes()
    assert view.listdir("models/fraud") == ["aliases.yaml", "model.yaml", "versions"]
    assert view.listdir("models/fraud/versions") == ["1.yaml", "2.yaml", "3.yaml"]
    assert view.read("models/fraud") is None  # a folder
    assert view.read("models/nope/model.yaml") is None
    assert view.blob_id("models/nope/model.yaml") is None
    assert view.listdir("models/nope") == []
    assert view.listdir("registry.yaml") == []  # a file
    assert view.tree_id("models/fraud") is None
    assert ".git" not in WorktreeFiles(repo).listdir("")
    assert "ml" in WorktreeFiles(repo).listdir("")
    with pytest.raises(ManifestError, match="inside the registry folder"):
        view.read("../../README.md")


def test_a_large_registry_gets_the_same_findings_with_the_precheck(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # From `schemafast.PRECHECK_AFTER` documents of a kind on, fastjsonschema answers first and
    # jsonschema only words what it refuses (issue #5): the findings must not change.
    files = healthy()
    broken = [
        b"version: 7.0\n", b"metrics:\n  auc: .nan\n", b'created_at: "2026-02-30T00:00:00.000Z"\n',
        b"tags:\n  team: true\n", b'flavors:\n- "a"\n- "a"\n', b"extra: 1\n", b"source: 3\n",
        b'name: "a/b"\n', b'artifacts:\n  mode: "stored"\n  uri: "x"\n',
    ]
    for n in range(1, 61):
        text = version("big", n)
        if n % 6 == 0:  # replace one line of every sixth file by something the schema refuses
            key = broken[n // 6 % len(broken)].split(b":")[0] + b":"
            lines = [line for line in text.splitlines(keepends=True) if not line.startswith(key)]
            text = b"".join(lines) + broken[n // 6 % len(broken)]
        files[layout.version_file("big", n)] = text
    files[layout.model_file("big")] = model("big", 60)
    monkeypatch.setattr(schemafast, "PRECHECK_AFTER", 10**9)
    expected = validate_registry(MemoryFiles(files))
    monkeypatch.setattr(schemafast, "PRECHECK_AFTER", 0)
    assert validate_registry(MemoryFiles(files)) == expected
    assert len({p.path for p in expected}) >= 9  # the broken files, each found
