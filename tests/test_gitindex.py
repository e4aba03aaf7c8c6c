"""A write's few index entries and trees, on real repositories checked by Git (issue #5).

The writer edits Git's index and large trees in their bytes instead of decoding them whole
(`gitrepo.indexfile`, `indexedit`, `indexwrite`, `staging`, `objects`). Every test here asks Git
itself whether the result is right: `git status` clean, `git diff-files` clean without a refresh
(the stat data is valid), `git ls-files --stage` equal to the commit, `git fsck` (which checks the
index's checksum and the trees' order), and the user's own `git add` and `git commit` after.
"""

from __future__ import annotations

import hashlib
import os
import random
from pathlib import Path

import pytest

from conftest import git
from modelreg import writer
from modelreg.change import Change, OpContext, Operation
from modelreg.errors import Conflict
from modelreg.gitrepo import GitRepo, background, indexwrite, upkeep
from modelreg.gitrepo.indexfile import IndexFile, stamp
from modelreg.gitrepo.objects import LARGE
from modelreg.gitrepo.staging import Link
from modelreg.snapshot import Snapshot

PREFIX = "reg"


@pytest.fixture(autouse=True)
def small_checkpoints(monkeypatch: pytest.MonkeyPatch) -> None:
    """States of the index's hash every 512 bytes, so that these small indexes use them."""
    monkeypatch.setattr(indexwrite, "CHECKPOINT", 512)


def put(files: dict[str, bytes | None]) -> Operation:
    def op(snapshot: Snapshot, ctx: OpContext) -> Change:
        return Change(writes=files, op="test-write", summary="Write files")

    return op


def write(repo: Path, files: dict[str, bytes | None]) -> None:
    writer.apply(GitRepo.discover(repo), PREFIX, put(files), OpContext.create("tester"))


def assert_in_line(repo: Path) -> None:
    """What Git says of a checkout a write just synced: nothing to report anywhere."""
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == ""
    git(repo, "diff-files", "--quiet")  # without a refresh: the stat data is right
    staged = git(repo, "ls-files", "--stage").split("\n")
    committed = git(repo, "ls-tree", "-r", "--format=%(objectmode) %(objectname) 0\t%(path)",
                    "HEAD").split("\n")
    assert staged == committed
    assert git(repo, "fsck", "--strict", "--no-progress", "--no-dangling") == ""


def written_here(repo: Path) -> bool:
    """Whether the last index was written by `staging` (it ends with EOIE, which Git writes
    only when asked to), not left to `git update-index`."""
    return (repo / ".git/index").read_bytes()[-52:-48] == b"EOIE"


def many(count: int, *, seed: int = 0) -> dict[str, bytes | None]:
    rng = random.Random(seed)
    return {f"models/m{i:04d}/versions/{rng.randrange(9)}.yaml": f"n: {i}\n".encode()
            for i in range(count)}


@pytest.fixture(params=["whole", "split"])
def checkout(request: pytest.FixtureRequest, repo: Path) -> Path:
    """A checkout whose index holds a few hundred entries, whole or split."""
    if request.param == "split":
        git(repo, "config", "core.splitIndex", "true")
        git(repo, "config", "splitIndex.maxPercentChange", "100")  # never a new shared file
    write(repo, many(400))
    git(repo, "status", "--porcelain")  # Git writes the index once its own way
    index = IndexFile.read(repo / ".git/index")
    assert index is not None and (index.link is not None) == (request.param == "split")
    return repo


def test_writes_keep_the_index_equal_to_the_commit(checkout: Path) -> None:
    rng = random.Random(1)
    for step in range(12):
        files = many(400, seed=step + 10)
        chosen = dict(rng.sample(sorted(files.items()), 5))
        chosen[f"models/new{step}/model.yaml"] = b"new\n"  # a new folder: an inserted entry
        write(checkout, chosen)
        assert written_here(checkout)
        assert_in_line(checkout)  # (git status rewrites it: the new entries were racy)
    write(checkout, {"models/new3/model.yaml": None, "models/m0007/versions/3.yaml": None})
    assert_in_line(checkout)
    assert not (checkout / PREFIX / "models/new3").exists()


