"""The search index (DESIGN §6) against a full scan, whatever happens to the repository.

A hypothesis state machine drives one real registry: writes through `Registry`, Git through
the `git` CLI (detached checkouts, `reset --hard`, `commit --amend` of hand edits, `gc` with
the reflogs expired so old trees really disappear), hand edits valid or not, and damage to
the index file. After every step, each search through the public `Registry` (answered by the
index at a commit) must equal `modelreg.search` over every manifest read from a `Snapshot` of
the commit the `git` CLI calls HEAD, read through a Git handle of its own.

The full scan follows the index's documented semantics: a manifest that does not parse is
left out, a folder holds the model whose `model.yaml` names that very folder, and a version
file is live when it parses, is no tombstone and names its model and its number.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, settings
from hypothesis.internal.conjecture import engine as hypothesis_engine
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from conftest import git
from modelreg import RegisteredModel, RegisterOptions, Registry, layout, search
from modelreg.errors import ManifestError, ModelregError
from modelreg.gitrepo import GitRepo
from modelreg.index import Index, index_path
from modelreg.index import codec as index_codec
from modelreg.index import write as index_write
from modelreg.model import AliasTable, ModelVersion, Stage
from modelreg.snapshot import Snapshot

PREFIX = "registry"

# Names with LIKE's metacharacters, case and non-ASCII letters (SQLite's LIKE folds ASCII only).
NAMES = ("fraud", "fraud_eu", "Fraud-US", "churn", "a%b", "ünï")
ALIASES = ("champion", "canary", "a-b_1")
TAG_KEYS = ("team", "tier", "odd key")
TAG_VALUES = ("risk", "Risk", "ops", "1", "10", "a_b", "a%b", "Ü", "ü", "", "null", "[x]")
OWNERS = ("ana", "Ana", "bo", "b_o")
RUN_IDS = ("", "run-a", "run-b")
STAGES = ("Staging", "Production", "Archived", "None")
# Hand-written YAML values of a tag that parse but are no strings (the schema refuses them).
ODD_TAG_VALUES = ("10", "1.10", "yes", "null", "[a]", "{a: 1}", "''")

VERSION_FILTERS = (
    "",
    "name = 'fraud'",
    "name != 'fraud'",
    "name LIKE 'fraud%'",
    "name LIKE 'a\\%b'",
    "name LIKE '%\\_%'",
    "name ILIKE 'FRAUD%'",
    "name ILIKE 'ÜN%'",
    "name LIKE 'ün%'",
    "name IN ('churn', 'a%b')",
    "name NOT IN ('churn')",
    "run_id = 'run-a'",
    "run_id != 'run-a'",
    "run_id IN ('run-a', 'run-b')",
    "source_path LIKE 'file:%'",
    "version_number = 2",
    "version_number >= 2 AND version_number < 4",
    "version_number != 1",
    "version_number IN (1, 3)",
    "tags.team = 'risk'",
    "tags.team != 'risk'",
    "tags.team LIKE 'r%'",
    "tags.team ILIKE 'r%'",
    "tags.team ILIKE 'ü'",
    "tags.team LIKE 'Ü%'",
    "tags.team = ''",
    "tags.team IN ('null', '[x]')",
    "tags.tier LIKE '%'",
    "tags.tier IN ('1', '10')",
    "tags.tier NOT IN ('1')",
    "tags.`odd key` LIKE '%\\_%'",
    "tags.`odd key` = 'a%b'",
    "tags.num = '10'",
    "tags.num LIKE '1%'",
    "tags.num IN ('10', 'yes')",
    "name LIKE 'f%' AND tags.team = 'risk' AND version_number > 1",
    "tags.team = 'risk' AND tags.tier != '10'",
    "tags.tier = '10' AND tags.team LIKE 'r%'",
    "run_id = 'run-a' AND tags.team = 'risk'",
    "run_id IN ('run-a') AND name LIKE 'f%' AND version_number <= 2",
    "version_number = '2' AND name NOT IN ('fraud')",
)
MODEL_FILTERS = (
    "",
    "name = 'fraud'",
    "name != 'fraud'",
    "name LIKE 'f%'",
    "name ILIKE 'f%'",
    "name ILIKE '%ÜN%'",
    "name LIKE '%\\%%'",
    "name IN ('churn', 'a%b')",
    "tags.owner = 'ana'",
    "tags.owner != 'ana'",
    "tags.owner ILIKE 'a%'",
    "tags.owner LIKE 'b\\_o'",
    "tags.owner IN ('ana', 'bo')",
    "tags.num = '10'",
    "tags.num LIKE '1%'",
    "name LIKE '%r%' AND tags.owner ILIKE 'ANA'",
    "tags.owner = 'ana' AND name LIKE 'f%'",
)
VERSION_WALKS = (
    ("", None, 3),
    ("", ["creation_timestamp DESC"], 4),
    ("version_number > 1", ["last_updated_timestamp DESC", "name DESC"], 2),
    ("tags.team != 'x'", ["version_number ASC"], 5),
    ("tags.team IN ('risk', 'ops')", ["creation_timestamp ASC"], 2),
    ("run_id IN ('run-a', 'run-b')", None, 3),
)
MODEL_WALKS = (
    ("", None, 2),
    ("", ["creation_timestamp DESC"], 2),
    ("name != 'x'", ["name DESC"], 4),
    ("tags.owner IN ('ana', 'bo')", ["last_updated_timestamp DESC"], 1),
)


# -- the full scan ------------------------------------------------------------------------


@dataclass(frozen=True)
class Scan:
    """Every manifest of a commit, read through `Snapshot`: what the index must answer."""

    models: list[RegisteredModel]
    versions: list[ModelVersion]
    tables: dict[str, AliasTable]
    numbers: dict[str, list[int]]

    def latest(self, name: str) -> tuple[ModelVersion, ...]:
        """MLflow's latest version per stage, as `get_latest_versions` documents it."""
        table = self.tables[name]
        live = {mv.version: mv for mv in self.versions if mv.name == name}
        staged = {v for vs in table.stages.values() for v in vs}
        out = []
        for stage in Stage:
            if stage is Stage.NONE:
                candidates = [n for n in self.numbers[name] if n not in staged]
            else:
                candidates = list(table.stages.get(stage, ()))
            best = next((live[n] for n in sorted(candidates, reverse=True) if n in live), None)
            if best is not None:
                out.append(best)
        return tuple(out)

    def filled(self, models: list[RegisteredModel]) -> list[RegisteredModel]:
        return [replace(m, latest_versions=self.latest(m.name)) for m in models]


