"""The Python API end to end on a real repository and a real local store."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import git_out, init_registry, make_model
from modelreg import RegisterOptions, Registry
from modelreg.errors import AlreadyExists, IntegrityError, InvalidParameter, NotFound
from modelreg.model import ArtifactMode, Stage


@pytest.fixture
def reg(repo: Path) -> Registry:
    return init_registry(repo)


def test_init_is_one_commit_and_clean(repo: Path, reg: Registry) -> None:
    assert (repo / "registry/registry.yaml").read_text().startswith("# yaml-language-server")
    assert git_out(repo, "log", "--format=%s", "-1") == "Initialize modelreg registry\n"
    assert git_out(repo, "status", "--porcelain") == ""
    with pytest.raises(AlreadyExists):
        Registry.init(repo / "registry")


def test_register_versions_are_numbered_and_never_reused(
    tmp_path: Path, repo: Path, reg: Registry
) -> None:
    v1 = reg.register("fraud", make_model(tmp_path / "m1", "one"))
    v2 = reg.register("fraud", make_model(tmp_path / "m2", "two"))
    assert (v1.version, v2.version) == (1, 2)
    reg.delete_model_version("fraud", 2)
    v3 = reg.register("fraud", make_model(tmp_path / "m3", "three"))
    assert v3.version == 3
    assert [mv.version for mv in reg.search_model_versions("name = 'fraud'")] == [3, 1] or \
        sorted(mv.version for mv in reg.search_model_versions("name = 'fraud'")) == [1, 3]
    assert git_out(repo, "status", "--porcelain") == ""
    assert git_out(repo, "log", "--format=%s", "-1").startswith("Register fraud version 3")


def test_artifacts_recorded_and_deduplicated(tmp_path: Path, reg: Registry) -> None:
    folder = make_model(tmp_path / "m", files={"model.bin": "w", "conf/params.json": "{}"})
    a = reg.register("a", folder)
    b = reg.register("b", folder)
    assert a.artifacts is not None and b.artifacts is not None
    assert a.artifacts.mode is ArtifactMode.STORED
    assert a.artifacts.digest == b.artifacts.digest
    assert {f.path for f in a.artifacts.files} == {"model.bin", "conf/params.json"}
    assert a.artifacts.size == 3


def test_aliases_stages_and_resolution(tmp_path: Path, reg: Registry) -> None:
    for n in range(3):
        reg.register("fraud", make_model(tmp_path / f"m{n}", f"w{n}"))
    reg.set_registered_model_alias("fraud", "champion", 2)
    reg.transition_model_version_stage("fraud", 1, "Production")
    reg.transition_model_version_stage("fraud", 2, "production", archive_existing_versions=True)
    assert reg.resolve("models:/fraud@champion").version == 2
    assert reg.resolve("models:/fraud/Production").version == 2
    assert reg.get_model_version("fraud", 1).current_stage is Stage.ARCHIVED
    assert reg.resolve("models:/fraud/latest").version == 3
    assert reg.resolve("models:/fraud/1").version == 1
    assert reg.get_model_version_by_alias("fraud", "champion").aliases == ("champion",)
    latest = {mv.current_stage: mv.version for mv in reg.get_latest_versions("fraud")}
    assert latest == {Stage.NONE: 3, Stage.PRODUCTION: 2, Stage.ARCHIVED: 1}
    with pytest.raises(NotFound, match="has no alias 'prod' \\(aliases: champion\\)"):
        reg.resolve("models:/fraud@prod")


def test_delete_version_drops_its_aliases_and_stage(tmp_path: Path, reg: Registry) -> None:
    reg.register("m", make_model(tmp_path / "a", "a"))
    reg.register("m", make_model(tmp_path / "b", "b"))
    reg.set_registered_model_alias("m", "champion", 2)
    reg.transition_model_version_stage("m", 2, "Staging")
    reg.delete_model_version("m", 2)
    assert reg.get_registered_model("m").aliases == {}
    with pytest.raises(NotFound, match="was deleted"):
        reg.get_model_version("m", 2)
    with pytest.raises(NotFound):
        reg.resolve("models:/m/Staging")


def test_rename_moves_everything(tmp_path: Path, reg: Registry) -> None:
    reg.register("old", make_model(tmp_path / "a"), options=RegisterOptions(tags={"k": "v"}))
    reg.set_registered_model_alias("old", "champion", 1)
    reg.set_registered_model_tag("old", "team", "risk")
    reg.rename_registered_model("old", "new")
    model = reg.get_registered_model("new")
    assert model.aliases == {"champion": 1} and model.tags == {"team": "risk"}
    assert reg.resolve("models:/new@champion").tags == {"k": "v"}
    with pytest.raises(NotFound):
        reg.get_registered_model("old")


def test_copy_model_version_moves_no_bytes(tmp_path: Path, reg: Registry) -> None:
    src = reg.register("staging-model", make_model(tmp_path / "a"))
    copied = reg.copy_model_version("models:/staging-model/1", "prod-model")
    assert copied.name == "prod-model" and copied.version == 1
    assert copied.artifacts == src.artifacts
    assert copied.lineage.copied_from is not None
    assert copied.lineage.copied_from.uri == "models:/staging-model/1"


def test_download_verifies(tmp_path: Path, reg: Registry) -> None:
    mv = reg.register("m", make_model(tmp_path / "a", "precious"))
    out = reg.download("models:/m/1", tmp_path / "out")
    assert (out / "model.bin").read_text() == "precious"
    assert mv.artifacts is not None
    stored = reg.location.path / "artifacts" / mv.artifacts.uri / "model.bin"
    stored.chmod(0o644)
    stored.write_text("tampered")
    with pytest.raises(IntegrityError, match=r"model\.bin"):
        reg.download("models:/m/1", tmp_path / "out2")
    assert not (tmp_path / "out2").exists()


def test_read_at_revision_and_date(tmp_path: Path, repo: Path, reg: Registry) -> None:
    reg.register("m", make_model(tmp_path / "a", "a"))
    reg.register("m", make_model(tmp_path / "b", "b"))
    reg.set_registered_model_alias("m", "champion", 1)
    reg.set_registered_model_alias("m", "champion", 2)
    assert reg.at("HEAD~1").resolve("models:/m@champion").version == 1
    assert reg.at("2999-01-01").resolve("models:/m@champion").version == 2
    with pytest.raises(NotFound):
        reg.at("2000-01-01")
    with pytest.raises(InvalidParameter, match="read-only"):
        reg.at("HEAD~1").set_registered_model_alias("m", "champion", 1)


def test_transaction_is_one_commit(tmp_path: Path, repo: Path, reg: Registry) -> None:
    reg.register("m", make_model(tmp_path / "a", "a"))
    reg.transition_model_version_stage("m", 1, "Production")
    before = git_out(repo, "rev-list", "--count", "HEAD")
    with reg.transaction("Promote v2"):
        mv = reg.register("m", make_model(tmp_path / "b", "b"))
        reg.set_registered_model_alias("m", "champion", mv.version)
        reg.transition_model_version_stage(
            "m", mv.version, "Production", archive_existing_versions=True
        )
    assert int(git_out(repo, "rev-list", "--count", "HEAD")) == int(before) + 1
    assert reg.resolve("models:/m@champion").version == 2
    assert reg.get_model_version("m", 1).current_stage is Stage.ARCHIVED
    assert git_out(repo, "log", "-1", "--format=%s") == "Promote v2\n"


def test_registry_in_repo_root_and_bare_clone(
    tmp_path: Path, repo: Path, bare_remote: Path
) -> None:
    reg = Registry.init(repo, store=str(tmp_path / "store"))
    reg.register("m", make_model(tmp_path / "a"))
    git_out(repo, "push", "-q", str(bare_remote), "main")
    bare = Registry(f"modelreg://{bare_remote}", storage_options=None)
    assert bare.resolve("models:/m/1").version == 1
    bare.set_registered_model_alias("m", "champion", 1)
    assert Registry(f"modelreg://{bare_remote}").resolve("models:/m@champion").version == 1


def test_search_registered_models_fills_latest_versions(tmp_path: Path, reg: Registry) -> None:
    for n in range(3):
        reg.register("fraud", make_model(tmp_path / f"m{n}", f"w{n}"))
    reg.transition_model_version_stage("fraud", 2, "Production")
    reg.create_registered_model("empty")
    page = reg.search_registered_models(max_results=1)
    assert [m.name for m in page] == ["empty"]
    assert page[0].latest_versions == () and page.token is not None
    second = reg.search_registered_models(max_results=1, page_token=page.token)
    latest = {(mv.current_stage, mv.version) for mv in second[0].latest_versions}
    assert latest == {(Stage.NONE, 3), (Stage.PRODUCTION, 2)} and second.token is None
