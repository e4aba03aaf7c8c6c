"""The digest test vectors that ship with the schemas agree with `modelreg.digest.tree_digest`,
with the store (which computes digests through it), and with the rule written out by hand."""

from __future__ import annotations

import base64
import hashlib
import json
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from modelreg import digest
from modelreg.model import FileEntry
from modelreg.store import open_store

ROOT = Path(__file__).resolve().parents[1]
VECTORS = ROOT / "schemas" / "digest-vectors.json"
PACKAGED = ROOT / "src" / "modelreg" / "schemas" / "digest-vectors.json"
CASES: list[dict[str, Any]] = json.loads(VECTORS.read_text("utf-8"))["cases"]


def content(file: dict[str, Any]) -> bytes:
    if "content_base64" in file:
        return base64.b64decode(file["content_base64"])
    return str(file["content"]).encode("utf-8")


def by_hand(files: list[tuple[str, bytes]]) -> str:
    """DESIGN §2 spelled out: sha256 of `<sha256> <size> <path>\\n`, NFC, UTF-8 byte order."""
    lines = sorted(
        (unicodedata.normalize("NFC", p).encode("utf-8"), hashlib.sha256(b).hexdigest(), len(b))
        for p, b in files
    )
    text = b"".join(f"{sha} {size} ".encode() + path + b"\n" for path, sha, size in lines)
    return "sha256:" + hashlib.sha256(text).hexdigest()


def test_the_packaged_copy_is_the_same_file() -> None:
    assert PACKAGED.read_bytes() == VECTORS.read_bytes()


def test_the_vectors_cover_what_they_must() -> None:
    names = {c["name"] for c in CASES}
    assert {"one-file", "nested-paths", "sort-by-utf8-bytes", "nfc-normalization",
            "empty-file"} <= names
    nfc = next(c for c in CASES if c["name"] == "nfc-normalization")
    path = nfc["files"][0]["path"]
    assert unicodedata.normalize("NFC", path) != path  # still decomposed: no editor "fixed" it
    assert any(f["size"] == 0 for c in CASES for f in c["files"])


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_tree_digest_matches_the_vector(case: dict[str, Any]) -> None:
    entries = []
    for f in case["files"]:
        data = content(f)
        assert (len(data), hashlib.sha256(data).hexdigest()) == (f["size"], f["sha256"])
        entries.append(FileEntry(path=digest.normalize_path(f["path"]), size=f["size"],
                                 sha256=f["sha256"]))
    assert digest.tree_digest(entries) == case["digest"]
    assert by_hand([(f["path"], content(f)) for f in case["files"]]) == case["digest"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_uploading_the_files_gives_the_vector_digest(case: dict[str, Any], tmp_path: Path) -> None:
    folder = tmp_path / "model"
    for f in case["files"]:
        (folder / f["path"]).parent.mkdir(parents=True, exist_ok=True)
        (folder / f["path"]).write_bytes(content(f))
    artifacts = open_store("store", base_dir=tmp_path).upload(folder)
    assert artifacts.digest == case["digest"]
    assert artifacts.uri == "sha256/" + digest.bare(case["digest"])
