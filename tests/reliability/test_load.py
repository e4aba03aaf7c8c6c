"""Under load a registry never loses a change, never applies one twice, never shares a version
number, and never shows a reader a half-written state (issue #6, DESIGN §4).

Processes released together by a barrier run one mixed workload (register, alias, tag, stage;
`load_workers.py`) on one registry: directly on one machine, pushing from four clones to one
bare remote, and through `mlflow server` with several workers. Afterwards every change is in
history exactly once (by its trailers and its unique `Modelreg-Op-Id`), the final state is the
sum of all of them, versions are exactly 1..N, and `modelreg validate` and `git fsck --strict`
are clean. A reader resolving an alias while writers move it, register and delete versions
only ever gets an answer that one commit it could have read holds in full.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from load_checks import check_clean, check_history, check_state, tip
from load_workers import ALIAS, MODEL, Gang, Job

from helpers import git_out, init_registry, make_model
from mlflow_support import MLFLOW
from modelreg import Registry, uris
from modelreg.errors import NotFound
from remotes import make_shared
from test_mlflow_server import WORKERS, Service, remote_client, served  # noqa: F401

PROCESSES, EACH = 8, 50  # one machine: 8 x 50 changes, 104 versions
CLONES, EACH_PUSHED, EACH_PUSHED_LONG = 4, 12, 50
CLIENTS, EACH_SERVED = 4, 12
READS, MOVERS, MOVER_ROUNDS = 10_000, 2, 150


# ---------------------------------------------------------------- one machine


@pytest.mark.slow
def test_eight_processes_fifty_mixed_changes_each_land_exactly_once(
    repo: Path, tmp_path: Path
) -> None:
    reg = init_registry(repo)
    folder, base = str(reg.location.path), tip(repo)
    jobs = [Job(index=i, how="library", target=folder, each=EACH, scratch=str(tmp_path))
            for i in range(PROCESSES)]
    results = Gang(jobs).results()
    assert sum(r.retries for r in results) > 0, "no compare-and-swap retry: never raced"
    check_history(repo, base, tip(repo), results)
    check_state(Registry(folder), results)
    check_clean(repo, folder)
    assert git_out(repo, "status", "--porcelain") == ""


# ---------------------------------------------------------------- four clones, one remote


def pushing_clones(tmp_path: Path, repo: Path, bare_remote: Path, each: int) -> None:
    shared = make_shared(tmp_path, repo, bare_remote)
    clones = [shared.clone(f"c{i}") for i in range(CLONES)]
    base = shared.tip()
    jobs = [Job(index=i, how="library", target=str(c / "registry"), each=each, push=True,
                scratch=str(tmp_path)) for i, c in enumerate(clones)]
    results = Gang(jobs).results()
    assert sum(r.retries for r in results) > 0, "no push was ever retried: never raced"
    check_history(shared.remote, base, shared.tip(), results)
    remote = f"modelreg://{shared.remote}?path=registry&ref=main"
    check_state(Registry(remote), results)
    check_clean(shared.remote, remote)
    for clone in clones:
        assert git_out(clone, "status", "--porcelain") == ""


@pytest.mark.slow
def test_four_clones_pushing_mixed_changes_land_exactly_once_on_the_remote(
    tmp_path: Path, repo: Path, bare_remote: Path
) -> None:
    pushing_clones(tmp_path, repo, bare_remote, EACH_PUSHED)


@pytest.mark.long
def test_four_clones_pushing_fifty_mixed_changes_each(
    tmp_path: Path, repo: Path, bare_remote: Path
) -> None:
    pushing_clones(tmp_path, repo, bare_remote, EACH_PUSHED_LONG)


# ---------------------------------------------------------------- through mlflow server


def mlflow_marks(test: Any) -> Any:
    for mark in MLFLOW:
        test = mark(test)
    return test


@mlflow_marks
# long: it starts an `mlflow server` of its own (~15 s) for mixed changes; the default run
# proves concurrent creates through the server in tests/test_mlflow_server.py, and the
# CI run must stay under ten minutes
@pytest.mark.long
def test_mlflow_server_workers_and_clients_mixed_changes_land_exactly_once(
    served: Service,  # noqa: F811  (test_mlflow_server's fixture: a server for this module)
) -> None:
    # Several server processes answer; they take turns at the served clone's write lock, so
    # none of its pushes is ever refused (the clones above race for that). MLflow's client
    # sends a POST again after a 5xx: an error after a write landed would apply it twice,
    # which check_history sees (tried: a RuntimeError after 10% of the pushes).
    assert WORKERS >= 2
    remote_client(served.url).create_registered_model(MODEL)
    base = tip(served.remote)
    jobs = [Job(index=i, how="mlflow", target=served.url, each=EACH_SERVED,
                run_id=served.run_id) for i in range(CLIENTS)]
    results = Gang(jobs).results()
    check_history(served.remote, base, tip(served.remote), results)
    remote = f"modelreg://{served.remote}?path=registry&ref=main"
    check_state(Registry(remote), results)
    check_clean(served.remote, remote)


# ---------------------------------------------------------------- a reader while writers run

NO_ALIAS = re.compile(rf"model '{MODEL}' has no alias '{ALIAS}' \(aliases: [^)]*\)")


class Read(NamedTuple):
    """One resolve of `models:/load@champion`: main's tip just before and just after it, the
    commit the snapshot read (when the reader asked it: ''), and the answer: a version and its
    digest, or 0 and NotFound's message; `stored`: its artifacts were complete right then."""

    before: str
    after: str
    snapshot: str
    version: int
    digest: str
    stored: bool


