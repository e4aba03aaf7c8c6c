"""Hostile values work or are refused with one line, and change nothing (issue #6).

Hypothesis drives names, aliases, tag keys and values, descriptions, filter strings and
manifest bytes into the library (many examples: a call costs milliseconds) and a few into the
`modelreg` command (a process costs ~0.15 s). Every input either works, and then reads back
as given with the registry still valid, or is refused with a `modelreg.errors` error of one
line (the command: exit 1 and one `modelreg: error:` line, never a traceback) and refs,
status, objects and store exactly as before. No file ever appears outside the registry
folder and its store: the folders around them are compared before and after.
The default run is derandomized and short; `pytest -m long` explores anew with many more.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import git_out, init_registry, make_model
from modelreg import Registry, layout, manifest, schema
from modelreg.check import judge_change
from modelreg.check.view import ChangeView
from modelreg.errors import ModelregError
from modelreg.gitrepo.worktree import WorktreeFiles
from modelreg.problems import has_errors
from modelreg.snapshot import MemoryFiles, Snapshot
from modelreg.validate import validate_registry

MODELREG = str(Path(sys.executable).parent / "modelreg")
_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]


def examples(default: int, long: int) -> tuple[settings, settings]:
    fast = settings(max_examples=default, deadline=None, derandomize=True,
                    suppress_health_check=_QUIET, report_multiple_bugs=False)
    return fast, settings(fast, max_examples=long, derandomize=False)


WRITES = examples(40, 1500)
READS = examples(150, 5000)
BYTES = examples(100, 4000)
COMMANDS = examples(8, 150)

# What names, paths, YAML and shells make special, and MLflow's limits and their neighbours.
NASTY = [
    "", " ", ".", "..", "...", "../x", "../../etc/passwd", "/etc/passwd", "a/b", "a:b", "C:",
    "C:\\x", "\\\\server\\share", "a\\b", "con", "NUL", "com1.txt", "%2e%2e", "%2F", "%", "~",
    "-rf", "--help", "'", '"', "`", "\\", "*", "?", "&a", "*a", "<<", "!!binary", "!x", "{}",
    "[]", "null", "~", "yes", "no", "on", "1.10", "0x1F", "1e3", ".nan", "-", "#", "# c",
    "a: b", "- a", "|", ">", "\t", "\n", "\r\n", "\r", "\x00", "\x1b[31m", "\x7f", "\x85",
    "\u2028", "\ufeff", "\u200b", "\u00a0", "\u0130", "ß", "ﬁ", "e\u0301", "é", "模型", "😀",
    "latest", "v1", "V2", "champion", "Production", "None", "x" * 250, "x" * 251, "x" * 255,
    "x" * 256, "x" * 257, "a" * 1000, "name = 'x'",
]
SEEDS = st.sampled_from(NASTY)
hostile = st.one_of(
    SEEDS, st.text(max_size=12),
    st.builds(lambda a, b: a + b, SEEDS, st.one_of(SEEDS, st.text(max_size=6))),
    st.builds(lambda c, n: c * n, st.sampled_from("x.é/\\%\n-"), st.integers(240, 260)),
)
long_value = st.builds(lambda c, n: c * n, st.sampled_from("xé\n\""), st.sampled_from(
    [99_999, 100_000, 100_001]))


def files_around(roots: list[Path], skip: list[Path]) -> dict[str, int]:
    """Every file under `roots` but those under `skip`, with its size: what 'nothing written
    outside' compares (the registry folder and the Git folder are judged on their own)."""
    out = {}
    skipped = {str(s) for s in skip}
    for root in roots:
        for folder, dirs, files in os.walk(root):
            dirs[:] = [d for d in dirs if os.path.join(folder, d) not in skipped]
            for name in files:
                path = os.path.join(folder, name)
                out[path] = os.lstat(path).st_size
    return out


