"""`modelreg log`: the audit trail of a real Git repository, however its commits were made.

The repository is built with plain `git` (as a person, a web editor or a forge's merge button
would): manifests written by `manifest.dump_*` or by hand, commits with and without modelreg's
trailers, a `--no-ff` merge, a squash merge, a commit outside the registry, a rename.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
from pathlib import Path

import pytest

from modelreg import layout, manifest, render
from modelreg.diff import EventKind
from modelreg.gitrepo import GitRepo
from modelreg.history import LogEntry, log, parse_trailers
from modelreg.model import (
    AliasTable,
    ArtifactMode,
    Artifacts,
    ModelVersion,
    RegisteredModel,
    RegistryConfig,
    Stage,
)

K = EventKind
PREFIX = "ml/registry"
CREATED = "2026-01-05T10:00:00.000Z"
ANA = ("Ana Lima", "ana@example.com")
BOB = ("Bob Stone", "bob@example.com")
EVE = ("Eve Park", "eve@example.com")


def run_git(repo: Path, *args: str, who: tuple[str, str] = ANA, day: int = 1) -> str:
    """git as `who`, at 12:00 UTC on January `day` 2026 (author and committer alike)."""
    stamp = f"2026-01-{day:02d}T12:00:00+00:00"
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": who[0], "GIT_AUTHOR_EMAIL": who[1], "GIT_AUTHOR_DATE": stamp,
        "GIT_COMMITTER_NAME": who[0], "GIT_COMMITTER_EMAIL": who[1], "GIT_COMMITTER_DATE": stamp,
    }
    done = subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True,
                          text=True)
    return done.stdout


def write(repo: Path, files: dict[str, bytes | None]) -> None:
    for rel, data in files.items():
        path = repo / PREFIX / rel
        if data is None:
            path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def commit(repo: Path, message: str, *, who: tuple[str, str] = ANA, day: int = 1) -> str:
    run_git(repo, "add", "-A", who=who, day=day)
    run_git(repo, "commit", "-q", "-m", message, who=who, day=day)
    return run_git(repo, "rev-parse", "HEAD").strip()


def trailers(op: str, op_id: str, **more: str) -> str:
    lines = [f"Modelreg-Op: {op}", *(f"{k}: {v}" for k, v in more.items())]
    return "\n".join([*lines, f"Modelreg-Op-Id: {op_id}"])


def version(name: str, number: int) -> bytes:
    return manifest.dump_version(ModelVersion(
        name=name, version=number, source=f"runs:/r{number}/model", run_id=f"r{number}",
        artifacts=Artifacts(mode=ArtifactMode.STORED, uri=f"sha256/{number:064x}",
                            digest=f"sha256:{number:064x}"),
        metrics={"auc": 0.8 + number / 100}, created_at=CREATED, created_by="ana"))


def model(name: str, last: int, description: str = "") -> bytes:
    return manifest.dump_model(RegisteredModel(
        name=name, description=description, last_version=last, created_at=CREATED,
        created_by="ana"))


def aliases(table: dict[str, int], **stages: tuple[int, ...]) -> bytes:
    return manifest.dump_aliases(AliasTable(
        aliases=table, stages={Stage(k): v for k, v in stages.items()}))


@dataclasses.dataclass
class History:
    path: Path
    commits: dict[str, str]


@pytest.fixture
def history(repo: Path) -> History:
    """main's first-parent history, oldest first (`repo` holds one empty initial commit)."""
    c: dict[str, str] = {}
    write(repo, {"registry.yaml": manifest.dump_registry(RegistryConfig(id="r1", store="s3://b"))})
    c["init"] = commit(repo, "Create the registry\n\n" + trailers("init", "op-0"), day=2)
    write(repo, {
        layout.model_file("fraud"): model("fraud", 1),
        layout.aliases_file("fraud"): aliases({}),
        layout.version_file("fraud", 1): version("fraud", 1),
    })
    c["register"] = commit(repo, "Register fraud version 1\n\n" + trailers(
        "version-create", "op-1", Model="fraud", Version="1"), day=3)
    (repo / "README.md").write_text("# ML platform\n")
    c["readme"] = commit(repo, "Docs", day=4)
    # A hand edit in an editor: no trailers, different author.
    write(repo, {layout.model_file("fraud"): model("fraud", 1, "Scores card payments")})
    c["hand"] = commit(repo, "Describe the fraud model", who=BOB, day=5)
    # A pull request merged with a merge commit: v2 registered, then champion set, on a branch.
    run_git(repo, "checkout", "-q", "-b", "feature")
    write(repo, {layout.version_file("fraud", 2): version("fraud", 2),
                 layout.model_file("fraud"): model("fraud", 2, "Scores card payments")})
    commit(repo, "Register fraud version 2", who=EVE, day=6)
    write(repo, {layout.aliases_file("fraud"): aliases({"champion": 2}, Production=(2,))})
    commit(repo, "Make v2 champion", who=EVE, day=6)
    run_git(repo, "checkout", "-q", "main")
    run_git(repo, "merge", "-q", "--no-ff", "feature", "-m", "Merge pull request #7", who=BOB,
            day=7)
    c["merge"] = run_git(repo, "rev-parse", "HEAD").strip()
    # A squash merge of another branch, as a forge's button makes it.
    run_git(repo, "checkout", "-q", "-b", "churn")
    write(repo, {layout.model_file("churn"): model("churn", 0),
                 layout.aliases_file("churn"): aliases({})})
    commit(repo, "Create churn", who=EVE, day=8)
    run_git(repo, "checkout", "-q", "main")
    run_git(repo, "merge", "-q", "--squash", "churn", day=9)
    c["squash"] = commit(repo, "Create churn (#8)", who=EVE, day=9)
    # Rename fraud -> fraud-eu: the folder moves, names inside are rewritten.
    run_git(repo, "rm", "-rq", f"{PREFIX}/models/fraud")
    write(repo, {
        layout.model_file("fraud-eu"): model("fraud-eu", 2, "Scores card payments"),
        layout.aliases_file("fraud-eu"): aliases({"champion": 2}, Production=(2,)),
        layout.version_file("fraud-eu", 1): version("fraud-eu", 1),
        layout.version_file("fraud-eu", 2): version("fraud-eu", 2),
    })
    c["rename"] = commit(repo, "Rename fraud to fraud-eu\n\n" + trailers(
        "model-rename", "op-2", Model="fraud-eu"), day=10)
    # A web-editor commit that moves the alias by hand, and one that breaks a file.
    write(repo, {layout.aliases_file("fraud-eu"): b"aliases:\n  champion: 1\nstages: {}\n"})
    c["web"] = commit(repo, "Update aliases.yaml", who=BOB, day=11)
    write(repo, {layout.aliases_file("churn"): b"aliases: {}\naliases: {}\n"})
    c["broken"] = commit(repo, "Update aliases.yaml", who=BOB, day=12)
    return History(repo, c)


