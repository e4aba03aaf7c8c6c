"""The read cache (DESIGN §6): same answers as reading every manifest, whatever Git did.

Registries here are written with `manifest.dump_*` and committed with the `git` CLI, so the
index is judged against files it did not write, and every answer is compared with a direct
`Snapshot` walk of the same commit.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import git
from modelreg import layout, manifest
from modelreg.gitrepo import GitRepo
from modelreg.index import Index, index_path
from modelreg.index import codec as index_codec
from modelreg.index import db as index_db
from modelreg.index import write as index_write
from modelreg.model import (
    AliasTable,
    ArtifactMode,
    Artifacts,
    Deletion,
    FileEntry,
    ModelVersion,
    RegisteredModel,
    Stage,
)
from modelreg.snapshot import Snapshot

PREFIX = "ml/registry"
T0 = "2026-01-02T03:04:05.678Z"


class Work:
    """A registry folder in a work tree, written file by file and committed with git."""

    def __init__(self, repo: Path, prefix: str = PREFIX) -> None:
        self.repo = repo
        self.prefix = prefix
        self.root = repo / prefix
        self.models: dict[str, RegisteredModel] = {}
        self.aliases: dict[str, AliasTable] = {}
        (self.root / "registry.yaml").parent.mkdir(parents=True, exist_ok=True)
        (self.root / "registry.yaml").write_text("modelreg: 1\nid: \"x\"\nstore: \"artifacts\"\n")

    def write(self, rel: str, data: bytes) -> None:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    def add_version(self, name: str, **fields: object) -> int:
        model = self.models.get(name) or RegisteredModel(name=name, created_at=T0, created_by="me")
        number = model.last_version + 1
        self.models[name] = RegisteredModel(
            name=name, description=model.description, tags=model.tags, last_version=number,
            created_at=model.created_at, created_by=model.created_by,
        )
        self.write(layout.model_file(name), manifest.dump_model(self.models[name]))
        mv = version(name, number, **fields)
        self.write(layout.version_file(name, number), manifest.dump_version(mv))
        return number

    def set_aliases(
        self, name: str, aliases: dict[str, int], stages: dict[Stage, tuple[int, ...]]
    ) -> None:
        self.aliases[name] = AliasTable(aliases=aliases, stages=stages)
        self.write(layout.aliases_file(name), manifest.dump_aliases(self.aliases[name]))

    def delete_version(self, name: str, number: int) -> None:
        """What `delete_model_version` writes: a tombstone, and aliases that pointed at it gone."""
        tomb = ModelVersion(name=name, version=number, created_at=T0, created_by="me",
                            deleted=Deletion(at=T0, by="me"))
        self.write(layout.version_file(name, number), manifest.dump_version(tomb))
        table = self.aliases.get(name, AliasTable())
        self.set_aliases(
            name, {a: v for a, v in table.aliases.items() if v != number},
            {s: tuple(v for v in vs if v != number) for s, vs in table.stages.items()},
        )

    def rename(self, old: str, new: str) -> None:
        shutil.rmtree(self.root / layout.model_path(old))
        model = self.models.pop(old)
        self.models[new] = RegisteredModel(
            name=new, description=model.description, tags=model.tags,
            last_version=model.last_version, created_at=model.created_at, created_by="me",
        )
        self.write(layout.model_file(new), manifest.dump_model(self.models[new]))
        for number in range(1, model.last_version + 1):
            mv = version(new, number)
            self.write(layout.version_file(new, number), manifest.dump_version(mv))
        if old in self.aliases:
            table = self.aliases.pop(old)
            self.set_aliases(new, dict(table.aliases), dict(table.stages))

    def commit(self, message: str = "change") -> str:
        git(self.repo, "add", "-A")
        git(self.repo, "commit", "-q", "--allow-empty", "-m", message)
        return head(self.repo)


def version(name: str, number: int, **fields: object) -> ModelVersion:
    files = (FileEntry(path="model.bin", size=number, sha256=f"{number:064x}"),)
    values: dict[str, object] = dict(
        name=name, version=number, description=f"v{number} of {name}",
        source=f"s3://bucket/{name}/{number}", run_id=f"run-{number}",
        artifacts=Artifacts(mode=ArtifactMode.STORED, uri=f"sha256/{number:064x}",
                            digest=f"sha256:{number:064x}", size=number, file_count=1, files=files),
        model_type="custom", tags={"team": "risk", "n": str(number)},
        metrics={"auc": 0.5 + number / 1000}, created_at=T0, created_by="me",
    )
    values.update(fields)
    return ModelVersion(**values)  # type: ignore[arg-type]


def head(repo: Path) -> str:
    return git(repo, "rev-parse", "HEAD").strip()


def walk(
    repo: Path, commit: str, prefix: str = PREFIX
) -> tuple[list[RegisteredModel], list[ModelVersion]]:
    """What reading every manifest gives: the answer the index must equal."""
    snap = Snapshot(GitRepo.discover(repo).tree_files(commit, prefix))
    names = snap.model_names()
    return [snap.require_model(n) for n in names], [v for n in names for v in snap.versions(n)]


def assert_same(index: Index, repo: Path, commit: str, prefix: str = PREFIX) -> None:
    models, versions = walk(repo, commit, prefix)
    assert index.models(commit) == models
    assert index.versions(commit) == versions
    assert index.model_names(commit) == [m.name for m in models]


@pytest.fixture(autouse=True)
def fresh_memory() -> None:
    """Each test starts as a new process would: nothing parsed in memory (equal blobs made by
    another test would otherwise hide parses from the counters)."""
    index_codec.forget_all()


@pytest.fixture
def work(repo: Path) -> Work:
    """Three models, eight versions, aliases and stages, in a registry below the repo's root."""
    w = Work(repo)
    for name, count in (("fraud", 3), ("churn model", 4), ("Zeta.v2", 1)):
        for _ in range(count):
            w.add_version(name)
    w.set_aliases(
        "fraud", {"champion": 2, "challenger": 3}, {Stage.PRODUCTION: (2,), Stage.STAGING: (3,)}
    )
    w.set_aliases("churn model", {"prod": 4}, {Stage.ARCHIVED: (1, 2)})
    w.commit("first models")
    return w


