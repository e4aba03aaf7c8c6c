"""`registry_diff`: two registry states -> the events a reviewer and a deployment job read.

Both states are built from what the writer writes (`manifest.dump_*`) in memory, then changed
the way an operation, a person in an editor or a web editor would change them. No Git: the
changed paths come from `changed_paths` over the two views.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from collections.abc import Mapping

import pytest

from modelreg import layout, manifest, render
from modelreg.diff import EventKind, RegistryDiff, changed_paths, registry_diff
from modelreg.diff.events import Event
from modelreg.model import (
    AliasTable,
    ArtifactMode,
    Artifacts,
    Deletion,
    FileEntry,
    ModelVersion,
    RegisteredModel,
    RegistryConfig,
    Stage,
)
from modelreg.snapshot import MemoryFiles, Snapshot

T0 = "2026-01-31T09:30:00.000Z"
T1 = "2026-02-02T10:00:00.000Z"
K = EventKind


def digest_of(n: int) -> str:
    return "sha256:" + f"{n:x}".rjust(64, "0")


def model(name: str = "fraud", *, last: int = 2, **changes: object) -> RegisteredModel:
    base = RegisteredModel(
        name=name, description="Fraud scores", tags={"owner": "risk"}, last_version=last,
        created_at=T0, created_by="ana",
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def version(name: str = "fraud", number: int = 1, **changes: object) -> ModelVersion:
    art = Artifacts(
        mode=ArtifactMode.STORED, uri=f"sha256/{digest_of(number)[7:]}", digest=digest_of(number),
        size=7, file_count=1, files=(FileEntry(path="model.bin", size=7, sha256="ab" * 32),),
    )
    base = ModelVersion(
        name=name, version=number, source=f"runs:/run{number}/model", run_id=f"run{number}",
        artifacts=art, metrics={"auc": 0.9}, tags={"team": "risk"}, created_at=T0,
        created_by="ana",
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def table(aliases: Mapping[str, int], **stages: tuple[int, ...]) -> AliasTable:
    return AliasTable(aliases=dict(aliases), stages={Stage(k): v for k, v in stages.items()})


def registry(
    models: Mapping[str, tuple[RegisteredModel, AliasTable, list[ModelVersion]]],
    *, store: str = "s3://bucket/models",
) -> dict[str, bytes]:
    files = {"registry.yaml": manifest.dump_registry(RegistryConfig(id="reg-1", store=store))}
    for name, (m, t, versions) in models.items():
        files[layout.model_file(name)] = manifest.dump_model(m)
        files[layout.aliases_file(name)] = manifest.dump_aliases(t)
        for mv in versions:
            files[layout.version_file(name, mv.version)] = manifest.dump_version(mv)
    return files


def base() -> dict[str, bytes]:
    """fraud: v1 (Archived), v2 champion in Production. churn: v1, no aliases."""
    return registry({
        "fraud": (model(), table({"champion": 2}, Production=(2,), Archived=(1,)),
                  [version(number=1), version(number=2)]),
        "churn": (model("churn", last=1), table({}), [version("churn", 1)]),
    })


def diff(old: Mapping[str, bytes] | None, new: Mapping[str, bytes]) -> RegistryDiff:
    before = MemoryFiles(old) if old is not None else None
    after = MemoryFiles(new)
    paths = changed_paths(before, after)
    return registry_diff(Snapshot(before) if before else None, Snapshot(after), paths)


def only(result: RegistryDiff) -> Event:
    assert len(result) == 1, result.kinds()
    return result.events[0]


def test_no_change_no_events() -> None:
    assert not diff(base(), base())
    assert registry_diff(Snapshot(MemoryFiles(base())), Snapshot(MemoryFiles(base())), []) == (
        RegistryDiff()
    )


def test_a_new_registry_lists_everything_in_model_then_kind_order() -> None:
    result = diff(None, base())
    assert [(e.model, e.kind.value, e.version, e.alias) for e in result] == [
        (None, "registry-created", None, None),
        ("churn", "model-created", None, None),
        ("churn", "version-registered", 1, None),
        ("fraud", "model-created", None, None),
        ("fraud", "version-registered", 1, None),
        ("fraud", "version-registered", 2, None),
        ("fraud", "alias-set", 2, "champion"),
        ("fraud", "stage-changed", 1, None),
        ("fraud", "stage-changed", 2, None),
    ]
    assert result.events[3].new == {"description": "Fraud scores", "tags": {"owner": "risk"}}
    assert result.models == ("churn", "fraud")


def test_version_registered_names_source_artifacts_and_metrics() -> None:
    new = base()
    new[layout.version_file("fraud", 3)] = manifest.dump_version(version(number=3))
    new[layout.model_file("fraud")] = manifest.dump_model(model(last=3))
    event = only(diff(base(), new))
    assert event.kind == "version-registered"
    assert (event.model, event.version, event.file) == ("fraud", 3, "models/fraud/versions/3.yaml")
    assert event.new["source"] == "runs:/run3/model"
    assert event.new["metrics"] == {"auc": 0.9}
    assert event.digest == digest_of(3)
    assert event.artifact_uri == f"s3://bucket/models/sha256/{digest_of(3)[7:]}"
    assert not event.immutable


def test_a_referenced_version_keeps_its_own_uri_and_a_relative_store_stays_relative() -> None:
    ref = Artifacts(mode=ArtifactMode.REFERENCE, uri="s3://mlflow/1/abc/artifacts/model",
                    digest=digest_of(9))
    old = registry({"m": (model("m", last=0), table({}), [])}, store="artifacts")
    new = registry({"m": (model("m", last=2), table({}), [
        version("m", 1, artifacts=ref), version("m", 2)])}, store="artifacts")
    one, two = diff(old, new).events
    assert one.artifact_uri == "s3://mlflow/1/abc/artifacts/model"
    assert two.artifact_uri == f"artifacts/sha256/{digest_of(2)[7:]}"


def test_version_deleted_writes_a_tombstone_and_removes_its_alias_and_stage() -> None:
    new = base()
    tomb = version(number=2, source="", run_id="", deleted=Deletion(at=T1, by="bob"))
    new[layout.version_file("fraud", 2)] = manifest.dump_version(tomb)
    new[layout.aliases_file("fraud")] = manifest.dump_aliases(table({}, Archived=(1,)))
    result = diff(base(), new)
    assert result.kinds() == (K.VERSION_DELETED, K.ALIAS_REMOVED, K.STAGE_CHANGED)
    deleted, alias, stage = result.events
    assert deleted.new == {"at": T1, "by": "bob"} and not deleted.immutable
    assert deleted.artifact_uri is not None  # what was deleted, for whoever serves it
    assert (alias.alias, alias.old, alias.new) == ("champion", 2, None)
    assert (stage.version, stage.old, stage.new, stage.stage) == (2, "Production", "None", "None")


def test_version_file_removed_instead_of_tombstoned_is_immutable() -> None:
    new = base()
    del new[layout.version_file("churn", 1)]
    event = only(diff(base(), new))
    assert (event.kind, event.model, event.version) == (K.VERSION_DELETED, "churn", 1)
    assert event.new is None
    assert event.immutable


def test_version_description_and_tags_edited() -> None:
    new = base()
    edited = version(number=1, description="retrained on Q4", tags={"team": "fraud", "ok": "1"},
                     updated_at=T1)
    new[layout.version_file("fraud", 1)] = manifest.dump_version(edited)
    result = diff(base(), new)
    assert [(e.kind, e.key, e.old, e.new) for e in result] == [
        (K.VERSION_DESCRIPTION_EDITED, None, "", "retrained on Q4"),
        (K.VERSION_TAG_SET, "ok", None, "1"),
        (K.VERSION_TAG_CHANGED, "team", "risk", "fraud"),
    ]
    assert all(e.version == 1 and not e.immutable for e in result)
    new[layout.version_file("fraud", 1)] = manifest.dump_version(version(number=1, tags={}))
    event = only(diff(base(), new))
    assert (event.kind, event.key, event.old) == (K.VERSION_TAG_REMOVED, "team", "risk")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("source", "runs:/other/model"),
        ("run_id", "other"),
        ("metrics", {"auc": 0.99}),
        ("created_at", T1),
        ("created_by", "mallory"),
        ("artifacts", Artifacts(mode=ArtifactMode.STORED, uri="sha256/00", digest=digest_of(77))),
    ],
)
def test_immutable_fields_of_a_version_changed(field: str, value: object) -> None:
    new = base()
    changed = dataclasses.replace(version(number=2), **{field: value})  # type: ignore[arg-type]
    new[layout.version_file("fraud", 2)] = manifest.dump_version(changed)
    event = only(diff(base(), new))
    assert (event.kind, event.model, event.version, event.key) == (
        K.VERSION_IMMUTABLE_CHANGED, "fraud", 2, field)
    assert event.immutable
    assert event.old == manifest.version_to_dict(version(number=2))[field]
    assert event.new == manifest.version_to_dict(changed)[field]


def test_model_description_tags_and_immutable_fields() -> None:
    new = base()
    new[layout.model_file("fraud")] = manifest.dump_model(model(
        description="Fraud scores, EU", tags={"owner": "risk", "tier": "1"}, created_by="eve"))
    result = diff(base(), new)
    assert [(e.kind, e.key, e.old, e.new, e.immutable) for e in result] == [
        (K.MODEL_DESCRIPTION_EDITED, None, "Fraud scores", "Fraud scores, EU", False),
        (K.MODEL_TAG_SET, "tier", None, "1", False),
        (K.MODEL_IMMUTABLE_CHANGED, "created_by", "ana", "eve", True),
    ]
    new[layout.model_file("fraud")] = manifest.dump_model(model(tags={"owner": "ml"}, last=1))
    assert [(e.kind, e.key) for e in diff(base(), new)] == [
        (K.MODEL_TAG_CHANGED, "owner"), (K.MODEL_IMMUTABLE_CHANGED, "last_version")]
    new[layout.model_file("fraud")] = manifest.dump_model(model(tags={}))
    assert only(diff(base(), new)).kind == K.MODEL_TAG_REMOVED


def test_alias_set_moved_removed_and_stages_changed() -> None:
    new = base()
    new[layout.version_file("fraud", 3)] = manifest.dump_version(version(number=3))
    new[layout.aliases_file("fraud")] = manifest.dump_aliases(
        table({"champion": 3, "challenger": 2}, Production=(3,), Archived=(1, 2)))
    result = diff(base(), new)
    assert [(e.kind, e.version, e.alias, e.stage, e.old, e.new) for e in result] == [
        (K.VERSION_REGISTERED, 3, None, None, None, result.events[0].new),
        (K.ALIAS_SET, 2, "challenger", None, None, 2),
        (K.ALIAS_MOVED, 3, "champion", None, 2, 3),
        (K.STAGE_CHANGED, 2, None, "Archived", "Production", "Archived"),
        (K.STAGE_CHANGED, 3, None, "Production", "None", "Production"),
    ]
    moved = result.events[2]
    assert moved.file == "models/fraud/aliases.yaml"
    assert moved.digest == digest_of(3)  # the bytes the alias now serves
    assert moved.artifact_uri == f"s3://bucket/models/sha256/{digest_of(3)[7:]}"


def test_model_created_and_deleted() -> None:
    new = base()
    for path in [p for p in new if p.startswith("models/churn/")]:
        del new[path]
    new.update(registry({"ranker": (model("ranker", last=0), table({}), [])}))
    result = diff(base(), new)
    assert [(e.model, e.kind) for e in result] == [
        ("churn", K.MODEL_DELETED), ("ranker", K.MODEL_CREATED)]
    assert result.events[0].old == {"versions": 1}


def test_a_rename_is_one_event() -> None:
    """MLflow's rename moves the folder; versions and aliases come along, names rewritten."""
    new = {p: d for p, d in base().items() if not p.startswith("models/fraud/")}
    new.update(registry({"fraud-eu": (
        model("fraud-eu"), table({"champion": 2}, Production=(2,), Archived=(1,)),
        [version("fraud-eu", 1), version("fraud-eu", 2)])}))
    event = only(diff(base(), new))
    assert (event.kind, event.model, event.old, event.new) == (
        K.MODEL_RENAMED, "fraud-eu", "fraud", "fraud-eu")
    assert diff(base(), new).models == ("fraud", "fraud-eu")


