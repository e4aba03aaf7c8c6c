"""The format's JSON Schemas: what the writer writes validates, and each rule refuses what it must.

Invalid documents are one row per rule: the YAML a person might write, and the problem they
must see (code, line, JSON path, a fragment of the message).
"""

from __future__ import annotations

import copy
import hashlib
import importlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from modelreg import digest, manifest, schema, schemafast, yamlio
from modelreg.change import Change
from modelreg.errors import InvalidParameter
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
from modelreg.problems import Problem, json_path
from modelreg.registry.guards import check_schemas
from modelreg.schemacode import generate
from modelreg.snapshot import MemoryFiles, Snapshot

ROOT = Path(__file__).resolve().parents[1]
PACKAGED = ROOT / "src" / "modelreg" / "schemas"
TOP_LEVEL = ROOT / "schemas"
T = "2026-01-31T09:30:00.000Z"
HEX = "ab" * 32
COMMIT = "3f" * 20


def entries(*files: tuple[str, bytes]) -> tuple[FileEntry, ...]:
    import hashlib

    return tuple(
        FileEntry(path=p, size=len(b), sha256=hashlib.sha256(b).hexdigest()) for p, b in files
    )


def stored(files: tuple[FileEntry, ...]) -> Artifacts:
    tree = digest.tree_digest(files)
    return Artifacts(
        mode=ArtifactMode.STORED, uri=f"sha256/{digest.bare(tree)}", digest=tree,
        size=sum(f.size for f in files), file_count=len(files), files=files,
    )


FILES = entries(("MLmodel", b"flavors: {}\n"), ("model.pkl", b"\x80\x04weights"),
                ("data/vocab é.txt", b"a\nb\n"))

VERSIONS = {
    "stored": ModelVersion(
        name="sklearn Trained Model", version=7, description="# Fraud v7\n\nRetrained on **Q4**.\n",
        source="file:///home/ana/model", run_id="4f1c" * 8, run_link="https://mlflow.example/#/runs/1",
        artifacts=stored(FILES), model_type="mlflow", flavors=("python_function", "sklearn"),
        signature={"inputs": '[{"type": "double"}]', "outputs": '[{"type": "long"}]'},
        tags={"framework": "1.10", "approved": "no", "team name": "risk", "größe": "L"},
        metrics={"auc": 0.91, "rows": 120000, "loss": -0.5},
        lineage=Lineage(code_commit=COMMIT, data=("s3://data/fraud/2026-01",)),
        created_at=T, created_by="Ana <ana@example.com>", updated_at="2026-02-01T00:00:00.001Z",
    ),
    "reference": ModelVersion(
        name="fraud", version=2, source="s3://mlflow/1/abc/artifacts/model",
        artifacts=Artifacts(
            mode=ArtifactMode.REFERENCE, uri="s3://mlflow/1/abc/artifacts/model",
            digest="sha256:" + HEX, size=10_000_000, file_count=2_500,
            files_uri="sha256/" + HEX + ".files.json",
        ),
        created_at=T, created_by="ci-bot",
    ),
    "unverified": ModelVersion(
        name="fraud", version=3, source="runs:/abc/model",
        artifacts=Artifacts(mode=ArtifactMode.UNVERIFIED, uri="runs:/abc/model"),
        created_at=T, created_by="ana",
    ),
    "tombstone": ModelVersion(
        name="fraud", version=4, artifacts=stored(FILES[:1]), tags={"owner": "risk"},
        created_at=T, created_by="ana", deleted=Deletion(at="2026-03-01T12:00:00.000Z", by="bob"),
    ),
    "copied": ModelVersion(
        name="fraud-eu", version=1, source="models:/fraud/7", artifacts=stored(FILES),
        lineage=Lineage(copied_from=CopiedFrom(uri="models:/fraud/7", registry_commit=COMMIT)),
        created_at=T, created_by="ana",
    ),
}


