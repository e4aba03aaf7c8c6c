"""Searches answered by the index in SQL (index/query.py) equal `modelreg.search` over a full scan.

The registry is written file by file (`manifest.dump_*`, committed with the `git` CLI) with
names, tag keys and values chosen to trip SQL up: LIKE's `%`, `_` and backslash, quotes, case
(SQLite's LIKE and `lower` fold ASCII only; Python's regex folds the Kelvin sign and the long
s), non-ASCII text, ties of timestamps, runs left empty, deleted versions, aliases and stages
on live, deleted and missing versions. Every answer, page by page with its token, must be the
one `modelreg.search` gives over every live version read from a `Snapshot` of that commit.
"""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import git
from modelreg import Registry, layout, manifest, search
from modelreg.gitrepo import GitRepo
from modelreg.index import Index, index_path
from modelreg.index import codec as index_codec
from modelreg.index import db as index_db
from modelreg.index import query as index_query
from modelreg.index import write as index_write
from modelreg.model import AliasTable, Deletion, ModelVersion, RegisteredModel, Stage
from modelreg.snapshot import Snapshot

PREFIX = "ml/registry"
NAMES = ("fraud", "Fraud", "fraud_eu", "fraud%eu", "churn model", "Zeta.v2", "é-model",
         "É-model", "straße", "STRASSE", "kelvin\u212a", "kelvink", "a\\b", "o'brien",
         'say "hi"', "m1", "m10", "m1x", "日本", "🙂 emoji", "x" * 120)
TAG_KEYS = ("team", "stage gate", "a.b", "a`b", "ünï", "K", "k", "", "note")
TAG_VALUES = ("risk", "Risk", "RISK", "", "50% off_", "a\\b", "a\\%b", "o'brien", 'say "hi"',
              "é", "É", "ß", "SS", "\u212a", "k", "K", "ſ", "s", "line\nbreak", "日本語", "🙂",
              "x_y", "x%y", "[1]", "{x", "null", "\U0010ffff", "a\U0010ffff")
RUN_IDS = ("", "run-a", "run-b", "RUN-A", "run_%")
SOURCES = ("s3://bucket/x/1", "runs:/abc/model", "file:///m/churn_1", "models/churn.v2", "",
           "S3://BUCKET/X", "s3://bucket/é")
DAYS = tuple(f"2024-01-0{d}T00:00:00.000Z" for d in range(1, 5))
VERSION_ORDERS = (None, ["creation_timestamp DESC"], ["name DESC"], ["version_number ASC"],
                  ["last_updated_timestamp ASC", "name DESC"], ["last_updated_timestamp DESC"],
                  ["creation_timestamp", "version_number DESC", "name"])
MODEL_ORDERS = (None, ["name DESC"], ["creation_timestamp DESC"], ["last_updated_timestamp"])


