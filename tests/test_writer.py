"""The writer on real repositories: one operation, one commit, built from Git objects.

Operations here are tiny hand-written ones (a file or two), so what is tested is the writer:
the commit and its message, compare-and-swap on a moved branch, the checkout kept in line,
uncommitted edits protected, a crash between the ref move and the sync completed later.
"""

from __future__ import annotations

import datetime as dt
import subprocess
from collections.abc import Mapping
from pathlib import Path

import pytest

from conftest import git
from modelreg import writer
from modelreg.change import Change, OpContext, Operation
from modelreg.errors import Conflict, NotFound
from modelreg.gitrepo import Checkout, GitRepo, commit_files, compare_and_swap
from modelreg.snapshot import Snapshot

PREFIX = "ml/reg"


def put(files: Mapping[str, bytes | None], summary: str = "Write files") -> Operation:
    def op(snapshot: Snapshot, ctx: OpContext) -> Change:
        return Change(writes=files, op="test-write", summary=summary, trailers=(("Model", "m"),))

    return op


def ctx() -> OpContext:
    return OpContext.create("tester")


def objects(repo: Path) -> set[str]:
    out = git(repo, "cat-file", "--batch-all-objects", "--batch-check=%(objectname)")
    return set(out.split())


def test_one_commit_with_trailers_and_a_clean_checkout(repo: Path) -> None:
    result = writer.apply(GitRepo.discover(repo), PREFIX, put({"a.yaml": b"a: 1\n"}), ctx())
    assert result.committed and result.retries == 0
    assert git(repo, "rev-parse", "HEAD").strip() == result.commit
    assert (repo / PREFIX / "a.yaml").read_bytes() == b"a: 1\n"
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == ""
    message = git(repo, "log", "-1", "--format=%B")
    assert message.startswith("Write files\n\nModelreg-Op: test-write\nModel: m\nModelreg-Op-Id: ")
    assert git(repo, "log", "-1", "--format=%(trailers:key=Modelreg-Op,valueonly)").strip() == (
        "test-write")
    assert "modelreg: Write files" in git(repo, "reflog", "-1")
    assert git(repo, "fsck", "--strict", "--no-progress") == ""


def test_only_the_trees_on_the_changed_path_are_written(repo: Path) -> None:
    gitrepo = GitRepo.discover(repo)
    many = {f"models/m{i}/model.yaml": f"name: m{i}\n".encode() for i in range(50)}
    writer.apply(gitrepo, PREFIX, put(many), ctx())
    before = objects(repo)
    writer.apply(gitrepo, PREFIX, put({"models/m7/model.yaml": b"name: m7\nx: 1\n"}), ctx())
    new = objects(repo) - before
    # a blob, the trees m7, models, reg, ml and the root, and the commit
    assert len(new) == 7


def test_a_change_that_changes_nothing_makes_no_commit(repo: Path) -> None:
    gitrepo = GitRepo.discover(repo)
    first = writer.apply(gitrepo, PREFIX, put({"a.yaml": b"a\n", "gone.yaml": None}), ctx())
    again = writer.apply(gitrepo, PREFIX, put({"a.yaml": b"a\n", "gone.yaml": None}), ctx())
    assert not again.committed and again.commit == first.commit
    assert git(repo, "rev-list", "--count", "HEAD").strip() == "2"


def test_a_moved_branch_reruns_the_operation_on_the_new_tip(repo: Path) -> None:
    gitrepo = GitRepo.discover(repo)
    seen: list[bytes | None] = []

    def count(snapshot: Snapshot, context: OpContext) -> Change:
        current = snapshot.files.read("counter")
        seen.append(current)
        if len(seen) == 1:  # another writer lands between our read and our ref update
            (repo / PREFIX).mkdir(parents=True, exist_ok=True)
            (repo / PREFIX / "counter").write_text("1")
            git(repo, "add", "-A")
            git(repo, "commit", "-q", "-m", "someone else")
        value = int(current or b"0") + 1
        return Change(writes={"counter": str(value).encode()}, op="count", summary="Count")

    result = writer.apply(gitrepo, PREFIX, count, ctx())
    assert result.retries == 1 and seen == [None, b"1"]
    assert (repo / PREFIX / "counter").read_text() == "2"
    assert git(repo, "log", "--format=%s", "-2").split("\n")[:2] == ["Count", "someone else"]
    assert git(repo, "status", "--porcelain") == ""


def test_compare_and_swap_refuses_a_stale_expectation(repo: Path) -> None:
    gitrepo = GitRepo.discover(repo)
    tip = gitrepo.head_commit()
    one = commit_files(gitrepo, tip, {"x": b"1"}, "one\n")
    two = commit_files(gitrepo, tip, {"x": b"2"}, "two\n")
    compare_and_swap(gitrepo, "refs/heads/main", one, tip, "first")
    from modelreg.gitrepo import BranchMoved

    with pytest.raises(BranchMoved):
        compare_and_swap(gitrepo, "refs/heads/main", two, tip, "second")
    assert gitrepo.head_commit() == one