def written() -> Iterator[tuple[str, str, bytes]]:
    for label, mv in VERSIONS.items():
        yield f"version-{label}", "model-version", manifest.dump_version(mv)
    yield "model", "model", manifest.dump_model(RegisteredModel(
        name="sklearn Trained Model", description="Scores card payments.\n\n- owner: risk\n",
        tags={"owner": "risk", "tier": "1"}, last_version=9, created_at=T, created_by="ana"))
    yield "model-empty", "model", manifest.dump_model(
        RegisteredModel(name="m", created_at=T, created_by="ana"))
    yield "aliases", "aliases", manifest.dump_aliases(AliasTable(
        aliases={"champion": 7, "challenger": 8, "prod_EU-2": 7},
        stages={Stage.PRODUCTION: (7,), Stage.STAGING: (8,), Stage.ARCHIVED: (5, 3)}))
    yield "aliases-empty", "aliases", manifest.dump_aliases(AliasTable())
    yield "registry", "registry", manifest.dump_registry(RegistryConfig(
        id="0b6f5a1e-7f37-4d0b-9a55-2a3c2f1f8e11", store="s3://ml-artifacts/registry",
        branch="main",
        policy={"aliases": {"champion": {"require_tags": {"validation_status": "approved"}}}}))
    yield "registry-default", "registry", manifest.dump_registry(
        RegistryConfig(id="0b6f5a1e-7f37-4d0b-9a55-2a3c2f1f8e11"))


@pytest.mark.parametrize(
    ("kind", "text"), [w[1:] for w in written()], ids=[w[0] for w in written()]
)
def test_what_the_writer_writes_validates(kind: str, text: bytes) -> None:
    header = f"# yaml-language-server: $schema={manifest.schema_url(kind)}\n"
    assert text.startswith(header.encode())
    assert schema.validate_bytes(kind, text, path="x.yaml") == []


# ---------------------------------------------------------------- one row per rule

HEADER = "# yaml-language-server: $schema=https://modelreg.dev/schemas/1/{}.json"
FILE_ITEM = f'\n  - path: "model.bin"\n    size: 8\n    sha256: "{HEX}"'
ARTIFACTS = (f'\n  mode: "stored"\n  uri: "sha256/{HEX}"\n  digest: "sha256:{HEX}"\n'
             f"  size: 8\n  file_count: 1\n  files:{FILE_ITEM}")
BASES: dict[str, dict[str, str]] = {
    # line 1 is the header; each key then takes one line plus the lines of its block. A
    # problem with a whole block mapping is on the block's first line (where its value starts).
    "model": {"name": '"fraud"', "description": '""', "tags": '\n  owner: "risk"',  # 2 3 4-5
              "last_version": "3", "created_at": f'"{T}"', "created_by": '"ana"'},  # 6 7 8
    "model-version": {
        "name": '"fraud"', "version": "3", "description": '""', "source": '"s3://b/m"',  # 2-5
        "run_id": '""', "run_link": '""', "artifacts": ARTIFACTS,  # 6 7 8-17
        "tags": '\n  owner: "risk"', "metrics": "\n  auc: 0.9",  # 18-19 20-21
        "created_at": f'"{T}"', "created_by": '"ana"'},  # 22 23
    "aliases": {"aliases": "\n  champion: 7", "stages": "\n  Production: [7]\n  Staging: [8]"},
    "registry": {"modelreg": "1", "id": '"0b6f5a1e"', "store": '"artifacts"'},  # 2 3 4
}


def doc(kind: str, **fields: str | None) -> bytes:
    """The kind's base document with fields replaced (None drops one); new fields go last."""
    merged = {**BASES[kind], **fields}
    lines = [HEADER.format(kind)] + [f"{k}: {v}" for k, v in merged.items() if v is not None]
    return ("\n".join(lines) + "\n").encode()


def art(**fields: str | None) -> str:
    """An artifacts block (lines 9.. of a version) with fields replaced or dropped."""
    base = {"mode": '"stored"', "uri": f'"sha256/{HEX}"', "digest": f'"sha256:{HEX}"',
            "size": "8", "file_count": "1", "files": FILE_ITEM}
    merged = {**base, **fields}
    return "".join(f"\n  {k}: {v}" for k, v in merged.items() if v is not None)