class Subject:
    """One registry (fraud v1, alias champion) in a repo under `tmp_path`; `around()` is the
    tree outside the registry folder and Git's, which no input may change."""

    def __init__(self, tmp_path: Path, repo: Path) -> None:
        self.reg = init_registry(repo)
        self.reg.register("fraud", make_model(tmp_path / "m", "weights\n"))
        self.reg.set_registered_model_alias("fraud", "champion", 1)
        self.repo = repo
        self.store = self.reg.location.path / "artifacts"
        self.roots = [tmp_path, Path(os.environ["HOME"])]
        self.skip = [self.reg.location.path, repo / ".git"]
        self.outside = self.around()
        self.top = self.tracked_top()
        self.start = git_out(repo, "rev-parse", "HEAD").strip()
        self.last = self.state()

    def reset(self) -> None:
        """Back to the start, so that each example (and its replay while shrinking) sees the
        same registry; Git's objects stay (the state compared is taken after this)."""
        git_out(self.repo, "reset", "-q", "--hard", self.start)
        self.last = self.state()

    def tracked_top(self) -> list[str]:
        """What the registry folder holds at its top in Git (init's files, `models/`)."""
        return list(self.reg.repo.tree_files(self.reg.head(), self.reg.prefix).listdir(""))

    def around(self) -> dict[str, int]:
        return files_around(self.roots, self.skip)

    def state(self) -> dict[str, object]:
        """`helpers.repo_state` with one process instead of four (it runs per example): refs
        and objects read from the Git folder, `git status` asked."""
        git_dir = self.repo / ".git"
        refs = {str(p.relative_to(git_dir)): p.read_bytes() for p in (git_dir / "refs").rglob("*")
                if p.is_file()}
        for name in ("HEAD", "packed-refs"):
            refs[name] = (git_dir / name).read_bytes() if (git_dir / name).exists() else b""
        return {
            "refs": refs,
            "status": git_out(self.repo, "status", "--porcelain", "--untracked-files=all"),
            "objects": files_around([git_dir / "objects"], []),
            "store": files_around([self.store], []),
        }

    def valid(self) -> None:
        found = validate_registry(WorktreeFiles(self.reg.location.path))
        assert not has_errors(found), found
        assert self.tracked_top() == self.top


def refused_in_one_line(exc: ModelregError) -> None:
    text = str(exc)
    assert text and len(text.splitlines()) == 1 and text == text.strip(), repr(text)


# ---------------------------------------------------------------- writes through the library


# Each makes one write with the hostile `value` (and `other`) and returns what it must read
# back if the write was accepted.
def create_model(reg: Registry, value: str, other: str) -> tuple[object, object]:
    reg.create_registered_model(value, tags={other: value}, description=other)
    model = reg.get_registered_model(value)
    return (model.name, model.description, dict(model.tags)), (value, other, {other: value})


def set_alias(reg: Registry, value: str, other: str) -> tuple[object, object]:
    reg.set_registered_model_alias("fraud", value, 1)
    return reg.get_model_version_by_alias("fraud", value).version, 1


def tag_version(reg: Registry, value: str, other: str) -> tuple[object, object]:
    reg.set_model_version_tag("fraud", 1, value, other)
    return reg.get_model_version("fraud", 1).tags.get(value), other


def describe_version(reg: Registry, value: str, other: str) -> tuple[object, object]:
    reg.update_model_version("fraud", 1, description=value + other)
    return reg.get_model_version("fraud", 1).description, value + other


def tag_model(reg: Registry, value: str, other: str) -> tuple[object, object]:
    reg.set_registered_model_tag("fraud", other, value)
    return reg.get_registered_model("fraud").tags.get(other), value


WRITE_OPS = [create_model, set_alias, tag_version, describe_version, tag_model]


def hostile_writes(subject: Subject, config: settings) -> None:
    @config
    @given(op=st.sampled_from(WRITE_OPS), value=hostile | long_value, other=hostile)
    def write(op: Callable[[Registry, str, str], tuple[object, object]], value: str,
              other: str) -> None:
        try:
            got, wanted = op(subject.reg, value, other)
        except ModelregError as exc:
            refused_in_one_line(exc)
            assert subject.state() == subject.last
        else:
            assert got == wanted
            subject.valid()
            subject.reset()
        assert subject.around() == subject.outside

    write()


def test_hostile_writes_work_or_change_nothing(tmp_path: Path, repo: Path) -> None:
    hostile_writes(Subject(tmp_path, repo), WRITES[0])


@pytest.mark.long
def test_hostile_writes_work_or_change_nothing_long(tmp_path: Path, repo: Path) -> None:
    hostile_writes(Subject(tmp_path, repo), WRITES[1])


@pytest.mark.parametrize("op", [*WRITE_OPS, "register"])
def test_a_lone_surrogate_is_refused_in_one_line(tmp_path: Path, repo: Path, op: object) -> None:
    """What `surrogateescape` makes of bytes that are no UTF-8 (a CLI argument, a file name)
    has no UTF-8 form: every write refuses it before anything, as it refuses other bad text."""
    subject = Subject(tmp_path, repo)
    bad = "a\udc80b"
    with pytest.raises(ModelregError) as refused:
        if op == "register":
            subject.reg.create_model_version("fraud", source=f"s3://bucket/{bad}", run_id=bad)
        else:
            assert callable(op)
            op(subject.reg, bad, "note")
    refused_in_one_line(refused.value)  # by its own rule (aliases, tag keys) or as no Unicode
    assert subject.state() == subject.last and subject.around() == subject.outside


