"""What must hold after a load test (issue #6): each change in history exactly once, with
its own trailers and `Modelreg-Op-Id`; versions exactly 1..N, each process's increasing; the
final state the sum of every change; `modelreg validate` and `git fsck --strict` clean."""

from __future__ import annotations

import subprocess
from collections import Counter
from pathlib import Path
from typing import NamedTuple

from load_workers import MODEL, Result

from helpers import git_out
from mlflow_support import validate
from modelreg import Registry


class Landed(NamedTuple):
    commit: str
    parents: list[str]
    trailers: dict[str, str]

    def trace(self) -> tuple[str, int, str]:
        t = self.trailers
        key = t.get("Alias") or t.get("Tag") or t.get("Stage") or ""
        return t.get("Modelreg-Op", ""), int(t.get("Version", "0")), key


def landed(repo: Path, base: str, tip: str) -> list[Landed]:
    """Every commit base..tip (all parents, not only first ones), with its trailers."""
    out = git_out(repo, "log", "--format=%H%x1f%P%x1f%(trailers:only,unfold)%x1e",
                  f"{base}..{tip}")
    commits = []
    for record in filter(None, (r.strip("\n") for r in out.split("\x1e"))):
        commit, parents, trailers = record.split("\x1f")
        pairs = (line.split(": ", 1) for line in trailers.splitlines() if ": " in line)
        commits.append(Landed(commit, parents.split(), dict(pairs)))
    return commits


def check_history(repo: Path, base: str, tip: str, results: list[Result]) -> None:
    """One straight commit per change, each with its own op id and the trailers of the change
    its worker made; the commits the library reported are exactly these."""
    commits = landed(repo, base, tip)
    done = [d for r in results for d in r.done]
    assert len(commits) == len(done), f"{len(commits)} commits for {len(done)} changes"
    assert all(len(c.parents) == 1 for c in commits), "not a straight line of commits"
    ids = Counter(c.trailers.get("Modelreg-Op-Id") for c in commits)
    assert None not in ids and max(ids.values()) == 1, ids.most_common(3)
    assert {c.trailers.get("Model") for c in commits} == {MODEL}
    seen = Counter(c.trace() for c in commits)
    made = Counter((d.op, d.version, d.key) for d in done)
    assert seen == made, f"in history only: {seen - made}; made only: {made - seen}"
    by_commit = {c.commit: c.trace() for c in commits}
    reported = {d.commit: (d.op, d.version, d.key) for d in done if d.commit}
    if reported:  # through the library: each change names its own commit
        assert reported == by_commit, "the commits the library reported are not these"


def check_versions(results: list[Result]) -> list[int]:
    """Versions exactly 1..N, and each process's own strictly increasing."""
    mine = [[d.version for d in r.done if d.op == "version-create"] for r in results]
    for own in mine:
        assert own == sorted(set(own)), f"a process's versions do not increase: {own}"
    union = sorted(v for own in mine for v in own)
    assert union == list(range(1, len(union) + 1)), f"versions are not 1..N: {union}"
    return union


def check_state(reg: Registry, results: list[Result]) -> None:
    """The final state holds every change: no alias move, tag or stage was lost."""
    done = [d for r in results for d in r.done]
    numbers = check_versions(results)
    model = reg.get_registered_model(MODEL)
    assert model.last_version == len(numbers), model.last_version
    last = {d.key: d.version for d in done if d.op == "alias-set"}  # each process's, in order
    assert dict(model.aliases) == last, (dict(model.aliases), last)
    tagged = {d.key: d.value for d in done if d.op == "model-tag-set"}
    assert dict(model.tags) == tagged, (dict(model.tags), tagged)
    tags = {d.version: {"step": d.value} for d in done if d.op == "version-tag-set"}
    stages = {d.version: d.key for d in done if d.op == "stage-transition"}
    live = reg.search_model_versions(f"name = '{MODEL}'", max_results=1000)
    assert sorted(mv.version for mv in live) == numbers, [mv.version for mv in live]
    for mv in live:
        assert dict(mv.tags) == tags.get(mv.version, {}), (mv.version, mv.tags)
        assert mv.current_stage.value == stages.get(mv.version, "None"), (mv.version, mv)


def check_clean(repo: Path, registry: Path | str) -> None:
    checked = validate(registry)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    fsck = subprocess.run(["git", "fsck", "--strict", "--no-dangling", "--no-progress"],
                          cwd=repo, capture_output=True, text=True)
    assert (fsck.returncode, fsck.stdout + fsck.stderr) == (0, ""), fsck.stdout + fsck.stderr


def tip(repo: Path, ref: str = "main") -> str:
    return git_out(repo, "rev-parse", ref).strip()
