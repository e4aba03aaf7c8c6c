"""The artifact store: a content-addressed folder tree in any fsspec filesystem (DESIGN §2).

```
<store>/.modelreg/registries/<registry-id>   the registries that use this store (for gc)
<store>/sha256/<hex>/<path>                  the files of one version, immutable
<store>/sha256/<hex>.files.json              the file list, past 1,000 files
<store>/sha256/<hex>.complete                written last: the folder is whole
```
"""

from __future__ import annotations

import io
import posixpath
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, NamedTuple

from modelreg.errors import ArtifactError, IntegrityError, InvalidParameter
from modelreg.model import ArtifactMode, Artifacts, FileEntry
from modelreg.store import records, sweep
from modelreg.store.backend import Opened, backend_errors, open_url, protocol_of
from modelreg.store.credentials import redact
from modelreg.store.hashing import check_entries, sort_entries, stored_uri
from modelreg.store.transfer import Got, read_files, sized_pool, workers_for, write_blob

_REGISTRY_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


class Sources(NamedTuple):
    """Where a version's files are read from: a filesystem, a name for messages, the paths."""

    fs: Any
    where: str
    pairs: list[tuple[FileEntry, str]]


class LazyOpen:
    """Opens the store's filesystem once, when something first needs it."""

    def __init__(self, open_fn: Callable[[], Opened]) -> None:
        self._open = open_fn
        self._opened: Opened | None = None

    def get(self) -> Opened:
        if self._opened is None:
            self._opened = self._open()
        return self._opened