def test_a_rename_with_an_edit_shows_both() -> None:
    new = {p: d for p, d in base().items() if not p.startswith("models/fraud/")}
    new.update(registry({"fraud eu": (
        model("fraud eu"), table({"champion": 1}, Production=(2,), Archived=(1,)),
        [version("fraud eu", 1), version("fraud eu", 2, description="moved")])}))
    result = diff(base(), new)
    assert [(e.model, e.kind) for e in result] == [
        ("fraud eu", K.MODEL_RENAMED),
        ("fraud eu", K.VERSION_DESCRIPTION_EDITED),
        ("fraud eu", K.ALIAS_MOVED),
    ]
    assert result.events[1].file == "models/fraud%20eu/versions/2.yaml"


def test_a_new_model_with_other_artifacts_is_not_a_rename() -> None:
    new = {p: d for p, d in base().items() if not p.startswith("models/fraud/")}
    new.update(registry({"fraud-eu": (
        model("fraud-eu"), table({}), [version("fraud-eu", 1, artifacts=None)])}))
    assert [(e.model, e.kind) for e in diff(base(), new)] == [
        ("fraud", K.MODEL_DELETED), ("fraud-eu", K.MODEL_CREATED),
        ("fraud-eu", K.VERSION_REGISTERED)]


def test_a_hand_edited_file_with_a_duplicate_key_is_unreadable() -> None:
    new = base()
    path = layout.aliases_file("fraud")
    new[path] += b"aliases:\n  champion: 1\n"
    event = only(diff(base(), new))
    assert (event.kind, event.model, event.file) == (K.UNREADABLE, "fraud", path)
    assert event.reason is not None and "duplicate key 'aliases'" in event.reason
    assert event.reason.startswith("line ")
    assert (event.old, event.new) == (None, event.reason)