def open_index(repo: Path, prefix: str = PREFIX) -> Index:
    return Index.open(GitRepo.discover(repo), prefix)


def test_answers_equal_a_walk_after_every_kind_of_change(repo: Path, work: Work) -> None:
    index = open_index(repo)
    assert_same(index, repo, head(repo))
    assert [v.current_stage for v in index.versions(head(repo))[5:8]] == [
        Stage.NONE, Stage.PRODUCTION, Stage.STAGING]

    work.add_version("fraud", tags={"fresh": "yes"})
    assert_same(index, repo, work.commit("new version"))
    work.set_aliases(
        "fraud", {"champion": 4, "challenger": 3}, {Stage.PRODUCTION: (4,), Stage.ARCHIVED: (2,)}
    )
    assert_same(index, repo, work.commit("alias move"))
    assert [v.aliases for v in index.versions(head(repo)) if v.name == "fraud"][-1] == ("champion",)
    work.delete_version("fraud", 4)
    assert_same(index, repo, work.commit("tombstone"))
    assert 4 not in [v.version for v in index.versions(head(repo)) if v.name == "fraud"]
    work.rename("churn model", "churn")
    assert_same(index, repo, work.commit("rename"))
    assert index.model_names(head(repo)) == ["Zeta.v2", "churn", "fraud"]

    git(repo, "checkout", "-q", "--detach", "HEAD~2")
    assert_same(index, repo, head(repo))
    git(repo, "checkout", "-q", "main")
    assert_same(index, repo, head(repo))
    git(repo, "reset", "-q", "--hard", "HEAD~1")
    assert_same(index, repo, head(repo))
    assert "churn model" in index.model_names(head(repo))
    amended = version("fraud", 1, description="amended")
    work.write(layout.version_file("fraud", 1), manifest.dump_version(amended))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--amend", "-m", "amended")
    assert_same(index, repo, head(repo))
    git(repo, "reflog", "expire", "--expire=now", "--all")
    git(repo, "gc", "-q", "--prune=now")
    assert_same(index, repo, head(repo))
    assert_same(open_index(repo), repo, head(repo))  # a second reader of the same file


