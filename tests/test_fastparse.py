"""`yamlfast`, the reader of modelreg's canonical YAML: it gives exactly what libyaml gives, or
gives up (issue #5).

Two properties, checked on generated documents: (1) every manifest `manifest.dump_*` writes,
and any data `yamlio.dump` writes, is read by the fast path identically (values, types and
the line of every value); (2) on any text, mutated dumps included, the fast path either gives
up or agrees with libyaml, and never accepts what libyaml refuses.
"""

from __future__ import annotations

import math
import string
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from modelreg import manifest, yamlfast, yamlio
from modelreg.errors import ManifestError
from modelreg.model import (
    AliasTable,
    ArtifactMode,
    Artifacts,
    CopiedFrom,
    Deletion,
    FileEntry,
    Lineage,
    ModelVersion,
    RegisteredModel,
    RegistryConfig,
    Stage,
)

SETTINGS = settings(max_examples=100, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def same(a: Any, b: Any) -> bool:
    """Equal values of the same types all the way down (NaN equals NaN, 1 is not 1.0/True)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b)


def libyaml(text: str | bytes) -> yamlio.Loaded | None:
    """What the full loader gives, or None when it refuses the text (any way)."""
    try:
        return yamlio.load_libyaml(text)
    except Exception:  # a refusal of any kind (ManifestError, ValueError, ...)
        return None


def agrees(text: str | bytes) -> yamlfast.Lines | None:
    """Property (2): None, or libyaml's reading exactly. Returns the fast lines if accepted."""
    fast = yamlfast.parse(text)
    if fast is None:
        return None
    full = libyaml(text)
    assert full is not None, f"fast path accepted what libyaml refuses: {text!r}"
    assert same(fast[0], full.data), (text, fast[0], full.data)
    assert fast[1] == full.lines, (text, fast[1], full.lines)
    no_lines = yamlfast.parse(text, lines=False)
    assert no_lines is not None and same(no_lines[0], full.data) and no_lines[1] == {}
    return fast[1]


# -- what modelreg writes -------------------------------------------------------------------

# Text a person writes: letters of several scripts, digits, punctuation, spaces, line breaks.
_CHARS = string.ascii_letters + string.digits + string.punctuation + "  \n\n" + "éüßøçЖя中文"
TEXT = st.text(_CHARS, max_size=40)
# Any text at all, control characters and astral planes included.
WILD = st.text(max_size=20)
KEY = st.one_of(st.from_regex(r"[a-z][a-z0-9_.-]{0,12}", fullmatch=True), TEXT.filter(bool))
NUMBER = st.one_of(st.integers(-10**20, 10**20), st.floats(allow_nan=True))
SCALAR = st.one_of(st.none(), st.booleans(), NUMBER, TEXT, WILD)
JSONISH = st.recursive(
    SCALAR,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(KEY, inner, max_size=4)),
    max_leaves=12,
)
TIME = st.just("2026-01-31T09:30:00.000Z")
NAME = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9 ._-]{0,20}", fullmatch=True)

FILE_ENTRY = st.builds(FileEntry, path=TEXT.filter(bool), size=st.integers(0, 10**12),
                       sha256=st.just("ab" * 32))