def test_a_broken_file_that_gets_fixed_says_so_and_nothing_else() -> None:
    broken = base()
    broken[layout.version_file("churn", 1)] = b"name: churn\nversion: [1\n"
    event = only(diff(broken, base()))
    assert event.kind == K.UNREADABLE and event.new is None
    assert event.old is not None and "invalid YAML" in event.old


@pytest.mark.parametrize(
    "text",
    [
        b"- a list\n- not a mapping\n",
        b"name: fraud\nversion: two\n",
        b"name: fraud\nversion: 1\nartifacts: {mode: floppy}\n",
        b"\xff\xfe not utf-8",
        b"name: &a fraud\nversion: 1\nsource: *a\n",
    ],
)
def test_any_broken_version_file_is_an_event_not_an_exception(text: bytes) -> None:
    new = base()
    new[layout.version_file("fraud", 3)] = text
    event = only(diff(base(), new))
    assert (event.kind, event.model, event.file) == (
        K.UNREADABLE, "fraud", "models/fraud/versions/3.yaml")
    assert event.reason


def test_a_hand_edit_that_is_valid_is_described() -> None:
    """Written by a person: other key order, no schema comment, plain scalars."""
    new = base()
    new[layout.aliases_file("fraud")] = (
        b"stages:\n  Production: [2]\n  Staging:\n    - 1\naliases:\n  champion: 2\n"
    )
    event = only(diff(base(), new))
    assert (event.kind, event.version, event.old, event.new) == (
        K.STAGE_CHANGED, 1, "Archived", "Staging")


