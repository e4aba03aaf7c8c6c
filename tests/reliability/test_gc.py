"""`modelreg gc` (DESIGN §2, issue #6) on a local store and on S3 (moto on loopback).

What it keeps: what every ref's tip references (the registry branch, a pull request's
branch), what the commits of the retention window referenced (so `--at` keeps working; a
deleted version's artifacts stay that long). What it deletes: content and temporaries that
stayed unreferenced for the grace period, re-checked just before. What it refuses: a store
claimed by registries it was not shown, a store another gc is working on. A dry run writes
nothing. The clock is a parameter (`GcOptions.now`): no test waits for time to pass.

The race: a registration that reuses content gc has marked, between the mark and the sweep or
in the middle of the sweep (threads held at gc's steps by events), never loses its bytes.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from conftest import git
from helpers import make_model
from modelreg import Registry
from modelreg.cli import cli
from modelreg.errors import Conflict
from modelreg.store import sweep
from modelreg.upkeep.gc import LEASE_TTL, GcOptions
from modelreg.upkeep.references import digests_in
from modelreg.upkeep.report import GcReport
from s3server import S3Server

NOW = dt.datetime.now(dt.timezone.utc)
# Each S3 variant costs ~3 s of CPU (moto answers in this process): the default run keeps the
# ones that prove the most on S3 (what is kept and what goes, the race's delete-and-upload
# path); the others run with `-m long`.
BOTH_S3_LONG = ["local", pytest.param("s3", marks=[pytest.mark.s3, pytest.mark.long])]
DAY = dt.timedelta(days=1)


@pytest.fixture(scope="module")
def s3() -> Iterator[S3Server]:
    server = S3Server()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def s3_options(s3: S3Server) -> dict[str, Any]:
    """One botocore session for the module's clients: each store a registry opens is a new
    client, and a new session costs ~0.2 s of CPU to load S3's service model again."""
    from aiobotocore.session import AioSession

    return s3.storage_options(session=AioSession())


class Place:
    """A registry on a store, and a filesystem to look at what the store holds."""

    def __init__(self, registry: Registry, fs: Any, root: str, url: str,
                 options: dict[str, Any] | None) -> None:
        self.registry, self.fs, self.root, self.url, self.options = (
            registry, fs, root, url, options)

    def files(self) -> dict[str, bytes]:
        """Every object in the store with its bytes: "nothing changed" means equal."""
        self.fs.invalidate_cache()
        found = self.fs.find(self.root) if self.fs.exists(self.root) else []
        return {str(p)[len(self.root) + 1:]: bytes(self.fs.cat_file(p)) for p in found}

    def paths(self) -> list[str]:
        self.fs.invalidate_cache()
        found = self.fs.find(self.root) if self.fs.exists(self.root) else []
        return [str(p)[len(self.root) + 1:] for p in found]

    def has(self, digest_uri: str) -> bool:
        return any(p.startswith(f"{digest_uri}/") for p in self.paths())

    def gc(self, now: dt.datetime, **options: Any) -> GcReport:
        return self.registry.gc(GcOptions(now=now, **options))


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.s3)])
def place(request: pytest.FixtureRequest, repo: Path) -> Place:
    import fsspec

    if request.param == "local":
        registry = Registry.init(repo / "registry")
        root = str(repo / "registry" / "artifacts")
        return Place(registry, fsspec.filesystem("file"), root, root, None)
    server: S3Server = request.getfixturevalue("s3")
    options: dict[str, Any] = request.getfixturevalue("s3_options")
    url = f"s3://{server.new_bucket()}/models"
    registry = Registry.init(repo / "registry", store=url,
                             storage_options=options)
    return Place(registry, server.filesystem(), url.removeprefix("s3://"), url,
                 options)


def model(tmp_path: Path, name: str) -> Path:
    return make_model(tmp_path / name, files={"model.bin": f"weights of {name}\n"})


