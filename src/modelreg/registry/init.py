"""`modelreg init`: turn a folder of a Git work tree into a registry, as one commit."""

from __future__ import annotations

import uuid
from pathlib import Path, PurePosixPath
from typing import Any

from modelreg import layout, manifest
from modelreg.change import Change, OpContext
from modelreg.errors import AlreadyExists, InvalidParameter
from modelreg.model import RegistryConfig
from modelreg.snapshot import Snapshot

GITIGNORE = ".gitignore"


def init_registry(
    path: Path, *, store: str = "artifacts", branch: str = "",
    storage_options: dict[str, Any] | None = None,
) -> Path:
    """Create `registry.yaml` (and a `.gitignore` for a local store kept inside the folder).

    The store's URL is checked and the registry's id recorded in it before the commit, so a
    store that cannot be reached refuses the init instead of leaving a registry without one.
    """
    from modelreg import writer
    from modelreg.gitrepo import GitRepo
    from modelreg.store import open_store

    folder = Path(path).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    repo = GitRepo.discover(folder)
    if repo.workdir is None:
        raise InvalidParameter(f"{folder} is a bare repository; run `modelreg init` in a checkout")
    _refuse_existing(folder, repo.workdir.resolve())
    prefix = folder.relative_to(repo.workdir.resolve()).as_posix()
    prefix = "" if prefix == "." else prefix
    config = RegistryConfig(id=str(uuid.uuid4()), store=store, branch=branch)
    opened = open_store(store, base_dir=folder, storage_options=storage_options)
    opened.claim(config.id)
    ignore = _ignored_store_dir(store)

    def operation(snapshot: Snapshot, ctx: OpContext) -> Change:
        if snapshot.files.read(layout.REGISTRY_FILE) is not None:
            raise AlreadyExists(f"{folder} is already a registry")
        writes: dict[str, bytes | None] = {layout.REGISTRY_FILE: manifest.dump_registry(config)}
        if ignore:
            note = "# the local artifact store is not kept in Git\n"
            writes[GITIGNORE] = f"{note}/{ignore}/\n".encode()
        return Change(
            writes=writes,
            op="registry-init",
            summary="Initialize modelreg registry",
            trailers=(("Registry-Id", config.id),),
        )

    ctx = OpContext.create(_actor(repo))
    writer.apply(repo, prefix, operation, ctx)
    return folder


def _refuse_existing(folder: Path, top: Path) -> None:
    if (folder / layout.REGISTRY_FILE).exists():
        raise AlreadyExists(f"{folder} is already a registry ({layout.REGISTRY_FILE} exists)")
    for parent in folder.parents:
        if (parent / layout.REGISTRY_FILE).exists():
            raise InvalidParameter(
                f"{folder} is inside the registry at {parent}; registries do not nest"
            )
        if parent == top:
            break


def _ignored_store_dir(store: str) -> str:
    """A relative local store inside the registry folder is kept out of Git."""
    if "://" in store or store.startswith("/"):
        return ""
    parts = PurePosixPath(store).parts
    if not parts or ".." in parts:
        return ""
    return "/".join(parts)


def _actor(repo: object) -> str:
    import os

    identity = getattr(repo, "user_identity", None)
    return os.environ.get("MODELREG_ACTOR") or (identity() if identity else "unknown")
