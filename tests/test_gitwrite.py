"""Commits, ref updates and configuration written and read without libgit2 (issue #5).

Each is checked against Git itself: the same commit id as `git commit-tree` and libgit2 make,
reflog lines as `git update-ref` writes them, values read as `git config --type` reads them.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import git
from modelreg.errors import GitError
from modelreg.gitrepo import BranchMoved, GitRepo, commit_files, compare_and_swap
from modelreg.gitrepo.commits import commit_bytes
from modelreg.gitrepo.config import parse_bool, parse_int
from modelreg.gitrepo.ident import Ident
from modelreg.gitrepo.objects import ObjectWriter

MAIN = "refs/heads/main"
_TIME = re.compile(r" \d+ [+-]\d{4}\t")


def _commit(repo: Path, message: str = "x\n", files: dict[str, bytes] | None = None) -> str:
    """A commit on HEAD's tip made by our writer (not yet on any branch)."""
    gitrepo = GitRepo.discover(repo)
    return commit_files(gitrepo, gitrepo.head_commit(), files or {"f": message.encode()},
                        message)


def _log(repo: Path, name: str) -> list[str]:
    """A reflog's lines with the time masked (Git and we write it at different seconds)."""
    path = repo / ".git" / "logs" / name
    return [_TIME.sub(" T\t", line) for line in path.read_text().splitlines()]


# ------------------------------------------------------------------------------ commits


@pytest.mark.parametrize("offset", [0, 90, -330])
def test_a_commit_is_byte_for_byte_what_git_and_libgit2_write(repo: Path, offset: int) -> None:
    import pygit2

    gitrepo = GitRepo.discover(repo)
    tree = git(repo, "rev-parse", "HEAD^{tree}").strip()
    parent = gitrepo.head_commit()
    assert parent is not None
    author = Ident("Zoë Ünïcode", "zoe@example.com", 1_700_000_000, offset)
    committer = Ident("Bot", "bot@example.com", 1_700_000_123, offset)
    message = "Register m version 1\n\nModelreg-Op: register\n"
    ours = ObjectWriter(gitrepo).write(b"commit", commit_bytes(tree, [parent], author,
                                                               committer, message))
    sign = "-" if offset < 0 else "+"
    zone = f"{sign}{abs(offset) // 60:02d}{abs(offset) % 60:02d}"
    env = {**os.environ, "GIT_AUTHOR_NAME": author.name, "GIT_AUTHOR_EMAIL": author.email,
           "GIT_AUTHOR_DATE": f"@{author.time} {zone}", "GIT_COMMITTER_NAME": committer.name,
           "GIT_COMMITTER_EMAIL": committer.email,
           "GIT_COMMITTER_DATE": f"@{committer.time} {zone}"}
    theirs = subprocess.run(["git", "commit-tree", tree, "-p", parent], input=message, cwd=repo,
                            env=env, check=True, capture_output=True, text=True).stdout.strip()
    raw = pygit2.Repository(str(repo))
    made = raw.create_commit(None, pygit2.Signature(author.name, author.email, author.time,
                                                    offset),
                             pygit2.Signature(committer.name, committer.email, committer.time,
                                              offset), message, tree, [parent])
    assert ours == theirs == str(made)
    assert git(repo, "fsck", "--strict", "--no-dangling") == ""