def _or_none(read: Callable[..., Any], *args: Any) -> Any:
    """A manifest that does not parse counts as absent (the index leaves it out)."""
    try:
        return read(*args)
    except ManifestError:
        return None


def scan(repo: Path, commit: str) -> Scan:
    handle = GitRepo.discover(repo)
    try:
        return _scan(Snapshot(handle.tree_files(commit, PREFIX)))
    finally:
        handle.close()


def _scan(snap: Snapshot) -> Scan:
    models, versions, tables, numbers = [], [], {}, {}
    for dirname in snap.model_dirs():
        model = _or_none(snap.model_at_dir, dirname)
        if model is None or layout.model_dir(model.name) != dirname:
            continue
        name = model.name
        table = tables[name] = _or_none(snap.alias_table, name) or AliasTable()
        models.append(replace(model, aliases=dict(table.aliases)))
        numbers[name] = snap.version_numbers(name)
        for number in numbers[name]:
            mv = _or_none(snap.raw_version, name, number)
            if mv is not None and mv.deleted is None and (mv.name, mv.version) == (name, number):
                versions.append(Snapshot.decorate(mv, table))
    models.sort(key=lambda m: m.name)
    versions.sort(key=lambda mv: (mv.name, mv.version))
    return Scan(models, versions, tables, numbers)


# -- comparing ----------------------------------------------------------------------------


def _ids(items: list[Any]) -> list[Any]:
    return [(x.name, x.version) if isinstance(x, ModelVersion) else x.name for x in items]


def _same(asked: str, got: list[Any], want: list[Any]) -> None:
    assert _ids(got) == _ids(want), asked
    assert got == want, asked


def _walk(search_page: Callable[..., Any], text: str, order: Any, size: int) -> list[list[Any]]:
    """Every page of one search, following the tokens it hands out."""
    pages: list[list[Any]] = []
    token = None
    for _ in range(500):
        page = search_page(text, max_results=size, order_by=order, page_token=token)
        pages.append(list(page))
        token = page.token
        if token is None:
            return pages
    raise AssertionError(f"the pages of {text!r} never end")