def uri_of(place: Place, folder: Path) -> str:
    """Upload `folder` without registering it: what a crash after the upload leaves."""
    return place.registry.store().upload(folder).uri


def deleted(report: GcReport) -> list[str]:
    return [i.path for i in report.deleted]


# ---------------------------------------------------------------- what is kept, what goes


def test_tips_and_the_retention_window_keep_their_artifacts(
    place: Place, repo: Path, tmp_path: Path
) -> None:
    reg = place.registry
    live = reg.register("fraud", model(tmp_path, "a")).artifacts
    gone = reg.register("fraud", model(tmp_path, "b")).artifacts
    reg.delete_model_version("fraud", 2)  # a tombstone: history still has it alive
    git(repo, "checkout", "-q", "-b", "proposal")
    branch = reg.register("fraud", model(tmp_path, "c")).artifacts  # an unmerged branch
    git(repo, "checkout", "-q", "main")
    stray = uri_of(place, model(tmp_path, "d"))
    assert live and gone and branch

    first = place.gc(NOW)
    assert deleted(first) == [] and [i.path for i in first.marked] == [stray]
    assert deleted(place.gc(NOW + 2 * DAY)) == [stray]
    assert deleted(place.gc(NOW + 31 * DAY)) == []  # the tombstone's commit left the window
    assert deleted(place.gc(NOW + 33 * DAY)) == [gone.uri]
    for kept in (live, branch):
        assert place.has(kept.uri)
    assert not place.has(gone.uri) and not place.has(stray)
    assert reg.verify_artifacts().ok


@pytest.mark.parametrize("place", BOTH_S3_LONG, indirect=True)
def test_an_at_read_inside_the_retention_window_still_downloads(
    place: Place, tmp_path: Path
) -> None:
    reg = place.registry
    reg.register("fraud", model(tmp_path, "a"))
    reg.set_registered_model_alias("fraud", "champion", 1)
    before = reg.head()
    reg.register("fraud", model(tmp_path, "b"))
    reg.set_registered_model_alias("fraud", "champion", 2)
    reg.delete_model_version("fraud", 1)
    for days in (2, 4, 29):
        assert deleted(place.gc(NOW + days * DAY)) == []
    assert before is not None
    out = reg.at(before).download("models:/fraud@champion", tmp_path / "out")
    assert (out / "model.bin").read_text() == "weights of a\n"


@pytest.mark.parametrize("place", BOTH_S3_LONG, indirect=True)
def test_an_unreferenced_upload_goes_after_the_grace_period_not_before(
    place: Place, tmp_path: Path
) -> None:
    place.registry.register("fraud", model(tmp_path, "a"))
    stray = uri_of(place, model(tmp_path, "d"))
    place.fs.pipe_file(f"{place.root}/.modelreg/tmp/0123abcd", b"left by a crash")
    hour = dt.timedelta(hours=1)
    marked = place.gc(NOW, grace=hour)
    assert sorted(i.path for i in marked.marked) == [".modelreg/tmp/0123abcd", stray]
    waiting = place.gc(NOW + hour - dt.timedelta(seconds=1), grace=hour)
    assert deleted(waiting) == [] and place.has(stray)
    swept = place.gc(NOW + hour, grace=hour)
    assert sorted(deleted(swept)) == [".modelreg/tmp/0123abcd", stray]
    assert not place.has(stray) and swept.deleted[0].size > 0
    left = place.paths()
    assert not any(p.startswith((stray, ".modelreg/tmp/", ".modelreg/gc/sweeping")) for p in left)
    assert place.registry.verify_artifacts().ok