def test_a_new_version_parses_only_what_changed(repo: Path) -> None:
    work = Work(repo)
    for i in range(200):
        work.add_version(f"model-{i % 10}")
    index = open_index(repo)
    index.versions(work.commit())
    assert index.stats.manifests_parsed == 200 + 10  # the versions and each model.yaml

    work.add_version("model-3")
    commit = work.commit()
    index.stats.reset()
    assert len(index.versions(commit)) == 201
    assert index.stats.manifests_parsed == 2  # versions/21.yaml and model.yaml
    assert (index.stats.tree_diffs, index.stats.full_scans) == (1, 0)
    # models/, model-3/ and its versions/ on both sides, one lookup, two blobs
    assert index.stats.objects_read == 2 * 3 + 1 + 2

    index_codec.forget_all()  # a new process: the file answers, nothing is parsed
    again = open_index(repo)
    assert again.versions(commit) == index.versions(commit)
    assert again.stats.manifests_parsed == 0
    assert again.stats.rows_decoded == 201


def test_going_back_and_forth_parses_nothing_new(repo: Path, work: Work) -> None:
    index = open_index(repo)
    old = head(repo)
    index.versions(old)
    work.add_version("fraud")
    work.set_aliases("fraud", {"champion": 4}, {})
    new = work.commit()
    index.versions(new)
    index.stats.reset()
    for commit in (old, new, old, new):
        assert_same(index, repo, commit)
    assert index.stats.manifests_parsed == 0
    assert index.stats.full_scans == 0


def test_pruned_history_is_rebuilt_folder_by_folder(repo: Path, work: Work) -> None:
    index = open_index(repo)
    index.versions(head(repo))
    gone = GitRepo.discover(repo).tree_files(head(repo), PREFIX).tree_id("models")
    amended = version("fraud", 2, run_id="other")
    work.write(layout.version_file("fraud", 2), manifest.dump_version(amended))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--amend", "-m", "amended")
    git(repo, "reflog", "expire", "--expire=now", "--all")
    git(repo, "gc", "-q", "--prune=now")
    assert subprocess.run(["git", "cat-file", "-e", str(gone)], cwd=repo).returncode != 0

    fresh = open_index(repo)  # a new process: its object database has no trace of `gone`
    assert_same(fresh, repo, head(repo))
    assert fresh.stats.full_scans == 1
    assert fresh.stats.manifests_parsed == 1  # only the amended version file is new
    assert fresh.stats.trees_listed == 1 + 2  # the models tree, then fraud/ and its versions/
    assert [v.run_id for v in fresh.versions(head(repo)) if v.name == "fraud"][1] == "other"
    assert_same(index, repo, head(repo))  # a long-lived reader may still see `gone`: also right


def test_rebase_and_its_pruned_originals(repo: Path, work: Work) -> None:
    index = open_index(repo)
    git(repo, "checkout", "-q", "-b", "topic")
    work.add_version("Zeta.v2", run_id="topic-run")
    index.versions(work.commit("on topic"))
    git(repo, "checkout", "-q", "main")
    work.set_aliases("churn model", {"prod": 3}, {Stage.PRODUCTION: (3,)})
    work.commit("on main")
    git(repo, "checkout", "-q", "topic")
    git(repo, "rebase", "-q", "main")
    git(repo, "reflog", "expire", "--expire=now", "--all")
    git(repo, "gc", "-q", "--prune=now")
    assert_same(index, repo, head(repo))
    assert_same(open_index(repo), repo, head(repo))
    churn = [v for v in index.versions(head(repo)) if v.name == "churn model"]
    assert churn[2].aliases == ("prod",)