def compare(reg: Any, truth: Scan) -> None:
    """Every search of the lists above, through `reg` (the index) and over the full scan."""
    _compare_searches(reg, truth)
    _compare_walks(reg, truth)
    _compare_getters(reg, truth)


def _compare_searches(reg: Any, truth: Scan) -> None:
    for text in VERSION_FILTERS:
        got = reg.search_model_versions(text)
        _same(f"versions {text!r}", got, search.search_versions(truth.versions, text))
        assert got.token is None
    for text in MODEL_FILTERS:
        got = reg.search_registered_models(text, max_results=1000)
        want = truth.filled(search.search_models(truth.models, text, max_results=1000))
        _same(f"models {text!r}", got, want)


def _compare_walks(reg: Any, truth: Scan) -> None:
    for text, order, size in VERSION_WALKS:
        got_pages = _walk(reg.search_model_versions, text, order, size)
        want_pages = _walk(lambda *a, **k: search.search_versions(truth.versions, *a, **k),
                           text, order, size)
        assert got_pages == want_pages, f"pages of versions {text!r} by {order}, {size} a page"
    for text, order, size in MODEL_WALKS:
        got_pages = _walk(reg.search_registered_models, text, order, size)
        want_pages = [truth.filled(p) for p in _walk(
            lambda *a, **k: search.search_models(truth.models, *a, **k), text, order, size)]
        assert got_pages == want_pages, f"pages of models {text!r} by {order}, {size} a page"


def _compare_getters(reg: Any, truth: Scan) -> None:
    """What the searches list, the getters give one by one. They read through `Snapshot`,
    which refuses a manifest that does not parse where the index leaves it out: a getter may
    fail on a hand-broken file of the model, but what it returns must be what search says."""
    for mv in truth.versions:
        got = _or_none(reg.get_model_version, mv.name, mv.version)
        assert got in (None, mv), (mv.name, mv.version)
    for model in truth.filled(truth.models):
        assert _or_none(reg.get_registered_model, model.name) in (None, model), model.name


# -- hand edits ---------------------------------------------------------------------------

_TAG_LINE = re.compile(r'^  (?:"(?P<quoted>[^"]*)"|(?P<bare>[^:"]+)):')


def set_tag_by_hand(text: str, key: str, raw: str) -> str:
    """`key: raw` in the top-level `tags:` block, edited as a person would: the line of that
    key replaced, or one more line (a `tags: {}` opened into a block first)."""
    lines = text.splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith("tags:"))
    end = start + 1
    while end < len(lines) and lines[end].startswith("  "):
        end += 1
    body = [line for line in lines[start + 1 : end] if _tag_key(line) != key]
    body.append(f'  "{key}": {raw}\n')
    return "".join([*lines[:start], "tags:\n", *body, *lines[end:]])


def _tag_key(line: str) -> str | None:
    m = _TAG_LINE.match(line)
    if m is None:
        return None
    return m.group("quoted") if m.group("quoted") is not None else m.group("bare").strip()


def _replace_line(text: str, key: str, value: str) -> str:
    return re.sub(rf"^{key}: .*$", f"{key}: {value}", text, count=1, flags=re.MULTILINE)


def _first_key_again(text: str) -> str:
    first = next(line for line in text.splitlines() if line and not line.startswith("#"))
    return f"{text}{first}\n"


# How a manifest stops being valid, by hand: (what, applies to kinds, edit).
BREAKS: dict[str, tuple[tuple[str, ...], Callable[[str, str, int], str]]] = {
    "yaml syntax": (("model", "aliases", "version"), lambda t, n, v: t + "x: [unclosed\n"),
    "duplicate key": (("model", "aliases", "version"), lambda t, n, v: _first_key_again(t)),
    "not a mapping": (("model", "aliases", "version"), lambda t, n, v: "- 1\n- 2\n"),
    "wrong type": (("model", "version"), lambda t, n, v: _replace_line(t, "created_at", "[1]")),
    "alias not a number": (("aliases",), lambda t, n, v: 'aliases:\n  champion: "two"\n'),
    "unknown stage": (("aliases",), lambda t, n, v: "aliases: {}\nstages:\n  Gold: [1]\n"),
    "other number": (("version",), lambda t, n, v: _replace_line(t, "version", str(v + 100))),
    "other model": (("model", "version"), lambda t, n, v: _replace_line(
        t, "name", '"churn"' if n != "churn" else '"fraud"')),
    "tombstone": (("version",), lambda t, n, v: t + 'deleted:\n  at: "x"\n  by: "me"\n'),
}