ARTIFACTS = st.one_of(
    st.none(),
    st.builds(Artifacts, mode=st.sampled_from(ArtifactMode), uri=TEXT, digest=TEXT,
              size=st.integers(0, 10**12), file_count=st.integers(0, 9),
              files=st.lists(FILE_ENTRY, max_size=3).map(tuple), files_uri=TEXT),
)
LINEAGE = st.builds(
    Lineage, code_commit=TEXT, data=st.lists(TEXT, max_size=3).map(tuple),
    copied_from=st.one_of(st.none(), st.builds(CopiedFrom, uri=TEXT, registry_commit=TEXT)),
)
VERSION = st.builds(
    ModelVersion, name=NAME, version=st.integers(1, 10**6), description=TEXT, source=TEXT,
    run_id=TEXT, run_link=TEXT, artifacts=ARTIFACTS, model_type=TEXT,
    flavors=st.lists(TEXT, max_size=3).map(tuple),
    signature=st.one_of(st.none(), st.dictionaries(KEY, JSONISH, max_size=3)),
    tags=st.dictionaries(KEY, st.one_of(TEXT, JSONISH), max_size=4),
    metrics=st.dictionaries(KEY, NUMBER, max_size=3), lineage=LINEAGE, created_at=TIME,
    created_by=TEXT, updated_at=st.one_of(st.just(""), TIME),
    deleted=st.one_of(st.none(), st.builds(Deletion, at=TIME, by=TEXT)),
)
MODEL = st.builds(RegisteredModel, name=NAME, description=TEXT,
                  tags=st.dictionaries(KEY, TEXT, max_size=4),
                  last_version=st.integers(0, 10**6), created_at=TIME, created_by=TEXT)
ALIASES = st.builds(
    AliasTable, aliases=st.dictionaries(KEY, st.integers(1, 10**6), max_size=4),
    stages=st.dictionaries(st.sampled_from([s for s in Stage if s is not Stage.NONE]),
                           st.lists(st.integers(1, 10**6), max_size=4).map(tuple), max_size=3),
)
REGISTRY = st.builds(RegistryConfig, format=st.just(1), id=TEXT, store=TEXT, branch=TEXT,
                     policy=st.dictionaries(KEY, JSONISH, max_size=3))
MANIFEST = st.one_of(VERSION.map(manifest.dump_version), MODEL.map(manifest.dump_model),
                     ALIASES.map(manifest.dump_aliases), REGISTRY.map(manifest.dump_registry))
# What people write: no control characters, no astral planes, keys on one line (libyaml
# writes `? key` for others) that do not start with `.` or `-` (plain, they would need
# libyaml's resolver to tell `.A` from `.5e-3`).
TAME_KEY = KEY.filter(lambda k: "\n" not in k and k[0] not in ".-")
TAME_MANIFEST = st.one_of(
    st.builds(ModelVersion, name=NAME, version=st.integers(1, 10**6), description=TEXT,
              source=TEXT, run_id=TEXT, artifacts=ARTIFACTS, created_at=TIME, created_by=TEXT,
              tags=st.dictionaries(TAME_KEY, TEXT, max_size=4),
              metrics=st.dictionaries(TAME_KEY, st.floats(allow_nan=False), max_size=3),
              ).map(manifest.dump_version),
    st.builds(RegisteredModel, name=NAME, description=TEXT,
              tags=st.dictionaries(TAME_KEY, TEXT, max_size=4), created_by=TEXT,
              ).map(manifest.dump_model),
    st.builds(AliasTable, aliases=st.dictionaries(TAME_KEY, st.integers(1, 99), max_size=4),
              ).map(manifest.dump_aliases),
)


@SETTINGS
@given(MANIFEST)
def test_every_manifest_agrees(text: bytes) -> None:
    agrees(text)


@SETTINGS
@given(TAME_MANIFEST)
@example(manifest.dump_version(ModelVersion(name="m", version=1, description="two\nlines\n")))
@example(manifest.dump_version(ModelVersion(name="m", version=1, description=" lead\n\nx\n\n")))
def test_what_people_write_takes_the_fast_path(text: bytes) -> None:
    if b"\n " in text.replace(b"\n  ", b"") or "\u00a0" in text.decode():
        return  # a literal block whose text starts with a blank: libyaml guesses; we give up
    assert agrees(text) is not None, text.decode()


@SETTINGS
@given(st.dictionaries(KEY, JSONISH, min_size=1, max_size=6))
def test_any_dumped_data_agrees(data: dict[str, Any]) -> None:
    text = yamlio.dump(data, schema_url="https://modelreg.dev/schemas/1/x.json")
    agrees(text)
    full = libyaml(text)
    assert full is not None and same(full.data, data)  # the dumper round-trips, too