LONG = "k" * 251
ROWS: list[tuple[str, bytes, str, int | None, str, str]] = [
    # (id, document, code, line, json path, a fragment of the message)
    # -- model names
    ("name-too-long", doc("model", name='"' + "n" * 257 + '"'), "SCHEMA", 2, "$.name",
     "257 characters"),
    ("name-slash", doc("model", name='"a/b"'), "SCHEMA", 2, "$.name", "'/', ':'"),
    ("name-colon", doc("model", name='"a:b"'), "SCHEMA", 2, "$.name", "'/', ':'"),
    ("name-control", doc("model", name='"a\\tb"'), "SCHEMA", 2, "$.name", "control characters"),
    ("name-dot", doc("model", name='"."'), "SCHEMA", 2, "$.name", "'.' and '..'"),
    ("name-dotdot", doc("model-version", name='".."'), "SCHEMA", 2, "$.name", "'.' and '..'"),
    ("name-blank", doc("model", name='"   "'), "SCHEMA", 2, "$.name", "blank"),
    ("name-empty", doc("model", name='""'), "SCHEMA", 2, "$.name", "must not be empty"),
    ("name-number", doc("model", name="42"), "SCHEMA", 2, "$.name", "expected a string"),
    # -- aliases
    ("alias-chars", doc("aliases", aliases='\n  "my alias": 7'), "SCHEMA", 3,
     "$.aliases['my alias']", "only letters, digits"),
    ("alias-too-long", doc("aliases", aliases=f"\n  {'a' * 256}: 7"), "SCHEMA", 3,
     f"$.aliases.{'a' * 256}", "256 characters long (at most 255)"),
    ("alias-latest", doc("aliases", aliases="\n  Latest: 7"), "SCHEMA", 3, "$.aliases.Latest",
     "reserved"),
    ("alias-v-number", doc("aliases", aliases="\n  V12: 7"), "SCHEMA", 3, "$.aliases.V12",
     "reserved"),
    ("alias-target-text", doc("aliases", aliases='\n  champion: "7"'), "SCHEMA", 3,
     "$.aliases.champion", "expected a whole number"),
    ("alias-target-zero", doc("aliases", aliases="\n  champion: 0"), "SCHEMA", 3,
     "$.aliases.champion", "at least 1"),
    # -- stages
    ("stage-none", doc("aliases", stages="\n  None: [7]"), "SCHEMA", 5, "$.stages.None",
     "unknown field"),
    ("stage-case", doc("aliases", stages="\n  production: [7]"), "SCHEMA", 5, "$.stages.production",
     "did you mean 'Production'"),
    ("stage-duplicate", doc("aliases", stages="\n  Archived: [3, 5, 3]"), "SCHEMA", 5,
     "$.stages.Archived", "lists 3 more than once"),
    ("stage-not-number", doc("aliases", stages="\n  Staging: [8, v9]"), "SCHEMA", 5,
     "$.stages.Staging[1]", "expected a whole number"),
    # -- tags
    ("tag-key-too-long", doc("model", tags=f'\n  {LONG}: "x"'), "SCHEMA", 5, f"$.tags.{LONG}",
     "251 characters long (at most 250)"),
    ("tag-key-chars", doc("model", tags='\n  "bad*key": "x"'), "SCHEMA", 5, "$.tags['bad*key']",
     "may contain only letters"),
    ("tag-key-leading-slash", doc("model", tags='\n  "/etc": "x"'), "SCHEMA", 5, "$.tags['/etc']",
     "may not start with '/'"),
    ("tag-key-dotdot", doc("model", tags='\n  "a/../b": "x"'), "SCHEMA", 5, "$.tags['a/../b']",
     "'..'"),
    # MLflow's `\w` admits Unicode letters, not other symbols: only Python can say which.
    ("tag-key-symbol", doc("model", tags='\n  "price€": "x"'), "SCHEMA", 5, "$.tags['price€']",
     "tag key 'price€'"),
    ("tag-value-number", doc("model", tags="\n  version: 1.10"), "SCHEMA", 5, "$.tags.version",
     "got a number 1.1 (quote the value"),
    ("tag-value-yes-no", doc("model-version", tags="\n  approved: no"), "SCHEMA", 19,
     "$.tags.approved", "expected a string, got a boolean False"),
    ("tag-value-too-long", doc("model", tags=f'\n  prompt: "{"x" * 100_001}"'), "SCHEMA", 5,
     "$.tags.prompt", "100,001 characters long (at most 100,000)"),
    ("tags-not-mapping", doc("model", tags='"risk"'), "SCHEMA", 4, "$.tags", "expected a mapping"),
    # -- metrics
    ("metric-nan", doc("model-version", metrics="\n  auc: .nan"), "SCHEMA", 21, "$.metrics.auc",
     "not a finite number"),
    ("metric-inf", doc("model-version", metrics="\n  loss: -.inf"), "SCHEMA", 21, "$.metrics.loss",
     "not a finite number"),
    ("metric-text", doc("model-version", metrics='\n  auc: "0.9"'), "SCHEMA", 21, "$.metrics.auc",
     "expected a number, got a string"),
    ("metric-bool", doc("model-version", metrics="\n  auc: true"), "SCHEMA", 21, "$.metrics.auc",
     "expected a number, got a boolean"),
    ("metric-key", doc("model-version", metrics="\n  \"a*b\": 1"), "SCHEMA", 21, "$.metrics['a*b']",
     "may contain only letters"),
    # -- numbers
    ("version-zero", doc("model-version", version="0"), "SCHEMA", 3, "$.version", "at least 1"),
    ("version-float", doc("model-version", version="3.0"), "SCHEMA", 3, "$.version",
     "expected a whole number, got a number 3.0"),
    ("version-text", doc("model-version", version='"3"'), "SCHEMA", 3, "$.version",
     "expected a whole number"),
    ("last-version-negative", doc("model", last_version="-1"), "SCHEMA", 6, "$.last_version",
     "at least 0"),
    # -- times
    ("time-no-millis", doc("model", created_at='"2026-01-31T09:30:00Z"'), "SCHEMA", 7,
     "$.created_at",
     "UTC with milliseconds"),
    ("time-offset", doc("model", created_at='"2026-01-31T09:30:00.000+01:00"'), "SCHEMA", 7,
     "$.created_at", "UTC with milliseconds"),
    ("time-date-only", doc("model", created_at="2026-01-31"), "SCHEMA", 7, "$.created_at",
     "UTC with milliseconds"),
    ("time-no-such-day", doc("model", created_at='"2026-02-30T09:30:00.000Z"'), "SCHEMA", 7,
     "$.created_at", "is not a valid date-time"),
    ("updated-at", doc("model-version", updated_at='"yesterday"'), "SCHEMA", 24, "$.updated_at",
     "UTC with milliseconds"),
    # -- artifacts
    ("mode-unknown", doc("model-version", artifacts=art(mode='"copied"')), "SCHEMA", 9,
     "$.artifacts.mode", "'copied' is not one of 'stored', 'reference', 'unverified'"),
    ("unverified-with-digest", doc("model-version", artifacts=art(
        mode='"unverified"', uri='"runs:/1/m"', size=None, file_count=None, files=None)),
     "SCHEMA", 11, "$.artifacts.digest", "record only `mode` and `uri`"),
    ("stored-uri", doc("model-version", artifacts=art(uri='"s3://b/m"')), "SCHEMA", 10,
     "$.artifacts.uri", "'sha256/' and the digest"),
    ("digest-prefix", doc("model-version", artifacts=art(digest=f'"{HEX}"')), "SCHEMA", 11,
     "$.artifacts.digest", "'sha256:' and 64"),
    ("sha256-uppercase", doc("model-version", artifacts=art(
        files=f'\n  - path: "m"\n    size: 8\n    sha256: "{HEX.upper()}"')), "SCHEMA", 17,
     "$.artifacts.files[0].sha256", "64 lowercase hexadecimal"),
    ("files-neither", doc("model-version", artifacts=art(files=None)), "SCHEMA", 9, "$.artifacts",
     "exactly one of `files`"),
    ("files-both", doc("model-version", artifacts=art(files_uri=f'"sha256/{HEX}.files.json"')),
     "SCHEMA", 9, "$.artifacts", "exactly one of `files`"),
    ("reference-no-digest", doc("model-version", artifacts=art(
        mode='"reference"', uri='"s3://b/m"', digest=None)), "SCHEMA", 9, "$.artifacts",
     "'digest' is a required property"),
    ("file-path-escapes", doc("model-version", artifacts=art(
        files='\n  - path: "../etc/passwd"\n    size: 8\n    sha256: "' + HEX + '"')),
     "SCHEMA", 15, "$.artifacts.files[0].path", "no empty, '.' or '..' segments"),
    ("file-extra-field", doc("model-version", artifacts=art(files=FILE_ITEM + "\n    mtime: 1")),
     "SCHEMA", 18, "$.artifacts.files[0].mtime", "unknown field 'mtime'"),
    # -- lineage, deletion
    ("copied-from-commit", doc("model-version", lineage='\n  copied_from:\n    uri: "models:/a/1"\n'
                               '    registry_commit: "main"'), "SCHEMA", 27,
     "$.lineage.copied_from.registry_commit", "commit id"),
    ("deleted-without-by", doc("model-version", deleted=f'\n  at: "{T}"'), "SCHEMA", 25,
     "$.deleted",
     "'by' is a required property"),
    # -- unknown and missing fields
    ("model-unknown-field", doc("model", owner='"risk"'), "SCHEMA", 9, "$.owner",
     "unknown field 'owner'"),
    ("version-typo-field", doc("model-version", run_links='""'), "SCHEMA", 24, "$.run_links",
     "did you mean 'run_link'"),
    ("model-missing-field", doc("model", created_by=None), "SCHEMA", 2, "$",
     "'created_by' is a required property"),
    ("empty-file", b"", "SCHEMA", None, "$", "expected a mapping, got nothing"),
    # -- registry.yaml
    ("registry-format", doc("registry", modelreg="2"), "SCHEMA", 2, "$.modelreg",
     "needs a newer modelreg"),
    ("registry-no-id", doc("registry", id=None), "SCHEMA", 2, "$", "'id' is a required property"),
    ("registry-branch-empty", doc("registry", branch='""'), "SCHEMA", 5, "$.branch",
     "must not be empty"),
    ("registry-policy-list", doc("registry", policy="[]"), "SCHEMA", 5, "$.policy",
     "expected a mapping"),
    ("registry-unknown", doc("registry", stores='"s3://b"'), "SCHEMA", 5, "$.stores",
     "did you mean 'store'"),
    # -- YAML a reviewer could misread
    ("duplicate-key", doc("model", tags='\n  owner: "risk"\n  owner: "ml"'), "DUPLICATE_KEY", 6, "",
     "duplicate key 'owner'"),
    ("anchor", doc("model", description='&d "x"', created_by="*d"), "ANCHOR", 3, "",
     "anchors and aliases"),
    ("merge-key", doc("model", tags='\n  <<: {owner: "risk"}'), "MERGE_KEY", 5, "", "merge keys"),
    ("bad-yaml", doc("model", description='"a": "b"'), "YAML", 3, "", "invalid YAML"),
]


