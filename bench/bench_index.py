"""How long listing a registry takes through the index, and how much work each call does.

    python bench/bench_index.py [VERSIONS ...]      (default: 1000 10000)

For each size: a registry of VERSIONS versions (10 per model) is written with `manifest.dump_*`
into a fresh repository and committed once; then it times a direct walk of every manifest,
the index's first call (no file), a new process's call (file up to date, nothing in memory),
a warm call in the same process, and the call after one new version, with the counters that
show what each did.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from modelreg import layout, manifest
from modelreg.gitrepo import GitRepo
from modelreg.index import Index
from modelreg.index import codec as index_codec
from modelreg.model import (
    AliasTable,
    ArtifactMode,
    Artifacts,
    FileEntry,
    ModelVersion,
    RegisteredModel,
    Stage,
)
from modelreg.snapshot import Snapshot

PER_MODEL = 10
PREFIX = "registry"
T0 = "2026-01-02T03:04:05.678Z"


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "b@x",
           "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "b@x"}
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True,
                          env=env).stdout.strip()


def version(name: str, number: int) -> ModelVersion:
    files = tuple(FileEntry(path=f"model/part-{i}.bin", size=1000 + i, sha256=f"{number + i:064x}")
                  for i in range(3))
    return ModelVersion(
        name=name, version=number, description=f"Version {number} of {name}.",
        source=f"s3://bucket/runs/{name}/{number}/artifacts/model", run_id=f"{number:032x}",
        artifacts=Artifacts(mode=ArtifactMode.STORED, uri=f"sha256/{number:064x}",
                            digest=f"sha256:{number:064x}", size=3003, file_count=3, files=files),
        model_type="mlflow", flavors=("python_function", "sklearn"),
        tags={"team": "risk", "dataset": f"d{number % 7}"},
        metrics={"auc": 0.8 + number / 1e6, "rmse": 1.5}, created_at=T0, created_by="bench",
    )


def model(name: str, last: int) -> RegisteredModel:
    return RegisteredModel(name=name, last_version=last, created_at=T0, created_by="bench")


def write(root: Path, rel: str, data: bytes) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def build(repo: Path, total: int) -> None:
    git(repo.parent, "init", "-q", "-b", "main", repo.name)
    root = repo / PREFIX
    write(root, "registry.yaml", b'modelreg: 1\nid: "bench"\nstore: "artifacts"\n')
    for m in range(total // PER_MODEL):
        name = f"model-{m:05d}"
        write(root, layout.model_file(name), manifest.dump_model(model(name, PER_MODEL)))
        best = PER_MODEL - 1
        table = AliasTable(aliases={"champion": best}, stages={Stage.PRODUCTION: (best,)})
        write(root, layout.aliases_file(name), manifest.dump_aliases(table))
        for n in range(1, PER_MODEL + 1):
            write(root, layout.version_file(name, n), manifest.dump_version(version(name, n)))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "registry")


def timed(call: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = call()
    return (time.perf_counter() - start) * 1000, result


def median(call: Callable[[], Any], repeat: int = 7) -> tuple[float, Any]:
    samples = [timed(call) for _ in range(repeat)]
    return statistics.median(ms for ms, _ in samples), samples[-1][1]


_CHILD = """
import sys, time
from modelreg.gitrepo import GitRepo
from modelreg.index import Index
start = time.perf_counter()
index = Index.open(GitRepo.discover(sys.argv[1]), sys.argv[2])
count = len(index.versions(sys.argv[3]))
print((time.perf_counter() - start) * 1000, count)
"""


def new_process(path: Path, commit: str) -> tuple[float, int]:
    """The call as a CLI command makes it: a fresh interpreter, imports excluded."""
    runs = []
    for _ in range(3):
        out = subprocess.run([sys.executable, "-c", _CHILD, str(path), PREFIX, commit],
                             check=True, capture_output=True, text=True).stdout.split()
        runs.append((float(out[0]), int(out[1])))
    return statistics.median(ms for ms, _ in runs), runs[0][1]


def report(label: str, ms: float, index: Index | None = None, count: int | None = None) -> None:
    stats = index.stats.as_dict() if index is not None else {}
    shown = {k: v for k, v in stats.items() if v}
    rows = f"{count:>6} rows" if count is not None else ""
    print(f"  {label:<38} {ms:9.1f} ms  {rows}  {shown}")


def walk(repo: GitRepo, commit: str) -> list[ModelVersion]:
    snap = Snapshot(repo.tree_files(commit, PREFIX))
    return [v for n in snap.model_names() for v in snap.versions(n)]


def bench(total: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "repo"
        start = time.perf_counter()
        build(path, total)
        print(f"{total} versions, {total // PER_MODEL} models "
              f"(built in {time.perf_counter() - start:.1f} s)")
        repo = GitRepo.discover(path)
        commit = repo.head_commit()
        assert commit is not None
        ms, result = timed(lambda: walk(repo, commit))
        report("direct walk (parse every manifest)", ms, count=len(result))

        index_codec.forget_all()
        cold = Index.open(repo, PREFIX)
        ms, result = timed(lambda: cold.versions(commit))
        report("index, first call (no file)", ms, cold, len(result))
        assert result == walk(repo, commit)

        ms, result = new_process(path, commit)
        report("index, new process (file up to date)", ms, count=result)
        index_codec.forget_all()
        fresh = Index.open(repo, PREFIX)
        ms, result = timed(lambda: fresh.versions(commit))
        report("index, new Index, empty memo, same process", ms, fresh, len(result))

        for what, call in (("versions", fresh.versions), ("models", fresh.models),
                           ("model_names", fresh.model_names)):
            def once(call: Callable[[str | None], list[Any]] = call) -> list[Any]:
                fresh.stats.reset()  # the counters shown are those of one call
                return call(commit)

            ms, result = median(once)
            report(f"index, warm in process: {what}", ms, fresh, len(result))

        name = "model-00003"
        root = path / PREFIX
        more = version(name, PER_MODEL + 1)
        write(root, layout.version_file(name, more.version), manifest.dump_version(more))
        write(root, layout.model_file(name), manifest.dump_model(model(name, more.version)))
        git(path, "add", "-A")
        git(path, "commit", "-q", "-m", "one more")
        new = repo.head_commit()
        fresh.stats.reset()
        ms, result = timed(lambda: fresh.versions(new))
        report("index, after one new version", ms, fresh, len(result))
        for index in (cold, fresh):
            index.close()


def main(argv: list[str]) -> None:
    for total in [int(a) for a in argv] or [1000, 10_000]:
        bench(total)


if __name__ == "__main__":
    main(sys.argv[1:])
