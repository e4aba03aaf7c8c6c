"""A first build shares its parsing with helper processes (index/bulk.py, issue #5): the rows
are the ones one process makes, and a helper that fails costs time, never an answer."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modelreg import manifest
from modelreg.gitrepo import GitRepo
from modelreg.index import Index, bulk, load, plan
from modelreg.index import codec as index_codec
from modelreg.index.gittrees import Trees
from modelreg.index.stats import IndexStats
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
)
from modelreg.snapshot import ParseStats
from test_fastparse import ALIASES, MODEL, VERSION
from test_index import PREFIX, Work, head, open_index


@pytest.fixture
def registry(repo: Path) -> Path:
    work = Work(repo)
    for i in range(30):
        work.add_version(f"model-{i % 4}", tags={"n": str(i)})
    work.write("models/model-1/versions/99.yaml", b"name: [broken\n")  # does not parse
    work.commit()
    return repo


def wanted(repo: Path) -> tuple[Trees, bulk.Wanted]:
    git = GitRepo.discover(repo)
    try:
        models = git.tree_files(head(repo), PREFIX).tree_id("models")
    finally:
        git.close()
    trees = Trees(git.git_dir, IndexStats())
    assert models is not None
    out = []
    for folder in trees.entries(models):
        for key, blob in plan.folder_files(trees, folder).items():
            if blob is not None:
                out.append((plan.kind_of(key), blob))
    return trees, out


def test_helpers_make_the_rows_one_process_makes(registry: Path) -> None:
    trees, todo = wanted(registry)
    index_codec.forget_all()
    alone = bulk.rows(trees, todo, load.row_of, helpers=0)
    index_codec.forget_all()
    parsed = ParseStats.parsed
    shared = bulk.rows(trees, todo, load.row_of, helpers=2)
    assert shared == alone and len(alone) == 30 + 4 + 1
    assert any(not row.ok for row in alone)  # the broken file made a row too
    assert ParseStats.parsed - parsed == len(todo)  # helpers' parses are counted here
    assert trees.stats.manifests_parsed == 2 * len(todo)


@pytest.mark.parametrize("serve", [
    "raise SystemExit(3)",  # fails
    "import sys; sys.stdout.write('not a pickle')",  # answers nonsense
    "import pickle, sys; sys.stdout.buffer.write(pickle.dumps(([], {})))",  # answers too little
])
def test_a_helper_that_fails_leaves_its_share_here(
    registry: Path, serve: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    trees, todo = wanted(registry)
    alone = bulk.rows(trees, todo, load.row_of, helpers=0)
    monkeypatch.setattr(bulk, "_SERVE", serve)
    assert bulk.rows(trees, todo, load.row_of, helpers=1) == alone


def test_a_first_build_with_helpers_answers_like_one_without(
    registry: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    commit = head(registry)
    with Index(GitRepo.discover(registry), PREFIX, None) as alone:  # in memory, one process
        expected = (alone.versions(commit), alone.models(commit))
    monkeypatch.setattr(bulk, "PARALLEL_MIN", 1)
    monkeypatch.setattr(bulk, "_helper_count", lambda wanted: 1)  # whatever the cores
    index_codec.forget_all()
    with open_index(registry) as index:
        assert (index.versions(commit), index.models(commit)) == expected
        assert index.stats.manifests_parsed == 30 + 4 + 1
    index_codec.forget_all()  # a new process: the rows the helper made answer
    with open_index(registry) as again:
        assert (again.versions(commit), again.models(commit)) == expected
        assert again.stats.manifests_parsed == 0


# -- the rows' JSON (codec): checked at write time against the lists it was made from ------


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.one_of(
    st.tuples(st.just(index_codec.VERSION), VERSION),
    st.tuples(st.just(index_codec.MODEL), MODEL),
    st.tuples(st.just(index_codec.ALIASES), ALIASES.map(index_codec.Aliases.of)),
))
def test_what_a_row_stores_reads_back_equal(case: tuple[str, object]) -> None:
    kind, value = case
    row = index_codec.encode(kind, "b" * 40, value)
    if row.data is not None:  # else: not exact in JSON (NaN, ...), parsed again when loaded
        assert index_codec.decode(kind, row.data) == value


def names(cls: type) -> set[str]:
    return {f.name for f in fields(cls)}


def test_the_rows_hold_every_field_a_manifest_sets() -> None:
    # A field added to a value must be added to codec (CODEC then changes with it): the JSON
    # check at write time compares lists, not values, so it would not notice. This fails first.
    art: dict[str, Any] = {"mode": ArtifactMode.REFERENCE, "uri": "u", "digest": "g", "size": 1,
           "file_count": 1, "files": (FileEntry(path="p", size=2, sha256="h"),), "files_uri": "f"}
    lineage: dict[str, Any] = {"code_commit": "c", "data": ("d",),
               "copied_from": CopiedFrom(uri="u", registry_commit="r")}
    every: dict[str, Any] = {
        "name": "m", "version": 1, "description": "d", "source": "s", "run_id": "r",
        "run_link": "l", "artifacts": Artifacts(**art), "model_type": "t", "flavors": ("x",),
        "signature": {"a": [1]}, "tags": {"k": "v"}, "metrics": {"m": 1.5},
        "lineage": Lineage(**lineage), "created_at": "c", "created_by": "b", "updated_at": "u",
        "deleted": Deletion(at="a", by="b"),
    }
    assert set(every) == names(ModelVersion) - {"aliases", "current_stage"}
    assert set(art) == names(Artifacts) and set(lineage) == names(Lineage)
    full = ModelVersion(**every)
    assert index_codec.version_from_list(index_codec.version_to_list(full)) == full
    model = RegisteredModel(name="m", description="d", tags={"k": "v"}, last_version=3,
                            created_at="c", created_by="b")
    assert set(manifest.model_to_dict(model)) == names(RegisteredModel) - {
        "aliases", "latest_versions"}
    assert index_codec.model_from_dict(manifest.model_to_dict(model)) == model
    assert set(index_codec.aliases_to_dict(AliasTable())) == names(AliasTable)