def _leading_zero(versions: Path, number: int) -> None:
    shutil.copyfile(versions / f"{number}.yaml", versions / f"0{number}.yaml")


def _folder_named_like_a_version(versions: Path, number: int) -> None:
    folder = versions / f"{number + 50}.yaml"
    folder.mkdir(exist_ok=True)
    shutil.copyfile(versions / f"{number}.yaml", folder / "x.yaml")


def _symlink(versions: Path, number: int) -> None:
    (versions / f"{number}.yaml").unlink()
    (versions / f"{number}.yaml").symlink_to("1.yaml")


def _other_extension(versions: Path, number: int) -> None:
    shutil.copyfile(versions / f"{number}.yaml", versions / f"{number + 60}.yml")
    (versions.parent / "notes.md").write_text("# notes\n")


STRAYS: dict[str, Callable[[Path, int], None]] = {
    "leading zero": _leading_zero,
    "folder named like a version": _folder_named_like_a_version,
    "symlink": _symlink,
    "other extension": _other_extension,
}


def _breaks(kind: str) -> list[str]:
    return sorted(how for how, (kinds, _) in BREAKS.items() if kind in kinds)


# -- the machine --------------------------------------------------------------------------


class IndexMachine(RuleBasedStateMachine):
    """One registry in a real repository; the invariant compares every search after each step."""

    base: Path | None = None  # set by the test: where the repositories go

    def __init__(self) -> None:
        super().__init__()
        self.root = Path(tempfile.mkdtemp(prefix="sm-", dir=self.base))
        self.repo = self.root / "repo"
        self.folder = self.repo / PREFIX
        self.art = self.root / "model"
        self.detached = False
        self.reg: Registry | None = None
        self.slack = index_write.PRUNE_SLACK

    @initialize(names=st.lists(st.sampled_from(NAMES), min_size=3, max_size=6, unique=True),
                eager_prune=st.booleans())
    def create(self, names: list[str], eager_prune: bool) -> None:
        """A registry with a few models to work on, one commit each: two versions, an alias,
        a stage, a tag. With `eager_prune` the index drops parsed manifests nothing refers
        to on almost every sync (by default it waits for 1,000 of them)."""
        self.slack = index_write.PRUNE_SLACK
        if eager_prune:
            index_write.PRUNE_SLACK = 0
        self.repo.mkdir()
        git(self.repo, "init", "-q", "-b", "main")
        git(self.repo, "commit", "-q", "--allow-empty", "-m", "initial commit")
        self.reg = Registry.init(self.folder)
        self.art.mkdir()
        (self.art / "model.bin").write_text("weights\n")
        self.first = int(git(self.repo, "rev-list", "--count", "HEAD"))  # registry's 1st commit
        for i, name in enumerate(names):
            with self.registry.transaction(f"seed {name}") as tx:
                for j in range(2):
                    tags = {TAG_KEYS[j]: TAG_VALUES[(i + j) % len(TAG_VALUES)]}
                    options = RegisterOptions(tags=tags, run_id=RUN_IDS[(i + j) % 3])
                    tx.register(name, self.art, options=options)
                tx.set_registered_model_alias(name, ALIASES[i % 3], 1 + i % 2)
                tx.transition_model_version_stage(name, 2 - i % 2, STAGES[i % 3])
                tx.set_registered_model_tag(name, "owner", OWNERS[i % 4])

    def teardown(self) -> None:
        index_write.PRUNE_SLACK = self.slack
        if self.reg is not None:
            self.reg.repo.close()
        shutil.rmtree(self.root, ignore_errors=True)

    # -- helpers ----------------------------------------------------------------------

    @property
    def registry(self) -> Registry:
        assert self.reg is not None
        return self.reg

    def head(self) -> str:
        return git(self.repo, "rev-parse", "HEAD").strip()

    def depth(self) -> int:
        """How many commits HEAD is past the registry's first one (reset/checkout bound)."""
        return int(git(self.repo, "rev-list", "--count", "HEAD")) - self.first

    def truth(self) -> Scan:
        return scan(self.repo, self.head())

    def write(self, call: Callable[[], object]) -> None:
        """A write through `Registry`; one it refuses (a hand-broken manifest) moves nothing."""
        before = self.head()
        try:
            call()
        except ModelregError:
            assert self.head() == before
            assert git(self.repo, "status", "--porcelain") == ""

    def pick(self, data: st.DataObject, items: list[Any]) -> Any:
        return data.draw(st.sampled_from(items)) if items else None

    def edit(self, rel: str, change: Callable[[str], str]) -> bool:
        path = self.folder / rel
        if not path.exists():
            return False
        path.write_text(change(path.read_text()))
        return True

    def commit_by_hand(self, *, amend: bool = False) -> None:
        git(self.repo, "add", "-A")
        if amend:
            git(self.repo, "commit", "-q", "--allow-empty", "--amend", "--no-edit")
        else:
            git(self.repo, "commit", "-q", "--allow-empty", "-m", "hand edit")

    def index_files(self) -> list[Path]:
        path = index_path(self.repo / ".git", PREFIX)
        return sorted(path.parent.glob(path.name + "*")) if path.parent.exists() else []

    # -- writes through the library ----------------------------------------------------

    @precondition(lambda self: not self.detached)
    @rule(name=st.sampled_from(NAMES),
          tags=st.dictionaries(st.sampled_from(TAG_KEYS), st.sampled_from(TAG_VALUES)),
          run_id=st.sampled_from(RUN_IDS))
    def register(self, name: str, tags: dict[str, str], run_id: str) -> None:
        options = RegisterOptions(tags=tags, run_id=run_id)
        self.write(lambda: self.registry.register(name, self.art, options=options))

    @precondition(lambda self: not self.detached)
    @rule(data=st.data(), alias=st.sampled_from(ALIASES))
    def set_alias(self, data: st.DataObject, alias: str) -> None:
        mv = self.pick(data, self.truth().versions)
        if mv is not None:
            self.write(lambda: self.registry.set_registered_model_alias(mv.name, alias, mv.version))

    @precondition(lambda self: not self.detached)
    @rule(data=st.data())
    def delete_alias(self, data: st.DataObject) -> None:
        pairs = [(m.name, a) for m in self.truth().models for a in sorted(m.aliases)]
        pair = self.pick(data, pairs)
        if pair is not None:
            self.write(lambda: self.registry.delete_registered_model_alias(*pair))

    @precondition(lambda self: not self.detached)
    @rule(data=st.data(), key=st.sampled_from(TAG_KEYS), value=st.sampled_from(TAG_VALUES))
    def set_version_tag(self, data: st.DataObject, key: str, value: str) -> None:
        mv = self.pick(data, self.truth().versions)
        if mv is not None:
            self.write(lambda: self.registry.set_model_version_tag(mv.name, mv.version, key, value))

    @precondition(lambda self: not self.detached)
    @rule(data=st.data())
    def delete_version_tag(self, data: st.DataObject) -> None:
        pairs = [(mv, k) for mv in self.truth().versions for k in sorted(mv.tags)]
        pair = self.pick(data, pairs)
        if pair is not None:
            mv, key = pair
            self.write(lambda: self.registry.delete_model_version_tag(mv.name, mv.version, key))

    @precondition(lambda self: not self.detached)
    @rule(data=st.data(), value=st.sampled_from(OWNERS))
    def set_model_tag(self, data: st.DataObject, value: str) -> None:
        model = self.pick(data, self.truth().models)
        if model is not None:
            self.write(lambda: self.registry.set_registered_model_tag(model.name, "owner", value))

    @precondition(lambda self: not self.detached)
    @rule(data=st.data())
    def delete_model_tag(self, data: st.DataObject) -> None:
        pairs = [(m.name, k) for m in self.truth().models for k in sorted(m.tags)]
        pair = self.pick(data, pairs)
        if pair is not None:
            self.write(lambda: self.registry.delete_registered_model_tag(*pair))

    @precondition(lambda self: not self.detached)
    @rule(data=st.data(), stage=st.sampled_from(STAGES), archive=st.booleans())
    def transition(self, data: st.DataObject, stage: str, archive: bool) -> None:
        mv = self.pick(data, self.truth().versions)
        if mv is not None:
            self.write(lambda: self.registry.transition_model_version_stage(
                mv.name, mv.version, stage, archive_existing_versions=archive))

    @precondition(lambda self: not self.detached)
    @rule(data=st.data())
    def delete_version(self, data: st.DataObject) -> None:
        mv = self.pick(data, self.truth().versions)
        if mv is not None:
            self.write(lambda: self.registry.delete_model_version(mv.name, mv.version))

    @precondition(lambda self: not self.detached)
    @rule(data=st.data())
    def delete_model(self, data: st.DataObject) -> None:
        model = self.pick(data, self.truth().models)
        if model is not None:
            self.write(lambda: self.registry.delete_registered_model(model.name))

    @precondition(lambda self: not self.detached)
    @rule(data=st.data(), new=st.sampled_from(NAMES))
    def rename_model(self, data: st.DataObject, new: str) -> None:
        model = self.pick(data, self.truth().models)
        if model is not None and model.name != new:
            self.write(lambda: self.registry.rename_registered_model(model.name, new))

    # -- Git ----------------------------------------------------------------------------

    @precondition(lambda self: not self.detached)
    @rule(data=st.data())
    def checkout_older(self, data: st.DataObject) -> None:
        depth = self.depth()
        if depth > 0:
            back = data.draw(st.integers(1, depth))
            git(self.repo, "checkout", "-q", "--detach", f"HEAD~{back}")
            self.detached = True

    @precondition(lambda self: self.detached)
    @rule()
    def checkout_back(self) -> None:
        git(self.repo, "checkout", "-q", "main")
        self.detached = False

    @precondition(lambda self: not self.detached)
    @rule(data=st.data(), then_gc=st.booleans())
    def reset_hard(self, data: st.DataObject, then_gc: bool) -> None:
        """`git reset --hard HEAD~k`; with `then_gc`, the commits left behind are pruned
        before the index is asked again (its state tree is then gone)."""
        depth = self.depth()
        if depth > 0:
            git(self.repo, "reset", "-q", "--hard", f"HEAD~{data.draw(st.integers(1, depth))}")
            if then_gc:
                self.gc()

    @rule()
    def gc(self) -> None:
        """Unreachable commits and trees (amended, reset away) really disappear."""
        git(self.repo, "reflog", "expire", "--expire=now", "--expire-unreachable=now", "--all")
        git(self.repo, "gc", "-q", "--prune=now")

    @rule(data=st.data())
    def search_older_commit(self, data: st.DataObject) -> None:
        """`Registry.at(rev)`: the index moved to an older tree and back by the invariant."""
        depth = self.depth()
        if depth > 0:
            commit = git(self.repo, "rev-parse", f"HEAD~{data.draw(st.integers(1, depth))}")
            commit = commit.strip()
            compare(self.registry.at(commit), scan(self.repo, commit))

    # -- hand edits -------------------------------------------------------------------------

    @precondition(lambda self: not self.detached)
    @rule(data=st.data(), amend=st.booleans(), then_gc=st.booleans(),
          key=st.sampled_from(TAG_KEYS), value=st.sampled_from(TAG_VALUES))
    def edit_version_tag(
        self, data: st.DataObject, amend: bool, then_gc: bool, key: str, value: str
    ) -> None:
        """A tag value changed in a version's YAML by hand, committed or amended (and the
        amended commit pruned at once with `then_gc`)."""
        mv = self.pick(data, self.truth().versions)
        if mv is not None:
            rel = layout.version_file(mv.name, mv.version)
            self.edit(rel, lambda text: set_tag_by_hand(text, key, f'"{value}"'))
            self.commit_by_hand(amend=amend)
            if then_gc:
                self.gc()

    @precondition(lambda self: not self.detached)
    @rule(data=st.data(), amend=st.booleans(), value=st.sampled_from(OWNERS))
    def edit_model_tag(self, data: st.DataObject, amend: bool, value: str) -> None:
        model = self.pick(data, self.truth().models)
        if model is not None:
            self.edit(layout.model_file(model.name),
                      lambda text: set_tag_by_hand(text, "owner", f'"{value}"'))
            self.commit_by_hand(amend=amend)

    @precondition(lambda self: not self.detached)
    @rule(data=st.data(), raw=st.sampled_from(ODD_TAG_VALUES), on_model=st.booleans())
    def edit_odd_tag_value(self, data: st.DataObject, raw: str, on_model: bool) -> None:
        """A tag written unquoted (`num: 10`): it parses, but its value is no string."""
        truth = self.truth()
        target = self.pick(data, truth.models if on_model else truth.versions)
        if target is not None:
            rel = (layout.model_file(target.name) if on_model
                   else layout.version_file(target.name, target.version))
            self.edit(rel, lambda text: set_tag_by_hand(text, "num", raw))
            self.commit_by_hand()

    def break_by_hand(self, data: st.DataObject, kind: str, how: str, amend: bool) -> None:
        """A hand edit that makes a manifest of `kind` invalid, committed or amended."""
        truth = self.truth()
        if kind == "version":
            mv = self.pick(data, truth.versions)
            target = None if mv is None else (layout.version_file(mv.name, mv.version), mv)
        else:
            model = self.pick(data, truth.models)
            file = layout.model_file if kind == "model" else layout.aliases_file
            target = None if model is None else (file(model.name), model)
        if target is not None:
            rel, obj = target
            number = getattr(obj, "version", 0)
            if self.edit(rel, lambda text: BREAKS[how][1](text, obj.name, number)):
                self.commit_by_hand(amend=amend)

    @precondition(lambda self: not self.detached)
    @rule(data=st.data(), how=st.sampled_from(_breaks("version")), amend=st.booleans())
    def break_version(self, data: st.DataObject, how: str, amend: bool) -> None:
        self.break_by_hand(data, "version", how, amend)

    @precondition(lambda self: not self.detached)
    @rule(data=st.data(), how=st.sampled_from(_breaks("model")), amend=st.booleans())
    def break_model(self, data: st.DataObject, how: str, amend: bool) -> None:
        self.break_by_hand(data, "model", how, amend)

    @precondition(lambda self: not self.detached)
    @rule(data=st.data(), how=st.sampled_from(_breaks("aliases")), amend=st.booleans())
    def break_aliases(self, data: st.DataObject, how: str, amend: bool) -> None:
        self.break_by_hand(data, "aliases", how, amend)

    @precondition(lambda self: not self.detached)
    @rule(data=st.data(), what=st.sampled_from(("version", "model", "aliases")))
    def remove_by_hand(self, data: st.DataObject, what: str) -> None:
        """A manifest deleted with `git rm`: a version's number, or a whole model, goes."""
        truth = self.truth()
        if what == "version":
            mv = self.pick(data, truth.versions)
            rel = None if mv is None else layout.version_file(mv.name, mv.version)
        else:
            model = self.pick(data, truth.models)
            file = layout.model_file if what == "model" else layout.aliases_file
            rel = None if model is None else file(model.name)
        if rel is not None and (self.folder / rel).exists():
            (self.folder / rel).unlink()
            self.commit_by_hand()

    @precondition(lambda self: not self.detached)
    @rule(data=st.data(), what=st.sampled_from(sorted(STRAYS)))
    def stray_file(self, data: st.DataObject, what: str) -> None:
        """Something in a model folder that is no manifest of it, or no longer a file."""
        mv = self.pick(data, self.truth().versions)
        if mv is not None:
            STRAYS[what](self.folder / layout.versions_path(mv.name), mv.version)
            self.commit_by_hand()

    @precondition(lambda self: not self.detached)
    @rule(data=st.data(), then_gc=st.booleans())
    def drop_commit(self, data: st.DataObject, then_gc: bool) -> None:
        """`git rebase --onto`: one past commit dropped, the later ones rewritten."""
        depth = self.depth()
        if depth > 0:
            k = data.draw(st.integers(1, depth))
            try:
                git(self.repo, "rebase", "-q", "--onto", f"HEAD~{k}", f"HEAD~{k - 1}")
            except subprocess.CalledProcessError:
                git(self.repo, "rebase", "--abort")
            if then_gc:
                self.gc()

    # -- the index file ---------------------------------------------------------------

    @rule()
    def save_index(self) -> None:
        for path in self.index_files():
            shutil.copyfile(path, self.root / path.name)

    @rule()
    def restore_stale_index(self) -> None:
        """A copy of the file from earlier (a backup, a copied `.git`) put back."""
        for path in self.index_files():
            path.unlink()
        for saved in self.root.glob("index-*"):
            shutil.copyfile(saved, self.repo / ".git" / "modelreg" / saved.name)

    @rule()
    def delete_index(self) -> None:
        for path in self.index_files():
            path.unlink()

    @rule(how=st.sampled_from(("empty", "half", "garbage", "header", "page", "foreign")))
    def damage_index(self, how: str) -> None:
        for path in self.index_files():
            if path.suffix == ".sqlite3":
                _DAMAGE[how](path)

    @rule()
    def new_process(self) -> None:
        """What a new process sees: a new `Registry`, nothing parsed in memory."""
        self.registry.repo.close()
        self.reg = Registry(self.folder)
        index_codec.forget_all()

    # -- invariants ---------------------------------------------------------------------

    @invariant()
    def searches_equal_a_full_scan(self) -> None:
        if self.reg is not None:
            compare(self.registry, self.truth())

    @invariant()
    def the_file_is_usable_again(self) -> None:
        """After a search, a missing or damaged file has been rebuilt: the next question
        answers from it, not from a rebuild in memory."""
        if self.reg is None:
            return
        handle = GitRepo.discover(self.repo)
        try:
            with Index.open(handle, PREFIX) as index:
                index.versions(self.head())
                assert index.stats.in_memory == 0
        finally:
            handle.close()