class Work:
    """A registry in a work tree, written file by file from a seeded random source."""

    def __init__(self, repo: Path, seed: int) -> None:
        self.repo, self.root, self.rnd = repo, repo / PREFIX, random.Random(seed)
        self.write("registry.yaml", b'modelreg: 1\nid: "x"\nstore: "artifacts"\n')
        self.last: dict[str, int] = {}

    def write(self, rel: str, data: bytes) -> None:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    def tags(self) -> dict[str, str]:
        keys = self.rnd.sample(TAG_KEYS, self.rnd.randint(0, 4))
        return {k: self.rnd.choice(TAG_VALUES) for k in keys}

    def model(self, name: str, count: int) -> None:
        for _ in range(count):
            self.version(name)
        rnd = self.rnd
        model = RegisteredModel(name=name, tags=self.tags(), last_version=self.last[name],
                                created_at=rnd.choice(DAYS), created_by="me")
        self.write(layout.model_file(name), manifest.dump_model(model))

    def version(self, name: str, **fields: Any) -> None:
        number = self.last.get(name, 0) + 1
        self.last[name] = number
        rnd = self.rnd
        values: dict[str, Any] = dict(
            name=name, version=number, source=rnd.choice(SOURCES), run_id=rnd.choice(RUN_IDS),
            tags=self.tags(), created_at=rnd.choice(DAYS), created_by="me",
            updated_at=rnd.choice(("", *DAYS)),
        )
        values.update(fields)
        self.write(layout.version_file(name, number), manifest.dump_version(ModelVersion(**values)))

    def delete(self, name: str, number: int) -> None:
        tomb = ModelVersion(name=name, version=number, created_at=DAYS[0], created_by="me",
                            deleted=Deletion(at=DAYS[1], by="me"))
        self.write(layout.version_file(name, number), manifest.dump_version(tomb))

    def aliases(self, name: str) -> None:
        rnd, top = self.rnd, self.last[name] + 2  # some point past the last version
        stages = {s: tuple(rnd.sample(range(1, top), rnd.randint(0, 2)))
                  for s in (Stage.STAGING, Stage.PRODUCTION, Stage.ARCHIVED) if rnd.random() < .6}
        aliases = {a: rnd.randint(1, top) for a in ("champion", "canary") if rnd.random() < .6}
        self.write(layout.aliases_file(name),
                   manifest.dump_aliases(AliasTable(aliases=aliases, stages=stages)))

    def commit(self) -> str:
        git(self.repo, "add", "-A")
        git(self.repo, "commit", "-q", "--allow-empty", "-m", "change")
        return git(self.repo, "rev-parse", "HEAD").strip()


def build(repo: Path) -> tuple[str, str]:
    """Two commits: ~330 versions in 21 models, then deletes, edits and a model removed."""
    work = Work(repo, seed=5)
    for i, name in enumerate(NAMES):
        work.model(name, 6 + (i * 7) % 23)
        work.aliases(name)
    for name in NAMES[::3]:
        for number in work.rnd.sample(range(1, work.last[name] + 1), 2):
            work.delete(name, number)
    first = work.commit()
    for name in NAMES[1::4]:
        work.version(name)
        work.aliases(name)
        work.delete(name, 1)
    work.version("fraud", tags={"team": "edited"})
    git(repo, "rm", "-rq", f"{PREFIX}/{layout.model_path('m10')}")
    return first, work.commit()


class Scan:
    """Every manifest of a commit read through `Snapshot`: the reference answers."""

    def __init__(self, repo: Path, commit: str) -> None:
        snap = Snapshot(GitRepo.discover(repo).tree_files(commit, PREFIX))
        names = snap.model_names()
        self.snap = snap
        self.models = [snap.require_model(n) for n in names]
        self.versions = [v for n in names for v in snap.versions(n)]

    def search_versions(self, *args: Any, **kw: Any) -> search.Page[ModelVersion]:
        return search.search_versions(self.versions, *args, **kw)

    def search_models(self, *args: Any, **kw: Any) -> search.Page[RegisteredModel]:
        page = search.search_models(self.models, *args, **kw)
        filled = [replace(m, latest_versions=tuple(
            mv for s in Stage if (mv := self.snap.latest_in_stage(m.name, s)) is not None))
            for m in page]
        return search.Page(filled, page.token)


class World:
    def __init__(self, repo: Path) -> None:
        self.first, self.second = build(repo)
        self.reg = Registry(repo / PREFIX)
        self.scans = {c: Scan(repo, c) for c in (self.first, self.second)}
        self.views = {self.first: self.reg.at(self.first), self.second: self.reg}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """One registry for the tests that only read (built once: ~1 s), in a Git of its own."""
    home = tmp_path_factory.mktemp("home")
    (home / ".gitconfig").write_text("[user]\n\tname = T\n\temail = t@example.com\n")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOME", str(home))
        mp.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
        mp.setenv("GIT_CONFIG_NOSYSTEM", "1")
        repo = tmp_path_factory.mktemp("world") / "repo"
        repo.mkdir()
        git(repo, "init", "-q", "-b", "main")
        yield World(repo)


@pytest.fixture
def own_world(repo: Path) -> World:
    """A registry of the test's own, for tests that write or spoil the index."""
    return World(repo)


