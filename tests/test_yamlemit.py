"""`yamlemit`, the writer of modelreg's YAML without `yaml`: libyaml's bytes exactly, or None
(issue #5). Checked on generated data against `yamlio.dump_libyaml`, and on manifests, which
it must always write itself (else every write pays for importing `yaml` again).
"""

from __future__ import annotations

import string
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from modelreg import manifest, yamlemit, yamlio
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

SETTINGS = settings(max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# What libyaml treats apart: breaks, spaces, tabs, controls, NEL, no-break space, line and
# paragraph separators, the BOM, non-characters, private use, an astral emoji, quotes and
# backslashes.
_TRICKY = (string.ascii_letters + string.digits + string.punctuation + "   \n\n\n\t\r\0\x07"
           "\x1b\x7f\x85\x9f\xa0\u2028\u2029\ufeff\ufffe\uffff\ue000é中😀")
TEXT = st.one_of(st.text(_TRICKY, max_size=30), st.text(max_size=10),
                 st.sampled_from(["", " x\n y", "a\nb\n", "a\nb\n\n", "\na\nb", "a \nb", "-1",
                                  ".inf", "on", "Null", "y", "x" * 129, "k" * 128, "ünï"]))
SCALAR = st.one_of(TEXT, st.integers(), st.integers(-(10**30), 10**30), st.floats(),
                   st.booleans(), st.none())
KEY = st.one_of(TEXT, st.from_regex(r"[A-Za-z_][A-Za-z0-9_.-]{0,12}", fullmatch=True),
                st.integers(), st.booleans(), st.none())
DATA = st.recursive(
    SCALAR,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.lists(st.integers(), max_size=4).map(tuple),
        st.lists(st.integers(), max_size=4), st.dictionaries(KEY, inner, max_size=4),
    ),
    max_leaves=20,
)


def libyaml(data: dict[Any, Any]) -> str:
    return yamlio.dump_libyaml(data)


@SETTINGS
@given(st.dictionaries(KEY, DATA, max_size=6))
@example({"d": "a\nb", "e": " x\n y", "f": [{"g": "m\nn"}, ["a\nb", 1]], "h": [[1, 2], []]})
@example({"t": "a\tb\nc", "u": "x\u2028y\nz", "v": "é\n😀", "w": {}, "x": (), "y": [True]})
@example({"𝒜": 1, "é": 2, "_": 3, "a-.b": 4, "yEs": 5, "None": 6, "": 7, 1.5: 8, True: 9})
@example({"a": "x\ny\n\n", "b": 1})  # `|+`: the document then ends with `...`
@example({"a": "x\ny\n\n", "b": "p\nq"})  # unless a later block resets it
def test_it_writes_what_libyaml_writes_or_gives_up(data: dict[Any, Any]) -> None:
    fast = yamlemit.emit(data)
    assert fast is None or fast == libyaml(data), data


def test_what_libyaml_would_anchor_or_quote_otherwise_is_left_to_it() -> None:
    shared: list[int] = []
    refused: list[dict[Any, Any]] = [
        {"a": shared, "b": shared},  # libyaml writes `&id001` and `*id001`
        {".inf": 1}, {"-1": 1},  # plain keys libyaml single-quotes
        {"k" * 129: 1}, {"a\nb": 1},  # `? key`
        {}, {"x": object()},
    ]
    for data in refused:
        assert yamlemit.emit(data) is None, data
    assert "&id001" in yamlio.dump({"a": shared, "b": shared})
    assert yamlio.dump({".inf": 1}) == "'.inf': 1\n"


# Keys as `names` allows them in tags and metrics, in any script. Left to libyaml: a plain key
# starting with `-` or `.` (`-1`, `.inf` read as numbers) or a numeral of another script (`𐄇`).
NAME = st.from_regex(r"[\w./ :-]{1,20}", fullmatch=True).filter(
    lambda k: k[0].isalpha() or k[0] in "_/ :" or k[0].isdigit())


# libyaml breaks a literal block's rows at U+2028 and U+2029 too: text with those is left to it.
PROSE = TEXT.filter(lambda t: "\u2028" not in t and "\u2029" not in t)


def versions() -> st.SearchStrategy[ModelVersion]:
    entry = st.builds(FileEntry, path=PROSE, size=st.integers(0, 10**12),
                      sha256=st.text("0123456789abcdef", min_size=64, max_size=64))
    files = st.lists(entry, max_size=3)
    artifacts = st.builds(Artifacts, mode=st.sampled_from(ArtifactMode), uri=PROSE, digest=PROSE,
                          size=st.integers(0, 10**12), file_count=st.integers(0, 10**6),
                          files=files.map(tuple), files_uri=PROSE)
    lineage = st.builds(Lineage, code_commit=PROSE, data=st.lists(PROSE, max_size=3).map(tuple),
                        copied_from=st.none() | st.builds(CopiedFrom, uri=PROSE,
                                                          registry_commit=PROSE))
    return st.builds(
        ModelVersion, name=PROSE, version=st.integers(1, 10**6), description=PROSE, source=PROSE,
        run_id=PROSE, run_link=PROSE, artifacts=st.none() | artifacts, model_type=PROSE,
        flavors=st.lists(PROSE, max_size=3).map(tuple),
        signature=st.none() | st.dictionaries(
            NAME, st.lists(st.dictionaries(NAME, PROSE, max_size=3), max_size=3), max_size=3),
        tags=st.dictionaries(NAME, PROSE, max_size=4),
        metrics=st.dictionaries(NAME, st.floats(), max_size=4),
        lineage=lineage, created_at=PROSE, created_by=PROSE, updated_at=PROSE,
        deleted=st.none() | st.builds(Deletion, at=PROSE, by=PROSE),
    )


@SETTINGS
@given(versions())
def test_every_version_manifest_is_written_without_libyaml(mv: ModelVersion) -> None:
    data = manifest.version_to_dict(mv)
    fast = yamlemit.emit(data)
    assert fast is not None and fast == libyaml(data)


def test_the_other_manifests_are_written_without_libyaml() -> None:
    docs = [
        manifest.registry_to_dict(RegistryConfig(id="r", policy={"protect": [{"stage": "x"}]})),
        manifest.model_to_dict(RegisteredModel(name="fraud", description="a\nb", tags={"k": "v"},
                                               last_version=3, created_at="2026-01-31")),
        manifest.aliases_to_dict(AliasTable(aliases={"champion": 2},
                                            stages={Stage.PRODUCTION: (2, 3)})),
        manifest.aliases_to_dict(AliasTable()),
    ]
    for data in docs:
        fast = yamlemit.emit(data)
        assert fast is not None and fast == libyaml(data), data