def test_registry_yaml_changes_and_stray_files() -> None:
    new = base()
    policy = {"protected_aliases": ["champion"]}
    new["registry.yaml"] = manifest.dump_registry(
        RegistryConfig(id="reg-1", store="s3://bucket/models", policy=policy))
    new["models/fraud/versions/03.yaml"] = b"stray"
    new["models/fraud/notes.md"] = b"# notes"
    new["README.md"] = b"not the registry's business"
    result = diff(base(), new)
    assert [(e.model, e.kind, e.key, e.file, e.new) for e in result] == [
        (None, K.REGISTRY_CHANGED, "policy", None, policy),
        ("fraud", K.UNRECOGNIZED_FILE, None, "models/fraud/notes.md", "added"),
        ("fraud", K.UNRECOGNIZED_FILE, None, "models/fraud/versions/03.yaml", "added"),
    ]


def test_a_folder_whose_name_does_not_match_is_described_by_folder() -> None:
    """A web-editor user creates `models/Fraud Model/` by hand: the folder is what is read."""
    new = base()
    new["models/Fraud Model/model.yaml"] = manifest.dump_model(model("Fraud Model"))
    new["models/Fraud Model/versions/1.yaml"] = manifest.dump_version(version("Fraud Model", 1))
    result = diff(base(), new)
    assert [(e.model, e.kind, e.file) for e in result] == [
        ("Fraud Model", K.MODEL_CREATED, "models/Fraud Model/model.yaml"),
        ("Fraud Model", K.VERSION_REGISTERED, "models/Fraud Model/versions/1.yaml"),
    ]


