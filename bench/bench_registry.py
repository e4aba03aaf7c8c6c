"""Issue #2's benchmark: register (metadata only), alias set, resolve and search at 1,000 and
10,000 versions, in process and as whole CLI processes, with medians and p95s, plus the Git
objects read and manifests parsed by one operation at each size (equal counts show a cost that
does not grow with the registry).

    .venv/bin/python bench/bench_registry.py            # both sizes
    .venv/bin/python bench/bench_registry.py --sizes 1000 --repeat 10
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from modelreg import Registry, manifest, ops
from modelreg.model import AliasTable, ModelVersion, RegisteredModel, Stage
from modelreg.snapshot import ParseStats

VERSIONS_PER_MODEL = 10
MODELREG = str(Path(sys.executable).parent / "modelreg")


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def build(root: Path, versions: int) -> tuple[Registry, ModelVersion]:
    """A registry of `versions` versions in versions/10 models, written as one commit."""
    repo = root / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    reg = Registry.init(repo / "registry", actor="bench@example.com")
    sample = root / "model"
    sample.mkdir()
    (sample / "model.bin").write_text("weights")
    template = reg.register("template", sample)
    models = reg.location.path / "models"
    now = "2026-11-24T00:00:00.000Z"
    for m in range(versions // VERSIONS_PER_MODEL):
        name = f"m{m:05d}"
        folder = models / name
        (folder / "versions").mkdir(parents=True)
        model = RegisteredModel(name=name, last_version=VERSIONS_PER_MODEL, created_at=now,
                                created_by="bench@example.com", tags={"team": f"t{m % 100}"})
        (folder / "model.yaml").write_bytes(manifest.dump_model(model))
        table = AliasTable(aliases={"champion": VERSIONS_PER_MODEL},
                           stages={Stage.PRODUCTION: (VERSIONS_PER_MODEL,)})
        (folder / "aliases.yaml").write_bytes(manifest.dump_aliases(table))
        for v in range(1, VERSIONS_PER_MODEL + 1):
            mv = ModelVersion(
                name=name, version=v, source=template.source, artifacts=template.artifacts,
                tags={"team": f"t{m % 100}", "n": str(v)}, metrics={"auc": 0.9},
                created_at=now, created_by="bench@example.com", model_type="custom",
            )
            (folder / "versions" / f"{v}.yaml").write_bytes(manifest.dump_version(mv))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", f"bench: {versions} versions")
    return Registry(reg.location.path, actor="bench@example.com"), template


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    fn()  # warm-up: caches, lazy imports
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def counted(reg: Registry, fn: Callable[[], object]) -> tuple[int, int]:
    """Objects read and manifests parsed by one call (after a warm-up call)."""
    fn()
    objects, parsed = reg.repo.stats.objects_read, ParseStats.parsed
    fn()
    return reg.repo.stats.objects_read - objects, ParseStats.parsed - parsed


def operations(
    reg: Registry, template: ModelVersion, n_models: int
) -> dict[str, Callable[[], object]]:
    rng = random.Random(7)
    counter = iter(range(10**9))
    assert template.artifacts is not None

    def register() -> object:
        name = f"m{rng.randrange(n_models):05d}"
        return reg._write(ops.create_model_version(
            name, artifacts=template.artifacts, source=template.source, tags={"k": "v"},
        ))

    def alias_set() -> object:
        name = f"m{rng.randrange(n_models):05d}"
        return reg.set_registered_model_alias(name, "challenger", 1 + next(counter) % 9)

    def resolve() -> object:
        return reg.resolve(f"models:/m{rng.randrange(n_models):05d}@champion")

    def search() -> object:
        return reg.search_model_versions(f"tags.team = 't{rng.randrange(100)}'", max_results=10000)

    return {"register": register, "alias set": alias_set, "resolve": resolve, "search": search}


def cli_commands(n_models: int) -> dict[str, Callable[[int], list[str]]]:
    return {
        "register": lambda i: [],  # needs artifacts: measured in process only
        "alias set": lambda i: [
            "alias", "set", f"m{i % n_models:05d}", "challenger", str(1 + i % 9)
        ],
        "resolve": lambda i: ["resolve", f"models:/m{i % n_models:05d}@champion"],
        "search": lambda i: ["search", f"tags.team = 't{i % 100}'", "--max-results", "10000"],
    }


def cli_times(folder: Path, argv_for: Callable[[int], list[str]], repeat: int) -> list[float]:
    samples = []
    env = {**os.environ, "MODELREG_REGISTRY": str(folder)}
    for i in range(repeat + 1):
        argv = argv_for(i)
        if not argv:
            return []
        start = time.perf_counter()
        subprocess.run([MODELREG, *argv], check=True, capture_output=True, env=env)
        if i:  # the first run warms the OS cache and the index
            samples.append((time.perf_counter() - start) * 1000)
    return samples


def run_size(size: int, repeat: int, cli_repeat: int) -> list[tuple[object, ...]]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        reg, template = build(Path(tmp), size)
        print(f"built {size} versions in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        n_models = size // VERSIONS_PER_MODEL
        ops_ = operations(reg, template, n_models)
        clis = cli_commands(n_models)
        for name, fn in ops_.items():
            objects, parsed = counted(reg, fn)
            inproc = percentiles(timed(fn, repeat))
            cli = cli_times(reg.location.path, clis[name], cli_repeat)
            cli_p = percentiles(cli) if cli else (float("nan"), float("nan"))
            rows.append((size, name, *inproc, *cli_p, objects, parsed))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--cli-repeat", type=int, default=15)
    args = parser.parse_args()
    header = ("versions", "operation", "in-proc median ms", "p95", "CLI median ms", "p95",
              "objects read", "manifests parsed")
    rows = [row for size in args.sizes for row in run_size(size, args.repeat, args.cli_repeat)]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        cells = [f"{c:.1f}" if isinstance(c, float) else str(c) for c in row]
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