@dataclass(frozen=True, slots=True, kw_only=True)
class Store:
    """An opened artifact store. Build it with `open_store`."""

    url: str
    opener: LazyOpen
    protocol: str | None = None
    storage_options: Mapping[str, Any] = field(default_factory=dict)
    concurrency: int | None = None  # requests in flight; None: $MODELREG_TRANSFER_CONCURRENCY

    @property
    def fs(self) -> Any:
        """The fsspec filesystem (opened on first use)."""
        return self.opener.get().fs

    @property
    def root(self) -> str:
        """The store's path inside `fs`."""
        return self.opener.get().root

    @property
    def where(self) -> str:
        return f"artifact store {self.url}"

    def path(self, rel: str) -> str:
        """The filesystem path of `rel` inside the store."""
        return posixpath.join(self.root, rel) if self.root else rel

    @property
    def tmp_dir(self) -> str:
        return self.path(".modelreg/tmp")

    # -- registries -----------------------------------------------------------------------

    def claim(self, registry_id: str) -> None:
        """Record that the registry `registry_id` keeps artifacts here (gc reads it)."""
        if not _REGISTRY_ID.match(registry_id):
            raise InvalidParameter(f"registry id {registry_id!r} is not a plain name")
        body = f'{{"registry_id": "{registry_id}"}}\n'.encode()
        with backend_errors(self.where, "write to"):
            write_blob(self.fs, self.path(f".modelreg/registries/{registry_id}"), body,
                       tmp_dir=self.tmp_dir)

    def registries(self) -> tuple[str, ...]:
        """The ids of the registries that claimed this store."""
        folder = self.path(".modelreg/registries")
        with backend_errors(self.where, "read"):
            try:
                self.fs.invalidate_cache(folder)
                names = self.fs.ls(folder, detail=False)
            except FileNotFoundError:
                return ()
        return tuple(sorted(posixpath.basename(str(n).rstrip("/")) for n in names))

    # -- writing --------------------------------------------------------------------------

    def upload(self, local: Path, *, callback: Any = None) -> Artifacts:
        """Copy a local file or folder into the store (mode STORED). No byte moves when the
        same content is complete there already; an unfinished copy is finished."""
        from modelreg.store.upload import upload

        return upload(self, Path(local), callback=callback)

    def reference(self, uri: str, *, callback: Any = None) -> Artifacts:
        """Record the digests of the files at `uri` where they are (mode REFERENCE), or mode
        UNVERIFIED when nothing can be read there."""
        from modelreg.store.reference import reference

        return reference(self, uri, callback=callback)

    def write_file_list(self, artifacts: Artifacts, files: tuple[FileEntry, ...]) -> Artifacts:
        """Keep a long file list in the store; the artifacts then point at it."""
        rel = records.files_uri(stored_uri(artifacts.digest))
        with backend_errors(self.where, "write to"):
            sweep.guard(self, artifacts.digest)  # it is in sha256/: gc's race (sweep.py)
            write_blob(self.fs, self.path(rel), records.dump_files(artifacts, files),
                       tmp_dir=self.tmp_dir)
        from dataclasses import replace

        return replace(artifacts, files=(), files_uri=rel)

    # -- reading --------------------------------------------------------------------------

    def location(self, artifacts: Artifacts) -> str:
        """The absolute URL of the version's files."""
        if artifacts.mode is ArtifactMode.STORED:
            return f"{self.url}/{artifacts.uri}"
        return artifacts.uri

    def files(self, artifacts: Artifacts) -> tuple[FileEntry, ...]:
        """The version's files, read from `files_uri` when the list is kept in the store, and
        checked against the digest either way."""
        if artifacts.mode is ArtifactMode.UNVERIFIED:
            return ()
        where = redact(self.location(artifacts))
        if artifacts.files_uri:
            files = self._read_file_list(artifacts, where)
        else:
            files = sort_entries(artifacts.files)
        check_entries(artifacts, files, where=where)
        return files

    def _read_file_list(self, artifacts: Artifacts, where: str) -> tuple[FileEntry, ...]:
        rel = artifacts.files_uri
        if not records.is_files_uri(rel):
            raise IntegrityError(f"the file list of {where} is at {rel!r}, not in the store's "
                                 "sha256/ folder")
        missing = f"the file list {rel} of {where} is missing from {self.where}"
        with backend_errors(self.where, "read", missing=missing):
            data = self.fs.cat_file(self.path(rel))
        return sort_entries(records.parse_files(bytes(data), where=f"{self.url}/{rel}"))

    def read_file(self, artifacts: Artifacts, path: str) -> bytes | None:
        """One file's bytes, verified against its sha256; None when the version has no such
        file (or its artifacts are unverified)."""
        if artifacts.mode is ArtifactMode.UNVERIFIED:
            return None
        entry = next((f for f in self.files(artifacts) if f.path == path), None)
        if entry is None:
            return None
        sources = self.sources(artifacts, (entry,))
        buffer = io.BytesIO()

        @contextmanager
        def into_buffer(_: FileEntry) -> Iterator[IO[bytes]]:
            yield buffer

        from fsspec.callbacks import DEFAULT_CALLBACK

        with backend_errors(sources.where, "read"):
            for got in read_files(sources.fs, sources.pairs, opener=into_buffer,
                                  callback=DEFAULT_CALLBACK):
                raise_unless_ok(got, sources.where)
        return buffer.getvalue()

    def download(self, artifacts: Artifacts, dest: Path, *, callback: Any = None) -> Path:
        """Fetch every file into `dest` (created whole or not at all), each sha256 verified."""
        from modelreg.store.download import download

        return download(self, artifacts, Path(dest), callback=callback)

    def verify(self, artifacts: Artifacts) -> list[str]:
        """What is wrong with the version's files where they are: one line per file missing or
        changed ([] when all is well, and for unverified artifacts, which record nothing)."""
        from modelreg.store.download import verify

        return verify(self, artifacts)

    def workers(self, fs: Any) -> int:
        """How many files a transfer on `fs` moves at once (1 unless it is remote and async)."""
        return workers_for(fs, self.concurrency)

    def sources(self, artifacts: Artifacts, files: Sequence[FileEntry]) -> Sources:
        """Where each file of `files` is read from."""
        if artifacts.mode is ArtifactMode.UNVERIFIED:
            raise ArtifactError(
                f"the artifacts at {redact(artifacts.uri)!r} are unverified (nothing could be "
                "read there when the version was registered) and cannot be downloaded with "
                "verification; fetch them from their source yourself"
            )
        if artifacts.mode is ArtifactMode.STORED:
            if not records.is_stored_uri(artifacts.uri) or (
                artifacts.uri != stored_uri(artifacts.digest)
            ):
                raise IntegrityError(f"stored artifacts at {artifacts.uri!r} do not match their "
                                     f"digest {artifacts.digest}")
            base = self.path(artifacts.uri)
            pairs = [(f, f"{base}/{f.path}") for f in files]
            return Sources(self.fs, self.location(artifacts), pairs)
        return self._reference_sources(artifacts, files)

    def _reference_sources(self, artifacts: Artifacts, files: Sequence[FileEntry]) -> Sources:
        where = f"referenced artifacts at {redact(artifacts.uri)}"
        opened = self.open_reference(artifacts.uri)
        root = opened.root
        with backend_errors(where, "read"):
            single = artifacts.file_count == 1 and opened.fs.isfile(root)
        pairs = [(f, root if single else f"{root}/{f.path}") for f in files]
        return Sources(opened.fs, redact(artifacts.uri), pairs)

    def open_reference(self, uri: str) -> Opened:
        """The filesystem of a reference; the store's storage options apply to its protocol."""
        protocol = protocol_of(uri)
        same = protocol is not None and protocol == self.protocol
        options = sized_pool(protocol, self.storage_options if same else None, self.concurrency)
        return open_url(uri, base_dir=Path.cwd(), label="referenced artifacts at",
                        storage_options=options)


def raise_unless_ok(got: Got, where: str) -> None:
    """ArtifactError for a missing file, IntegrityError for a changed one."""
    if got.ok:
        return
    problem = describe(got)
    error = ArtifactError if got.found is None else IntegrityError
    raise error(f"file {got.entry.path!r} of {where} {problem}")


def describe(got: Got) -> str:
    entry = got.entry
    if got.found is None:
        return "is missing"
    if got.longer:
        return (f"does not match its sha256 (expected {entry.sha256}, got a file longer than "
                f"its {entry.size} bytes)")
    return f"does not match its sha256 (expected {entry.sha256}, got {got.found.sha256})"
