"""A process keeps a big folder it keeps reading through (gitrepo/trees.py `_Shared`): reads by
id afterwards, and never an answer of another commit."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.helpers import init_registry, make_model

from modelreg.errors import NotFound
from modelreg.gitrepo import trees
from modelreg.gitrepo.catfile import CatFile


@pytest.fixture(autouse=True)
def small_big_folders(monkeypatch: pytest.MonkeyPatch) -> None:
    """Three models make `models` a big folder here; every test starts with nothing kept."""
    monkeypatch.setattr(trees, "SHARED_MIN", 3)
    monkeypatch.setattr(trees, "_SHARED", trees._Shared())


def test_resolves_read_the_big_folder_once_then_only_by_id(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reg = init_registry(repo)
    for name in ("a", "b", "c"):
        reg.register(name, make_model(tmp_path / name, content=name))
        reg.set_registered_model_alias(name, "champion", 1)
    asked: list[str] = []
    real_get = CatFile.get

    def get(self: CatFile, spec: str) -> object:
        asked.append(spec)  # what Git is asked for; Git still answers
        return real_get(self, spec)

    monkeypatch.setattr(CatFile, "get", get)
    by_path = []
    for name in ("a", "b", "c", "a", "b"):
        asked.clear()
        assert reg.resolve(f"models:/{name}@champion").name == name
        by_path.append([spec.split(":", 1)[1] for spec in asked if ":" in spec])
    # Git walks to a folder of `models` by path, once; the second ask reads `models` itself;
    # from then on every request names an object by id
    assert by_path[0] == ["registry/models/a"]
    assert by_path[1] == ["registry/models"]
    assert by_path[2:] == [[], [], []]


def test_a_kept_folder_never_answers_for_another_commit(repo: Path, tmp_path: Path) -> None:
    reg = init_registry(repo)
    for name in ("a", "b", "c"):
        reg.register(name, make_model(tmp_path / name, content=name))
    for name in ("a", "b", "c"):
        reg.set_registered_model_alias(name, "champion", 1)  # kept at this commit from "b" on
        assert reg.resolve(f"models:/{name}@champion").version == 1
    reg.register("d", make_model(tmp_path / "d", content="d"))  # a new commit, a new `models`
    reg.set_registered_model_alias("d", "champion", 1)
    assert reg.resolve("models:/d@champion").name == "d"
    reg.delete_registered_model("a")
    with pytest.raises(NotFound):
        reg.resolve("models:/a@champion")
    assert [reg.resolve(f"models:/{n}@champion").name for n in ("b", "c", "d")] == ["b", "c", "d"]


def test_a_small_folder_is_not_kept(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(trees, "SHARED_MIN", 100)
    reg = init_registry(repo)
    for name in ("a", "b"):
        reg.register(name, make_model(tmp_path / name, content=name))
        reg.set_registered_model_alias(name, "champion", 1)
    for name in ("a", "b", "a", "b"):
        reg.resolve(f"models:/{name}@champion")
    assert all(entries is None for entries in trees._SHARED.kept.values())
