"""Remote registries (issue #6): a registry named by a Git URL is read through a cached clone.

Against a real `git daemon` on loopback and a `file://` bare repository: the first open
clones only the registry branch into `$MODELREG_CACHE/registries/`; reads fetch again only
when the last fetch (by any process) is older than `max_age`, measured on an injected clock
(no sleeps); a promotion pushed to the remote is seen once that age has passed, never
before; processes opening a cold cache at once all work; a failed fetch serves the cached
copy with a warning; writes and URIs carrying credentials are refused with one line.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from helpers import git_out, init_registry, make_model
from mlflow_support import MLFLOW
from modelreg import Registry
from modelreg.errors import GitError, InvalidParameter, RegistryNotFound
from modelreg.location import locate, parse_uri
from modelreg.remote import ReadOnlyRegistry, StaleRegistryWarning
from modelreg.remote.cached import DEFAULT_MAX_AGE, choose_max_age

MODELREG = str(Path(sys.executable).parent / "modelreg")
CHAMPION = "models:/fraud@champion"


def _mlflow_marks(test: Callable[..., None]) -> Callable[..., None]:
    for mark in MLFLOW:
        test = mark(test)
    return test


@dataclass
class Clock:
    """The time a Registry reads: moved by the test, never by waiting."""

    now: float = 1_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Origin:
    """A registry (folder `registry`) in the work tree `work`, pushed to the bare `remote`."""

    work: Path
    remote: Path
    store: Path

    def promote(self, version: int) -> None:
        """What a merged promotion does: champion moves, and the branch reaches the remote."""
        Registry(self.work / "registry").set_registered_model_alias("fraud", "champion", version)
        git_out(self.work, "push", "-q", "origin", "main")


@dataclass
class Daemon:
    """`git daemon` serving the folder `base` at `url`; counts the fetches it answered."""

    url: str
    proc: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)

    def fetches(self) -> int:
        return sum("Request upload-pack" in line for line in list(self.lines))


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cache"
    monkeypatch.setenv("MODELREG_CACHE", str(path))
    monkeypatch.delenv("MODELREG_MAX_AGE", raising=False)
    return path


@pytest.fixture
def origin(tmp_path: Path, repo: Path, bare_remote: Path) -> Origin:
    store = tmp_path / "store"
    reg = init_registry(repo, store=str(store))
    reg.register("fraud", make_model(tmp_path / "m1", "weights v1\n"))
    reg.register("fraud", make_model(tmp_path / "m2", "weights v2\n"))
    reg.set_registered_model_alias("fraud", "champion", 1)
    git_out(repo, "remote", "add", "origin", str(bare_remote))
    git_out(repo, "push", "-q", "origin", "main")
    return Origin(work=repo, remote=bare_remote, store=store)


@pytest.fixture
def daemon(tmp_path: Path, origin: Origin) -> Iterator[Daemon]:
    """Started on a free loopback port; ready when it says so and a connection is taken."""
    port = _free_port()
    proc = subprocess.Popen(
        ["git", "daemon", "--reuseaddr", "--verbose", f"--base-path={tmp_path}", "--export-all",
         "--listen=127.0.0.1", f"--port={port}", str(tmp_path)],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    served = Daemon(url=f"git://127.0.0.1:{port}/{origin.remote.name}", proc=proc)
    assert proc.stderr is not None
    for line in proc.stderr:  # blocks until the daemon has written its next line
        if "Ready to rumble" in line:
            break
    else:
        pytest.fail(f"git daemon on port {port} ended before it was ready")
    socket.create_connection(("127.0.0.1", port), timeout=5).close()
    reader = threading.Thread(target=lambda: served.lines.extend(proc.stderr or ()), daemon=True)
    reader.start()
    yield served
    proc.terminate()
    proc.wait(timeout=10)
    reader.join(timeout=10)
    proc.stderr.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def remote_uri(url: str, **query: str) -> str:
    params = {"ref": "main", "path": "registry", **query}
    return f"modelreg+{url}?" + "&".join(f"{k}={v}" for k, v in params.items() if v)


def file_uri(origin: Origin, **query: str) -> str:
    return remote_uri(origin.remote.as_uri(), **query)


def clones(cache: Path) -> list[str]:
    folder = cache / "registries"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# ---------------------------------------------------------------- seeing a promotion in time


def test_a_promotion_is_seen_once_max_age_has_passed_and_not_before(
    daemon: Daemon, origin: Origin
) -> None:
    clock = Clock()
    reg = Registry(remote_uri(daemon.url), max_age=60, clock=clock)
    assert reg.cached_clone is not None
    assert reg.resolve(CHAMPION).version == 1
    assert (reg.cached_clone.fetches, daemon.fetches()) == (1, 1)  # the clone

    origin.promote(2)
    clock.advance(59.9)
    assert reg.resolve(CHAMPION).version == 1  # within max_age: no fetch, the copy answers
    assert (reg.cached_clone.fetches, daemon.fetches()) == (1, 1)

    clock.advance(0.2)
    assert reg.resolve(CHAMPION).version == 2  # past max_age: one fetch, the promotion seen
    assert reg.resolve(CHAMPION).version == 2
    assert (reg.cached_clone.fetches, daemon.fetches()) == (2, 2)
    assert reg.cached_clone.fetched_at == clock.now


def test_the_clone_is_bare_holds_only_the_registry_branch_with_its_history(
    daemon: Daemon, origin: Origin, cache: Path
) -> None:
    git_out(origin.work, "push", "-q", "origin", "main:other")
    reg = Registry(remote_uri(daemon.url))
    git_dir = reg.location.path
    assert git_dir.parent.parent == cache / "registries"
    assert git_out(git_dir, "rev-parse", "--is-bare-repository").strip() == "true"
    assert git_out(git_dir, "for-each-ref", "--format=%(refname)").split() == ["refs/heads/main"]
    assert git_out(git_dir, "remote").strip() == ""  # nothing a service could push to
    assert git_out(git_dir, "rev-parse", "main") == git_out(origin.remote, "rev-parse", "main")
    assert git_out(git_dir, "rev-list", "--count", "--missing=print", "main") == git_out(
        origin.remote, "rev-list", "--count", "main")
    assert (git_dir.parent / "source").read_text().strip() == remote_uri(daemon.url)


def test_processes_share_one_clone_and_one_fetch_time(daemon: Daemon, origin: Origin) -> None:
    clock = Clock()
    first = Registry(remote_uri(daemon.url), max_age=60, clock=clock)
    assert first.resolve(CHAMPION).version == 1
    origin.promote(2)
    clock.advance(30)
    second = Registry(remote_uri(daemon.url), max_age=60, clock=clock)  # as another process
    assert second.resolve(CHAMPION).version == 1
    assert second.cached_clone is not None and second.cached_clone.fetches == 0
    clock.advance(31)
    assert second.resolve(CHAMPION).version == 2
    assert first.resolve(CHAMPION).version == 2  # the fetch `second` recorded is fresh
    assert first.cached_clone is not None and first.cached_clone.fetches == 1
    assert daemon.fetches() == 2


def test_cli_processes_fetch_only_when_the_last_fetch_is_older_than_max_age(
    daemon: Daemon, origin: Origin, cache: Path
) -> None:
    uri = remote_uri(daemon.url)
    assert _cli(uri, "resolve", CHAMPION).startswith("models:/fraud/1 ")
    origin.promote(2)
    env_uri = {"MODELREG_REGISTRY": uri}  # the environment names it as --registry does
    assert _cli(None, "resolve", CHAMPION, env=env_uri).startswith("models:/fraud/1 ")
    assert daemon.fetches() == 1
    assert _cli(remote_uri(daemon.url, max_age="0"), "resolve", CHAMPION).startswith(
        "models:/fraud/2 ")
    assert daemon.fetches() >= 2
    assert len(clones(cache)) == 1  # ?max_age= does not name another clone


def _cli(registry: str | None, *args: str, env: dict[str, str] | None = None) -> str:
    argv = [MODELREG, *(["--registry", registry] if registry else []), *args]
    done = subprocess.run(argv, capture_output=True, text=True, env={**os.environ, **(env or {})})
    assert done.returncode == 0, done.stderr
    return done.stdout


# ---------------------------------------------------------------- concurrency and failures


COLD_OPEN = r"""
import sys
from modelreg import Registry
sys.stdout.write("ready\n"); sys.stdout.flush()
sys.stdin.readline()  # released together
print(Registry(sys.argv[1]).resolve("models:/fraud@champion").version)
"""


def released(count: int, script: str, *args: str) -> list[subprocess.Popen[str]]:
    """`count` Pythons running `script`, each told to go once all are ready (it prints
    `ready`, then reads a line): they start their work as nearly at once as processes can."""
    procs = [subprocess.Popen([sys.executable, "-c", script, *args], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(count)]
    for proc in procs:
        assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    return procs


def test_processes_opening_a_cold_cache_at_once_all_work(
    daemon: Daemon, origin: Origin, cache: Path
) -> None:
    procs = released(4, COLD_OPEN, remote_uri(daemon.url))
    results = [(*proc.communicate(timeout=120), proc.returncode) for proc in procs]
    assert results == [("1\n", "", 0)] * 4
    (folder,) = clones(cache)
    assert sorted(p.name for p in (cache / "registries" / folder).iterdir()) == [
        "fetched", "lock", "repo.git", "source"]  # no half-made clone left behind
    assert daemon.fetches() == 1  # one cloned; the others waited and used it


READ_LOOP = r"""
import sys
from modelreg import Registry
reg = Registry(sys.argv[1], max_age=0)  # every read fetches
sys.stdout.write("ready\n"); sys.stdout.flush()
sys.stdin.readline()
print(" ".join(str(reg.resolve("models:/fraud@champion").version) for _ in range(int(sys.argv[2]))))
"""


@pytest.mark.parametrize("readers, reads, promotions", [
    (3, 8, 4), pytest.param(6, 60, 30, marks=pytest.mark.long)])
def test_readers_fetching_while_promotions_land_see_only_whole_states(
    origin: Origin, readers: int, reads: int, promotions: int
) -> None:
    Registry(file_uri(origin)).resolve(CHAMPION)  # the clone exists: the readers fetch into it
    procs = released(readers, READ_LOOP, file_uri(origin), str(reads))
    for n in range(promotions):
        origin.promote(2 - n % 2)
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert (proc.returncode, err) == (0, "")
        assert set(out.split()) <= {"1", "2"} and len(out.split()) == reads
    last = 2 - (promotions - 1) % 2
    assert Registry(file_uri(origin), max_age=0).resolve(CHAMPION).version == last


def test_a_failed_fetch_serves_the_cached_copy_and_says_so(origin: Origin) -> None:
    clock = Clock()
    reg = Registry(file_uri(origin), max_age=60, clock=clock)
    assert reg.resolve(CHAMPION).version == 1
    origin.promote(2)
    away = origin.remote.with_name("away.git")
    origin.remote.rename(away)  # the forge is down
    clock.advance(61)
    with pytest.warns(StaleRegistryWarning, match=r"cannot fetch modelreg\+file:.*fetched 61 s"):
        assert reg.resolve(CHAMPION).version == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert reg.resolve(CHAMPION).version == 1  # retried max_age after the failed try
    assert reg.cached_clone is not None and reg.cached_clone.fetches == 2
    with pytest.warns(StaleRegistryWarning, match="fetched 61 s ago"):  # a process starting now
        Registry(file_uri(origin), max_age=60, clock=clock).resolve(CHAMPION)
    away.rename(origin.remote)  # back up
    clock.advance(61)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert reg.resolve(CHAMPION).version == 2
    assert reg.cached_clone.fetches == 3


def test_the_cli_answers_from_the_copy_with_a_one_line_warning(origin: Origin) -> None:
    assert _cli(file_uri(origin), "resolve", CHAMPION).startswith("models:/fraud/1 ")
    origin.remote.rename(origin.remote.with_name("away.git"))
    argv = [MODELREG, "--registry", file_uri(origin, max_age="0"), "resolve", CHAMPION]
    done = subprocess.run(argv, capture_output=True, text=True)
    assert (done.returncode, done.stdout.split()[0]) == (0, "models:/fraud/1")
    lines = done.stderr.splitlines()
    assert lines and all(ln.startswith("modelreg: warning: cannot fetch modelreg+file:")
                         for ln in lines), done.stderr


def test_a_cached_clone_reads_history_offline(origin: Origin) -> None:
    clock = Clock()
    origin.promote(2)
    reg = Registry(file_uri(origin), max_age=60, clock=clock)
    origin.remote.rename(origin.remote.with_name("gone.git"))
    assert reg.resolve(CHAMPION).version == 2
    assert reg.at("main~1").resolve(CHAMPION).version == 1
    assert reg.get_model_version("fraud", 1).version == 1


def test_a_clone_that_fails_is_one_line_and_leaves_nothing(
    tmp_path: Path, origin: Origin, cache: Path
) -> None:
    missing = remote_uri((tmp_path / "nowhere.git").as_uri())
    with pytest.raises(GitError, match=r"^cannot clone the registry modelreg\+file:") as caught:
        Registry(missing)
    assert "\n" not in str(caught.value)
    with pytest.raises(GitError, match="cannot clone"):
        Registry(file_uri(origin, ref="no-such-branch"))
    for folder in clones(cache):
        assert sorted(p.name for p in (cache / "registries" / folder).iterdir()) == ["lock"]


def test_a_remote_without_a_registry_at_path_is_not_found(origin: Origin) -> None:
    with pytest.raises(RegistryNotFound, match=r"^no registry in modelreg\+file:.* in ml/nope"):
        Registry(file_uri(origin, path="ml/nope"))


def test_the_default_branch_is_cloned_when_no_ref_is_given(origin: Origin) -> None:
    git_out(origin.remote, "symbolic-ref", "HEAD", "refs/heads/main")
    reg = Registry(f"git+{origin.remote.as_uri()}?path=registry", clock=Clock())
    assert reg.resolve(CHAMPION).version == 1
    origin.promote(2)
    assert reg.cached_clone is not None
    reg.cached_clone.clock.advance(DEFAULT_MAX_AGE)  # type: ignore[attr-defined]
    assert reg.resolve(CHAMPION).version == 2


def test_a_rewound_remote_branch_is_followed(origin: Origin) -> None:
    clock = Clock()
    origin.promote(2)
    reg = Registry(file_uri(origin), max_age=10, clock=clock)
    assert reg.resolve(CHAMPION).version == 2
    git_out(origin.work, "reset", "-q", "--hard", "HEAD~1")  # the promotion is taken back
    git_out(origin.work, "push", "-q", "--force", "origin", "main")
    clock.advance(10)
    assert reg.resolve(CHAMPION).version == 1


# ---------------------------------------------------------------- refusals


def test_writes_to_a_remote_registry_are_refused_before_any_work(
    tmp_path: Path, origin: Origin
) -> None:
    reg = Registry(file_uri(origin))
    tip = git_out(origin.remote, "rev-parse", "main")
    stored = sorted(origin.store.rglob("*"))
    writes = [
        lambda: reg.set_registered_model_alias("fraud", "champion", 2),
        lambda: reg.register("fraud", make_model(tmp_path / "m3", "weights v3\n")),
        lambda: reg.create_model_version("fraud", str(tmp_path / "m2"),
                                         local_model_path=str(tmp_path / "m2")),
        lambda: reg.transaction().__enter__(),
    ]
    for write in writes:
        with pytest.raises(ReadOnlyRegistry, match=r"cannot be written; clone .* --push"):
            write()
    assert git_out(origin.remote, "rev-parse", "main") == tip
    assert sorted(origin.store.rglob("*")) == stored  # nothing uploaded
    assert git_out(reg.location.path, "rev-parse", "main") == tip


def test_the_cli_refuses_a_write_with_one_line(origin: Origin) -> None:
    argv = [MODELREG, "--registry", file_uri(origin), "alias", "set", "fraud", "champion", "2"]
    done = subprocess.run(argv, capture_output=True, text=True)
    assert done.returncode == 1
    assert done.stderr.startswith("modelreg: error: modelreg+file:")
    assert "--push" in done.stderr and len(done.stderr.splitlines()) == 1


@pytest.mark.parametrize("uri", [
    "modelreg+https://alice:hunter2@example.com/org/repo.git?ref=main",
    "git+https://alice@example.com/org/repo.git",
    "modelreg+https://example.com/org/repo.git?ref=main&access_token=hunter2",
    "modelreg+https://example.com/org/ghp_abcdefghijklmnopqrstuvwxyz0123.git",
])
def test_uris_carrying_credentials_are_refused_and_not_shown(uri: str, cache: Path) -> None:
    with pytest.raises(InvalidParameter, match="carries a credential") as caught:
        Registry(uri)
    assert "hunter2" not in str(caught.value) and "ghp_abc" not in str(caught.value)
    assert not cache.exists()


# ---------------------------------------------------------------- the URI grammar


def test_the_uri_grammar_and_its_git_aliases() -> None:
    loc = parse_uri("modelreg+https://forge.example/org/repo.git?ref=main&path=ml/registry/"
                    "&max_age=5")
    assert loc.remote is not None and loc.bare
    assert (loc.remote.url, loc.ref, loc.prefix, loc.remote.max_age) == (
        "https://forge.example/org/repo.git", "main", "ml/registry", 5.0)
    alias = parse_uri("git+https://forge.example/org/repo.git?ref=main&path=ml/registry")
    assert alias.path == loc.path  # one clone, whichever spelling names it
    ssh = parse_uri("modelreg+ssh://git@forge.example/org/repo.git?ref=refs/heads/release")
    assert ssh.remote is not None
    assert (ssh.remote.url, ssh.ref) == ("ssh://git@forge.example/org/repo.git", "release")
    assert locate("modelreg+file:///srv/repo.git").remote is not None
    for url in ("modelreg+git://127.0.0.1:9418/r.git", "modelreg+http://h/r.git"):
        assert parse_uri(url).remote is not None
    assert parse_uri("modelreg+https://h/r.git?ref=a").path != parse_uri(
        "modelreg+https://h/r.git?ref=b").path  # one clone per branch


@pytest.mark.parametrize(("uri", "words"), [
    ("modelreg+ftp://h/r.git", "ftp transport is not supported"),
    ("modelreg+https://h/r.git?max-age=5", "unknown parameter 'max-age'"),
    ("modelreg+https://h/r.git?max_age=soon", "max_age='soon' is not a number"),
    ("modelreg+https://h/r.git?max_age=-1", "is not a number of seconds"),
    ("modelreg+https://h/r.git?ref=--upload-pack=x", "is not a branch name"),
    ("modelreg+https://h/r.git?ref=a..b", "is not a branch name"),
    ("modelreg+https://h/r.git?path=../x", "is not a folder inside it"),
    ("modelreg+https://h/r.git#frag", "unknown fragment"),
    ("modelreg+https://h", "names no repository"),
    ("modelreg://h/srv/r", "modelreg+https://h/REPO.git"),
])
def test_bad_remote_uris_are_refused_with_one_line(uri: str, words: str, cache: Path) -> None:
    with pytest.raises(InvalidParameter, match=r"^registry URI|max_age") as caught:
        Registry(uri)
    assert words in str(caught.value) and "\n" not in str(caught.value)
    assert not cache.exists()


def test_max_age_the_parameter_then_the_uri_then_the_environment_then_60_s(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    source = parse_uri("modelreg+https://h/r.git?max_age=5").remote
    bare = parse_uri("modelreg+https://h/r.git").remote
    assert source is not None and bare is not None
    monkeypatch.setenv("MODELREG_MAX_AGE", "7")
    assert (choose_max_age(1, source), choose_max_age(None, source)) == (1.0, 5.0)
    assert choose_max_age(None, bare) == 7.0
    monkeypatch.delenv("MODELREG_MAX_AGE")
    assert choose_max_age(None, bare) == DEFAULT_MAX_AGE == 60.0
    monkeypatch.setenv("MODELREG_MAX_AGE", "never")
    with pytest.raises(InvalidParameter, match=r"\$MODELREG_MAX_AGE='never'"):
        choose_max_age(None, bare)


# ---------------------------------------------------------------- the MLflow plugin


def test_the_mlflow_plugin_hands_a_remote_uri_to_the_registry() -> None:
    from modelreg.mlflow_plugin import uri

    spec = uri.parse("modelreg+https://forge.example/org/repo.git?ref=main&path=ml&max_age=5"
                     "&at=main~1&artifacts=copy")
    assert spec.at == "main~1"
    assert parse_uri(spec.registry).path == parse_uri(
        "modelreg+https://forge.example/org/repo.git?ref=main&path=ml&max_age=5").path
    assert parse_uri(spec.registry).remote.max_age == 5.0  # type: ignore[union-attr]


@pytest.mark.long
@_mlflow_marks
def test_the_mlflow_plugin_reads_a_remote_registry_and_refuses_writes(origin: Origin) -> None:
    from mlflow.exceptions import MlflowException

    from modelreg.mlflow_plugin.store import ModelregStore

    store = ModelregStore(file_uri(origin))
    assert int(store.get_model_version_by_alias("fraud", "champion").version) == 1
    with pytest.raises(MlflowException, match="cannot be written"):
        store.set_registered_model_alias("fraud", "champion", "2")