def kind_of_row(text: bytes) -> str:
    first = text.split(b"\n", 1)[0].decode()
    for kind in manifest.KINDS:
        if first == HEADER.format(kind):
            return kind
    return "model"


@pytest.mark.parametrize(
    ("text", "code", "line", "path", "fragment"), [r[1:] for r in ROWS], ids=[r[0] for r in ROWS]
)
def test_each_rule_reports_one_problem_where_it_is(
    text: bytes, code: str, line: int | None, path: str, fragment: str
) -> None:
    found = schema.validate_bytes(kind_of_row(text), text, path="models/fraud/x.yaml")
    assert [(p.code, p.line, p.json_path) for p in found] == [(code, line, path)], found
    assert fragment in found[0].message
    assert found[0].severity == "error" and found[0].path == "models/fraud/x.yaml"


def test_unicode_letters_in_tag_keys_are_words_as_in_mlflow() -> None:
    text = doc("model", tags='\n  größe: "L"\n  "naïve bayes": "yes"\n  日本: "x"')
    assert schema.validate_bytes("model", text, path="m.yaml") == []


def test_every_problem_of_a_document_at_once() -> None:
    text = doc("model-version", version="0", tags="\n  n: 1", metrics="\n  auc: .nan", extra="1")
    found = schema.validate_bytes("model-version", text, path="v.yaml")
    assert [(p.line, p.json_path) for p in found] == [
        (3, "$.version"), (19, "$.tags.n"), (21, "$.metrics.auc"), (24, "$.extra")
    ]