# -- anything else ----------------------------------------------------------------------------

_NOISE = [*" \n\t\r\"'\\:-#|>{}[],&*!%@`?~<=.0a_",
    "\x85", "\u2028", "\ufeff", "\x00", "é", "- ", ": ", "<<", "|-", "|+", "|2", "\\u",
    "\\ud83d", "\\x41", "\\U0001F600", "null", "true", "yes", "~", "---", "...", "0x1",
    "1.5", "1e3", "\n  ", "\n- ", "\n\n", "  ",
]


def mutate(draw: Callable[..., Any], text: str) -> str:
    for _ in range(draw(st.integers(1, 4))):
        rows = text.split("\n")
        where = draw(st.integers(0, len(text)))
        how = draw(st.sampled_from(["insert", "delete", "dup_row", "drop_row", "swap", "indent"]))
        if how == "insert":
            text = text[:where] + draw(st.sampled_from(_NOISE)) + text[where:]
        elif how == "delete":
            text = text[:where] + text[where + draw(st.integers(1, 3)) :]
        elif len(rows) > 1:
            i = draw(st.integers(0, len(rows) - 2))
            if how == "dup_row":
                rows.insert(i, rows[i])
            elif how == "drop_row":
                del rows[i]
            elif how == "swap":
                rows[i], rows[i + 1] = rows[i + 1], rows[i]
            else:
                rows[i] = draw(st.sampled_from([" ", "  ", "   "])) + rows[i]
            text = "\n".join(rows)
    return text


@st.composite
def mutated(draw: st.DrawFn) -> str:
    return mutate(draw, draw(MANIFEST).decode("utf-8"))


@settings(max_examples=800, deadline=None, suppress_health_check=list(HealthCheck))
@given(mutated())
def test_mutated_text_is_refused_or_agrees(text: str) -> None:
    agrees(text)
    agrees(text.encode("utf-8", "surrogatepass"))


@SETTINGS
@given(st.text(_CHARS + "\t\r\x85\u2028{}[]'&*!%", max_size=80))
def test_arbitrary_text_is_refused_or_agrees(text: str) -> None:
    agrees(text)


@pytest.mark.parametrize("text", [
    'a: "x"\na: "y"\n',  # duplicate key: libyaml's loader names it
    "a: &x 1\nb: *x\n", "<<: {}\n", "a: 'single'\n", "a: plain\n", "a: 1 # note\n",
    'a: "x"', "a:\n", "a: \n", "\ta: 1\n", "a: 1\r\n", "---\na: 1\n", "a: 010\n", "a: +1\n",
    "a: 1e5\n", "a: 1_000\n", "a: [1,2]\n", "a: [x]\n", "a: {b: 1}\n", 'a: "\\ud800"\n',
    'a: "\\x41"\n', 'a: "\\U0001F600"\n', "a: |\n\n  x\n", "a: |\n  x \n", "a: >\n  x\n",
    "- 1\n", "a:\n  - 1\n - 2\n", "a:\n- 1\nb: 2\n c: 3\n", "k" * 1030 + ": 1\n",
    'a: "' + "1" * 5000 + '"\nb: ' + "1" * 5000 + "\n", "a: !!binary aGk=\n", "\ufeffa: 1\n",
])
def test_what_the_fast_path_leaves_to_libyaml(text: str) -> None:
    fast = yamlfast.parse(text)
    if fast is not None:  # a few are fine YAML that happens to be canonical
        agrees(text)
    elif libyaml(text) is None:
        with pytest.raises(Exception):  # noqa: B017 - yamlio.load raises what libyaml raises
            yamlio.load(text)


