"""What `modelreg gc` lists, records and deletes in the store, and the step an upload takes
so that a gc never deletes content a registration is about to commit (DESIGN §2, issue #6).

```
<store>/.modelreg/gc/marks.json        what gc found unreferenced, and when it first saw it
<store>/.modelreg/gc/sweeping/<hex>    a gc is about to delete sha256/<hex> (its intent)
<store>/.modelreg/gc/lease             a gc is running (from when, on which host)
<store>/.modelreg/touched/<hex>        an upload used sha256/<hex> since gc last marked it
<store>/.modelreg/tmp/<name>           uploads in progress; a crash leaves them behind
```

The race, and why it cannot lose bytes. An upload finds `sha256/<hex>.complete` and reuses
the content; its registration commits a moment later. A gc that marked that digest earlier
must not delete it in between. So each side writes first and looks second:

- the upload (`guard`) writes `touched/<hex>`, then waits while `sweeping/<hex>` exists;
- the sweep writes `sweeping/<hex>`, then re-reads the branch tips and `touched/<hex>`, and
  deletes only what no tip references and no upload touched, the marker first.

On a store where a finished write is seen by every later read (a local disk, S3), at least one
side sees the other's record: either the sweep sees the touch and keeps the content, or the
upload sees the intent, waits for the sweep to end and uploads the bytes again. What the mark
cannot see is a registration that touched before it and commits more than `grace` later:
`grace` must exceed the longest registration (upload to commit).
"""

from __future__ import annotations

import json
import posixpath
import re
import time
from collections.abc import Callable, Iterable, Mapping
from contextlib import suppress
from typing import TYPE_CHECKING, Any

from modelreg.errors import StoreError
from modelreg.store.backend import backend_errors, is_local
from modelreg.store.transfer import write_blob

if TYPE_CHECKING:
    from modelreg.store.core import Store

GC_DIR = ".modelreg/gc"
MARKS = f"{GC_DIR}/marks.json"
SWEEPING = f"{GC_DIR}/sweeping"
LEASE = f"{GC_DIR}/lease"
TOUCHED = ".modelreg/touched"
TMP = ".modelreg/tmp"
INTENT_WAIT = 120.0  # seconds an upload waits for a sweep of its content to end
PAUSE: Callable[[float], Any] = time.sleep  # between two looks at an intent (tests watch it)
_CONTENT = re.compile(r"^([0-9a-f]{64})(\.complete|\.files\.json)?$")


def hex_of(digest: str) -> str:
    """`sha256:<hex>` -> `<hex>`."""
    return digest.removeprefix("sha256:")


# -- the upload's side --------------------------------------------------------------------


def guard(store: Store, digest: str) -> None:
    """Before an upload trusts or writes `sha256/<hex>`: record the touch, then let a gc
    that is deleting that content finish (the upload then writes the bytes again)."""
    hex_ = hex_of(digest)
    body = json.dumps({"digest": digest}).encode() + b"\n"  # what it says is that it exists
    write_blob(store.fs, store.path(f"{TOUCHED}/{hex_}"), body, tmp_dir=store.tmp_dir)
    intent = store.path(f"{SWEEPING}/{hex_}")
    deadline = time.monotonic() + INTENT_WAIT
    pause = 0.02
    while _read(store.fs, intent) is not None:
        if time.monotonic() > deadline:
            raise StoreError(
                f"a gc has been deleting sha256/{hex_} in {store.where} for over "
                f"{INTENT_WAIT:.0f} s; if no gc runs, delete {store.url}/{SWEEPING}/{hex_} "
                "and register again"
            )
        PAUSE(pause)
        pause = min(pause * 2, 1.0)


def _read(fs: Any, path: str) -> bytes | None:
    """A small record's bytes, None when there is none: one request (`exists` on s3fs is a
    HEAD and, for a missing key, a listing too)."""
    fs.invalidate_cache(posixpath.dirname(path))
    try:
        return bytes(fs.cat_file(path))
    except FileNotFoundError:
        return None


# -- listing --------------------------------------------------------------------------------


def content(store: Store) -> dict[str, list[str]]:
    """The store's content by digest hex: the store-relative paths of its folder, marker
    and file list (names that are not content are left alone)."""
    out: dict[str, list[str]] = {}
    for name in _names(store, "sha256"):
        match = _CONTENT.match(name)
        if match:
            out.setdefault(match.group(1), []).append(f"sha256/{name}")
    return out


def temporaries(store: Store) -> list[str]:
    """Store-relative paths of what uploads left in the store's temporary folder."""
    return [f"{TMP}/{name}" for name in _names(store, TMP)]


def intents(store: Store) -> list[str]:
    """The digests a gc declared it was deleting."""
    return _names(store, SWEEPING)


def touched(store: Store, hexes: Iterable[str]) -> set[str]:
    """Which of `hexes` an upload touched since their touch records were last removed."""
    with backend_errors(store.where, "read"):
        return {h for h in hexes if _read(store.fs, store.path(f"{TOUCHED}/{h}")) is not None}