# ---------------------------------------------------------------- filter strings

FIELDS = ["name", "tags.team", "tags.`a b`", "tag.x", "version_number", "run_id", "source",
          "creation_timestamp", "last_updated_timestamp", "alias", "aliases", "stage",
          "current_stage", "user_id", "description", "attributes.name", "`name`", "x"]
OPS = ["=", "!=", "<", "<=", ">", ">=", "LIKE", "ILIKE", "IN", "NOT IN", "IS", "IS NOT", "==",
       "<>", "like", "~"]
VALUES = ["'fraud'", "'%'", "'_'", "'a''b'", "'\\'", "\"x\"", "1", "-1", "1.5", "1e400",
          "('a', 'b')", "()", "('a',)", "(1, 2)", "NULL", "'" + "x" * 300 + "'", "''", "'",
          "'\x00'", "'%' OR 1=1 --", "'; DROP TABLE versions; --"]
clause = st.builds(lambda f, o, v: f"{f} {o} {v}", st.sampled_from(FIELDS), st.sampled_from(OPS),
                   st.sampled_from(VALUES))
filters = st.one_of(
    clause, st.builds(lambda a, j, b: f"{a} {j} {b}", clause, st.sampled_from(
        ["AND", "and", "OR", "AND NOT", "&&", ","]), clause),
    hostile, st.text(alphabet=st.sampled_from(" ='\"`().,%_-<>!andorliketgs"), max_size=30),
)
ORDERS = st.lists(st.sampled_from(["name", "name DESC", "version_number ASC", "x", "tags.a",
                                   "name DESC DESC", "", "creation_timestamp"]), max_size=2)


def hostile_searches(subject: Subject, config: settings) -> None:
    before = subject.last

    @config
    @given(text=filters, order=ORDERS, models=st.booleans(), page=st.sampled_from(
        [None, "", "x", "eyJvZmZzZXQiOiAtMX0=", "%%%"]))
    def search(text: str, order: list[str], models: bool, page: str | None) -> None:
        find = subject.reg.search_registered_models if models else \
            subject.reg.search_model_versions
        try:
            found = find(text, max_results=10, order_by=order or None, page_token=page)
        except ModelregError as exc:
            refused_in_one_line(exc)
        else:
            assert len(found) <= 10

    search()
    after = subject.state()
    assert (after["refs"], after["status"], after["store"]) == (
        before["refs"], before["status"], before["store"])
    assert subject.around() == subject.outside


def test_hostile_filters_answer_or_are_refused(tmp_path: Path, repo: Path) -> None:
    hostile_searches(Subject(tmp_path, repo), READS[0])


@pytest.mark.long
def test_hostile_filters_answer_or_are_refused_long(tmp_path: Path, repo: Path) -> None:
    hostile_searches(Subject(tmp_path, repo), READS[1])


# ---------------------------------------------------------------- manifest bytes

TOKENS = [*NASTY, "&a [1]", "*a", "<<: *a", "!!binary aGk=", "!!python/object:os.system", "? [1]",
          "0x" + "f" * 4000, "9" * 5000, "[" * 80, "{" * 80, "key: value", "key: value",
          "version: 2", "name: 7", "tags: []", "metrics: {auc: .inf}", "\t- x", "--- ", "...",
          "\"\\ud800\"", "'a''b'", "%YAML 1.1", "%TAG ! tag:x,2000:", "!!timestamp 2026-01-01",
          "!!set {a, b}", "!!omap [a: 1]", "!!pairs [a: 1]", "!!float 1", "!!str", "!!int x",
          "signature: {when: !!timestamp 2026-01-01}", "auc: !!binary aGk="]


def real_files(subject: Subject) -> dict[str, bytes]:
    tree = subject.reg.repo.tree_files(subject.reg.head(), subject.reg.prefix)
    paths = [layout.REGISTRY_FILE, layout.model_file("fraud"), layout.aliases_file("fraud"),
             layout.version_file("fraud", 1)]
    return {path: tree.read(path) or b"" for path in paths}