def test_writes_in_one_process_hash_the_index_from_their_first_change(repo: Path) -> None:
    """Each write starts the index's checksum from a state the last write kept, or that
    `prepare` computed for a new entry count: the checksum is still that of the whole file."""
    paths = sorted(many(300))
    write(repo, dict.fromkeys(paths, b"0\n"))
    git(repo, "status", "--porcelain")  # Git writes the index its own way: nothing is known
    rng = random.Random(3)
    for step in range(9):
        chosen: dict[str, bytes | None] = {p: b"%d\n" % (step + 1) for p in rng.sample(paths, 2)}
        if step % 3 == 1:
            chosen[f"models/new{step}/model.yaml"] = b"new\n"  # one more entry
        if step % 3 == 2:
            chosen[f"models/new{step - 1}/model.yaml"] = None  # one fewer
        write(repo, chosen)
        data = (repo / ".git/index").read_bytes()
        assert hashlib.sha1(data[:-20]).digest() == data[-20:]
        known = [k for k in indexwrite._known.values()
                 if k.stamp == stamp(os.stat(repo / ".git/index"))]
        assert known and len(known[0].states) > 1  # what the next write starts from
    assert_in_line(repo)


def test_a_job_of_the_worker_raises_in_the_thread_that_waits() -> None:
    def fail() -> None:
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        background.submit(fail).wait()
    assert background.submit(lambda: None).failed() is False


def test_a_staged_change_elsewhere_stays_staged(checkout: Path) -> None:
    other = checkout / PREFIX / "models/m0001/notes.md"
    other.write_text("mine\n")
    git(checkout, "add", str(other))
    write(checkout, {"models/m0002/model.yaml": b"changed\n", "models/zz/model.yaml": b"z\n"})
    assert git(checkout, "status", "--porcelain") == f"A  {PREFIX}/models/m0001/notes.md\n"
    git(checkout, "commit", "-q", "-m", "the user's own commit")
    assert_in_line(checkout)


def test_the_users_git_keeps_working_after_writes(checkout: Path) -> None:
    write(checkout, {"models/m0003/model.yaml": b"a\n"})
    (checkout / PREFIX / "models/m0003/model.yaml").write_text("edited by hand\n")
    git(checkout, "add", "-A")
    git(checkout, "commit", "-q", "-m", "by hand")
    write(checkout, {"models/m0004/model.yaml": b"b\n"})
    assert_in_line(checkout)
    assert git(checkout, "log", "--format=%s", "-3").split("\n")[:3] == [
        "Write files", "by hand", "Write files"]


def test_entries_git_changed_are_seen(checkout: Path) -> None:
    """In a split index Git records changed shared entries by position, nameless: the
    staged id of such a path is still found, and an edit there still refuses the write."""
    write(checkout, {"models/m0005/model.yaml": b"a\n", "models/m0006/model.yaml": b"b\n"})
    (checkout / PREFIX / "models/m0005/model.yaml").write_text("staged by hand\n")
    git(checkout, "add", "-A")
    git(checkout, "rm", "-q", "--cached", f"{PREFIX}/models/m0006/model.yaml")
    (checkout / PREFIX / "models/m0005/model.yaml").write_text("a\n")
    index = IndexFile.read(checkout / ".git/index")
    link = Link.parse(index.link) if index is not None and index.link is not None else None
    by_position = link is not None and bool(link.replaced or link.deleted)
    for path in ("models/m0005/model.yaml", "models/m0006/model.yaml"):
        with pytest.raises(Conflict, match="uncommitted changes"):
            write(checkout, {path: b"new\n"})
    write(checkout, {"models/m0007/model.yaml": b"c\n"})
    assert written_here(checkout)
    positions = list(checkout.glob(".git/modelreg/sharedindex-*.offsets"))
    assert len(positions) == by_position  # kept once Git recorded entries by position
    assert sorted(git(checkout, "status", "--porcelain").splitlines()) == [
        f"?? {PREFIX}/models/m0006/model.yaml", f"D  {PREFIX}/models/m0006/model.yaml",
        f"MM {PREFIX}/models/m0005/model.yaml"]


def test_a_grown_split_index_gets_a_new_shared_file(repo: Path) -> None:
    git(repo, "config", "core.splitIndex", "true")
    write(repo, many(200))
    git(repo, "config", "splitIndex.maxPercentChange", "1")
    shared = set(repo.glob(".git/sharedindex.*"))
    write(repo, {f"models/m000{i}/model.yaml": b"%d\n" % i for i in range(3)})  # 3 > 1%
    assert set(repo.glob(".git/sharedindex.*")) - shared  # `git update-index --split-index`
    assert_in_line(repo)


