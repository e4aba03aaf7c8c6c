"""Concurrent writers on one machine never lose an update and never share a number (issue #2).

Eight processes, released together, each register 25 versions of one model and move an alias
to each; afterwards the versions are exactly 1..200, every alias move is in the log, Git is
consistent, and at least one compare-and-swap retry happened (otherwise it never raced).
"""

from __future__ import annotations

import multiprocessing as mp
import os
from pathlib import Path

import pytest

from helpers import git_out, init_registry, make_model
from modelreg import Registry

WORKERS = 8
EACH = 25


def _worker(folder: str, index: int, barrier: object, out: object) -> None:
    reg = Registry(folder, actor=f"worker-{index}@example.com")
    model = Path(folder).parent.parent / f"model-{index}"
    retries = 0
    mine: list[int] = []
    barrier.wait()  # type: ignore[attr-defined]
    for step in range(EACH):
        make_model(model, f"worker {index} step {step}\n")
        mv = reg.register("shared", model)
        retries += reg.last_write.retries if reg.last_write else 0
        reg.set_registered_model_alias("shared", f"w{index}", mv.version)
        retries += reg.last_write.retries if reg.last_write else 0
        mine.append(mv.version)
    out.put((index, mine, retries))  # type: ignore[attr-defined]


@pytest.mark.slow
def test_eight_processes_register_and_alias(repo: Path) -> None:
    reg = init_registry(repo)
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(WORKERS)
    out = ctx.Queue()
    procs = [
        ctx.Process(target=_worker, args=(str(reg.location.path), i, barrier, out))
        for i in range(WORKERS)
    ]
    for p in procs:
        p.start()
    results = [out.get(timeout=600) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    numbers = sorted(v for _, mine, _ in results for v in mine)
    assert numbers == list(range(1, WORKERS * EACH + 1))
    for _, mine, _ in results:
        assert mine == sorted(mine)  # each process's own versions strictly increase
    assert sum(r for _, _, r in results) > 0, "no compare-and-swap retry happened: never raced"

    fresh = Registry(reg.location.path)
    live = fresh.search_model_versions("name = 'shared'", max_results=1000)
    assert sorted(mv.version for mv in live) == numbers
    model = fresh.get_registered_model("shared")
    assert model.aliases == {f"w{i}": max(m) for i, m, _ in results}
    log = git_out(repo, "log", "--format=%(trailers:key=Modelreg-Op,valueonly)")
    assert log.split().count("alias-set") == WORKERS * EACH
    assert log.split().count("version-create") == WORKERS * EACH
    subprocess_fsck = git_out(repo, "fsck", "--strict", "--no-progress")
    assert "error" not in subprocess_fsck
    assert git_out(repo, "status", "--porcelain") == ""
    assert os.path.exists(repo / ".git")