def test_a_problem_reads_file_line_path_message() -> None:
    text = doc("model", tags='\n  "team name": 3')
    [problem] = schema.validate_bytes("model", text, path="models/fraud/model.yaml")
    assert str(problem) == (
        "models/fraud/model.yaml:5: $.tags['team name']: expected a string, got a whole number 3 "
        "(quote the value to keep it a string)"
    )
    assert str(Problem(path="models/x", code="MISSING_MODEL_FILE", message="m")) == "models/x: m"


def test_json_paths() -> None:
    assert json_path(()) == "$"
    assert json_path(("stages", "Staging", 0)) == "$.stages.Staging[0]"
    assert json_path(("tags", "it's")) == "$.tags['it\\'s']"


@pytest.mark.parametrize(("path", "kind"), [
    ("registry.yaml", "registry"),
    ("models/fraud/model.yaml", "model"),
    ("models/sk%20m/aliases.yaml", "aliases"),
    ("models/fraud/versions/12.yaml", "model-version"),
    ("models/fraud/versions/012.yaml", None),
    ("models/fraud/versions/x.yaml", None),
    ("models/fraud/notes.md", None),
    ("models/model.yaml", None),
    ("sub/registry.yaml", None),
    (".gitignore", None),
])
def test_kind_of(path: str, kind: str | None) -> None:
    assert schema.kind_of(path) == kind


