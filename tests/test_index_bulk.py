"""A first build shares its parsing with helper processes (index/bulk.py, issue #5): the rows
are the ones one process makes, and a helper that fails costs time, never an answer."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modelreg import manifest
from modelreg.gitrepo import GitRepo
from modelreg.index import Index, bulk, db, fresh, load, plan
from modelreg.index import codec as index_codec
from modelreg.index.gittrees import Trees
from modelreg.index.stats import IndexStats
from modelreg.model import (
    RegisteredModel,
)
from modelreg.snapshot import ParseStats
from test_fastparse import ALIASES, MODEL, VERSION
from test_index import PREFIX, Work, head, open_index, version


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
    alone = bulk.rows(trees, todo, load.make_row, helpers=0)
    index_codec.forget_all()
    parsed = ParseStats.parsed
    shared = bulk.rows(trees, todo, load.make_row, helpers=2)
    assert shared == alone and len(alone) == 30 + 4 + 1
    assert any(not row.ok for row in alone)  # the broken file made a row too
    assert ParseStats.parsed - parsed == len(todo)  # helpers' parses are counted here
    assert trees.stats.manifests_parsed == 2 * len(todo)


BROKEN_HELPERS = [
    "raise SystemExit(3)",  # fails
    "import sys; sys.stdout.write('not a pickle')",  # answers nonsense
    "import pickle, sys; sys.stdout.buffer.write(pickle.dumps(([], {})))",  # answers too little
]


@pytest.mark.parametrize("serve", BROKEN_HELPERS)
def test_a_helper_that_fails_leaves_its_share_here(
    registry: Path, serve: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    trees, todo = wanted(registry)
    alone = bulk.rows(trees, todo, load.make_row, helpers=0)
    monkeypatch.setattr(bulk, "_SERVE", serve)
    assert bulk.rows(trees, todo, load.make_row, helpers=1) == alone


def first_build(registry: Path, monkeypatch: pytest.MonkeyPatch, helpers: int) -> list[str]:
    """Helpers for any number of folders, a chunk a folder; this process claims the first
    chunk only, so that the helpers do the others (or, failing, leave them to it). The
    parts merged are listed in what it returns."""
    monkeypatch.setattr(fresh, "PARALLEL_MIN", 1)
    monkeypatch.setattr(fresh, "CHUNK", 1)
    monkeypatch.setattr(bulk, "helper_count", lambda work, minimum=0: helpers)  # any cores
    claim, merge = fresh.claim, db.merge
    monkeypatch.setattr(fresh, "claim", lambda parts, n: n == 0 and claim(parts, n))
    merged: list[str] = []

    def merging(conn: sqlite3.Connection, side: Path, prefix: str) -> bool:
        done = merge(conn, side, prefix)
        merged.extend([side.name] if done else [])
        return done

    monkeypatch.setattr(db, "merge", merging)
    index_codec.forget_all()
    return merged


# Claims every chunk, then ends without doing one.
GREEDY_HELPER = ("import os, pickle, sys; job = pickle.load(sys.stdin.buffer); "
                 "[os.makedirs(os.path.join(job[2], f'claim-{n}'), exist_ok=True)"
                 " for n in range(len(job[4]))]")


HUNG_HELPER = "import signal; signal.pause()"  # never answers, until it is ended


@pytest.mark.parametrize("serve", [None, *BROKEN_HELPERS, GREEDY_HELPER, HUNG_HELPER])
def test_a_first_build_with_helpers_answers_like_one_without(
    registry: Path, monkeypatch: pytest.MonkeyPatch, serve: str | None
) -> None:
    if serve == HUNG_HELPER:
        monkeypatch.setattr(bulk, "PATIENCE", 1.0)  # ended after a second
    commit = head(registry)
    with Index(GitRepo.discover(registry), PREFIX, None) as alone:  # in memory, one process
        expected = (alone.versions(commit), alone.models(commit))
    merged = first_build(registry, monkeypatch, helpers=2)
    if serve is not None:
        monkeypatch.setattr(bulk, "_SERVE", serve)
    with open_index(registry) as index:
        assert (index.versions(commit), index.models(commit)) == expected
        # the helpers did the folders but the first, or none when they fail
        assert sorted(merged) == ([] if serve else ["part-1", "part-2", "part-3"])
        assert index.stats.manifests_parsed >= 30 + 4 + 1  # every manifest, shared aliases
        assert index.stats.full_scans == 1
        assert index.path is not None
        assert not [p for p in index.path.parent.iterdir() if ".new" in p.name]  # no rest
    index_codec.forget_all()  # a new process: the rows the helpers wrote answer
    with open_index(registry) as again:
        assert (again.versions(commit), again.models(commit)) == expected
        assert again.stats.manifests_parsed == 0


TABLES = ("dirs", "files", "model_manifests", "alias_manifests", "version_manifests",
          "model_tags", "version_tags", "odd_tags")


def rows_of(conn: sqlite3.Connection) -> dict[str, list[tuple[object, ...]]]:
    return {table: sorted(conn.execute(f"SELECT * FROM {table}").fetchall(), key=repr)
            for table in TABLES}


@pytest.mark.parametrize("helpers", [0, 2])
def test_a_first_build_holds_the_rows_a_sync_makes(
    registry: Path, monkeypatch: pytest.MonkeyPatch, helpers: int
) -> None:
    """A first build decides folders' names, files' `live` and tag rows its own way
    (index/fresh.py); the file must hold exactly what a sync folder by folder writes."""
    work = Work(registry)
    work.write("models/model-0/versions/7.yaml", manifest.dump_version(version("model-0", 8)))
    work.write("models/model-2/model.yaml", manifest.dump_model(RegisteredModel(name="other")))
    work.delete_version("model-3", 1)  # a tombstone
    work.write("models/copy/versions/1.yaml",  # another folder's manifest, byte for byte
               (registry / PREFIX / "models/model-1/versions/1.yaml").read_bytes())
    work.write("models/odd/model.yaml", manifest.dump_model(RegisteredModel(name="odd")))
    work.write("models/odd/versions/1.yaml",
               manifest.dump_version(version("odd", 1, tags={"n": "[1]", "flag": "null"})))
    commit = work.commit()
    with Index(GitRepo.discover(registry), PREFIX, None) as synced:  # in memory: a sync
        synced.versions(commit)
        assert synced._memory is not None
        expected = rows_of(synced._memory)
    first_build(registry, monkeypatch, helpers=helpers)
    with open_index(registry) as built:
        built.versions(commit)
        assert built.stats.full_scans == 1 and built.path is not None
    conn = sqlite3.connect(built.path)
    try:
        assert rows_of(conn) == expected
    finally:
        conn.close()
    # live: 30, less model-2's 7 (its model.yaml names another model), the tombstone and
    # the file whose number is not its own, plus odd's
    assert sum(row[3] for row in expected["files"]) == 30 - 7 - 1 - 1 + 1
    assert expected["odd_tags"]


def test_a_first_build_deletes_what_dead_builds_left(registry: Path) -> None:
    """A first build killed midway leaves its file and parts; the next one deletes them,
    never those of a build still running."""
    with open_index(registry) as index:
        assert index.path is not None
        path = index.path
    path.parent.mkdir(parents=True, exist_ok=True)
    dead = _dead_pid()
    left = [path.with_name(f"{path.name}.{dead}-7.new"),
            path.with_name(f"{path.name}.{dead}-7.new-wal")]
    for file in left:
        file.write_bytes(b"half a build")
    (path.with_name(f"{path.name}.{dead}-7.new-parts") / "claim-0").mkdir(parents=True)
    running = path.with_name(f"{path.name}.{os.getpid()}-7.new")
    running.write_bytes(b"a build going on")
    index_codec.forget_all()
    with open_index(registry) as again:
        assert len(again.versions(head(registry))) == 30
    assert sorted(p.name for p in path.parent.iterdir() if ".new" in p.name) == [running.name]


def _dead_pid() -> int:
    """The id of a process that has ended."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_first_build_leaves_a_file_another_process_made_first(
    registry: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two first builds at once: the one that links its file last keeps the other's."""
    commit = head(registry)
    with open_index(registry) as index:
        index.versions(commit)
        assert index.path is not None
        path = index.path
    made = path.read_bytes()
    real = os.link
    theirs: list[int] = []

    def late(source: str, target: str) -> None:  # another process linked its file first
        path.write_bytes(made)
        theirs.append(path.stat().st_ino)
        real(source, target)

    path.unlink()
    monkeypatch.setattr(os, "link", late)
    index_codec.forget_all()
    with open_index(registry) as again:
        assert len(again.versions(commit)) == 30
    assert theirs == [path.stat().st_ino]  # the file is the other process's
    assert not [p for p in path.parent.iterdir() if ".new" in p.name]


