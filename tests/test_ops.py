"""The operations on in-memory registries: what they write, what they refuse, in what words.

Every change is applied through `run`, which also checks that each manifest written passes
its JSON Schema, as the writer does before a commit.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from modelreg import layout, manifest, ops, schema
from modelreg.change import Change, OpContext, Operation, transaction
from modelreg.errors import AlreadyExists, Conflict, InvalidParameter, ModelregError, NotFound
from modelreg.model import (
    AliasTable,
    ArtifactMode,
    Artifacts,
    CopiedFrom,
    Deletion,
    FileEntry,
    Lineage,
    ModelVersion,
    RegisteredModel,
    RegistryConfig,
    Stage,
)
from modelreg.snapshot import MemoryFiles, Snapshot

NOW = "2026-01-31T09:30:00.000Z"
LATER = "2026-02-01T10:00:00.000Z"
CTX = OpContext(now=NOW, actor="alice@example.com", op_id="op-1")
BOB = OpContext(now=LATER, actor="bob@example.com", op_id="op-2")
HEX = "ab" * 32
ARTIFACTS = Artifacts(
    mode=ArtifactMode.STORED, uri=f"sha256/{HEX}", digest=f"sha256:{HEX}", size=8, file_count=1,
    files=(FileEntry(path="model.bin", size=8, sha256="cd" * 32),),
)
COMMIT = "0123456789abcdef0123456789abcdef01234567"


def empty_registry() -> MemoryFiles:
    config = RegistryConfig(id="00000000-0000-0000-0000-000000000000")
    return MemoryFiles({layout.REGISTRY_FILE: manifest.dump_registry(config)})


def run(files: MemoryFiles, operation: Operation, ctx: OpContext = CTX) -> Change:
    """Apply an operation to the files as the writer would (schemas first), return its change."""
    change = operation(Snapshot(files), ctx)
    for path, data in change.writes.items():
        kind = schema.kind_of(path)
        if data is not None and kind is not None:
            assert schema.validate_bytes(kind, data, path=path) == [], path
    for path, data in change.writes.items():
        if data is None:
            del files.files[path]
        else:
            files.files[path] = data
    return change


def register(files: MemoryFiles, name: str = "fraud", **options: object) -> ModelVersion:
    operation = ops.create_model_version(
        name, artifacts=ARTIFACTS, source="file:///models/m", create_model=True, **options  # type: ignore[arg-type]
    )
    result: ModelVersion = run(files, operation).result
    return result


@pytest.fixture
def files() -> MemoryFiles:
    """fraud: versions 1 and 2 live, 3 deleted; tag team=risk; champion -> 1, 1 in Production.
    other: no versions, no aliases."""
    files = empty_registry()
    for n in (1, 2, 3):
        register(files, metrics={"auc": 0.9 + n / 100}, tags={"n": str(n)})
    run(files, ops.delete_model_version("fraud", 3))
    run(files, ops.set_registered_model_tag("fraud", "team", "risk"))
    run(files, ops.set_registered_model_alias("fraud", "champion", 1))
    run(files, ops.transition_model_version_stage("fraud", 1, "Production"))
    run(files, ops.create_registered_model("other"))
    return files


def model_on_disk(files: MemoryFiles, name: str) -> RegisteredModel:
    path = layout.model_file(name)
    return manifest.parse_model(files.files[path], path)


def table_on_disk(files: MemoryFiles, name: str) -> AliasTable:
    path = layout.aliases_file(name)
    return manifest.parse_aliases(files.files[path], path)


def version_on_disk(files: MemoryFiles, name: str, number: int) -> ModelVersion:
    path = layout.version_file(name, number)
    return manifest.parse_version(files.files[path], path)


# ---------------------------------------------------------------- refusals


ERRORS: list[tuple[str, Callable[[], Operation], type[ModelregError], str]] = [
    ("create-exists", lambda: ops.create_registered_model("fraud"), AlreadyExists,
     "registered model 'fraud' already exists"),
    ("create-case-twin", lambda: ops.create_registered_model("Fraud"), InvalidParameter,
     "registered model name 'Fraud' differs only by case from 'fraud'"),
    ("create-bad-name", lambda: ops.create_registered_model("a/b"), InvalidParameter,
     "may not contain '/'"),
    ("create-bad-tag", lambda: ops.create_registered_model("x", tags={"bad*": "v"}),
     InvalidParameter, "tag key 'bad*'"),
    ("update-missing", lambda: ops.update_registered_model("nope", description="d"), NotFound,
     "registered model 'nope' does not exist"),
    ("rename-missing", lambda: ops.rename_registered_model("nope", "x"), NotFound,
     "registered model 'nope' does not exist"),
    ("rename-onto-existing", lambda: ops.rename_registered_model("fraud", "other"), AlreadyExists,
     "registered model 'other' already exists"),
    ("rename-onto-case-twin", lambda: ops.rename_registered_model("fraud", "Other"),
     InvalidParameter, "'Other' differs only by case from 'other'"),
    ("rename-bad-name", lambda: ops.rename_registered_model("fraud", "a:b"), InvalidParameter,
     "may not contain"),
    ("delete-missing", lambda: ops.delete_registered_model("nope"), NotFound,
     "registered model 'nope' does not exist"),
    ("tag-missing-model", lambda: ops.set_registered_model_tag("nope", "k", "v"), NotFound,
     "registered model 'nope' does not exist"),
    ("tag-bad-key", lambda: ops.set_registered_model_tag("fraud", "/k", "v"), InvalidParameter,
     "tag key '/k'"),
    ("untag-absent", lambda: ops.delete_registered_model_tag("fraud", "k"), NotFound,
     "registered model 'fraud' has no tag 'k' (tags: team)"),
    ("untag-none", lambda: ops.delete_registered_model_tag("other", "k"), NotFound,
     "(tags: none)"),
    ("alias-reserved", lambda: ops.set_registered_model_alias("fraud", "latest", 1),
     InvalidParameter, "reserved"),
    ("alias-bad-chars", lambda: ops.set_registered_model_alias("fraud", "my alias", 1),
     InvalidParameter, "only letters"),
    ("alias-missing-model", lambda: ops.set_registered_model_alias("nope", "champion", 1),
     NotFound, "registered model 'nope' does not exist"),
    ("alias-missing-version", lambda: ops.set_registered_model_alias("fraud", "champion", 99),
     NotFound, "model 'fraud' version 99 does not exist"),
    ("alias-deleted-version", lambda: ops.set_registered_model_alias("fraud", "champion", 3),
     NotFound, "model 'fraud' version 3 was deleted"),
    ("unalias-absent", lambda: ops.delete_registered_model_alias("fraud", "prod"), NotFound,
     "model 'fraud' has no alias 'prod' (aliases: champion)"),
    ("unalias-none", lambda: ops.delete_registered_model_alias("other", "prod"), NotFound,
     "model 'other' has no alias 'prod' (aliases: none)"),
    ("stage-invalid", lambda: ops.transition_model_version_stage("fraud", 1, "Prod"),
     InvalidParameter, "invalid stage 'Prod'"),
    ("stage-archive-inactive", lambda: ops.transition_model_version_stage(
        "fraud", 2, "Archived", archive_existing_versions=True), InvalidParameter,
     "cannot archive existing model versions because 'Archived' is not an active stage"),
    ("stage-archive-none", lambda: ops.transition_model_version_stage(
        "fraud", 2, "none", archive_existing_versions=True), InvalidParameter,
     "'None' is not an active stage"),
    ("stage-deleted-version", lambda: ops.transition_model_version_stage("fraud", 3, "Staging"),
     NotFound, "version 3 was deleted"),
    ("update-version-missing", lambda: ops.update_model_version("fraud", 7, description="d"),
     NotFound, "model 'fraud' version 7 does not exist"),
    ("version-tag-bad-key", lambda: ops.set_model_version_tag("fraud", 1, "bad*key", "v"),
     InvalidParameter, "tag key"),
    ("version-tag-no-key", lambda: ops.set_model_version_tag("fraud", 1, None, "v"),
     InvalidParameter, "tag key must be a non-empty string"),
    ("version-untag-absent", lambda: ops.delete_model_version_tag("fraud", 1, "k"), NotFound,
     "model 'fraud' version 1 has no tag 'k' (tags: n)"),
    ("delete-version-missing", lambda: ops.delete_model_version("fraud", 9), NotFound,
     "model 'fraud' version 9 does not exist"),
    ("delete-version-twice", lambda: ops.delete_model_version("fraud", 3), NotFound,
     "model 'fraud' version 3 was deleted"),
    ("register-no-model", lambda: ops.create_model_version("nope", artifacts=ARTIFACTS),
     NotFound, "registered model 'nope' does not exist"),
    ("register-case-twin", lambda: ops.create_model_version(
        "FRAUD", artifacts=ARTIFACTS, create_model=True), InvalidParameter,
     "differs only by case from 'fraud'"),
    ("register-nan-metric", lambda: ops.create_model_version(
        "fraud", artifacts=ARTIFACTS, metrics={"auc": float("nan")}), InvalidParameter, "finite"),
    ("register-bad-description", lambda: ops.create_model_version(
        "fraud", artifacts=ARTIFACTS, description="x" * 100_001), InvalidParameter,
     "at most 100000"),
]


@pytest.mark.parametrize(
    ("make", "error", "fragment"), [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS]
)
def test_refusals_name_the_object(
    files: MemoryFiles, make: Callable[[], Operation], error: type[ModelregError], fragment: str
) -> None:
    with pytest.raises(error) as raised:
        make()(Snapshot(files), CTX)
    assert fragment in str(raised.value)
    assert "\n" not in str(raised.value)


def test_a_folder_holding_another_model_is_not_overwritten() -> None:
    files = empty_registry()
    run(files, ops.create_registered_model("x"))
    # A hand edit moved x's manifest into y's folder.
    files.files[layout.model_file("y")] = files.files.pop(layout.model_file("x"))
    with pytest.raises(Conflict, match="already holds another registered model"):
        ops.create_registered_model("y")(Snapshot(files), CTX)


# ---------------------------------------------------------------- registered models


def test_create_registered_model_writes_model_and_empty_aliases() -> None:
    files = empty_registry()
    change = run(files, ops.create_registered_model(
        "fraud", tags={"team": "risk"}, description="Scores card transactions."
    ))
    expected = RegisteredModel(
        name="fraud", description="Scores card transactions.", tags={"team": "risk"},
        last_version=0, created_at=NOW, created_by="alice@example.com",
    )
    assert set(change.writes) == {"models/fraud/model.yaml", "models/fraud/aliases.yaml"}
    assert model_on_disk(files, "fraud") == expected
    assert table_on_disk(files, "fraud") == AliasTable()
    assert change.result == expected
    assert (change.op, change.summary) == ("model-create", "Create registered model fraud")
    assert change.trailers == (("Model", "fraud"),)


def test_update_and_tags_of_a_registered_model(files: MemoryFiles) -> None:
    change = run(files, ops.update_registered_model("fraud", description="New words"), BOB)
    assert change.op == "model-update"
    assert set(change.writes) == {"models/fraud/model.yaml"}
    assert model_on_disk(files, "fraud").description == "New words"
    assert change.result.aliases == {"champion": 1}

    change = run(files, ops.set_registered_model_tag("fraud", "owner", "risk-team"))
    assert change.op == "model-tag-set"
    assert change.summary == "Set tag owner on registered model fraud"
    assert model_on_disk(files, "fraud").tags == {"owner": "risk-team", "team": "risk"}
    assert run(files, ops.set_registered_model_tag("fraud", "owner", "risk-team")).writes == {}

    change = run(files, ops.delete_registered_model_tag("fraud", "team"))
    assert change.op == "model-tag-delete"
    assert model_on_disk(files, "fraud").tags == {"owner": "risk-team"}
    # Who created the model and when never changes.
    assert model_on_disk(files, "fraud").created_at == NOW


def test_rename_moves_every_file_and_renames_every_manifest(files: MemoryFiles) -> None:
    files.files["models/fraud/README.md"] = b"notes\n"
    old = {p for p in files.files if p.startswith("models/fraud/")}
    change = run(files, ops.rename_registered_model("fraud", "fraud-detector"))
    assert (change.op, change.summary) == (
        "model-rename", "Rename registered model fraud to fraud-detector"
    )
    assert change.trailers == (("Model", "fraud-detector"), ("Old-Name", "fraud"))
    assert {p for p, d in change.writes.items() if d is None} == old
    assert not any(p.startswith("models/fraud/") for p in files.files)
    assert files.files["models/fraud-detector/README.md"] == b"notes\n"
    snap = Snapshot(files)
    assert snap.model("fraud") is None
    model = snap.require_model("fraud-detector")
    assert (model.tags, model.aliases, model.last_version) == ({"team": "risk"}, {"champion": 1}, 3)
    assert [mv.version for mv in snap.versions("fraud-detector")] == [1, 2]
    tomb = snap.raw_version("fraud-detector", 3)
    assert tomb is not None and tomb.name == "fraud-detector" and tomb.deleted is not None
    assert snap.latest_in_stage("fraud-detector", Stage.PRODUCTION) == snap.version(
        "fraud-detector", 1
    )
    assert change.result.name == "fraud-detector"


def test_rename_that_only_changes_case_is_allowed(files: MemoryFiles) -> None:
    run(files, ops.rename_registered_model("fraud", "Fraud"))
    snap = Snapshot(files)
    assert snap.model_names() == ["Fraud", "other"]
    assert snap.require_model("Fraud").aliases == {"champion": 1}


def test_rename_to_the_same_name_changes_nothing(files: MemoryFiles) -> None:
    assert run(files, ops.rename_registered_model("fraud", "fraud")).writes == {}


def test_delete_registered_model_removes_its_folder(files: MemoryFiles) -> None:
    files.files["models/fraud/notes/README.md"] = b"notes\n"
    change = run(files, ops.delete_registered_model("fraud"))
    assert (change.op, change.summary) == ("model-delete", "Delete registered model fraud")
    assert all(data is None for data in change.writes.values())
    assert "models/fraud/notes/README.md" in change.writes
    assert Snapshot(files).model_dirs() == ["other"]


# ---------------------------------------------------------------- aliases and stages


def test_alias_set_then_moved_is_one_file(files: MemoryFiles) -> None:
    change = run(files, ops.set_registered_model_alias("fraud", "challenger", 2))
    assert change.op == "alias-set"
    assert change.summary == "Set alias challenger of fraud to version 2"
    assert change.trailers == (("Model", "fraud"), ("Version", "2"), ("Alias", "challenger"))
    assert set(change.writes) == {"models/fraud/aliases.yaml"}
    change = run(files, ops.set_registered_model_alias("fraud", "champion", 2))
    assert change.summary == "Move alias champion of fraud from version 1 to version 2"
    assert table_on_disk(files, "fraud").aliases == {"champion": 2, "challenger": 2}


def test_alias_set_where_it_points_has_nothing_to_commit(files: MemoryFiles) -> None:
    change = run(files, ops.set_registered_model_alias("fraud", "champion", 1))
    assert change.writes == {}
    assert change.op == "alias-set"


def test_alias_delete(files: MemoryFiles) -> None:
    change = run(files, ops.delete_registered_model_alias("fraud", "champion"))
    assert (change.op, change.summary) == ("alias-delete", "Delete alias champion of fraud")
    assert ("Version", "1") in change.trailers
    assert table_on_disk(files, "fraud") == AliasTable(stages={Stage.PRODUCTION: (1,)})


P, S, A = Stage.PRODUCTION, Stage.STAGING, Stage.ARCHIVED
TRANSITIONS = [
    # (stages before, version, stage, archive existing, stages after, summary)
    ({}, 1, "Production", False, {P: (1,)}, "Move fraud version 1 to Production"),
    ({P: (1,)}, 2, "production", False, {P: (1, 2)}, "Move fraud version 2 to Production"),
    ({P: (1,)}, 2, "Production", True, {P: (2,), A: (1,)},
     "Move fraud version 2 to Production, archive version 1"),
    ({P: (1, 2), S: (3,)}, 3, "Production", True, {P: (3,), A: (1, 2)},
     "Move fraud version 3 to Production, archive versions 1, 2"),
    ({S: (1,), P: (2,)}, 3, "Staging", True, {S: (3,), P: (2,), A: (1,)},
     "Move fraud version 3 to Staging, archive version 1"),
    ({P: (1,)}, 1, "Archived", False, {A: (1,)}, "Move fraud version 1 to Archived"),
    ({S: (1,)}, 1, "None", False, {}, "Move fraud version 1 to stage None"),
]


@pytest.mark.parametrize(("before", "version", "stage", "archive", "after", "summary"), TRANSITIONS)
def test_stage_transitions(
    before: dict[Stage, tuple[int, ...]], version: int, stage: str, archive: bool,
    after: dict[Stage, tuple[int, ...]], summary: str,
) -> None:
    files = empty_registry()
    for _ in range(3):
        register(files)
    run(files, ops.set_registered_model_alias("fraud", "champion", version))
    files.files[layout.aliases_file("fraud")] = manifest.dump_aliases(
        AliasTable(aliases={"champion": version}, stages=before)
    )
    change = run(files, ops.transition_model_version_stage(
        "fraud", version, stage, archive_existing_versions=archive
    ))
    assert table_on_disk(files, "fraud") == AliasTable(aliases={"champion": version}, stages=after)
    assert change.summary == summary
    assert change.op == "stage-transition"
    assert set(change.writes) == {"models/fraud/aliases.yaml"}
    result: ModelVersion = change.result
    assert (result.version, result.current_stage, result.aliases) == (
        version, Stage.parse(stage), ("champion",)
    )
    assert change.trailers[-1] == ("Stage", Stage.parse(stage).value)


def test_stage_a_version_is_in_already_has_nothing_to_commit(files: MemoryFiles) -> None:
    assert run(files, ops.transition_model_version_stage("fraud", 1, "Production")).writes == {}


# ---------------------------------------------------------------- versions


def test_register_writes_the_version_and_last_version() -> None:
    files = empty_registry()
    lineage = Lineage(code_commit="1a2b3c4", data=("s3://data/train.parquet",))
    change = run(files, ops.create_model_version(
        "fraud", artifacts=ARTIFACTS, source="file:///models/m", run_id="0" * 32,
        run_link="https://mlflow.example/runs/0", description="First try",
        tags={"team": "risk"}, metrics={"auc": 0.91}, lineage=lineage, create_model=True,
    ))
    expected = ModelVersion(
        name="fraud", version=1, description="First try", source="file:///models/m",
        run_id="0" * 32, run_link="https://mlflow.example/runs/0", artifacts=ARTIFACTS,
        model_type="custom", tags={"team": "risk"}, metrics={"auc": 0.91}, lineage=lineage,
        created_at=NOW, created_by="alice@example.com",
    )
    assert version_on_disk(files, "fraud", 1) == expected
    assert change.result == expected
    assert model_on_disk(files, "fraud").last_version == 1
    assert table_on_disk(files, "fraud") == AliasTable()
    assert (change.op, change.summary) == ("version-create", "Register fraud version 1")
    assert change.trailers == (("Model", "fraud"), ("Version", "1"))
    change = run(files, ops.create_model_version("fraud", artifacts=ARTIFACTS))
    assert set(change.writes) == {"models/fraud/model.yaml", "models/fraud/versions/2.yaml"}


def test_numbers_are_never_given_twice(files: MemoryFiles) -> None:
    assert register(files).version == 4  # 3 was deleted: its number stays taken
    hand_edited = manifest.dump_model(RegisteredModel(
        name="fraud", last_version=1, created_at=NOW, created_by="alice@example.com"
    ))
    files.files[layout.model_file("fraud")] = hand_edited
    assert register(files).version == 5
    assert model_on_disk(files, "fraud").last_version == 5


def test_an_operation_rerun_on_a_moved_head_takes_the_next_number() -> None:
    files = empty_registry()
    register(files)
    operation = ops.create_model_version("fraud", artifacts=ARTIFACTS)
    first = operation(Snapshot(files), CTX)
    register(files)  # another writer got there first
    second = operation(Snapshot(files), CTX)
    assert (first.result.version, second.result.version) == (2, 3)
    assert "models/fraud/versions/3.yaml" in second.writes


def test_update_and_tag_a_version_set_updated_at(files: MemoryFiles) -> None:
    change = run(files, ops.update_model_version("fraud", 2, description="Reviewed"), BOB)
    assert change.op == "version-update"
    assert change.summary == "Update description of fraud version 2"
    assert set(change.writes) == {"models/fraud/versions/2.yaml"}
    on_disk = version_on_disk(files, "fraud", 2)
    assert (on_disk.description, on_disk.updated_at, on_disk.created_at) == ("Reviewed", LATER, NOW)

    change = run(files, ops.set_model_version_tag("fraud", 1, "validation_status", "approved"))
    assert change.op == "version-tag-set"
    assert change.trailers == (("Model", "fraud"), ("Version", "1"), ("Tag", "validation_status"))
    assert version_on_disk(files, "fraud", 1).tags == {"n": "1", "validation_status": "approved"}
    assert change.result.aliases == ("champion",)  # results are what reads will show

    change = run(files, ops.delete_model_version_tag("fraud", 1, "n"), BOB)
    assert change.op == "version-tag-delete"
    assert version_on_disk(files, "fraud", 1).tags == {"validation_status": "approved"}
    assert version_on_disk(files, "fraud", 1).updated_at == LATER


def test_delete_version_writes_a_tombstone_and_drops_its_aliases(files: MemoryFiles) -> None:
    run(files, ops.set_registered_model_alias("fraud", "challenger", 2))
    before = version_on_disk(files, "fraud", 1)
    change = run(files, ops.delete_model_version("fraud", 1), BOB)
    assert (change.op, change.summary) == ("version-delete", "Delete fraud version 1")
    assert change.body == "Also removes its alias champion and stage Production."
    tomb = version_on_disk(files, "fraud", 1)
    assert tomb.deleted == Deletion(at=LATER, by="bob@example.com")
    assert (tomb.source, tomb.run_id, tomb.run_link) == ("", "", "")
    assert (tomb.artifacts, tomb.metrics, tomb.created_at) == (
        before.artifacts, before.metrics, before.created_at
    )
    assert table_on_disk(files, "fraud") == AliasTable(aliases={"challenger": 2})
    assert Snapshot(files).version("fraud", 1) is None


def test_copy_creates_the_model_and_moves_no_bytes(files: MemoryFiles) -> None:
    src = Snapshot(files).version("fraud", 1)
    assert src is not None
    change = run(files, ops.copy_model_version(src, "fraud-eu", src_registry_commit=COMMIT), BOB)
    assert change.op == "version-copy"
    assert change.summary == "Copy fraud version 1 to fraud-eu version 1"
    assert ("Copied-From", "models:/fraud/1") in change.trailers
    copied = version_on_disk(files, "fraud-eu", 1)
    assert copied == ModelVersion(
        name="fraud-eu", version=1, source="models:/fraud/1", run_id=src.run_id,
        artifacts=ARTIFACTS, model_type="custom", tags={"n": "1"}, metrics=src.metrics,
        lineage=Lineage(copied_from=CopiedFrom(uri="models:/fraud/1", registry_commit=COMMIT)),
        created_at=LATER, created_by="bob@example.com",
    )
    assert change.result.aliases == () and change.result.current_stage is Stage.NONE
    assert model_on_disk(files, "fraud-eu").created_by == "bob@example.com"
    assert table_on_disk(files, "fraud-eu") == AliasTable()

    again = run(files, ops.copy_model_version(src, "fraud-eu"))
    assert again.result.version == 2
    assert b"registry_commit" not in files.files[layout.version_file("fraud-eu", 2)]


# ---------------------------------------------------------------- transactions


def test_register_alias_and_stage_in_one_transaction(files: MemoryFiles) -> None:
    release = transaction([
        ops.create_model_version("fraud", artifacts=ARTIFACTS, source="file:///m4"),
        ops.set_registered_model_alias("fraud", "champion", 4),
        ops.transition_model_version_stage(
            "fraud", 4, "Production", archive_existing_versions=True
        ),
    ], "Release fraud v4")
    change = run(files, release)
    assert (change.op, change.summary) == ("transaction", "Release fraud v4")
    assert change.body.splitlines() == [
        "- Register fraud version 4",
        "- Move alias champion of fraud from version 1 to version 4",
        "- Move fraud version 4 to Production, archive version 1",
    ]
    assert [t for t in change.trailers if t[0] == "Modelreg-Step"] == [
        ("Modelreg-Step", "version-create"),
        ("Modelreg-Step", "alias-set"),
        ("Modelreg-Step", "stage-transition"),
    ]
    snap = Snapshot(files)
    mv = snap.version("fraud", 4)
    assert mv is not None and (mv.aliases, mv.current_stage) == (("champion",), Stage.PRODUCTION)
    assert snap.alias_table("fraud").stages == {P: (4,), A: (1,)}
    assert change.result[2] == mv