def entries(h: History, **options: object) -> list[LogEntry]:
    return list(log(GitRepo.discover(h.path), PREFIX, **options))  # type: ignore[arg-type]


def test_log_lists_every_registry_change_newest_first(history: History) -> None:
    c = history.commits
    got = entries(history)
    assert [e.commit for e in got] == [
        c["broken"], c["web"], c["rename"], c["squash"], c["merge"], c["hand"], c["register"],
        c["init"],
    ]  # the README commit and the initial commit changed nothing in the registry
    assert [(e.author, e.author_email, e.time) for e in got[:3]] == [
        ("Bob Stone", "bob@example.com", "2026-01-12T12:00:00.000Z"),
        ("Bob Stone", "bob@example.com", "2026-01-11T12:00:00.000Z"),
        ("Ana Lima", "ana@example.com", "2026-01-10T12:00:00.000Z"),
    ]


def test_each_commit_is_described_by_its_diff(history: History) -> None:
    by_commit = {e.commit: e for e in entries(history)}
    c = history.commits

    def what(name: str) -> list[tuple[str | None, str, int | None]]:
        return [(e.model, e.kind.value, e.version) for e in by_commit[c[name]].events]

    assert what("init") == [(None, "registry-created", None)]
    assert what("register") == [
        ("fraud", "model-created", None), ("fraud", "version-registered", 1)]
    assert what("hand") == [("fraud", "model-description-edited", None)]
    assert what("merge") == [  # the merge commit against its first parent: the whole PR
        ("fraud", "version-registered", 2), ("fraud", "alias-set", 2),
        ("fraud", "stage-changed", 2)]
    assert what("squash") == [("churn", "model-created", None)]
    assert what("rename") == [("fraud-eu", "model-renamed", None)]
    assert what("web") == [("fraud-eu", "alias-moved", 1), ("fraud-eu", "stage-changed", 2)]
    broken = by_commit[c["broken"]].events[0]
    assert (broken.kind, broken.model, broken.file) == (
        K.UNREADABLE, "churn", "models/churn/aliases.yaml")