def test_commits_name_the_committer_apart_from_the_author(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GIT_COMMITTER_NAME", "CI Bot")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "ci@example.com")
    commit = _commit(repo)
    shown = git(repo, "show", "-s", "--format=%an <%ae>|%cn <%ce>|%ct", commit).strip()
    author, committer, when = shown.split("|")
    assert (author, committer) == ("Test User <test@example.com>", "CI Bot <ci@example.com>")
    assert abs(int(when) - dt.datetime.now().timestamp()) < 60


def test_a_date_in_gits_environment_is_read_as_git_reads_it(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GIT_AUTHOR_DATE", "2005-04-07T22:13:13 +0200")
    monkeypatch.setenv("GIT_COMMITTER_DATE", "1112911993 +0200")
    commit = _commit(repo)
    assert git(repo, "show", "-s", "--format=%ad|%cd", "--date=raw", commit).strip() == (
        "1112904793 +0200|1112911993 +0200")
    gitrepo = GitRepo.discover(repo)
    compare_and_swap(gitrepo, MAIN, commit, gitrepo.head_commit(), "modelreg: dated")
    assert git(repo, "log", "-g", "-1", "--format=%gd %gs", "--date=raw", MAIN).strip() == (
        "main@{1112911993 +0200} modelreg: dated")


def test_commit_gpgsign_is_left_to_git_commit_tree(repo: Path, tmp_path: Path) -> None:
    """A signing program standing in for gpg (it answers as gpg does on `--status-fd`)."""
    signer = tmp_path / "sign.sh"
    signer.write_text("#!/bin/sh\ncat >/dev/null\necho '[GNUPG:] SIG_CREATED ' >&2\n"
                      "printf -- '-----BEGIN PGP SIGNATURE-----\\nfake\\n"
                      "-----END PGP SIGNATURE-----\\n'\n")
    signer.chmod(0o755)
    git(repo, "config", "commit.gpgSign", "true")
    git(repo, "config", "gpg.program", str(signer))
    commit = _commit(repo)
    raw = git(repo, "cat-file", "commit", commit)
    assert "\ngpgsig -----BEGIN PGP SIGNATURE-----\n fake\n" in raw
    assert "author Test User <test@example.com>" in raw


def test_an_identity_that_cannot_be_written_is_refused(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Eve <eve@evil>")
    with pytest.raises(GitError, match="author identity 'Eve <eve@evil>' cannot be written"):
        _commit(repo)


# ------------------------------------------------------------------------------ ref updates


def test_a_branch_moves_with_the_reflog_git_writes(repo: Path) -> None:
    """Our update and `git update-ref` leave the same lines in the branch's and HEAD's log."""
    gitrepo = GitRepo.discover(repo)
    tip = gitrepo.head_commit()
    one, two = _commit(repo, "one\n"), _commit(repo, "two\n")
    compare_and_swap(gitrepo, MAIN, one, tip, "modelreg: Set  alias\tx ")
    git(repo, "update-ref", "-m", "modelreg: Set  alias\tx ", MAIN, two, one)
    ours, theirs = _log(repo, MAIN)[-2:]
    assert ours.replace(f"{tip} {one}", f"{one} {two}") == theirs
    assert _log(repo, "HEAD")[-2:] == _log(repo, MAIN)[-2:]
    assert git(repo, "log", "-g", "--format=%gs", "-2", MAIN).splitlines() == [
        "modelreg: Set alias x", "modelreg: Set alias x"]
    assert not (repo / ".git" / f"{MAIN}.lock").exists()
    assert git(repo, "fsck", "--strict", "--no-dangling") == ""


def test_a_held_lock_is_a_moved_branch_and_stays_its_holders(repo: Path) -> None:
    gitrepo = GitRepo.discover(repo)
    tip = gitrepo.head_commit()
    lock = repo / ".git" / f"{MAIN}.lock"
    lock.write_text("held by git\n")
    with pytest.raises(BranchMoved):
        compare_and_swap(gitrepo, MAIN, _commit(repo), tip, "modelreg: x")
    assert lock.read_text() == "held by git\n" and gitrepo.head_commit() == tip
    lock.unlink()
    compare_and_swap(gitrepo, MAIN, _commit(repo), tip, "modelreg: x")  # a stale lock removed


def test_no_lock_is_left_behind_on_an_error(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    gitrepo = GitRepo.discover(repo)
    tip, commit = gitrepo.head_commit(), _commit(repo)
    with pytest.raises(BranchMoved):
        compare_and_swap(gitrepo, MAIN, commit, commit, "modelreg: stale")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "a<b")  # the reflog line cannot be written
    with pytest.raises(GitError, match="committer identity"):
        compare_and_swap(gitrepo, MAIN, commit, tip, "modelreg: x")
    assert list((repo / ".git" / "refs" / "heads").iterdir()) == [repo / ".git" / MAIN]
    assert gitrepo.head_commit() == tip


def test_a_packed_only_ref_gets_a_loose_file(repo: Path) -> None:
    git(repo, "branch", "team/nested")
    git(repo, "pack-refs", "--all")
    assert not (repo / ".git" / "refs" / "heads" / "team").exists()
    gitrepo = GitRepo.discover(repo)
    tip, commit = gitrepo.head_commit(), _commit(repo)
    for ref in (MAIN, "refs/heads/team/nested"):
        compare_and_swap(gitrepo, ref, commit, tip, "modelreg: x")
        assert git(repo, "rev-parse", ref).strip() == commit
    assert git(repo, "fsck", "--strict", "--no-dangling") == ""


def test_a_detached_head_keeps_its_log(repo: Path) -> None:
    gitrepo = GitRepo.discover(repo)
    tip = gitrepo.head_commit()
    git(repo, "checkout", "-q", "--detach")
    head_log = _log(repo, "HEAD")
    one = _commit(repo)
    compare_and_swap(gitrepo, MAIN, one, tip, "modelreg: x")
    assert _log(repo, "HEAD") == head_log  # HEAD does not name main: only main's log grows
    two = _commit(repo, "two\n")
    compare_and_swap(gitrepo, "HEAD", two, tip, "modelreg: head")  # moves HEAD itself
    assert git(repo, "rev-parse", "HEAD", MAIN).split() == [two, one]
    assert git(repo, "log", "-g", "-1", "--format=%H %gs", "HEAD").strip() == (
        f"{two} modelreg: head")


def test_a_linked_worktree_logs_its_own_head(repo: Path, tmp_path: Path) -> None:
    git(repo, "worktree", "add", "-q", "-b", "wt", str(tmp_path / "wt"))
    gitrepo = GitRepo.discover(tmp_path / "wt")
    tip = gitrepo.head_commit()
    commit = _commit(tmp_path / "wt")
    compare_and_swap(gitrepo, "refs/heads/wt", commit, tip, "modelreg: in a worktree")
    for where, name in ((tmp_path / "wt", "HEAD"), (repo, "wt")):
        assert git(where, "log", "-g", "-1", "--format=%H %gs", name).strip() == (
            f"{commit} modelreg: in a worktree")
    assert "modelreg" not in git(repo, "log", "-g", "--format=%gs", "HEAD")


def _logs_kept(dot: Path) -> set[str]:
    return {p.relative_to(dot / "logs").as_posix() for p in (dot / "logs").rglob("*")
            if p.is_file() and p.read_text()}


@pytest.mark.parametrize(("setting", "bare", "logged"), [
    (None, False, {"HEAD", MAIN, "refs/modelreg/x"}),  # refs/modelreg/x: its log exists
    (None, True, {"refs/modelreg/x"}),
    ("always", True, {"HEAD", MAIN, "refs/modelreg/x", "refs/modelreg/y"}),
    ("false", False, {"refs/modelreg/x"}),
])
def test_reflogs_are_kept_where_git_keeps_them(
    repo: Path, tmp_path: Path, setting: str | None, bare: bool, logged: set[str]
) -> None:
    """The same updates by us and by `git update-ref` in a twin leave the same logs."""
    where = tmp_path / "bare.git" if bare else repo
    if bare:
        git(tmp_path, "clone", "-q", "--bare", str(repo), str(where))
    dot = where if bare else where / ".git"
    tip = git(where, "rev-parse", "main").strip()
    for ref in ("refs/modelreg/x", "refs/modelreg/y"):
        (dot / ref).parent.mkdir(parents=True, exist_ok=True)
        (dot / ref).write_text(tip + "\n")
    shutil.rmtree(dot / "logs", ignore_errors=True)
    (dot / "logs/refs/modelreg").mkdir(parents=True)
    (dot / "logs/refs/modelreg/x").write_text("")
    if setting is not None:
        git(where, "config", "core.logAllRefUpdates", setting)
    twin = tmp_path / "twin"
    shutil.copytree(where, twin, symlinks=True)
    twin_dot = twin if bare else twin / ".git"
    commit = git(where, "commit-tree", "-p", tip, "-m", "x", f"{tip}^{{tree}}").strip()
    git(twin, "commit-tree", "-p", tip, "-m", "x", f"{tip}^{{tree}}")
    gitrepo = GitRepo.discover(where)
    for ref in (MAIN, "refs/modelreg/x", "refs/modelreg/y"):
        compare_and_swap(gitrepo, ref, commit, tip, "modelreg: x")
        git(twin, "update-ref", "-m", "modelreg: x", ref, commit, tip)
    assert _logs_kept(dot) == _logs_kept(twin_dot) == logged


def test_a_new_or_symbolic_ref_is_left_to_git_update_ref(repo: Path) -> None:
    gitrepo = GitRepo.discover(repo)
    tip = gitrepo.head_commit()
    assert tip is not None
    compare_and_swap(gitrepo, "refs/heads/new", tip, None, "modelreg: create")
    with pytest.raises(BranchMoved):
        compare_and_swap(gitrepo, "refs/heads/new", tip, None, "modelreg: again")
    git(repo, "symbolic-ref", "refs/heads/alias", "refs/heads/new")
    commit = _commit(repo)
    compare_and_swap(gitrepo, "refs/heads/alias", commit, tip, "modelreg: via a symref")
    assert git(repo, "rev-parse", "refs/heads/new").strip() == commit
    assert git(repo, "symbolic-ref", "refs/heads/alias").strip() == "refs/heads/new"


# ------------------------------------------------------------------------------ configuration


@pytest.mark.parametrize("value", ["true", "Yes", "ON", "false", "no", "Off", "", "0", "1",
                                   "2", "-1", "0x10", "010", "8k", "1M", "maybe", "1.5", "08"])
def test_values_read_as_git_reads_them(repo: Path, value: str) -> None:
    git(repo, "config", "test.value", value)
    for kind, parse in (("bool", parse_bool), ("int", parse_int)):
        proc = subprocess.run(["git", "config", f"--type={kind}", "test.value"], cwd=repo,
                              capture_output=True, text=True)
        if proc.returncode == 0:
            assert str(parse(value)).lower() == proc.stdout.strip()
        else:
            with pytest.raises(ValueError):
                parse(value)


def test_configuration_follows_includes_scopes_and_edits(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME"):
        monkeypatch.delenv(var)
    (tmp_path / "team.cfg").write_text("[user]\n\tname = Included Name\n[gc]\n\tauto = 12k\n")
    git(repo, "config", "includeIf.gitdir:**/repo/.git.path", str(tmp_path / "team.cfg"))
    gitrepo = GitRepo.discover(repo)
    assert gitrepo.identity() == ("Included Name", "test@example.com")
    assert gitrepo.config_int("gc.auto", 6700) == 12 * 1024
    monkeypatch.setenv("GIT_CONFIG_COUNT", "1")
    monkeypatch.setenv("GIT_CONFIG_KEY_0", "committer.name")
    monkeypatch.setenv("GIT_CONFIG_VALUE_0", "From The Environment")
    assert gitrepo.identity("committer") == ("From The Environment", "test@example.com")
    (tmp_path / "team.cfg").write_text("[user]\n\tname = Edited\n")  # a long-lived process
    assert gitrepo.identity() == ("Edited", "test@example.com")
    assert gitrepo.config_int("gc.auto", 6700) == 0 and gitrepo.config_flag("gc.x") is None
    git(repo, "config", "commit.gpgSign", "maybe")
    assert gitrepo.config_flag("commit.gpgsign") is False  # not a boolean: not signed
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "none"))
    monkeypatch.delenv("GIT_CONFIG_COUNT")
    git(repo, "config", "--unset", "includeIf.gitdir:**/repo/.git.path")
    assert gitrepo.identity() == ("modelreg", "modelreg@localhost")


def test_a_broken_configuration_is_a_one_line_error(repo: Path) -> None:
    (repo / ".git" / "config").write_text("[core\n")
    with pytest.raises(GitError, match=r"could not read Git's configuration of .*: fatal: bad"):
        GitRepo.discover(repo).identity()
