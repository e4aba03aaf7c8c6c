"""Names and paths can never write outside the registry or the store (issue #2, DESIGN §1).

Every name below is registered (or refused) for real; afterwards each file the registry wrote
lies in the folder its name maps to, nothing changed outside the registry folder and the
store, and a model folder holding a symbolic link that leaves it is refused before any upload.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import git
from helpers import init_registry, make_model
from modelreg import layout
from modelreg.errors import ArtifactError, InvalidParameter

ACCEPTED = [
    "sklearn Trained Model", "con", "NUL.txt", "lpt1", ".hidden", "trailing.", "a\\b",
    "%2E%2E", "モデル", "x" * 256, "with\"quote'", "a@b", "tab-free_name.v2",
]
REFUSED = ["..", ".", "a/b", "../../outside", "/etc/passwd", "c:evil", "bad\tname", "nl\nname",
           "", " ", "x" * 257]


def files_under(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def outside(tmp_path: Path) -> set[str]:
    """Every file but the registry folder's and Git's own."""
    return {p for p in files_under(tmp_path) if not p.startswith(("repo/registry/", "repo/.git/"))}


def test_every_name_stays_inside_its_own_folder(tmp_path: Path, repo: Path) -> None:
    reg = init_registry(repo)
    model = make_model(tmp_path / "m", "w")
    outside_before = outside(tmp_path)
    for name in ACCEPTED:
        mv = reg.register(name, model)
        assert reg.resolve(f"models:/{name}/1").name == name == mv.name
        folder = reg.location.path / layout.model_path(name)
        assert folder.resolve().parent == (reg.location.path / "models").resolve()
        assert len(layout.model_dir(name).encode()) < 200
    for name in REFUSED:
        with pytest.raises(InvalidParameter):
            reg.register(name, model)
    written = files_under(reg.location.path / "models")
    dirs = {layout.model_dir(n) for n in ACCEPTED}
    assert {w.split("/", 1)[0] for w in written} == dirs
    assert len(dirs) == len(ACCEPTED)  # the mapping never folds two names into one folder
    outside_after = outside(tmp_path)
    assert outside_after == outside_before
    assert git(repo, "status", "--porcelain") == ""
    assert sorted(m.name for m in reg.search_registered_models(max_results=100)) == sorted(ACCEPTED)


@pytest.mark.parametrize("target", ["/etc/hostname", "../../outside.txt", "inner.txt"])
def test_a_symbolic_link_in_the_model_folder_is_refused(tmp_path: Path, repo: Path,
                                                        target: str) -> None:
    reg = init_registry(repo)
    model = make_model(tmp_path / "m", files={"model.bin": "w", "inner.txt": "i"})
    os.symlink(target, model / "link")
    store = reg.location.path / "artifacts"
    before = files_under(store)
    with pytest.raises(ArtifactError, match="link"):
        reg.register("m", model)
    assert files_under(store) == before
    assert reg.search_registered_models().__len__() == 0


@pytest.mark.parametrize("key", ["../escape", "/abs", "a/../b", "bad*key", ""])
def test_tag_keys_that_look_like_paths_are_refused(tmp_path: Path, repo: Path, key: str) -> None:
    reg = init_registry(repo)
    reg.register("m", make_model(tmp_path / "m"))
    with pytest.raises(InvalidParameter, match="tag key"):
        reg.set_model_version_tag("m", 1, key, "v")