def test_trailers_add_words_and_their_absence_changes_nothing(history: History) -> None:
    by_commit = {e.commit: e for e in entries(history)}
    c = history.commits
    registered = by_commit[c["register"]]
    assert (registered.op, registered.op_id, registered.summary) == (
        "version-create", "op-1", "Register fraud version 1")
    assert registered.trailers == {
        "Modelreg-Op": "version-create", "Model": "fraud", "Version": "1", "Modelreg-Op-Id": "op-1"}
    hand = by_commit[c["hand"]]
    assert (hand.op, hand.op_id, hand.trailers) == (None, None, {})
    assert hand.summary == "Describe the fraud model"


def test_model_filter_follows_a_rename_back(history: History) -> None:
    c = history.commits
    assert [e.commit for e in entries(history, model="fraud-eu")] == [
        c["web"], c["rename"], c["merge"], c["hand"], c["register"]]
    assert [e.commit for e in entries(history, model="fraud")] == [
        c["rename"], c["merge"], c["hand"], c["register"]]
    churn = entries(history, model="churn")
    assert [e.commit for e in churn] == [c["broken"], c["squash"]]
    assert all(ev.model == "churn" for e in churn for ev in e.events)
    assert entries(history, model="nope") == []


def test_rev_and_max_count(history: History) -> None:
    c = history.commits
    assert [e.commit for e in entries(history, max_count=2)] == [c["broken"], c["web"]]
    assert [e.commit for e in entries(history, rev=c["hand"])] == [
        c["hand"], c["register"], c["init"]]
    assert [e.commit for e in entries(history, rev="main~1", model="churn")] == [c["squash"]]
    assert [e.commit for e in entries(history, model="fraud-eu", max_count=3)] == [
        c["web"], c["rename"], c["merge"]]


def test_log_renders_as_text_and_json(history: History) -> None:
    got = entries(history, max_count=3)
    text = render.log_text(got)
    web = history.commits["web"]
    assert (
        f"{web[:10]}  2026-01-11T12:00:00.000Z  Bob Stone  Update aliases.yaml\n"
        "    fraud-eu@champion: moved v2 -> v1\n"
        "    fraud-eu v2: stage Production -> None\n"
    ) in text
    assert text.count("\n\n") == 2  # three blocks
    out = render.log_json(got)
    assert json.loads(json.dumps(out)) == out
    assert out[2]["op"] == "model-rename" and out[2]["events"][0]["old"] == "fraud"
    assert out[1]["author_email"] == "bob@example.com" and out[1]["op"] is None


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("Subject only", {}),
        ("Modelreg-Op: alias-set", {}),  # a subject is never a trailer
        ("Set alias\n\nModelreg-Op: alias-set\nAlias: champion\n",
         {"Modelreg-Op": "alias-set", "Alias": "champion"}),
        ("Set alias\n\nWhy: body text\nthat is prose\n", {}),
        ("T\n\nbody\n\nModelreg-Step: version-create\nModelreg-Step: alias-set\n",
         {"Modelreg-Step": "version-create, alias-set"}),
        ("T\n\nSigned-off-by: A <a@x>\n  continued\n", {"Signed-off-by": "A <a@x> continued"}),
        ("T\n\nModelreg-Op: x\n\nSee the wiki.\n", {}),
    ],
)
def test_parse_trailers(message: str, expected: dict[str, str]) -> None:
    assert parse_trailers(message) == expected