# -- rows: the manifest's own bytes, and the columns a search pushes down ----------------


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.one_of(
    st.tuples(st.just(index_codec.VERSION), VERSION.map(manifest.dump_version)),
    st.tuples(st.just(index_codec.MODEL), MODEL.map(manifest.dump_model)),
    st.tuples(st.just(index_codec.ALIASES), ALIASES.map(manifest.dump_aliases)),
))
def test_what_a_row_stores_reads_back_equal(case: tuple[str, bytes]) -> None:
    kind, data = case
    value = index_codec.parse(kind, "b" * 40, data)
    assert value is not None
    row = index_codec.encode(kind, "b" * 40, value, data)
    assert row.ok and row.data == data
    assert repr(index_codec.decode(kind, "b" * 40, data)) == repr(value)  # NaN != NaN
    assert dict(row.tags) == {k: index_codec._tag_value(v)
                              for k, v in getattr(value, "tags", {}).items()}
    if kind == index_codec.VERSION:
        assert row.columns == (value.name, value.version, value.run_id, value.source,
                               value.created_at, value.updated_at, int(value.deleted is not None))


def test_a_row_that_does_not_parse_is_damage() -> None:
    good = manifest.dump_model(RegisteredModel(name="m", created_at="c"))
    assert index_codec.decode(index_codec.MODEL, "b" * 40, good).name == "m"
    for bad in (b"name: [broken\n", b"text", None):
        with pytest.raises(index_codec.Undecodable):
            index_codec.decode(index_codec.MODEL, "b" * 40, bad)  # type: ignore[arg-type]
    assert index_codec.encode(index_codec.MODEL, "b" * 40, None, good).data is None


def test_the_first_build_bench_runs(registry: Path) -> None:
    """bench/bench_first_build.py, on a small registry: it must keep working."""
    bench = Path(__file__).parents[1] / "bench" / "bench_first_build.py"
    done = subprocess.run([sys.executable, str(bench), str(registry / PREFIX), "--repeat", "2"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "(2 runs): wall median" in done.stdout and "CPU median" in done.stdout
