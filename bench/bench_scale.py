"""Issue #5's benchmark: every target row at 1,000 versions and at the requested size (default
100,000 versions in 10,000 models), in process and as whole CLI processes, median and p95,
with the Git objects read and manifests parsed by one in-process call; then the same rows on the
repository after many writes (loose objects); optionally the same calls on MLflow's SQLite
registry, with modelreg/MLflow ratios of medians from the same run.

    .venv/bin/python bench/bench_scale.py              # 1,000 and 100,000; MLflow at 10,000
    .venv/bin/python bench/bench_scale.py --quick      # 1,000 and 20,000; MLflow at 2,000
    .venv/bin/python bench/bench_scale.py --no-mlflow  # without MLflow's SQLite registry

The registry is written by `git fast-import` from manifests made by `manifest.dump_*` (10
versions per model; alias `champion` and stage Production on each model's last version; tag
`probe` = `one` on one version and `thousand` on 1,000), packed by `git gc` and checked out.
Model names are `m0`, `m1`, ... so that `name LIKE 'm1%'` selects about a ninth of them.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from modelreg import Registry, manifest, ops
from modelreg.index import Index
from modelreg.model import AliasTable, ModelVersion, RegisteredModel, Stage
from modelreg.snapshot import ParseStats

VERSIONS_PER_MODEL = 10
MODELREG = str(Path(sys.executable).parent / "modelreg")
ACTOR = "bench@example.com"
NOW = "2026-11-24T00:00:00.000Z"
PREFIX = "registry"
# CLI processes compile modelreg once into here (the warm-up run), as `pip install` would have;
# some environments (this one) set PYTHONDONTWRITEBYTECODE, which would make every process
# recompile ~4,000 lines (+25-50 ms) that no installed copy recompiles.
PYCACHE = tempfile.mkdtemp(prefix="bench-scale-pycache-")

# (row, in-process target ms, CLI target ms); None: no target for that column
TARGETS: dict[str, tuple[float | None, float | None]] = {
    "resolve": (2, 100),
    "get a version": (2, 100),
    "register (metadata)": (25, 200),
    "set alias": (25, 200),
    "set tag": (25, 200),
    "search versions, 1 hit": (20, 250),
    "search versions, 1,000 hits": (60, 250),
    "search models name LIKE 'm1%'": (20, None),
    "first search after clone (cold)": (3000, 3000),
    "validate whole registry": (30000, 30000),
    "check PR touching one model": (1000, 1000),
}


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def git(cwd: Path, *args: str, stdin: bytes | None = None) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": ACTOR,
           "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": ACTOR}
    out = subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, env=env,
                         input=stdin)
    return out.stdout.decode().strip()


def model_name(m: int) -> str:
    return f"m{m}"


def probe(index: int, total: int) -> str | None:
    """Tag `probe`: 'one' on exactly one version, 'thousand' on 1,000 spread over models."""
    if index == total // 2 + 1:
        return "one"
    step = max(1, total // 1000)
    if index % step == 0 and index // step < 1000:
        return "thousand"
    return None


def thousand_hits(total: int) -> int:
    return sum(probe(i, total) == "thousand" for i in range(total))


def version_tags(model: int, version: int, index: int, total: int) -> dict[str, str]:
    """The tags of the `index`-th version (`version` of model number `model`): the same in
    modelreg's registry and in MLflow's, so that their searches find the same hits."""
    tags = {"team": f"t{model % 100}", "n": str(version)}
    value = probe(index, total)
    if value:
        tags["probe"] = value
    return tags


def fast_import_stream(template: ModelVersion, versions: int) -> Iterator[bytes]:
    def entry(path: str, data: bytes) -> bytes:
        return b"M 100644 inline %s\ndata %d\n%s\n" % (path.encode(), len(data), data)

    index = 0
    for m in range(versions // VERSIONS_PER_MODEL):
        name = model_name(m)
        base = f"{PREFIX}/models/{name}"
        model = RegisteredModel(name=name, last_version=VERSIONS_PER_MODEL, created_at=NOW,
                                created_by=ACTOR, tags={"team": f"t{m % 100}"})
        table = AliasTable(aliases={"champion": VERSIONS_PER_MODEL},
                           stages={Stage.PRODUCTION: (VERSIONS_PER_MODEL,)})
        parts = [entry(f"{base}/model.yaml", manifest.dump_model(model)),
                 entry(f"{base}/aliases.yaml", manifest.dump_aliases(table))]
        for v in range(1, VERSIONS_PER_MODEL + 1):
            tags = version_tags(m, v, index, versions)
            index += 1
            mv = ModelVersion(
                name=name, version=v, source=template.source, artifacts=template.artifacts,
                tags=tags, metrics={"auc": 0.9}, created_at=NOW, created_by=ACTOR,
                model_type="custom",
            )
            parts.append(entry(f"{base}/versions/{v}.yaml", manifest.dump_version(mv)))
        yield b"".join(parts)


def build(root: Path, versions: int) -> tuple[Path, ModelVersion, Path]:
    """A packed, checked-out registry of `versions` versions; returns (repo, template, sample)."""
    repo = root / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "gc.auto", "0")
    reg = Registry.init(repo / PREFIX, actor=ACTOR)
    sample = root / "model"
    sample.mkdir()
    (sample / "model.bin").write_text("weights")
    template = reg.register("template", sample)
    parent = git(repo, "rev-parse", "HEAD")
    message = f"bench: {versions} versions".encode()
    proc = subprocess.Popen(["git", "fast-import", "--quiet"], cwd=repo, stdin=subprocess.PIPE)
    assert proc.stdin is not None
    proc.stdin.write(b"commit refs/heads/main\ncommitter bench <%s> 1764000000 +0000\n"
                     b"data %d\n%s\nfrom %s\n" % (ACTOR.encode(), len(message), message,
                                                 parent.encode()))
    for chunk in fast_import_stream(template, versions):
        proc.stdin.write(chunk)
    proc.stdin.write(b"\n")
    proc.stdin.close()
    if proc.wait():
        raise SystemExit("git fast-import failed")
    git(repo, "gc", "-q")
    git(repo, "reset", "-q", "--hard", "main")  # the bench's own repository, not /work/main
    git(repo, "config", "--unset", "gc.auto")  # from here on the writer maintains it, as a user's
    return repo, template, sample


def wait_for_gc(repo: Path, limit: float = 300.0) -> float:
    """Seconds spent waiting for a `git gc` the writes started in the background: the rows
    after the writes measure the repository they left, not a repack sharing the 2 cores."""
    pid_file = repo / ".git" / "gc.pid"
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < limit:
        try:
            pid = int(pid_file.read_text().split()[0])
            os.kill(pid, 0)
        except (FileNotFoundError, ProcessLookupError, ValueError, IndexError):
            break
        time.sleep(0.2)  # polling another process's end, not ordering events of our own
    return time.perf_counter() - t0


def loose_objects(repo: Path) -> str:
    counts = dict(line.split(": ", 1) for line in git(repo, "count-objects", "-v").splitlines())
    return f"{counts['count']} loose, {counts['in-pack']} packed"


# -- counting ---------------------------------------------------------------------------------

_INDEXES: list[Index] = []
_original_index_init = Index.__init__


def _tracking_init(self: Index, *args: Any, **kwargs: Any) -> None:
    _original_index_init(self, *args, **kwargs)
    _INDEXES.append(self)


Index.__init__ = _tracking_init  # type: ignore[method-assign]


RESERVED = 40  # the last models, which only the counted calls touch


def counted(bench: Bench, reg: Registry, fn: Callable[[], object],
            row: int) -> tuple[int, int, int, int | None]:
    """Git objects read, manifests parsed (ParseStats counts the snapshots' and the index's
    parses alike), index rows loaded from SQLite and hits (for a search) of one warm call.
    The two calls are on
    two models no other call touched, the same two at every size (the `row`th pair from the
    end), so that counts compare like with like: a model read before costs less."""
    last = bench.n_models - 1 - 2 * row
    bench.forced = [model_name(last), model_name(last - 1)]
    fn()
    _INDEXES.clear()
    objects, parsed = reg.repo.stats.objects_read, ParseStats.parsed
    found = fn()
    rows = sum(ix.stats.rows_loaded for ix in _INDEXES)
    bench.forced = []
    hits = len(found) if isinstance(found, list) else None  # a search's page
    return (reg.repo.stats.objects_read - objects, ParseStats.parsed - parsed, rows, hits)


def timed(fn: Callable[[], object], repeat: int, *, warm: bool = True) -> list[float]:
    if warm:
        fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def cli_times(folder: Path, argv_for: Callable[[int], list[str]], repeat: int,
              *, warm: bool = True) -> list[float]:
    samples = []
    env = {**os.environ, "MODELREG_REGISTRY": str(folder), "PYTHONPYCACHEPREFIX": PYCACHE}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed package has its bytecode
    for i in range(repeat + warm):
        argv = argv_for(i)
        start = time.perf_counter()
        subprocess.run([MODELREG, *argv], check=True, capture_output=True, env=env)
        if i or not warm:  # the first run warms the OS cache and the index
            samples.append((time.perf_counter() - start) * 1000)
    return samples


# -- the rows ---------------------------------------------------------------------------------

@dataclass
class Row:
    versions: int
    state: str
    name: str
    inproc: tuple[float, float] | None = None
    cli: tuple[float, float] | None = None
    objects: int | None = None
    parsed: int | None = None
    rows: int | None = None
    hits: int | None = None
    mlflow: tuple[float, float] | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class Bench:
    repo: Path
    template: ModelVersion
    sample: Path
    versions: int
    rng: random.Random = field(default_factory=lambda: random.Random(7))
    counter: Iterator[int] = field(default_factory=lambda: iter(range(10**9)))
    forced: list[str] = field(default_factory=list)  # the models `pick` gives next

    @property
    def folder(self) -> Path:
        return self.repo / PREFIX

    @property
    def n_models(self) -> int:
        return self.versions // VERSIONS_PER_MODEL

    def pick(self) -> str:
        """A model for a timed call: never one of the last `RESERVED`, kept for the counts."""
        if self.forced:
            return self.forced.pop(0)
        return model_name(self.rng.randrange(self.n_models - RESERVED))

    def registry(self) -> Registry:
        return Registry(self.folder, actor=ACTOR)


def in_process(bench: Bench, reg: Registry) -> dict[str, Callable[[], object]]:
    artifacts = bench.template.artifacts
    assert artifacts is not None

    def register() -> object:
        return reg._write(ops.create_model_version(
            bench.pick(), artifacts=artifacts, source=bench.template.source, tags={"k": "v"},
        ))

    return {
        "resolve": lambda: reg.resolve(f"models:/{bench.pick()}@champion"),
        "get a version": lambda: reg.get_model_version(bench.pick(), 1 + next(bench.counter) % 9),
        "register (metadata)": register,
        "set alias": lambda: reg.set_registered_model_alias(
            bench.pick(), "challenger", 1 + next(bench.counter) % 9),
        "set tag": lambda: reg.set_model_version_tag(
            bench.pick(), 1 + next(bench.counter) % 9, "note", f"n{next(bench.counter)}"),
        "search versions, 1 hit": lambda: _expect(
            reg.search_model_versions("tags.probe = 'one'", max_results=10000), 1),
        "search versions, 1,000 hits": lambda: _expect(
            reg.search_model_versions("tags.probe = 'thousand'", max_results=10000),
            thousand_hits(bench.versions)),
        "search models name LIKE 'm1%'": lambda: reg.search_registered_models(
            "name LIKE 'm1%'"),
    }


def _expect(page: Any, hits: int) -> object:
    if len(page) != hits:
        raise SystemExit(f"expected {hits} hits, got {len(page)}")
    return page


def cli_argv(bench: Bench) -> dict[str, Callable[[int], list[str]]]:
    uri = bench.sample.resolve().as_uri()
    n = bench.n_models - RESERVED
    return {
        "resolve": lambda i: ["resolve", f"models:/{model_name(i * 7919 % n)}@champion"],
        "get a version": lambda i: ["versions", "show", model_name(i * 7919 % n), str(1 + i % 9)],
        "register (metadata)": lambda i: [
            "register", model_name(i * 7919 % n), uri, "--reference", "--tag", "k=v"],
        "set alias": lambda i: [
            "alias", "set", model_name(i * 7919 % n), "challenger", str(1 + i % 9)],
        "set tag": lambda i: [
            "versions", "tag", model_name(i * 7919 % n), str(1 + i % 9), "note", f"c{i}"],
        "search versions, 1 hit": lambda i: [
            "search", "tags.probe = 'one'", "--max-results", "10000"],
        "search versions, 1,000 hits": lambda i: [
            "search", "tags.probe = 'thousand'", "--max-results", "10000"],
        "search models name LIKE 'm1%'": lambda i: [
            "models", "list", "--filter", "name LIKE 'm1%'"],
    }


def run_rows(bench: Bench, state: str, repeat: int, cli_repeat: int) -> list[Row]:
    reg = bench.registry()
    rows = []
    clis = cli_argv(bench)
    first = 0 if state == "packed" else 10  # other models after the writes: none read yet
    for number, (name, fn) in enumerate(in_process(bench, reg).items(), first):
        row = Row(bench.versions, state, name)
        row.objects, row.parsed, row.rows, row.hits = counted(bench, reg, fn, number)
        row.inproc = percentiles(timed(fn, repeat))
        row.cli = percentiles(cli_times(bench.folder, clis[name], cli_repeat))
        rows.append(row)
        print(f"  {state} {bench.versions} {name}: {row.inproc[0]:.1f} ms", file=sys.stderr)
    return rows


@contextmanager
def fresh_clone(bench: Bench, where: Path) -> Iterator[Path]:
    git(where.parent, "clone", "-q", str(bench.repo), where.name)
    try:
        yield where / PREFIX
    finally:
        shutil.rmtree(where)


def cold_row(bench: Bench, tmp: Path, repeat: int) -> Row:
    row = Row(bench.versions, "packed", "first search after clone (cold)")
    inproc, cli = [], []
    for i in range(repeat):
        with fresh_clone(bench, tmp / f"clone-{i}") as folder:
            reg = Registry(folder, actor=ACTOR)
            objects, parsed = reg.repo.stats.objects_read, ParseStats.parsed
            _INDEXES.clear()
            inproc += timed(partial(reg.search_model_versions, "tags.probe = 'one'"), 1,
                            warm=False)
            row.objects = reg.repo.stats.objects_read - objects
            row.parsed = ParseStats.parsed - parsed  # the index's parses count here too
        with fresh_clone(bench, tmp / f"clone-cli-{i}") as folder:
            cli += cli_times(folder, lambda _: ["search", "tags.probe = 'one'"], 1, warm=False)
    row.inproc, row.cli = percentiles(inproc), percentiles(cli)
    return row


def validate_row(bench: Bench, repeat: int) -> Row:
    from modelreg.gitrepo.worktree import WorktreeFiles
    from modelreg.validate import validate_registry

    reg = bench.registry()
    row = Row(bench.versions, "packed", "validate whole registry")

    def run() -> object:
        found = validate_registry(WorktreeFiles(reg.location.path))
        if found:
            raise SystemExit(f"validate found problems: {found[:3]}")
        return found

    row.inproc = percentiles(timed(run, repeat, warm=False))
    row.cli = percentiles(cli_times(bench.folder, lambda _: ["validate"], repeat, warm=False))
    row.notes.append("reads the work tree's files (every manifest, parsed by validate itself, "
                     "outside the counters)")
    return row


def check_row(bench: Bench, repeat: int) -> Row:
    from modelreg.check.run import CheckOptions, check

    reg = bench.registry()
    base = git(bench.repo, "rev-parse", "HEAD")
    git(bench.repo, "update-ref", "refs/heads/bench-base", base)
    artifacts = bench.template.artifacts
    reg._write(ops.create_model_version(
        model_name(1), artifacts=artifacts, source=bench.template.source, tags={"pr": "1"}))
    head = git(bench.repo, "rev-parse", "HEAD")
    row = Row(bench.versions, "packed", "check PR touching one model")

    def run() -> object:
        result = check(reg.repo, reg.prefix, "bench-base", head=head, options=CheckOptions())
        if not result.ok:
            raise SystemExit(f"check failed: {result.problems[:3]}")
        return result

    row.objects, row.parsed, row.rows, row.hits = counted(bench, reg, run, 0)  # picks no model
    row.inproc = percentiles(timed(run, repeat))
    row.cli = percentiles(cli_times(
        bench.folder, lambda _: ["check", "--base", "bench-base", "--head", head, "--format",
                                 "text"], repeat))
    return row


def run_size(size: int, args: argparse.Namespace, *, loose: bool) -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp_name:
        tmp = Path(tmp_name)
        t0 = time.perf_counter()
        repo, template, sample = build(tmp, size)
        print(f"built and packed {size} versions in {time.perf_counter() - t0:.1f} s "
              f"({loose_objects(repo)})", file=sys.stderr)
        bench = Bench(repo, template, sample, size)
        rows = [cold_row(bench, tmp, args.cold_repeat)]
        rows += run_rows(bench, "packed", args.repeat, args.cli_repeat)
        rows.append(validate_row(bench, args.slow_repeat))
        rows.append(check_row(bench, args.repeat))
        if loose:
            t0 = time.perf_counter()
            reg = bench.registry()
            for i in range(args.writes):
                if i % 2:
                    reg.set_registered_model_alias(bench.pick(), "challenger", 1 + i % 9)
                else:
                    reg.set_model_version_tag(bench.pick(), 1 + i % 9, "note", f"w{i}")
            state = f"after {args.writes} writes"
            print(f"{args.writes} writes in {time.perf_counter() - t0:.1f} s "
                  f"({loose_objects(repo)}); waited {wait_for_gc(repo):.1f} s for the gc they"
                  " started", file=sys.stderr)
            rows += run_rows(bench, state, args.repeat, args.cli_repeat)
    return rows


# -- MLflow -----------------------------------------------------------------------------------

def mlflow_rows(versions: int, repeat: int) -> dict[str, tuple[float, float]]:
    from mlflow import MlflowClient

    warnings.simplefilter("ignore")
    with tempfile.TemporaryDirectory(prefix="bench-scale-mlflow-") as tmp_name:
        root = Path(tmp_name)
        client = MlflowClient(tracking_uri=f"sqlite:///{root / 'tracking.db'}",
                              registry_uri=f"sqlite:///{root / 'registry.db'}")
        source = str(root / "model")
        n_models = versions // VERSIONS_PER_MODEL
        t0 = time.perf_counter()
        index = 0
        for m in range(n_models):
            name = model_name(m)
            client.create_registered_model(name, tags={"team": f"t{m % 100}"})
            for v in range(1, VERSIONS_PER_MODEL + 1):
                client.create_model_version(name, source,
                                            tags=version_tags(m, v, index, versions))
                index += 1
            client.set_registered_model_alias(name, "champion", str(VERSIONS_PER_MODEL))
        print(f"MLflow SQLite: {versions} versions in {time.perf_counter() - t0:.1f} s",
              file=sys.stderr)
        rng = random.Random(7)
        counter = iter(range(10**9))

        def pick() -> str:
            return model_name(rng.randrange(n_models))

        calls: dict[str, Callable[[], object]] = {
            "resolve": lambda: client.get_model_version_by_alias(pick(), "champion"),
            "get a version": lambda: client.get_model_version(pick(), str(1 + next(counter) % 9)),
            "register (metadata)": lambda: client.create_model_version(pick(), source,
                                                                       tags={"k": "v"}),
            "set alias": lambda: client.set_registered_model_alias(
                pick(), "challenger", str(1 + next(counter) % 9)),
            "set tag": lambda: client.set_model_version_tag(
                pick(), str(1 + next(counter) % 9), "note", f"n{next(counter)}"),
            "search versions, 1 hit": lambda: _expect(client.search_model_versions(
                "tags.probe = 'one'", max_results=10000), 1),
            "search versions, 1,000 hits": lambda: _expect(client.search_model_versions(
                "tags.probe = 'thousand'", max_results=10000), thousand_hits(versions)),
            "search models name LIKE 'm1%'": lambda: client.search_registered_models(
                "name LIKE 'm1%'"),
        }
        return {name: percentiles(timed(fn, repeat)) for name, fn in calls.items()}


# -- output -----------------------------------------------------------------------------------

def fmt(pair: tuple[float, float] | None) -> str:
    return "–" if pair is None else f"{pair[0]:.1f} / {pair[1]:.1f}"


def verdict(row: Row) -> str:
    goal_in, goal_cli = TARGETS[row.name]
    missed = []
    if goal_in is not None and row.inproc and row.inproc[0] > goal_in:
        missed.append(f"in-proc {row.inproc[0] / goal_in:.1f}x over {goal_in:g}")
    if goal_cli is not None and row.cli and row.cli[0] > goal_cli:
        missed.append(f"CLI {row.cli[0] / goal_cli:.1f}x over {goal_cli:g}")
    return "; ".join(missed) or "met"


def print_table(rows: list[Row], mlflow: dict[str, tuple[float, float]] | None,
                mlflow_versions: int, target_size: int) -> None:
    header = ["versions", "state", "operation", "in-proc ms med / p95", "CLI ms med / p95",
              "objects read", "manifests parsed", "target in-proc / CLI", "vs target"]
    if mlflow is not None:
        header += [f"MLflow SQLite @{mlflow_versions} ms med / p95", "modelreg / MLflow"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        goal = TARGETS[row.name]
        cells = [str(row.versions), row.state, row.name, fmt(row.inproc), fmt(row.cli),
                 "–" if row.objects is None else str(row.objects),
                 "–" if row.parsed is None else str(row.parsed),
                 " / ".join("–" if g is None else f"{g:g}" for g in goal),
                 verdict(row) if row.versions == target_size else "(small size)"]
        if mlflow is not None:
            theirs = mlflow.get(row.name)
            ratio = (f"{row.inproc[0] / theirs[0]:.2f}x" if theirs and row.inproc else "–")
            cells += [fmt(theirs), ratio]
        print("| " + " | ".join(cells) + " |")
    for row in rows:
        for note in row.notes:
            print(f"\n{row.name} at {row.versions}: {note}")


def print_counts(rows: list[Row], small: int, large: int) -> None:
    """Equal counts at both sizes are the proof that a cost does not grow with the registry."""
    by_key = {(row.versions, row.name): row for row in rows if row.state == "packed"}
    print(f"\n| operation | objects read @{small} / @{large} | manifests parsed | "
          "index rows loaded | grows? |\n|---|---|---|---|---|")
    for (size, name), row in by_key.items():
        other = by_key.get((large, name))
        if size != small or other is None or row.objects is None or other.objects is None:
            continue
        pairs: list[tuple[float | None, float | None]] = [
            (row.objects, other.objects), (row.parsed, other.parsed), (row.rows, other.rows)]
        per_hit = bool(row.hits and other.hits and row.hits != other.hits)
        if per_hit:  # more models match at the larger size: rows beyond one a hit count
            pairs[2] = (_beyond(row.rows, row.hits), _beyond(other.rows, other.hits))
        # grows: more at the larger size (fewer there, as writes read 6 / 5, is no growth)
        grows = "YES" if any(b is not None and b > (a or 0) for a, b in pairs) else "no"
        if name.startswith("first search"):
            grows += " (by design: a new clone has no index, every manifest is read once)"
        cells = " | ".join("–" if a is None else f"{a} / {b}" for a, b in pairs[:2])
        cells += " | –" if row.rows is None else f" | {row.rows} / {other.rows}"
        if per_hit:
            cells += f" for {row.hits} / {other.hits} hits"
        print(f"| {name} | {cells} | {grows} |")


def _beyond(rows: int | None, hits: int | None) -> int | None:
    """Rows a search loads beyond one a hit and one more (to know that a next page exists)."""
    return None if rows is None or hits is None else max(0, rows - hits - 1)


GTO = """
GTO (Git tags; recorded on this machine, not re-run): 5-10 s a command at 1,000 versions.
MLflow's file store (recorded, not re-run): about 10 s a search at 10,000 versions."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=1000, help="the size to compare counts at")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--cli-repeat", type=int, default=10)
    parser.add_argument("--slow-repeat", type=int, default=3, help="validate")
    parser.add_argument("--cold-repeat", type=int, default=3, help="fresh clones")
    parser.add_argument("--writes", type=int, default=10_000,
                        help="writes before the loose-object rows")
    parser.add_argument("--quick", action="store_true",
                        help="20,000 versions, few repeats, 500 writes")
    parser.add_argument("--no-mlflow", dest="mlflow", action="store_false",
                        help="skip the same calls on MLflow's SQLite registry")
    parser.add_argument("--mlflow-versions", type=int, default=10_000)
    args = parser.parse_args()
    if args.quick:
        if args.versions == 100_000:
            args.versions = 20_000
        args.repeat, args.cli_repeat, args.slow_repeat, args.cold_repeat = 7, 3, 1, 1
        args.writes = min(args.writes, 500)
        args.mlflow_versions = min(args.mlflow_versions, 2000)
    t0 = time.perf_counter()
    rows = []
    for size in dict.fromkeys([args.small, args.versions]):
        rows += run_size(size, args, loose=size == args.versions)
    mlflow = mlflow_rows(args.mlflow_versions, args.repeat) if args.mlflow else None
    print(f"{args.versions} versions in {args.versions // VERSIONS_PER_MODEL} models; in-process "
          f"{args.repeat} calls, CLI {args.cli_repeat}; counts are one warm in-process call; "
          f"total {time.perf_counter() - t0:.0f} s\n")
    print_table(rows, mlflow, args.mlflow_versions, args.versions)
    print_counts(rows, args.small, args.versions)
    print(GTO)


if __name__ == "__main__":
    main()