def test_uncommitted_edits_in_the_way_refuse_the_write(repo: Path) -> None:
    gitrepo = GitRepo.discover(repo)
    writer.apply(gitrepo, PREFIX, put({"a.yaml": b"a\n", "b.yaml": b"b\n"}), ctx())
    (repo / PREFIX / "a.yaml").write_text("edited by hand\n")
    head = gitrepo.head_commit()
    with pytest.raises(Conflict, match=r"uncommitted changes to ml/reg/a\.yaml"):
        writer.apply(gitrepo, PREFIX, put({"a.yaml": b"new\n"}), ctx())
    assert gitrepo.head_commit() == head
    assert (repo / PREFIX / "a.yaml").read_text() == "edited by hand\n"
    # edits elsewhere in the registry do not stand in the way
    writer.apply(gitrepo, PREFIX, put({"b.yaml": b"b2\n"}), ctx())
    assert git(repo, "status", "--porcelain") == " M ml/reg/a.yaml\n"


def test_a_staged_edit_also_refuses(repo: Path) -> None:
    gitrepo = GitRepo.discover(repo)
    writer.apply(gitrepo, PREFIX, put({"a.yaml": b"a\n"}), ctx())
    (repo / PREFIX / "a.yaml").write_text("staged\n")
    git(repo, "add", "-A")
    (repo / PREFIX / "a.yaml").write_text("a\n")
    with pytest.raises(Conflict):
        writer.apply(gitrepo, PREFIX, put({"a.yaml": b"new\n"}), ctx())


def test_a_crash_after_the_ref_moved_is_completed_by_the_next_write(repo: Path) -> None:
    gitrepo = GitRepo.discover(repo)
    writer.apply(gitrepo, PREFIX, put({"a.yaml": b"a\n"}), ctx())
    base = gitrepo.head_commit()
    commit = commit_files(gitrepo, base, {f"{PREFIX}/a.yaml": b"moved\n"}, "crashed\n")
    checkout = Checkout(gitrepo)
    checkout.leave_note("refs/heads/main", base, commit)
    compare_and_swap(gitrepo, "refs/heads/main", commit, base, "crashed")  # then: the crash
    assert git(repo, "status", "--porcelain") != ""
    writer.apply(gitrepo, PREFIX, put({"b.yaml": b"b\n"}), ctx())
    assert (repo / PREFIX / "a.yaml").read_text() == "moved\n"
    assert git(repo, "status", "--porcelain") == ""


def test_deleting_files_removes_empty_folders(repo: Path) -> None:
    gitrepo = GitRepo.discover(repo)
    writer.apply(gitrepo, PREFIX, put({"models/m/a.yaml": b"a\n", "keep": b"k\n"}), ctx())
    writer.apply(gitrepo, PREFIX, put({"models/m/a.yaml": None}), ctx())
    assert not (repo / PREFIX / "models").exists()
    assert git(repo, "ls-files").split() == ["ml/reg/keep"]
    assert git(repo, "status", "--porcelain") == ""


def test_bare_repository_writes_move_the_branch(bare_remote: Path) -> None:
    gitrepo = GitRepo.discover(bare_remote)
    assert gitrepo.workdir is None and gitrepo.head_commit() is None
    first = writer.apply(gitrepo, "", put({"a": b"1"}), ctx(), ref="refs/heads/main")
    second = writer.apply(gitrepo, "", put({"b": b"2"}), ctx(), ref="refs/heads/main")
    assert gitrepo.ref_target("refs/heads/main") == second.commit
    assert gitrepo.first_parent_log(second.commit).__next__().parents == (first.commit,)


def test_detached_head_refuses(repo: Path) -> None:
    git(repo, "checkout", "-q", "--detach")
    with pytest.raises(Conflict, match="detached"):
        writer.apply(GitRepo.discover(repo), PREFIX, put({"a": b"1"}), ctx())


def test_reads_at_a_date_follow_first_parents(repo: Path) -> None:
    gitrepo = GitRepo.discover(repo)
    env = {"GIT_COMMITTER_DATE": "2026-01-10T12:00:00Z", "GIT_AUTHOR_DATE": "2026-01-10T12:00:00Z"}
    (repo / "f").write_text("1")
    git(repo, "add", "-A")
    subprocess.run(["git", "commit", "-q", "-m", "jan 10"], cwd=repo, check=True,
                   env={**__import__("os").environ, **env})
    jan10 = gitrepo.head_commit()
    end_of_day = dt.datetime(2026, 1, 10, 23, 59, 59, tzinfo=dt.timezone.utc)
    assert gitrepo.commit_at(end_of_day) == jan10
    with pytest.raises(NotFound, match="no commit at or before 2000-01-01"):
        gitrepo.commit_at(dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc))


def test_tree_files_read_a_registry_below_the_root(repo: Path) -> None:
    gitrepo = GitRepo.discover(repo)
    result = writer.apply(gitrepo, PREFIX, put({"models/m/model.yaml": b"name: m\n"}), ctx())
    files = gitrepo.tree_files(result.commit, PREFIX)
    assert files.read("models/m/model.yaml") == b"name: m\n"
    assert files.listdir("models") == ["m"] and files.listdir("nothing") == []
    assert files.read("models/m") is None and files.read("missing.yaml") is None
    assert files.tree_id("models") is not None and files.revision == result.commit
    changed = gitrepo.changed_paths(None, result.commit, PREFIX)
    assert [c.path for c in changed] == ["models/m/model.yaml"]
    assert gitrepo.tree_files(None, PREFIX).listdir("") == []