def test_only_changed_paths_are_read() -> None:
    """O(change): an unreadable file outside the change is not the change's business."""
    old = base()
    old[layout.version_file("churn", 1)] = b"broken: [\n"
    new = dict(old)
    new[layout.aliases_file("fraud")] = manifest.dump_aliases(
        table({"champion": 2}, Production=(2,)))
    event = only(diff(old, new))
    assert (event.kind, event.version, event.new) == (K.STAGE_CHANGED, 1, "None")


def test_for_model_keeps_its_events_and_its_rename() -> None:
    new = {p: d for p, d in base().items() if not p.startswith("models/fraud/")}
    new.update(registry({"fraud-eu": (
        model("fraud-eu"), table({"champion": 2}, Production=(2,), Archived=(1,)),
        [version("fraud-eu", 1), version("fraud-eu", 2)])}))
    new[layout.model_file("churn")] = manifest.dump_model(model("churn", last=1, tags={}))
    result = diff(base(), new)
    assert result.for_model("fraud").kinds() == (K.MODEL_RENAMED,)
    assert result.for_model("fraud-eu").kinds() == (K.MODEL_RENAMED,)
    assert result.for_model("churn").kinds() == (K.MODEL_TAG_REMOVED,)


def test_changed_paths_walks_both_views() -> None:
    old = base()
    new = dict(old)
    del new[layout.version_file("churn", 1)]
    new[layout.version_file("fraud", 3)] = b"x"
    new[layout.model_file("fraud")] = b"y"
    assert changed_paths(MemoryFiles(old), MemoryFiles(new)) == [
        "models/churn/versions/1.yaml", "models/fraud/model.yaml", "models/fraud/versions/3.yaml"]
    assert changed_paths(None, MemoryFiles({"a/b": b"1"})) == ["a/b"]


# ---------------------------------------------------------------- rendering

JSON_FIELDS = {
    "kind", "model", "version", "alias", "stage", "key", "old", "new", "immutable", "file",
    "reason", "artifact_uri", "digest",
}


