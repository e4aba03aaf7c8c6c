"""The index's first build alone, on a registry you have, as often as asked.

    python bench/bench_first_build.py REGISTRY [--repeat 5]

The cold row of bench_scale.py times a first search on fresh clones, and a fresh clone's own
writing back of its 110,000 files shares the 2 cores with it: that row moves with the disk.
This builds the index of REGISTRY's HEAD again and again into a scratch file, so that two
versions of modelreg can be compared on the same clone in alternation, e.g.
`PYTHONPATH=OLD/src python bench/bench_first_build.py R` against this tree's. It prints the
medians and p95 of the wall time and of the CPU time of this process and of its helpers.
`bench/make_registry.py DIR` makes a registry of 100,000 versions to run it on.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from modelreg.index import db, fresh
from modelreg.index.gittrees import Trees
from modelreg.index.stats import IndexStats
from modelreg.registry import Registry


def once(trees: Trees, prefix: str, tree: str, scratch: Path) -> tuple[float, float, float]:
    """(wall, this process's CPU, its helpers' CPU) of one first build, in seconds."""
    path = scratch / "index.sqlite3"
    db.discard(path)
    before, wall, cpu = os.times(), time.perf_counter(), time.process_time()
    fresh.build(path, prefix, trees, tree)
    after = os.times()
    helpers = (after.children_user + after.children_system
               - before.children_user - before.children_system)
    result = (time.perf_counter() - wall, time.process_time() - cpu, helpers)
    db.discard(path)
    return result


def summary(name: str, values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"{name} median {statistics.median(ordered):.2f} s, p95 {p95:.2f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("registry", type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    registry = Registry(args.registry)
    tree = registry.repo.tree_files(registry.head(), registry.prefix).tree_id("models")
    if tree is None:
        raise SystemExit(f"{args.registry}: no models folder at HEAD")
    trees = Trees(registry.repo.git_dir, IndexStats())
    runs = []
    with tempfile.TemporaryDirectory(prefix="bench-first-build-") as scratch:
        for _ in range(args.repeat):
            runs.append(once(trees, registry.prefix, tree, Path(scratch)))
    print(f"first build of {args.registry} ({args.repeat} runs):",
          summary("wall", [r[0] for r in runs]) + ";",
          summary("CPU", [r[1] + r[2] for r in runs]))


if __name__ == "__main__":
    main()