@pytest.mark.parametrize("place", BOTH_S3_LONG, indirect=True)
def test_a_dry_run_changes_nothing_and_says_what_would_go(place: Place, tmp_path: Path) -> None:
    place.registry.register("fraud", model(tmp_path, "a"))
    stray = uri_of(place, model(tmp_path, "d"))
    before = place.files()
    report = place.gc(NOW + 2 * DAY, dry_run=True, grace=dt.timedelta(0))
    assert report.dry_run and deleted(report) == [stray]
    assert place.files() == before  # no marks, no intents, no lease, nothing deleted
    place.gc(NOW)  # a real mark; a dry run after it reads it and still writes nothing
    marked = place.files()
    assert deleted(place.gc(NOW + 2 * DAY, dry_run=True)) == [stray]
    assert place.files() == marked and place.has(stray)


@pytest.mark.parametrize("place", BOTH_S3_LONG, indirect=True)
def test_a_store_shared_with_a_registry_gc_was_not_shown_is_refused(
    place: Place, tmp_path: Path
) -> None:
    other_repo = tmp_path / "other"
    other_repo.mkdir()
    git(other_repo, "init", "-q", "-b", "main")
    git(other_repo, "commit", "-q", "--allow-empty", "-m", "initial commit")
    other = Registry.init(other_repo / "registry", store=place.url,
                          storage_options=place.options)
    theirs = other.register("churn", model(tmp_path, "b")).artifacts
    place.registry.register("fraud", model(tmp_path, "a"))
    before = place.files()
    with pytest.raises(Conflict, match=other.config.id):
        place.gc(NOW)
    assert place.files() == before
    both = place.registry.gc(GcOptions(now=NOW + 2 * DAY, grace=dt.timedelta(0)), also=[other])
    assert set(both.registries) == {place.registry.config.id, other.config.id}
    assert deleted(both) == [] and theirs is not None and place.has(theirs.uri)


@pytest.mark.parametrize("place", BOTH_S3_LONG, indirect=True)
def test_a_second_gc_on_the_store_is_refused_while_one_runs(place: Place) -> None:
    store = place.registry.store()
    sweep.take_lease(store, at=NOW.timestamp())
    with pytest.raises(Conflict, match="another gc has been running"):
        place.gc(NOW + dt.timedelta(minutes=5))
    assert place.gc(NOW + LEASE_TTL + DAY).deleted == ()  # a lease that old is a dead gc
    assert sweep.lease_time(store) is None


def test_a_version_file_that_cannot_be_parsed_keeps_every_digest_it_names() -> None:
    hex_ = "ab" * 32
    assert digests_in(f"artifacts: {{uri: sha256/{hex_}\n".encode(), "x.yaml") == {hex_}


# ---------------------------------------------------------------- the race with a registration


@pytest.mark.parametrize("place", BOTH_S3_LONG, indirect=True)
def test_a_registration_reusing_a_marked_digest_before_the_sweep_keeps_it(
    place: Place, tmp_path: Path
) -> None:
    stray = uri_of(place, model(tmp_path, "a"))  # a registration that crashed after uploading
    assert [i.path for i in place.gc(NOW).marked] == [stray]
    mv = place.registry.register("fraud", model(tmp_path, "a"))  # reuses it: no byte moves
    assert mv.artifacts is not None and mv.artifacts.uri == stray
    assert deleted(place.gc(NOW + 2 * DAY)) == []
    assert place.has(stray) and place.registry.verify_artifacts().ok