def branch_tip(repo: Path) -> str:
    """main's tip as Git reads it, from its loose ref (moved by a rename: never half-written;
    the tests' Git never packs refs: gc.auto = 0)."""
    return (repo / ".git/refs/heads/main").read_text().strip()


def complete(store: Path, mv: Any) -> bool:
    """The version's content folder is marked whole (`sha256/<hex>.complete`) and holds its
    files at their sizes (their bytes are hashed once, at the end)."""
    folder = store / mv.artifacts.uri
    return Path(f"{folder}.complete").is_file() and all(
        (folder / f.path).is_file() and (folder / f.path).stat().st_size == f.size
        for f in mv.artifacts.files)


def read_in_a_loop(reg: Registry, repo: Path, store: Path) -> tuple[list[Read], dict[str, Any]]:
    """READS resolves, alternately through `Registry.resolve` (bracketed by the tip read before
    and after) and through a snapshot that says which commit it read; and the artifacts of
    every answer, by digest."""
    uri, reads, answered = f"models:/{MODEL}@{ALIAS}", [], {}
    for i in range(READS):
        before, snapshot = branch_tip(repo), ""
        try:
            if i % 2:
                snap = reg.snapshot()
                snapshot = snap.revision
                mv = uris.resolve(snap, uri)
            else:
                mv = reg.resolve(uri)
        except NotFound as exc:
            reads.append(Read(before, branch_tip(repo), snapshot, 0, str(exc), True))
            continue
        after = branch_tip(repo)
        assert mv.artifacts is not None
        answered.setdefault(mv.artifacts.digest, mv.artifacts)
        reads.append(Read(before, after, snapshot, mv.version, mv.artifacts.digest,
                          complete(store, mv)))
    return reads, answered


def check_bytes(store: Path, answered: dict[str, Any]) -> None:
    """Each answer's files hash to what its manifest says, and they to its digest (DESIGN §2:
    sha256 of `<sha256> <size> <path>` lines sorted by path), computed here with hashlib."""
    import hashlib

    for digest, artifacts in answered.items():
        lines = b""
        assert len(artifacts.files) == 2
        for f in sorted(artifacts.files, key=lambda f: f.path.encode()):
            data = (store / artifacts.uri / f.path).read_bytes()
            assert (hashlib.sha256(data).hexdigest(), len(data)) == (f.sha256, f.size)
            lines += f"{f.sha256} {f.size} {f.path}\n".encode()
        assert digest == f"sha256:{hashlib.sha256(lines).hexdigest()}"