def _half(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _header(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(b"\0" * 100 + data[100:])


def _page(path: Path) -> None:
    """The second page (4096 bytes, SQLite's default) overwritten."""
    data = path.read_bytes()
    path.write_bytes(data[:4096] + b"\xff" * 4096 + data[8192:])


def _foreign(path: Path) -> None:
    path.unlink()
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes(x)")
    conn.commit()
    conn.close()


_DAMAGE: dict[str, Callable[[Path], None]] = {
    "empty": lambda path: path.write_bytes(b""),
    "half": _half,
    "garbage": lambda path: path.write_bytes(bytes(range(256)) * 64),
    "header": _header,
    "page": _page,
    "foreign": _foreign,
}

# The default run: ~75 steps in ~25 s here, the same examples every run (a failure is no
# accident of the seed). The long run explores anew each time: ~1,200 steps, a few minutes.
FAST = settings(max_examples=5, stateful_step_count=15, deadline=None, derandomize=True,
                report_multiple_bugs=False, suppress_health_check=[HealthCheck.too_slow])
LONG = settings(FAST, max_examples=30, stateful_step_count=40, derandomize=False)


def test_getters_leave_out_a_version_file_naming_another_number(repo: Path) -> None:
    """Found by the machine: `versions/1.yaml` saying `version: 101` (a hand edit `validate`
    reports) is no live version for the index, so no search lists it; the getters, reading
    through `Snapshot.version`, must not return it either (as version 1, or as the latest)."""
    reg = Registry.init(repo / PREFIX)
    (repo / "model.bin").write_text("weights\n")
    reg.register("fraud", repo / "model.bin")
    path = repo / PREFIX / layout.version_file("fraud", 1)
    path.write_text(_replace_line(path.read_text(), "version", "101"))
    git(repo, "commit", "-q", "-am", "hand edit")
    assert list(reg.search_model_versions("")) == []
    assert reg.search_registered_models("")[0].latest_versions == ()
    assert reg.get_registered_model("fraud").latest_versions == ()
    assert reg.get_latest_versions("fraud") == []
    with pytest.raises(ModelregError):
        reg.get_model_version("fraud", 1)


@pytest.fixture
def machine(tmp_path: Path) -> Iterator[type[IndexMachine]]:
    IndexMachine.base = tmp_path
    yield IndexMachine
    IndexMachine.base = None


def test_index_answers_equal_a_full_scan(
    machine: type[IndexMachine], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Shrinking a failure replays Git and searches thousands of times: a minute, not
    # Hypothesis's five, in the default run (the long run takes its time).
    monkeypatch.setattr(hypothesis_engine, "MAX_SHRINKING_SECONDS", 60, raising=False)
    run_state_machine_as_test(machine, settings=FAST)


@pytest.mark.long  # minutes: `pytest -m long tests/test_index_statemachine.py`
def test_index_answers_equal_a_full_scan_long(machine: type[IndexMachine]) -> None:
    run_state_machine_as_test(machine, settings=LONG)