def walk(search_page: Any, filter_string: str | None, order_by: Any,
         size: int | None, pages: int = 3) -> Iterator[tuple[list[Any], str | None]]:
    """The first pages of one search, each with its token."""
    token = None
    for _ in range(pages):
        page = search_page(filter_string, max_results=size, order_by=order_by, page_token=token)
        yield list(page), page.token
        token = page.token
        if token is None:
            return


def assert_versions_equal(world: World, commit: str, filter_string: str | None,
                          order_by: Any = None, size: int | None = None, pages: int = 3) -> None:
    view, scan = world.views[commit], world.scans[commit]
    got = list(walk(view.search_model_versions, filter_string, order_by, size, pages))
    assert got == list(walk(scan.search_versions, filter_string, order_by, size, pages))


def assert_models_equal(world: World, commit: str, filter_string: str | None,
                        order_by: Any = None, size: int | None = None, pages: int = 3) -> None:
    view, scan = world.views[commit], world.scans[commit]
    got = list(walk(view.search_registered_models, filter_string, order_by, size, pages))
    assert got == list(walk(scan.search_models, filter_string, order_by, size, pages))


# -- filters written out ---------------------------------------------------------------------

def lit(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


def tag(key: str) -> str:
    return "tags.`" + key.replace("`", "``") + "`"


FIXED = [
    "", "name = 'fraud'", "name != 'fraud'", "name LIKE 'fraud%'", "name LIKE 'Fraud'",
    "name LIKE 'fraud\\%eu'", "name LIKE 'fraud_eu'", "name LIKE 'fraud\\_eu'", "name LIKE '%eu'",
    "name LIKE 'm1%'", "name LIKE 'm1_'", "name LIKE '%'", "name LIKE '_'", "name LIKE 'a\\\\b'",
    "name ILIKE 'FRAUD%'", "name ILIKE 'é%'", "name ILIKE 'STRASSE'", "name ILIKE 'kelvink'",
    "name ILIKE '%K'", "name LIKE '🙂%'", "name LIKE '日%'", f"name = {lit(NAMES[-1])}",
    "name IN ('fraud', 'Fraud', 'nope')", "name NOT IN ('fraud', 'churn model')",
    "name = 'o''brien'", "name = 'say \"hi\"'", "name LIKE 'x%' AND version_number > 3",
    "run_id = 'run-a'", "run_id != 'run-a'", "run_id ILIKE 'run-a'", "run_id LIKE 'run\\_\\%'",
    "run_id LIKE '%'", "run_id NOT IN ('run-b')", "run_id IN ('', 'run-a')",
    "source_path LIKE 's3://%'", "source_path ILIKE 's3://bucket/%'", "source_path = ''",
    "source_path != ''", "source_path LIKE '%é'", "source_path LIKE 'models/churn_v2'",
    "version_number = 2", "version_number != 2", "version_number < 3", "version_number <= 3",
    "version_number > 20", "version_number >= 20", "version_number IN (1, 5, 50)",
    "version_number NOT IN (1, 2)", "version_number = '3'",
    "tags.team = 'risk'", "tags.team != 'risk'", "tags.team LIKE 'r%'", "tags.team ILIKE 'r%'",
    "tags.team ILIKE 'RISK'", "tags.team IN ('risk', 'Risk')", "tags.team NOT IN ('risk')",
    "tags.team = ''", "tags.team LIKE ''", "tags.team != ''", "tags.team = 'edited'",
    f"{tag('')} = 'risk'", f"{tag('stage gate')} LIKE '%'", f"{tag('a`b')} != 'k'",
    f"{tag('a.b')} ILIKE 'k'", "tags.a.b ILIKE 's'", f"{tag('ünï')} ILIKE 'É'",
    "tags.K = 'K'", "tags.k ILIKE 'K'", "tags.note LIKE '50\\% off\\_'", "tags.note LIKE '50\\%%'",
    "tags.note LIKE 'a\\\\b'", "tags.note LIKE 'a\\\\\\%b'", "tags.note = 'line\nbreak'",
    "tags.note LIKE 'line_break'", "tags.note LIKE '%\U0010ffff'", "tags.note LIKE 'a\U0010ffff%'",
    "tags.note ILIKE 'ſ'", "tags.note ILIKE 'S'", "tags.note LIKE '[1]'", "tags.note != '[1]'",
    "tags.note NOT IN ('[1]', 'null')", "tags.note = '{x'", "tags.missing = 'x'",
    "tags.missing != 'x'", "tags.team = 'risk' AND tags.k != 'K'",
    "tags.team IN ('risk', 'RISK') AND name LIKE 'f%' AND version_number >= 2",
    "tags.team LIKE 'R%' AND run_id != ''", "tags.team ILIKE '%' AND tags.k LIKE '%'",
    "name = '\ud800'", "tags.team LIKE '\ud800%'",  # no UTF-8: SQL leaves them to Python
    "name IN ({}, 'fraud')".format(", ".join(lit(f"n{i}") for i in range(600))),  # too long
    "tags.team NOT IN ({}, 'risk')".format(", ".join(lit(f"n{i}") for i in range(600))),
]
MODEL_FIXED = [
    "", "name = 'fraud'", "name != 'fraud'", "name LIKE 'm1%'", "name LIKE 'F%'",
    "name ILIKE 'f%'", "name ILIKE '%K'", "name LIKE '%\\%%'", "name IN ('fraud', 'm1')",
    "name NOT IN ('fraud')", "tags.team = 'risk'", "tags.team != 'risk'", "tags.team ILIKE 'r%'",
    f"{tag('')} LIKE '%'", "tags.note IN ('[1]', 'x_y')", "name LIKE 'm%' AND tags.k != 'x'",
]


@pytest.mark.parametrize("which", ["first", "second"])
def test_fixed_version_filters(world: World, which: str) -> None:
    """Each filter whole and in pages of 7, in one of the orders; at the first commit, then
    at the second (deletes, edits, a model removed: the index moved by a diff)."""
    commit = getattr(world, which)
    for i, filter_string in enumerate(FIXED):
        order_by = VERSION_ORDERS[i % len(VERSION_ORDERS)]
        assert_versions_equal(world, commit, filter_string, order_by)
        assert_versions_equal(world, commit, filter_string, order_by, size=7, pages=2)


@pytest.mark.parametrize("which", ["first", "second"])
def test_fixed_model_filters(world: World, which: str) -> None:
    commit = getattr(world, which)
    for i, filter_string in enumerate(MODEL_FIXED):
        order_by = MODEL_ORDERS[i % len(MODEL_ORDERS)]
        assert_models_equal(world, commit, filter_string, order_by)
        assert_models_equal(world, commit, filter_string, order_by, size=4, pages=2)


# -- filters made up by hypothesis ---------------------------------------------------------

def _pattern(draw: Any, text: str) -> str:
    """A LIKE pattern some values match: pieces of a value kept, escaped, or wildcarded
    (of a short value: a regex of many `%` over a long text backtracks for long)."""
    out = []
    for char in text[:12]:
        roll = draw(st.integers(0, 9))
        if roll == 0:
            out.append("_")
        elif roll == 1:
            out.append("%")
        elif roll == 2 and char.isalpha():
            out.append(char.swapcase())
        else:
            out.append("\\" + char if char in "%_\\" else char)
    if draw(st.booleans()):
        out.insert(draw(st.integers(0, len(out))), "%")
    return "".join(out)


@st.composite
def conditions(draw: Any, kind: str) -> str:
    fields = ["name", "tags"] if kind == "models" else [
        "name", "run_id", "source_path", "version_number", "tags"]
    field = draw(st.sampled_from(fields))
    if field == "version_number":
        op = draw(st.sampled_from(["=", "!=", "<", "<=", ">", ">=", "IN", "NOT IN"]))
        numbers = draw(st.lists(st.integers(-1, 30), min_size=1, max_size=4))
        if "IN" in op:
            return f"version_number {op} ({', '.join(map(str, numbers))})"
        return f"version_number {op} {numbers[0]}"
    pool = {"name": NAMES, "run_id": RUN_IDS, "source_path": SOURCES, "tags": TAG_VALUES}[field]
    target = tag(draw(st.sampled_from(TAG_KEYS))) if field == "tags" else field
    op = draw(st.sampled_from(["=", "!=", "LIKE", "ILIKE", "IN", "NOT IN"]))
    values = draw(st.lists(st.sampled_from(pool) | st.text(max_size=3), min_size=1, max_size=3))
    if "IN" in op:
        return f"{target} {op} ({', '.join(map(lit, values))})"
    value = _pattern(draw, values[0]) if "LIKE" in op else values[0]
    return f"{target} {op} {lit(value)}"


def filters(kind: str) -> st.SearchStrategy[str]:
    return st.lists(conditions(kind), min_size=1, max_size=3).map(" AND ".join)


SETTINGS = settings(max_examples=80, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(filter_string=filters("versions"), order_by=st.sampled_from(VERSION_ORDERS),
       size=st.sampled_from([None, 1, 3, 40]))
def test_any_version_search_equals_a_full_scan(
    world: World, filter_string: str, order_by: Any, size: int | None
) -> None:
    assert_versions_equal(world, world.second, filter_string, order_by, size)


@SETTINGS
@given(filter_string=filters("models"), order_by=st.sampled_from(MODEL_ORDERS),
       size=st.sampled_from([None, 2, 5]))
def test_any_model_search_equals_a_full_scan(
    world: World, filter_string: str, order_by: Any, size: int | None
) -> None:
    assert_models_equal(world, world.second, filter_string, order_by, size)


# -- what it costs ---------------------------------------------------------------------------

def _index_search(world: World, kind: str, filter_string: str | None,
                  **kw: Any) -> tuple[list[Any], dict[str, int]]:
    schema = search.VERSIONS if kind == "versions" else search.MODELS
    request = search.prepare(schema, filter_string, **kw)
    with Index.open(world.reg.repo, PREFIX) as index:
        ask = index.search_versions if kind == "versions" else index.search_models
        ask(world.second, request)  # in step with the commit
        index.stats.reset()
        index_codec.forget_all()  # what a new process pays
        found = ask(world.second, request)
        return found, index.stats.as_dict()


def test_a_page_reads_only_its_rows(world: World) -> None:
    """Unfiltered or by attribute, SQL skips the offset and stops after the page (+1)."""
    scan = world.scans[world.second]
    token = scan.search_versions(None, max_results=200).token  # the page from offset 200
    found, stats = _index_search(world, "versions", None, max_results=5, page_token=token)
    assert found == list(scan.search_versions(None, max_results=6, page_token=token))
    assert stats["rows_loaded"] == 6
    assert 6 <= stats["rows_decoded"] <= 12  # the versions, and their models' alias tables
    found, stats = _index_search(world, "versions", "name LIKE 'm1%'", max_results=3)
    assert found == list(scan.search_versions("name LIKE 'm1%'", max_results=4))
    assert stats["rows_loaded"] == 4 and stats["manifests_parsed"] == 0


def test_a_tag_search_builds_only_its_candidates(world: World) -> None:
    scan = world.scans[world.second]
    expected = scan.search_versions("tags.team = 'edited'")
    found, stats = _index_search(world, "versions", "tags.team = 'edited'")
    assert found == list(expected) and len(found) == 1
    odd = [mv for mv in scan.versions if index_write.odd_tags(tuple(mv.tags.items()))]
    assert 0 < len(odd) < len(scan.versions) // 4
    assert stats["rows_loaded"] == 1 + len(odd)  # odd tags are always candidates
    # every candidate is built to be checked, then the hit's alias table
    assert stats["rows_decoded"] <= stats["rows_loaded"] + 1
    assert stats["objects_read"] == 0 and stats["manifests_parsed"] == 0


def test_models_read_their_latest_versions_from_the_index(world: World) -> None:
    found, stats = _index_search(world, "models", "name LIKE 'fraud%'")
    scan = world.scans[world.second]
    assert found == list(scan.search_models("name LIKE 'fraud%'"))
    assert stats["objects_read"] == 0 and stats["manifests_parsed"] == 0
    assert stats["rows_loaded"] == len(found) == 3


def test_every_field_and_order_key_has_its_column() -> None:
    assert set(index_query.VERSION_COLUMNS) == set(search.VERSIONS.fields)
    assert set(index_query.VERSION_ORDER) == set(search.VERSIONS.order_keys)
    assert set(index_query.MODEL_COLUMNS) == set(search.MODELS.fields)
    assert set(index_query.MODEL_ORDER) == set(search.MODELS.order_keys)


def test_like_prefix_ranges() -> None:
    assert index_query.successor("m1") == "m2"
    assert index_query.successor("a\U0010ffff") == "b"
    assert index_query.successor("\U0010ffff") is None
    assert index_query.successor("\ud7ff") == "\ue000"


# -- odd hand-written tags ---------------------------------------------------------------------

ODD_YAML = b"""name: "odd"
version: %d
created_at: "2024-01-01T00:00:00.000Z"
created_by: "me"
tags:
%s
"""
ODD_TAGS = [b"  k: .nan", b"  k: [x]", b"  k: {a: 1}", b"  k: 5\n  n: 1.10",
            b"  k: null", b"  k: yes", b"  k: '[x]'"]


def test_odd_tags_are_judged_by_python(repo: Path) -> None:
    """Tags SQL cannot hold as YAML wrote them (NaN, lists, mappings, numbers, null) are
    always candidates: whatever Python answers, the index answers."""
    work = Work(repo, seed=1)
    for number, tags in enumerate(ODD_TAGS, 1):
        work.write(layout.version_file("odd", number), ODD_YAML % (number, tags))
    work.last["odd"] = len(ODD_TAGS)
    work.model("odd", 0)
    work.model("plain", 2)
    commit = work.commit()
    reg = Registry(repo / PREFIX)
    scan = Scan(repo, commit)
    for filter_string in ["tags.k != '[\"x\"]'",
                          "tags.k != '{\"a\":1}'", "tags.k NOT IN ('[\"x\"]')", "tags.k = '5'",
                          "tags.k != '5'", "tags.k LIKE '5'", "tags.k IN ('5', 'x')",
                          "tags.k != 'null'", "tags.k = 'null'", "tags.k ILIKE '%'",
                          "tags.k = '[x]'", "tags.k != 'True'", "tags.n != '1.1'"]:
        assert list(walk(reg.search_model_versions, filter_string, None, 2)) == list(
            walk(scan.search_versions, filter_string, None, 2)), filter_string
    with sqlite3.connect(index_path(repo / ".git", PREFIX)) as conn:
        odd = conn.execute("SELECT count(*) FROM odd_tags o JOIN version_manifests v"
                           " ON v.blob = o.blob WHERE v.name = 'odd'").fetchone()[0]
    conn.close()
    assert odd == len(ODD_TAGS)


# -- the index's guarantees hold for searches ---------------------------------------------------

def test_a_spoiled_file_is_rebuilt_for_a_search(own_world: World) -> None:
    world = own_world
    request = search.prepare(search.VERSIONS, "tags.team LIKE 'r%'", max_results=5)
    with Index.open(world.reg.repo, PREFIX) as index:
        expected = index.search_versions(world.second, request)
    path = index_path(world.reg.repo.git_dir, PREFIX)
    index_db.discard(Path(f"{path}-wal"))
    path.write_bytes(b"\0" * 4096)
    with Index.open(world.reg.repo, PREFIX) as again:
        assert again.search_versions(world.second, request) == expected
        assert again.stats.discarded == 1 and again.stats.in_memory == 0


def test_a_transaction_searches_its_pending_writes(own_world: World) -> None:
    world = own_world
    reg = world.reg
    with reg.transaction("two at once"):
        reg.create_registered_model("brand-new")
        assert [m.name for m in reg.search_registered_models("name = 'brand-new'")] == [
            "brand-new"]
        assert reg.search_model_versions("name = 'fraud'") == world.scans[
            world.second].search_versions("name = 'fraud'")
    assert [m.name for m in reg.search_registered_models("name = 'brand-new'")] == ["brand-new"]