class History:
    """The registry at each commit of main's first parents, read by `git cat-file --batch`
    and PyYAML: nothing of modelreg's own reading judges its answers."""

    def __init__(self, repo: Path, folder: str) -> None:
        self.order = git_out(repo, "rev-list", "--first-parent", "--reverse", "main").split()
        self.position = {c: i for i, c in enumerate(self.order)}
        self.folder = f"{folder}/models/{MODEL}"
        self.cat = subprocess.Popen(["git", "cat-file", "--batch"], cwd=repo,
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.cache: dict[str, Any] = {}

    def close(self) -> None:
        assert self.cat.stdin is not None and self.cat.stdout is not None
        self.cat.stdin.close()
        self.cat.wait(timeout=30)
        self.cat.stdout.close()

    def load(self, commit: str, path: str) -> Any:
        import yaml

        spec = f"{commit}:{self.folder}/{path}"
        if spec not in self.cache:
            assert self.cat.stdin is not None and self.cat.stdout is not None
            self.cat.stdin.write(f"{spec}\n".encode())
            self.cat.stdin.flush()
            header = self.cat.stdout.readline().split()
            data = None
            if header[-1] != b"missing":
                data = self.cat.stdout.read(int(header[2]) + 1)[:-1]
            self.cache[spec] = yaml.safe_load(data) if data is not None else None
        return self.cache[spec]

    def holds(self, commit: str, read: Read) -> bool:
        """Whether `commit` holds the answer whole: the alias there names this version (or is
        absent, for NotFound), whose manifest is there, live, with these artifacts."""
        target = ((self.load(commit, "aliases.yaml") or {}).get("aliases") or {}).get(ALIAS)
        if read.version == 0:
            return target is None
        manifest = self.load(commit, f"versions/{read.version}.yaml")
        return (target == read.version and manifest is not None and not manifest.get("deleted")
                and manifest["artifacts"]["digest"] == read.digest)

    def candidates(self, read: Read) -> list[str]:
        """The commits the read could have seen: the tip moves only forward along first
        parents, so those from the tip before it to the tip after it (or the snapshot's)."""
        span = self.order[self.position[read.before]: self.position[read.after] + 1]
        if read.snapshot:
            assert read.snapshot in span, read
            return [read.snapshot]
        return span


def judge(reads: list[Read], history: History) -> None:
    assert len(reads) >= 10_000
    assert all(r.stored for r in reads), [r for r in reads if not r.stored][:3]
    refused = [r.digest for r in reads if r.version == 0]
    assert all(NO_ALIAS.fullmatch(message) for message in refused), set(refused)
    wrong = [r for r in reads if not any(history.holds(c, r) for c in history.candidates(r))]
    assert wrong == [], wrong[:3]
    # It raced: the reader saw the registry in many states, and every kind of answer.
    assert len({r.before for r in reads}) >= 20
    assert refused and len({r.version for r in reads}) >= 10


@pytest.mark.slow
def test_a_reader_resolving_an_alias_while_writers_move_it_sees_only_whole_commits(
    repo: Path, tmp_path: Path
) -> None:
    reg = init_registry(repo)
    files = {"model.bin": "first\n", "config/params.txt": "6\n"}
    first = reg.register(MODEL, make_model(tmp_path / "first", files=files))
    reg.set_registered_model_alias(MODEL, ALIAS, first.version)
    folder = str(reg.location.path)
    jobs = [Job(index=i, how="mover", target=folder, each=MOVER_ROUNDS, scratch=str(tmp_path))
            for i in range(MOVERS)]
    gang = Gang(jobs, parent=True)
    reader = Registry(folder)
    gang.barrier.wait()
    store = Path(folder, reader.config.store)
    try:
        reads, answered = read_in_a_loop(reader, repo, store)
    finally:
        gang.stop.set()
        results = gang.results()
    assert all(r.done for r in results)
    history = History(repo, reg.prefix)
    try:
        judge(reads, history)
    finally:
        history.close()
    check_bytes(store, answered)
    check_clean(repo, folder)