def test_old_parsed_manifests_are_pruned(
    repo: Path, work: Work, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(index_write, "PRUNE_SLACK", 0)
    index = open_index(repo)
    first = head(repo)
    index.versions(first)
    for i in range(30):
        work.set_aliases("fraud", {"champion": 1, f"a{i}": 2}, {})
        assert_same(index, repo, work.commit())
    assert index.path is not None
    with sqlite3.connect(index.path) as conn:
        kept = conn.execute("SELECT count(*) FROM alias_manifests").fetchone()[0]
    conn.close()
    assert kept < 30  # of the 32 alias tables parsed
    index_codec.forget_all()
    index.stats.reset()
    assert_same(index, repo, first)  # what was pruned is parsed again when needed
    assert index.stats.manifests_parsed == 1  # fraud's first aliases.yaml


def test_deleting_the_file_changes_no_answer(repo: Path, work: Work) -> None:
    index = open_index(repo)
    before = index.versions(head(repo)), index.models(head(repo))
    assert index.path is not None and index.path.exists()
    index_db.discard(index.path)
    index_codec.forget_all()
    assert (index.versions(head(repo)), index.models(head(repo))) == before  # open connection
    work.add_version("fraud")
    assert_same(index, repo, work.commit())
    index_db.discard(index.path)
    assert_same(open_index(repo), repo, head(repo))
    assert index.path.exists()


def _random_bytes(path: Path) -> None:
    path.write_bytes(os.urandom(8192))


def _half(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _foreign(path: Path) -> None:
    path.unlink()
    with sqlite3.connect(path) as other:
        other.execute("CREATE TABLE notes(text)")
    other.close()


def _other_layout(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 999")
    conn.close()


def _damaged_rows(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE version_manifests SET data = '[\"truncated'")
    conn.close()


@pytest.mark.parametrize("spoil", [_random_bytes, _half, _foreign, _other_layout, _damaged_rows])
def test_a_spoiled_file_is_rebuilt_not_an_error(repo: Path, work: Work, spoil: object) -> None:
    with open_index(repo) as index:
        expected = index.versions(head(repo))
    assert index.path is not None
    index_db.discard(Path(f"{index.path}-wal"))  # closed: the WAL is checkpointed
    spoil(index.path)  # type: ignore[operator]
    index_codec.forget_all()

    with open_index(repo) as again:
        assert again.versions(head(repo)) == expected
        assert_same(again, repo, head(repo))
        assert again.stats.discarded == 1
        assert again.stats.in_memory == 0
    with sqlite3.connect(index.path) as conn:
        assert conn.execute("PRAGMA application_id").fetchone()[0] == index_db.APPLICATION_ID
    conn.close()


def test_no_commit_or_no_registry_folder_is_empty(repo: Path, work: Work) -> None:
    index = open_index(repo)
    first = git(repo, "rev-list", "--max-parents=0", "HEAD").strip()
    assert index.versions(None) == [] and index.models(None) == []
    assert index.versions(first) == [] and index.model_names(first) == []
    assert len(index.versions(head(repo))) == 8
    assert open_index(repo, "elsewhere").versions(head(repo)) == []


def test_registry_at_the_repository_root(repo: Path) -> None:
    work = Work(repo, prefix="")
    work.add_version("solo")
    commit = work.commit()
    index = open_index(repo, "")
    assert_same(index, repo, commit, prefix="")
    assert index.path != open_index(repo, PREFIX).path


def test_broken_manifests_are_left_out_of_listings(repo: Path, work: Work) -> None:
    work.write(layout.version_file("fraud", 2), b"name: [unclosed\n")
    work.write(layout.aliases_file("churn model"), b"aliases: {prod: four}\n")
    work.write(layout.model_file("Zeta.v2"), b"name: 'Zeta.v2'\nname: 'dup'\n")
    work.write(layout.version_file("fraud", 9), manifest.dump_version(version("impostor", 9)))
    index = open_index(repo)
    commit = work.commit()
    assert index.model_names(commit) == ["churn model", "fraud"]
    assert [(v.name, v.version) for v in index.versions(commit)] == [
        ("churn model", 1), ("churn model", 2), ("churn model", 3), ("churn model", 4),
        ("fraud", 1), ("fraud", 3)]
    assert all(not v.aliases for v in index.versions(commit) if v.name == "churn model")
    assert index.models(commit)[1].aliases == {"champion": 2, "challenger": 3}


def test_versions_follow_their_model_yaml(repo: Path, work: Work) -> None:
    """Whether a version is listed depends on its folder's model.yaml, which may change alone."""
    model_yaml = work.root / layout.model_file("fraud")
    good = model_yaml.read_bytes()
    index = open_index(repo)
    model_yaml.unlink()
    assert index.model_names(work.commit()) == ["Zeta.v2", "churn model"]
    assert "fraud" not in {v.name for v in index.versions(head(repo))}
    model_yaml.write_bytes(good)
    assert_same(index, repo, work.commit())
    assert len([v for v in index.versions(head(repo)) if v.name == "fraud"]) == 3
    model_yaml.write_bytes(good.replace(b'name: "fraud"', b'name: "fraud2"'))
    commit = work.commit()
    assert "fraud" not in {v.name for v in index.versions(commit)}  # names another folder
    assert index.model_names(commit) == ["Zeta.v2", "churn model"]


def test_values_json_cannot_hold_are_still_exact(repo: Path, work: Work) -> None:
    """A YAML value JSON cannot hold (a tagged timestamp) reads back exactly: a row holds
    the manifest's own bytes, and a new process builds values from them, not from Git."""
    text = manifest.dump_version(version("fraud", 1)).decode()
    work.write(layout.version_file("fraud", 1), (text + "signature: {}\n").encode())
    work.write(layout.version_file("fraud", 2),
               text.replace("version: 1", "version: 2").encode()
               + b"signature:\n  when: !!timestamp 2026-01-01\n")
    commit = work.commit()
    index_codec.forget_all()
    assert_same(open_index(repo), repo, commit)
    index_codec.forget_all()
    again = open_index(repo)
    assert_same(again, repo, commit)
    assert again.stats.manifests_parsed == 0  # every value built from its row


def test_a_locked_file_answers_from_memory(
    repo: Path, work: Work, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(index_db, "BUSY_SECONDS", 0.05)
    index = open_index(repo)
    old = head(repo)
    index.versions(old)
    work.add_version("fraud")
    new = work.commit()
    assert index.path is not None
    holder = sqlite3.connect(index.path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        assert index.versions(old) == walk(repo, old)[1]  # readers never wait
        assert index.stats.in_memory == 0
        assert index.versions(new) == walk(repo, new)[1]
        assert index.stats.in_memory == 1
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert_same(index, repo, new)
    assert index.stats.in_memory == 1


def test_no_place_for_the_file_answers_from_memory(repo: Path, work: Work) -> None:
    (repo / ".git" / "modelreg").write_text("not a folder")
    index = open_index(repo)
    assert_same(index, repo, head(repo))
    assert index.stats.in_memory > 0


def test_threads_share_one_index(repo: Path, work: Work) -> None:
    index = open_index(repo)
    old = head(repo)
    work.add_version("fraud")
    new = work.commit()
    expected = {c: walk(repo, c)[1] for c in (old, new)}
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda c: (c, index.versions(c)), [old, new] * 8))
    assert all(answer == expected[commit] for commit, answer in results)


_READER = """
import json, sys
from modelreg.gitrepo import GitRepo
from modelreg.index import Index, index_path
repo = GitRepo.discover(sys.argv[1])
with Index.open(repo, sys.argv[2]) as index:
    out = []
    for commit in sys.argv[3:]:
        out.append([[v.name, v.version, list(v.aliases), v.current_stage.value, v.run_id]
                    for v in index.versions(commit)])
print(json.dumps(out))
"""


def test_concurrent_processes_share_the_file(repo: Path, work: Work) -> None:
    old = head(repo)
    for _ in range(5):
        work.add_version("churn model")
    work.set_aliases("churn model", {"prod": 9}, {Stage.PRODUCTION: (9,)})
    new = work.commit()
    commits = [old, new, old, new]
    orders = [[*commits[i:], *commits[:i]] for i in range(4)]
    procs = [
        subprocess.Popen([sys.executable, "-c", _READER, str(repo), PREFIX, *order],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for order in orders
    ]
    results = [(p.communicate(timeout=120), p.returncode) for p in procs]
    expected = {c: [[v.name, v.version, list(v.aliases), v.current_stage.value, v.run_id]
                    for v in walk(repo, c)[1]] for c in (old, new)}
    for order, ((out, err), code) in zip(orders, results, strict=True):
        assert (code, err) == (0, "")
        assert json.loads(out) == [expected[c] for c in order]


def test_registry_lists_through_the_index(repo: Path, work: Work) -> None:
    from modelreg import Registry

    first = head(repo)
    work.add_version("fraud")
    work.commit()
    reg = Registry(work.root)
    models, versions = walk(repo, head(repo))
    assert reg.all_models() == models
    assert list(reg.all_versions()) == versions
    assert index_path(repo / ".git", PREFIX).exists()
    assert list(reg.at(first).all_versions()) == walk(repo, first)[1]
    with reg.transaction("two at once"):
        reg.create_registered_model("brand-new")
        names = [m.name for m in reg.all_models()]
        assert names == ["Zeta.v2", "brand-new", "churn model", "fraud"]
        assert list(reg.all_versions()) == versions
    assert "brand-new" in [m.name for m in reg.all_models()]