class Held:
    """gc held at one of its steps, a registration run beside it, both in threads."""

    def __init__(self, place: Place, step: str, monkeypatch: pytest.MonkeyPatch) -> None:
        self.place, self.step = place, step
        self.paused, self.go, self.waiting = threading.Event(), threading.Event(), threading.Event()
        self.errors: list[BaseException] = []
        real_pause = sweep.PAUSE

        def pause(seconds: float) -> None:  # the upload is waiting for the sweep to end
            self.waiting.set()
            real_pause(seconds)

        monkeypatch.setattr(sweep, "PAUSE", pause)

    def on_step(self, name: str) -> None:
        if name == self.step:
            self.paused.set()
            assert self.go.wait(30), "the test never released gc"

    def thread(self, fn: Callable[[], Any], out: list[Any]) -> threading.Thread:
        def body() -> None:
            try:
                out.append(fn())
            except BaseException as exc:  # re-raised by the test
                self.errors.append(exc)

        worker = threading.Thread(target=body)
        worker.start()
        return worker

    def run(self, register: Callable[[], Any]) -> tuple[GcReport, Any]:
        options = GcOptions(now=NOW + 2 * DAY, on_step=self.on_step)
        reports: list[GcReport] = []
        versions: list[Any] = []
        sweeper = self.thread(lambda: self.place.registry.gc(options), reports)
        assert self.paused.wait(30), "gc never reached its step"
        registrar = self.thread(register, versions)
        self.waiting.wait(10)  # the upload waits for the sweep (without the guard it would not)
        self.go.set()
        sweeper.join(60)
        registrar.join(60)
        if self.errors:
            raise self.errors[0]
        return reports[0], versions[0]


@pytest.mark.parametrize(("place", "step"), [
    ("local", "declared"), ("local", "decided"),
    pytest.param("s3", "decided", marks=pytest.mark.s3),
    pytest.param("s3", "declared", marks=[pytest.mark.s3, pytest.mark.long]),
], indirect=["place"])
def test_a_registration_racing_the_sweep_never_loses_its_bytes(
    place: Place, tmp_path: Path, step: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Held at "declared" (intent written, nothing re-checked yet), the sweep then sees the
    registration's touch and keeps the content. Held at "decided" (it read no touch and will
    delete), the registration sees the intent, waits, and uploads the bytes again."""
    folder = model(tmp_path, "a")
    stray = uri_of(place, folder)
    place.gc(NOW)  # marked
    location = place.registry.location.path
    held = Held(place, step, monkeypatch)
    beside = Registry(location, storage_options=place.options)  # as another process would
    report, mv = held.run(lambda: beside.register("fraud", folder))
    assert mv.artifacts.uri == stray
    if step == "declared":
        assert [i.path for i in report.kept] == [stray] and deleted(report) == []
    else:
        assert deleted(report) == [stray]  # deleted, then uploaded again by the registration
    assert place.has(stray) and f"{stray}.complete" in place.paths()
    assert beside.verify_artifacts().ok
    assert deleted(place.gc(NOW + 4 * DAY)) == []  # committed: referenced from now on
    assert held.waiting.is_set()  # the upload waited for the sweep's intent to go


# ---------------------------------------------------------------- the command line


def run(*args: str, code: int = 0) -> Any:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False, prog_name="modelreg")
    assert result.exit_code == code, result.stdout + result.stderr
    if code == 1:
        assert result.stderr.startswith("modelreg: error:")
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    return result


def test_the_command_marks_sweeps_and_refuses_in_one_line(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reg = Registry.init(repo / "registry")
    reg.register("fraud", model(tmp_path, "a"))
    stray = reg.store().upload(model(tmp_path, "d")).uri
    monkeypatch.chdir(reg.location.path)
    assert f"marked {stray}" in run("gc").stdout
    assert f"would delete {stray}" in run("gc", "--dry-run", "--grace", "0").stdout
    data = json.loads(run("gc", "--grace", "0", "--json").stdout)
    assert [i["path"] for i in data["deleted"]] == [stray] and data["freed"] > 0
    assert not (repo / "registry" / "artifacts" / stray).exists()
    run("gc", "--grace", "soon", code=1)
    (tmp_path / "other-repo").mkdir()
    git(tmp_path / "other-repo", "init", "-q", "-b", "main")
    git(tmp_path / "other-repo", "commit", "-q", "--allow-empty", "-m", "initial commit")
    other = Registry.init(tmp_path / "other-repo" / "registry",
                          store=str(repo / "registry" / "artifacts"))
    assert other.config.id in run("gc", code=1).stderr
    run("gc", "--with", str(other.location.path), "--retention", "12h")
