"""The local verified artifact cache: files downloaded and verified once are reused (issue #6).

A serving process that downloads its model on every start would otherwise fetch and hash the
same bytes each time. A download whose every file matched its sha256 is kept here, by digest;
the next download of that digest hard-links the files into its destination (copying, and
hashing while copying, where a hard link fails: another device, too many links) and asks the
store for nothing, not even a `.files.json`.

Where: `artifacts/` in modelreg's cache folder (`remote.cachedir`: `$MODELREG_CACHE`, else
`$XDG_CACHE_HOME/modelreg`, else `~/.cache/modelreg`); `MODELREG_CACHE=off` turns it off. Any
entry, or the whole folder, can be deleted at any time. Layout:

```
<root>/sha256/<hex>/record.json   the file list (it must hash to <hex>) and each file's inode
<root>/sha256/<hex>/files/<path>  the files, read-only, with a sealed modification time
<root>/tmp/                       entries being built, then renamed into sha256/ whole
```

An entry is trusted only when complete: it is built in `tmp/` and renamed into place with
its record, so a crash leaves no half entry under `sha256/`. A hard link shares the file with
every destination it was placed in, so an edit in one destination edits the cache: cached files
are made read-only (root can still write them) and get a fixed modification time (SEALED), and
before a file is placed again its type, size, modification time and inode must be as recorded,
else it is re-hashed; a mismatch evicts the entry and the download goes to the store. What
this cannot see is a deliberate edit that restores the size and the time: the cache trusts the
machine's users as far as that (`MODELREG_CACHE=off` trusts nothing but the store).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from modelreg import digest
from modelreg.errors import ModelregError
from modelreg.model import ArtifactMode, Artifacts, FileEntry
from modelreg.store.hashing import check_entries, hash_copy, hash_local, sort_entries

SEALED = 1_000_000_000 * 1_000_000_000  # 2001-09-09T01:46:40Z, in ns: any write moves it
READ_ONLY = 0o444
_HEX = re.compile(r"^[0-9a-f]{64}$")


def cache_root() -> Path | None:
    """Where the cache lives, from the environment; None when it is turned off."""
    from modelreg.remote import cachedir

    if os.environ.get(cachedir.ENV_CACHE, "").strip().lower() in cachedir.OFF:
        return None
    return cachedir.cache_root() / cachedir.ARTIFACTS


def open_cache() -> ArtifactCache | None:
    root = cache_root()
    return ArtifactCache(root) if root is not None else None


@dataclass(frozen=True, slots=True)
class ArtifactCache:
    root: Path

    def entry(self, artifacts: Artifacts) -> Path | None:
        """The folder of `artifacts`' digest (None for what cannot be cached)."""
        hexdigest = digest.bare(artifacts.digest)
        if artifacts.mode is ArtifactMode.UNVERIFIED or not _HEX.match(hexdigest):
            return None
        return self.root / "sha256" / hexdigest

    def files(self, artifacts: Artifacts) -> tuple[FileEntry, ...] | None:
        """The file list of a complete entry, checked against the digest; None without one."""
        folder = self.entry(artifacts)
        if folder is None:
            return None
        try:
            record = json.loads((folder / "record.json").read_bytes())
            files = sort_entries(FileEntry(path=str(f["path"]), size=int(f["size"]),
                                           sha256=str(f["sha256"])) for f in record["files"])
            check_entries(artifacts, files, where=str(folder))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError, ModelregError):
            self.evict(folder)  # unreadable or not this digest's: never trusted
            return None
        return files

    def place(self, artifacts: Artifacts, files: Sequence[FileEntry], into: Path,
              progress: Any) -> bool:
        """Put every file of the entry into the empty folder `into`, each checked; False
        (`into` emptied again, a bad entry evicted) when the entry cannot be used."""
        folder = self.entry(artifacts)
        if folder is None:
            return False
        inodes = _inodes(folder)
        try:
            for entry in files:
                if not _place(folder / "files" / entry.path, into / entry.path, entry,
                              inodes.get(entry.path)):
                    raise _Bad
                progress.relative_update(entry.size)
        except (OSError, _Bad):
            self.evict(folder)
            _empty(into)
            return False
        return True

    def keep(self, artifacts: Artifacts, files: Sequence[FileEntry], folder: Path) -> None:
        """Add the verified files in `folder` as the digest's entry (nothing when one is there
        or it cannot be written: the cache never fails a download). The files in `folder`
        become read-only and sealed too: they are the same files."""
        final = self.entry(artifacts)
        if final is None or final.exists():
            return
        build = self.root / "tmp" / secrets.token_hex(8)
        try:
            (build / "files").mkdir(parents=True)
            inodes = {f.path: _seal_into(folder / f.path, build / "files" / f.path) for f in files}
            body = {"digest": artifacts.digest, "inodes": inodes,
                    "files": [{"path": f.path, "size": f.size, "sha256": f.sha256} for f in files]}
            (build / "record.json").write_text(json.dumps(body, ensure_ascii=False))
            final.parent.mkdir(parents=True, exist_ok=True)
            os.rename(build, final)  # another process's entry there already: keep that one
        except OSError:
            shutil.rmtree(build, ignore_errors=True)

    def evict(self, folder: Path) -> None:
        """Take an entry away whole (renamed out first: a reader sees it or nothing)."""
        if not folder.exists():
            return
        trash = self.root / "tmp" / f"evicted-{secrets.token_hex(8)}"
        try:
            trash.parent.mkdir(parents=True, exist_ok=True)
            os.rename(folder, trash)
        except OSError:
            return
        shutil.rmtree(trash, ignore_errors=True)


class _Bad(Exception):
    """A cached file that is not what its record says."""


def _inodes(folder: Path) -> dict[str, int]:
    try:
        inodes = json.loads((folder / "record.json").read_bytes()).get("inodes", {})
    except (OSError, ValueError, AttributeError):
        return {}
    return inodes if isinstance(inodes, dict) else {}


def _place(cached: Path, target: Path, entry: FileEntry, inode: int | None) -> bool:
    """Hard-link (else copy, hashing) one cached file to `target`; False when it changed."""
    info = os.lstat(cached)
    if not stat.S_ISREG(info.st_mode):
        return False
    sealed = (info.st_size, info.st_mtime_ns, info.st_ino) == (entry.size, SEALED, inode)
    if not sealed and hash_local(cached, size_hint=entry.size) != (entry.size, entry.sha256):
        return False  # in doubt, re-hashed, and changed
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(cached, target, follow_symlinks=False)
        return True
    except OSError:  # another device, too many links, links not supported: copy
        pass
    with open(cached, "rb", buffering=0) as src, open(target, "xb") as out:
        got = hash_copy(src.readinto, size_hint=entry.size, write=out.write)
    return got == (entry.size, entry.sha256)


def _seal_into(source: Path, cached: Path) -> int:
    """Link (else copy) a verified file into an entry being built; read-only, sealed."""
    cached.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, cached, follow_symlinks=False)
    except OSError:
        shutil.copyfile(source, cached, follow_symlinks=False)
    os.chmod(cached, READ_ONLY)
    os.utime(cached, ns=(SEALED, SEALED))
    return os.lstat(cached).st_ino


def _empty(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