def test_indexes_it_does_not_handle_are_left_to_git(repo: Path) -> None:
    """Version 4 (path-compressed) and an index Git wrote with its caches: still in line."""
    write(repo, many(50))
    git(repo, "config", "core.untrackedCache", "true")
    git(repo, "status", "--porcelain")  # writes the untracked cache and the cache tree
    write(repo, {"models/m0001/model.yaml": b"one\n"})
    assert_in_line(repo)
    git(repo, "update-index", "--index-version", "4")
    write(repo, {"models/m0002/model.yaml": b"two\n", "models/new/model.yaml": b"new\n"})
    assert not written_here(repo)
    assert_in_line(repo)
    assert (repo / ".git/index").read_bytes()[4:8] == (4).to_bytes(4, "big")  # still 4


def test_the_index_keeps_its_time_so_racy_entries_stay_racy(repo: Path) -> None:
    write(repo, many(20))
    before = os.stat(repo / ".git/index").st_mtime_ns
    write(repo, {"models/m0001/model.yaml": b"x\n"})
    assert os.stat(repo / ".git/index").st_mtime_ns == before
    # the file rewritten now is racy against that time, so Git compares its content
    target = repo / PREFIX / "models/m0001/model.yaml"
    info = os.stat(target)
    target.write_bytes(b"y\n")  # same size, and the same time stamp again
    os.utime(target, ns=(info.st_atime_ns, info.st_mtime_ns))
    assert git(repo, "status", "--porcelain") == f" M {PREFIX}/models/m0001/model.yaml\n"
    with pytest.raises(Conflict):
        write(repo, {"models/m0001/model.yaml": b"z\n"})


def test_an_index_is_found_and_bisected_in_its_bytes(repo: Path) -> None:
    write(repo, many(300))
    index = IndexFile.read(repo / ".git/index")
    assert index is not None
    listed = git(repo, "ls-files", "--stage", "-z").split("\0")[:-1]
    for record in listed:
        meta, name = record.split("\t")
        assert index.staged(name.encode()) == meta.split()[1]
    assert index.staged(b"reg/models/m0100/versions/9.yamm") is None
    assert index.staged(b"zzz") is None and index.staged(b"") is None


def test_a_large_tree_is_edited_in_place(repo: Path) -> None:
    count = LARGE // 30 + 200  # "40000 mNNNN\0" + 20 bytes an entry: past LARGE
    write(repo, {f"models/m{i:04d}/model.yaml": b"m\n" for i in range(count)})
    models = git(repo, "rev-parse", f"HEAD:{PREFIX}/models").strip()
    assert int(git(repo, "cat-file", "-s", models)) >= LARGE
    write(repo, {"models/m0100/model.yaml": b"changed\n"})
    write(repo, {"models/m0200/model.yaml": None})  # a folder removed in place
    write(repo, {"models/m0100a/model.yaml": b"new\n"})  # a new folder: parsed and sorted
    assert_in_line(repo)
    names = git(repo, "ls-tree", "--name-only", f"HEAD:{PREFIX}/models").split()
    assert len(names) == count and names == sorted(names, key=lambda n: n + "/")
    assert "m0200" not in names and "m0100a" in names
    assert git(repo, "show", f"HEAD:{PREFIX}/models/m0100/model.yaml") == "changed\n"


def test_git_gc_is_due_as_git_counts(repo: Path) -> None:
    gitrepo = GitRepo.discover(repo)
    git(repo, "config", "gc.auto", "512")  # Git repacks past 512 / 256 = 2 in objects/17
    folder = repo / ".git/objects/17"
    folder.mkdir(exist_ok=True)
    for i in range(2):
        (folder / f"{i:038x}").touch()
    (folder / "tmp_obj_x").touch()
    assert not upkeep.needs_gc(gitrepo)
    (folder / f"{2:038x}").touch()
    assert upkeep.needs_gc(gitrepo)
    (repo / ".git" / upkeep.STAMP).parent.mkdir(parents=True, exist_ok=True)
    (repo / ".git" / upkeep.STAMP).touch()  # started a moment ago: not again
    assert not upkeep.needs_gc(gitrepo)
    git(repo, "config", "gc.auto", "0")
    (repo / ".git" / upkeep.STAMP).unlink()
    assert not upkeep.needs_gc(gitrepo)