def _names(store: Store, rel: str) -> list[str]:
    folder = store.path(rel)
    with backend_errors(store.where, "read"):
        store.fs.invalidate_cache(folder)
        try:
            listed = store.fs.ls(folder, detail=False)
        except FileNotFoundError:
            return []
    names = (posixpath.basename(str(p).rstrip("/")) for p in listed)
    return sorted(n for n in names if n and n != posixpath.basename(folder))


def _time_in(store: Store, rel: str) -> float | None:
    """The `at` of a record, None when there is no record (0 when it cannot be read)."""
    with backend_errors(store.where, "read"):
        data = _read(store.fs, store.path(rel))
    if data is None:
        return None
    try:
        return float(json.loads(data)["at"])
    except (ValueError, KeyError, TypeError):
        return 0.0


# -- records ----------------------------------------------------------------------------------


def read_marks(store: Store) -> dict[str, str]:
    """What the last gc marked: store-relative path -> when it was first seen (RFC 3339)."""
    with backend_errors(store.where, "read"):
        try:
            data = store.fs.cat_file(store.path(MARKS))
        except FileNotFoundError:
            return {}
    try:
        items = json.loads(bytes(data))["items"]
        return {str(k): str(v) for k, v in items.items()}
    except (ValueError, KeyError, TypeError, AttributeError):
        return {}  # an unreadable record marks nothing: the next sweep waits a grace period


def write_marks(store: Store, marks: Mapping[str, str]) -> None:
    body = json.dumps({"format": 1, "items": dict(sorted(marks.items()))}, indent=1)
    _put(store, MARKS, body.encode() + b"\n")


def declare(store: Store, hexes: Iterable[str], *, at: float) -> None:
    """Write the intents: from here on an upload of these digests waits."""
    body = _stamp(at)
    for hex_ in hexes:
        _put(store, f"{SWEEPING}/{hex_}", body)


def take_lease(store: Store, *, at: float) -> None:
    _put(store, LEASE, _stamp(at))


def _stamp(at: float) -> bytes:
    import socket  # gc's records only: an upload does not pay for it

    return json.dumps({"at": at, "host": socket.gethostname()}).encode() + b"\n"


def lease_time(store: Store) -> float | None:
    """When the running gc took its lease, or None when none runs."""
    return _time_in(store, LEASE)


def _put(store: Store, rel: str, body: bytes) -> None:
    with backend_errors(store.where, "write to"):
        write_blob(store.fs, store.path(rel), body, tmp_dir=store.tmp_dir)


# -- deleting ----------------------------------------------------------------------------------


def remove(store: Store, rels: Iterable[str]) -> None:
    """Delete these store-relative paths (files or folders), markers first: once a marker is
    gone no upload trusts the rest. What is already gone is no error."""
    wanted = list(rels)
    markers = [r for r in wanted if r.endswith(".complete")]
    rest = [r for r in wanted if not r.endswith(".complete")]
    for group in (markers, rest):
        with backend_errors(store.where, "delete from"):
            for rel in group:
                _remove_one(store, store.path(rel))
    store.fs.invalidate_cache(store.root)


def _remove_one(store: Store, path: str) -> None:
    try:
        if is_local(store.fs):
            _make_writable(path)
        if _CONTENT.match(posixpath.basename(path)) and "." in posixpath.basename(path):
            store.fs.rm_file(path)  # a marker or file list: no listing needed
        else:
            store.fs.rm(path, recursive=True)
    except FileNotFoundError:
        return


def forget(store: Store, folder: str, names: Iterable[str]) -> None:
    """Remove records (`touched/<hex>`, `sweeping/<hex>`, `lease`) under `folder`: files,
    deleted in one request where the store takes a list."""
    paths = [store.path(f"{folder}/{name}") for name in names]
    if not paths:
        return
    with backend_errors(store.where, "delete from"):
        if is_local(store.fs):
            for path in paths:
                with suppress(FileNotFoundError):
                    store.fs.rm_file(path)
        else:
            store.fs.rm(paths)  # no listing: one DeleteObjects; missing keys are no error
        store.fs.invalidate_cache(store.path(folder))


def _make_writable(path: str) -> None:
    """Stored files are read-only; on POSIX that does not stop a delete, elsewhere it would."""
    import os
    import stat

    if os.name != "nt" or not os.path.exists(path):
        return
    for top, _, files in os.walk(path):
        for name in files:
            os.chmod(os.path.join(top, name), stat.S_IWRITE | stat.S_IREAD)
    if os.path.isfile(path):
        os.chmod(path, stat.S_IWRITE | stat.S_IREAD)


def size_of(store: Store, rels: Iterable[str]) -> int:
    """The bytes these paths hold (what deleting them frees)."""
    total = 0
    with backend_errors(store.where, "read"):
        for rel in rels:
            try:
                total += int(store.fs.du(store.path(rel), total=True))
            except FileNotFoundError:
                continue
    return total