def promotion() -> RegistryDiff:
    """Register fraud v3, make it champion in Production, archive v2; churn's tag edited."""
    new = base()
    new[layout.version_file("fraud", 3)] = manifest.dump_version(version(number=3))
    new[layout.model_file("fraud")] = manifest.dump_model(model(last=3))
    new[layout.aliases_file("fraud")] = manifest.dump_aliases(
        table({"champion": 3}, Production=(3,), Archived=(1, 2)))
    new[layout.model_file("churn")] = manifest.dump_model(
        model("churn", last=1, tags={"owner": "growth | ads"}))
    return diff(base(), new)


def test_diff_text_is_one_line_per_event() -> None:
    assert render.diff_text(promotion()) == (
        "churn: tag 'owner' changed: 'risk' -> 'growth | ads'\n"
        "fraud v3: registered from runs:/run3/model, auc=0.9, "
        f"artifacts s3://bucket/models/sha256/{digest_of(3)[7:]}\n"
        "fraud@champion: moved v2 -> v3\n"
        "fraud v2: stage Production -> Archived\n"
        "fraud v3: stage None -> Production\n"
    )
    assert render.diff_text(RegistryDiff()) == "no registry changes\n"


def test_diff_json_has_every_documented_field_and_survives_json() -> None:
    out = render.diff_json(promotion())
    assert all(set(item) == JSON_FIELDS for item in out)
    assert json.loads(json.dumps(out)) == out
    moved = next(item for item in out if item["kind"] == "alias-moved")
    assert moved == {
        "kind": "alias-moved", "model": "fraud", "version": 3, "alias": "champion", "stage": None,
        "key": None, "old": 2, "new": 3, "immutable": False, "file": "models/fraud/aliases.yaml",
        "reason": None, "artifact_uri": f"s3://bucket/models/sha256/{digest_of(3)[7:]}",
        "digest": digest_of(3),
    }


def test_diff_markdown_is_a_table_with_refused_changes_flagged() -> None:
    md = render.diff_markdown(promotion())
    assert md.startswith("**5 registry changes** to `churn`, `fraud`\n")
    assert "| | What | Change |\n|---|---|---|\n" in md
    assert "| | `fraud@champion` | moved v2 -> v3 |" in md
    assert "'growth \\| ads'" in md  # a pipe in a value does not break the table
    assert "WARNING" not in md
    new = base()
    new[layout.version_file("fraud", 2)] = manifest.dump_version(version(number=2, run_id="x"))
    flagged = render.diff_markdown(diff(base(), new))
    assert "> [!WARNING]\n> 1 change marked ⚠️" in flagged
    assert "| ⚠️ | `fraud v2` | IMMUTABLE field run_id changed: 'run2' -> 'x' |" in flagged
    assert render.diff_markdown(RegistryDiff()) == "No registry changes.\n"


def test_every_kind_has_words() -> None:
    for kind in EventKind:
        line = render.describe(Event(kind=kind, model="m", key="k", file="f"))
        assert line and "\n" not in line


def test_long_and_multiline_texts_are_cut_in_one_line() -> None:
    new = base()
    text = "First line of a long Markdown description.\n\n## Details\n" + "x" * 500
    new[layout.model_file("fraud")] = manifest.dump_model(model(description=text))
    assert render.diff_text(diff(base(), new)) == (
        "fraud: description edited: 'First line of a long Markdown description.…'\n")


def test_diff_and_renderers_stay_pure() -> None:
    """No Git, store, CLI or schema machinery is loaded by the diff, its renderers or `log`."""
    code = (
        "import sys, modelreg.diff, modelreg.render, modelreg.history\n"
        "heavy = ('pygit2', 'git', 'fsspec', 'click', 'jsonschema', 'modelreg.gitrepo',"
        " 'modelreg.store')\n"
        "print(sorted(m for m in sys.modules if any(m == h or m.startswith(h + '.')"
        " for h in heavy)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert out.stdout.strip() == "[]"