@st.composite
def mutated(draw: st.DrawFn, texts: dict[str, bytes]) -> tuple[str, bytes]:
    """One of the registry's manifests, changed where a hand edit or an attacker would."""
    path = draw(st.sampled_from(sorted(texts)))
    rows = texts[path].split(b"\n")
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(rows) - 1))
        token = draw(st.one_of(st.sampled_from(TOKENS), hostile)).encode("utf-8", "surrogatepass")
        how = draw(st.sampled_from(["line", "insert", "replace", "copy", "cut", "bytes"]))
        if how == "line":
            rows.insert(at, b"  " * draw(st.integers(0, 3)) + token)
        elif how == "insert":
            col = draw(st.integers(0, len(rows[at])))
            rows[at] = rows[at][:col] + token + rows[at][col:]
        elif how == "replace":
            rows[at] = rows[at].partition(b":")[0] + b": " + token
        elif how == "copy":
            rows.insert(at, rows[draw(st.integers(0, len(rows) - 1))])
        elif how == "cut":
            del rows[at:]
            rows = rows or [b""]
        else:
            rows[at] = draw(st.binary(max_size=20))
    return path, b"\n".join(rows)


def hostile_manifests(subject: Subject, config: settings) -> None:
    files = real_files(subject)
    base = MemoryFiles(files, revision="base")
    parsers: dict[str, Callable[[bytes, str], object]] = {
        "registry": manifest.parse_registry, "model": manifest.parse_model,
               "aliases": manifest.parse_aliases, "model-version": manifest.parse_version}

    @config
    @given(change=mutated(files))
    def read(change: tuple[str, bytes]) -> None:
        path, data = change
        kind = schema.kind_of(path)
        assert kind is not None
        try:
            parsers[kind](data, path)
        except ModelregError as exc:
            refused_in_one_line(exc)
        found = schema.load_document(kind, data, path=path)[1]
        after = MemoryFiles({**files, path: data}, revision="head")
        found += validate_registry(after)
        found += judge_change(ChangeView.build(base, after, base, [path]))
        for problem in found:
            assert len(str(problem).splitlines()) == 1, problem
        snap = Snapshot(after)
        for read_one in (snap.config, lambda: snap.model("fraud"), lambda: snap.version(
                "fraud", 1), lambda: snap.alias_table("fraud"), snap.model_names):
            try:
                read_one()
            except ModelregError as exc:
                refused_in_one_line(exc)

    read()


def test_hostile_manifest_bytes_are_read_or_refused(tmp_path: Path, repo: Path) -> None:
    hostile_manifests(Subject(tmp_path, repo), BYTES[0])


@pytest.mark.long
def test_hostile_manifest_bytes_are_read_or_refused_long(tmp_path: Path, repo: Path) -> None:
    hostile_manifests(Subject(tmp_path, repo), BYTES[1])


# ---------------------------------------------------------------- through the command line

argv_text = hostile.filter(lambda t: "\x00" not in t)  # no argument can hold a NUL byte
CLI = [
    ("models", lambda v, o: ["models", "create", "--description", o, "--tag", f"{o}={v}", "--",
                             v]),
    ("alias", lambda v, o: ["alias", "set", "--", "fraud", v, "1"]),
    ("tag", lambda v, o: ["versions", "tag", "--", "fraud", "1", v, o]),
    ("search", lambda v, o: ["search", "--", f"{o} = '{v}'" if o else v]),
    ("resolve", lambda v, o: ["resolve", "--", f"models:/{v}@{o}"]),
]


def hostile_commands(subject: Subject, config: settings) -> None:
    @config
    @given(command=st.sampled_from(CLI), value=argv_text, other=argv_text,
           raw=st.sampled_from([b"", b"\xff", b"\xc3", b"\xed\xa0\x80"]))
    def command(command: tuple[str, Callable[[str, str], list[str]]], value: str, other: str,
                raw: bytes) -> None:
        argv = [os.fsencode(a) for a in command[1](value, other)]
        argv[-1] += raw  # bytes that are no UTF-8, as a shell may pass them
        proc = subprocess.run([MODELREG.encode(), *argv], cwd=subject.reg.location.path,
                              capture_output=True, env=os.environ.copy(), timeout=60)
        err = proc.stderr.decode("utf-8", "replace")
        assert proc.returncode in (0, 1) and "Traceback" not in err, (argv, err)
        if proc.returncode == 1:
            lines = err.strip().split("\n")
            assert len(lines) == 1 and lines[0].startswith("modelreg: error: "), (argv, err)
            assert subject.state() == subject.last
        elif command[0] in ("models", "alias", "tag"):
            subject.valid()
            subject.reset()
        assert subject.around() == subject.outside

    command()


def test_hostile_arguments_work_or_fail_in_one_line(tmp_path: Path, repo: Path) -> None:
    hostile_commands(Subject(tmp_path, repo), COMMANDS[0])


@pytest.mark.long
def test_hostile_arguments_work_or_fail_in_one_line_long(tmp_path: Path, repo: Path) -> None:
    hostile_commands(Subject(tmp_path, repo), COMMANDS[1])
