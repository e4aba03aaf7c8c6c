"""Issue #4's benchmark: the same MlflowClient calls against the modelreg plugin and against
MLflow's own SQLite registry, in one run: create a version, set an alias, get by alias, search.
Prints each call's median and p95 in milliseconds and the plugin's time as a multiple of
SQLite's (a ratio of medians).

    .venv/bin/python bench/bench_mlflow.py                 # 200 calls of each
    .venv/bin/python bench/bench_mlflow.py --repeat 50 --preload 1000

Both registries start with `--preload` versions of one model (written through the same client
before timing), so searches and gets are measured on a registry that is not empty. The source
of every version is the same small local folder: the plugin hashes it (a reference, MLflow's
default), SQLite records the string.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from modelreg import Registry


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def modelreg_uri(root: Path) -> str:
    repo = root / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    reg = Registry.init(repo / "registry", actor="bench@example.com")
    return f"modelreg://{reg.location.path.resolve()}"


def clients(root: Path) -> dict[str, Any]:
    from mlflow import MlflowClient

    tracking = f"sqlite:///{root / 'tracking.db'}"
    sqlite = f"sqlite:///{root / 'registry.db'}"
    return {
        "modelreg": MlflowClient(tracking_uri=tracking, registry_uri=modelreg_uri(root)),
        "sqlite": MlflowClient(tracking_uri=tracking, registry_uri=sqlite),
    }


def calls(client: Any, source: str, counter: list[int]) -> dict[str, Callable[[], object]]:
    """The timed calls; `counter` holds the last version number created."""

    def create() -> object:
        mv = client.create_model_version("bench", source)
        counter[0] = int(mv.version)
        return mv

    return {
        "create_model_version": create,
        "set_registered_model_alias": lambda: client.set_registered_model_alias(
            "bench", "champion", counter[0]),
        "get_model_version_by_alias": lambda: client.get_model_version_by_alias(
            "bench", "champion"),
        "search_model_versions": lambda: client.search_model_versions(
            "name = 'bench'", max_results=100),
    }


def measure(client: Any, source: str, *, repeat: int, preload: int) -> dict[str, list[float]]:
    client.create_registered_model("bench")
    counter = [0]
    todo = calls(client, source, counter)
    for _ in range(preload):
        todo["create_model_version"]()
    todo["set_registered_model_alias"]()  # warm-up: caches, lazy imports
    out: dict[str, list[float]] = {name: [] for name in todo}
    for _ in range(repeat):
        for name, fn in todo.items():  # interleaved, as a workflow runs them
            start = time.perf_counter()
            fn()
            out[name].append((time.perf_counter() - start) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--preload", type=int, default=100)
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # MLflow's own deprecations (stages, SQLAlchemy)
    with tempfile.TemporaryDirectory(prefix="bench-mlflow-") as tmp:
        root = Path(tmp)
        source = root / "model"
        source.mkdir()
        (source / "model.bin").write_text("weights")
        results = {kind: measure(client, str(source), repeat=args.repeat, preload=args.preload)
                   for kind, client in clients(root).items()}
    print(f"{args.repeat} calls each, {args.preload} versions preloaded; milliseconds")
    print(f"{'call':<30} {'modelreg med':>12} {'p95':>8} {'sqlite med':>11} {'p95':>8} "
          f"{'ratio':>6}")
    for call in results["modelreg"]:
        ours, theirs = percentiles(results["modelreg"][call]), percentiles(results["sqlite"][call])
        print(f"{call:<30} {ours[0]:>12.2f} {ours[1]:>8.2f} {theirs[0]:>11.2f} "
              f"{theirs[1]:>8.2f} {ours[0] / theirs[0]:>5.1f}x")


if __name__ == "__main__":
    main()