def test_canonical_forms_take_the_fast_path() -> None:
    text = (
        "# yaml-language-server: $schema=x\n"
        'name: "m"\nversion: 7\nscore: -0.5\nbig: 1.0e+20\nno: .nan\nyes: true\n"a b": null\n'
        'esc: "tab\\there \\"q\\" \\\\ \\u00e9 \\/"\nempty: {}\nnone: []\nstages: [1, 2]\n'
        "files:\n- path: \"a\"\n  size: 1\n- - \"x\"\n  - []\nnested:\n  deep:\n    k: 1\n"
        "text: |-\n  one\n\n  two\nkeep: |+\n  x\n\n\nlead: |2-\n   indented\n  x\nlast: |\n  y\n"
    )
    lines = agrees(text)
    assert lines is not None
    assert lines[("files", 1, 1)] == 17 and lines[("nested",)] == 19  # its first key
    assert lines[("text",)] == 21 and lines[("last",)] == 32


def test_a_key_named_like_the_loaders_marker_keeps_its_quirk() -> None:
    # The full loader records each key's line under `<key>` and drops that entry after the
    # mapping, so a key literally named `<key>` loses its value's line: the same here.
    lines = agrees('tags:\n  "<key>": "x"\n  b: "y"\n')
    assert lines is not None and ("tags", "<key>") not in lines


def test_yamlio_load_uses_the_fast_path_and_keeps_its_errors() -> None:
    text = manifest.dump_model(RegisteredModel(name="m", created_at="t", created_by="me"))
    assert yamlio.load(text) == tuple(yamlio.load_libyaml(text))
    assert yamlio.load_data(text) == yamlio.load_libyaml(text).data
    with pytest.raises(ManifestError, match="duplicate key 'a'") as caught:
        yamlio.load_data('a: "x"\na: "y"\n', path="f.yaml")
    assert caught.value.line == 2


# -- shapes: a document like one read before is matched whole -------------------------------


@SETTINGS
@given(MANIFEST, st.data())
def test_a_known_shape_reads_mutations_as_libyaml_does(text: bytes, data: st.DataObject) -> None:
    yamlfast.shapes.SHAPES.forget()
    agrees(text)  # leaves its shape, if it has one
    agrees(mutate(data.draw, text.decode("utf-8")))


def one_shape(description: str, version: int, auc: float, team: str) -> bytes:
    return manifest.dump_version(ModelVersion(
        name="m", version=version, description=description, source="s3://b/k",
        metrics={"auc": auc}, tags={"team": team}, created_at="2026-01-31T09:30:00.000Z",
        created_by="me"))


@SETTINGS
@given(st.lists(st.tuples(TEXT.filter(lambda t: "\n" not in t), st.integers(1, 10**6),
                          st.floats(allow_nan=False, allow_infinity=False), TEXT),
                min_size=2, max_size=6))
def test_documents_of_one_shape_read_alike(values: list[tuple[str, int, float, str]]) -> None:
    yamlfast.shapes.SHAPES.forget()
    texts = [one_shape(*v) for v in values]
    for text in texts:
        agrees(text)  # the first is read row by row and leaves its shape
    shaped = [yamlfast.rows.read(t.decode(), True) for t in texts]  # the row reader, for each
    for text, rows in zip(texts, shaped, strict=True):
        assert rows is not None and yamlfast.shapes.match(text.decode(), True) in (None, rows)


def test_a_shape_is_reused_and_stops_being_made_when_it_does_not_pay() -> None:
    yamlfast.shapes.SHAPES.forget()
    for n in range(1, 50):
        text = one_shape("d", n, n / 7, "risk")
        fast = yamlfast.parse(text)
        assert fast is not None and fast == tuple(yamlio.load_libyaml(text))
    assert (yamlfast.shapes.SHAPES.made, yamlfast.shapes.SHAPES.hits) == (1, 48)
    yamlfast.shapes.SHAPES.forget()
    for n in range(40):
        agrees(f'k{n}: "v"\n')  # every document another shape
    assert yamlfast.shapes.SHAPES.made == 8