# ---------------------------------------------------------------- the schema files themselves


def schema_files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.json"))}


def test_top_level_schemas_are_the_packaged_ones() -> None:
    packaged = schema_files(PACKAGED)
    assert {f"{k}.json" for k in manifest.KINDS} <= set(packaged)
    assert schema_files(TOP_LEVEL) == packaged


@pytest.mark.parametrize("kind", manifest.KINDS)
def test_schema_is_draft_2020_12_with_a_versioned_id(kind: str) -> None:
    loaded = schema.load_schema(kind)
    Draft202012Validator.check_schema(loaded)
    assert loaded["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert loaded["$id"] == manifest.schema_url(kind)
    assert "/1/" in loaded["$id"]
    assert loaded["title"] and loaded["description"]


OPEN_BY_DESIGN = {"/properties/policy", "/properties/signature"}


def objects(node: Any, pointer: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        if node.get("type") == "object":
            yield pointer, node
        for key, value in node.items():
            yield from objects(value, f"{pointer}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from objects(value, f"{pointer}/{index}")


@pytest.mark.parametrize("kind", manifest.KINDS)
def test_every_object_refuses_unknown_fields(kind: str) -> None:
    for pointer, node in objects(schema.load_schema(kind)):
        if pointer in OPEN_BY_DESIGN:
            assert "description" in node
            continue
        assert "additionalProperties" in node, pointer
        if "properties" in node:
            assert node["additionalProperties"] is False, pointer
        else:  # a map (tags, metrics, aliases): every value is typed
            assert isinstance(node["additionalProperties"], dict), pointer


def test_definitions_shared_by_models_and_versions_agree() -> None:
    model = schema.load_schema("model")["$defs"]
    version = schema.load_schema("model-version")["$defs"]
    for name in model:
        assert model[name] == version[name], name


def test_tag_key_rule_says_why_it_differs_from_python() -> None:
    tag_key = schema.load_schema("model")["$defs"]["tag_key"]
    assert "\\w" in tag_key["description"] and "authoritative" in tag_key["description"]
    assert "\\w" not in tag_key["pattern"]  # the editors' `\\w` is ASCII-only


def test_schemas_are_imported_lazily() -> None:
    code = (
        "import sys, modelreg.schema, modelreg.validate, modelreg.problems\n"
        "assert 'jsonschema' not in sys.modules, 'jsonschema imported at module level'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# -- the pre-check (issue #5): never "valid" where jsonschema finds an error -------------------

SEEDS = [(kind, yamlio.load(text).data) for _, kind, text in written()]
ODD_VALUES: list[Any] = [
    "", " ", "x" * 300, "a/b", ".", "..", "\n", "abc\n", "..\\x", "/abs", "a//b", "C:/x",
    "2026-13-01T00:00:00.000Z", "2026-02-30T00:00:00.000Z", T + "\n", "sha256:" + "0" * 64,
    "sha256/" + HEX, "stored", "reference", "Production", -1, 0, 1, 7, 2**63, 0.5, 7.0,
    float("inf"), float("nan"), None, True, False, [], {}, ["a", "a"], [1, 1.0], ["True", True],
    [1, True], {"x": 1}, {"a/b": "c"}, [7], [{"path": "a", "size": 1, "sha256": HEX}],
    "abc", "risk team", "x:y", 3, 0.25, -2.5, T,  # harmless: the check must still pass
]


@st.composite
def near_valid(draw: st.DrawFn) -> tuple[str, Any]:
    """A written manifest with a few values, keys or entries changed."""
    kind, data = draw(st.sampled_from(SEEDS))
    data = copy.deepcopy(data)
    for _ in range(draw(st.integers(1, 3))):
        slots = list(_slots(data))
        if not slots:
            break
        parent, key = draw(st.sampled_from(slots))
        how = draw(st.sampled_from(["value", "value", "drop", "add"]))
        if how == "value":
            parent[key] = copy.deepcopy(draw(st.sampled_from(ODD_VALUES)))
        elif how == "drop" and isinstance(parent, dict):
            del parent[key]
        elif isinstance(parent, dict):
            parent[draw(st.sampled_from(["x", "a b", "", "Ünï", "-k", f"{key}_"]))] = (
                copy.deepcopy(draw(st.sampled_from(ODD_VALUES))))
    return kind, data


def _slots(node: Any) -> Iterator[tuple[Any, Any]]:
    items = node.items() if isinstance(node, dict) else enumerate(node)
    for key, value in list(items):
        yield node, key
        if isinstance(value, (dict, list)) and value:
            yield from _slots(value)


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(near_valid())
def test_the_precheck_passes_nothing_jsonschema_refuses(case: tuple[str, Any]) -> None:
    kind, data = case
    if schemafast.passes(kind, data):
        assert list(schema._validator(kind).iter_errors(data)) == [], data


@pytest.mark.parametrize(("kind", "data"), SEEDS)
def test_the_precheck_passes_what_modelreg_writes(kind: str, data: Any) -> None:
    plain = schemafast._plain(data)
    assert schemafast.passes(kind, data) is plain
    assert plain or kind == "registry"  # policy values: booleans go to jsonschema


@pytest.mark.parametrize("data", [{"ok": True}, [1, {"a": [False]}]])
def test_the_precheck_leaves_booleans_to_jsonschema(data: Any) -> None:
    assert not schemafast._plain(data)


def test_a_whole_number_float_is_a_number_but_not_an_integer() -> None:
    # MLflow's metrics are floats (`epochs: 10.0`); `version: 7.0` is a typo (issue #5).
    data = yamlio.load(manifest.dump_version(VERSIONS["stored"])).data
    data["metrics"] = {"epochs": 10.0, "auc": 1.0}
    assert schemafast.passes("model-version", data)
    for at in ("version", "size"):
        bad = copy.deepcopy(data)
        (bad if at == "version" else bad["artifacts"])[at] = 7.0
        assert not schemafast.passes("model-version", bad), at
        assert list(schema._validator("model-version").iter_errors(bad)), at


def test_the_precheck_refuses_every_row_the_schema_refuses() -> None:
    refused = []
    for label, text, code, *_ in ROWS:
        if code != "SCHEMA":
            continue  # YAML the loader refuses never reaches a schema
        kind, data = kind_of_row(text), yamlio.load(text).data
        if list(schema._validator(kind).iter_errors(data)):  # not a rule only Python says
            refused.append(label)
            assert not schemafast.passes(kind, data), label
    assert len(refused) > 30


# -- the shipped checks (issue #5): generated from the shipped schemas, used only while current


def shipped(kind: str) -> Any:
    return importlib.import_module(f"modelreg.schemacode.{kind.replace('-', '_')}")


@pytest.mark.parametrize("kind", manifest.KINDS)
def test_the_shipped_checks_are_generated_from_the_shipped_schemas(kind: str) -> None:
    now = hashlib.sha256(schema.schema_bytes(kind)).hexdigest()
    assert now == shipped(kind).SCHEMA_SHA256, "run python -m modelreg.schemacode.generate"
    fastjsonschema = pytest.importorskip("fastjsonschema")
    if fastjsonschema.VERSION != shipped(kind).VERSION:
        pytest.skip(f"generated by fastjsonschema {shipped(kind).VERSION}, "
                    f"{fastjsonschema.VERSION} is installed")
    assert generate.module_path(kind).read_text("utf-8") == generate.code_of(kind)


@pytest.fixture
def accept_all(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The shipped aliases check replaced by one that passes everything."""
    module = shipped("aliases")
    monkeypatch.setattr(module, "check", lambda data, custom_formats: None)
    schemafast.compiled.cache_clear()
    yield module
    schemafast.compiled.cache_clear()


BAD_ALIASES = {"aliases": {"latest": 1}, "stages": {}}


def test_the_shipped_check_is_what_answers(accept_all: Any) -> None:
    assert schemafast.passes("aliases", BAD_ALIASES)  # so the test below can fail


def test_a_shipped_check_of_another_schema_is_not_used(
    accept_all: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(accept_all, "SCHEMA_SHA256", "0" * 64)  # a schema edited since
    assert not schemafast.passes("aliases", BAD_ALIASES)
    assert schemafast.passes("aliases", {"aliases": {"champion": 1}, "stages": {}})


def test_a_fresh_process_judges_a_valid_manifest_without_jsonschema() -> None:
    valid = manifest.dump_version(VERSIONS["stored"])
    code = (
        "import sys\nfrom modelreg import schema\n"
        f"assert schema.validate_bytes('model-version', {valid!r}, path='v.yaml') == []\n"
        "assert 'jsonschema' not in sys.modules and 'fastjsonschema' not in sys.modules\n"
        f"[p] = schema.validate_bytes('model-version', {valid!r} + b'extra: 1\\n', path='v.yaml')\n"
        "assert 'jsonschema' in sys.modules and p.json_path == '$.extra', p\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_write_of_an_invalid_manifest_is_refused_with_its_first_problem() -> None:
    text = doc("model", tags='\n  "team name": 3', extra="1")
    change = Change(writes={"models/fraud/model.yaml": text}, op="model-create", summary="x")
    with pytest.raises(InvalidParameter) as refused:
        check_schemas(Snapshot(MemoryFiles({})), change)
    assert str(refused.value) == (
        "refusing to write an invalid manifest: models/fraud/model.yaml:5: $.tags['team name']: "
        "expected a string, got a whole number 3 (quote the value to keep it a string)"
    )
