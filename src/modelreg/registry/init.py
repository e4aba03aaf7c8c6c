"""`modelreg init` and `modelreg codeowners`: the one-commit writes that set a registry up.

Both run the writer at the repository's root (prefix ''), because `--github` also writes
`.github/workflows/modelreg.yml` and CODEOWNERS there, beside a registry that may live in a
monorepo's subfolder: the registry's own paths are prefixed here, and it is all one commit.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from modelreg import github_files, layout, manifest
from modelreg.change import Change, OpContext, Operation
from modelreg.errors import AlreadyExists, InvalidParameter, RegistryNotFound
from modelreg.model import RegistryConfig
from modelreg.snapshot import Files, Snapshot

if TYPE_CHECKING:
    from modelreg.gitrepo import GitRepo
    from modelreg.registry import Registry

GITIGNORE = ".gitignore"


@dataclass(frozen=True, slots=True, kw_only=True)
class GithubSetup:
    """What `init --github` writes: the workflow (running `action`) and CODEOWNERS' block."""

    owners: github_files.Owners
    action: str = github_files.DEFAULT_ACTION


@dataclass(frozen=True, slots=True, kw_only=True)
class CodeownersResult:
    """`path`: the CODEOWNERS file (from the repository's root); `commit`: the new commit, or
    the unchanged tip when the block was up to date (`committed` False)."""

    path: str
    models: int
    commit: str
    committed: bool


def init_registry(
    path: Path, *, store: str = "artifacts", branch: str = "",
    storage_options: dict[str, Any] | None = None, github: GithubSetup | None = None,
) -> Path:
    """Create `registry.yaml` (a `.gitignore` line for a local store kept inside the folder,
    and with `github` the workflow and CODEOWNERS at the repository's root), as one commit.

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
    operation = _init_operation(folder, prefix, config, github, branch=_branch(repo, branch))
    ctx = OpContext.create(_actor(repo))
    operation(Snapshot(repo.tree_files(repo.head_commit(), "")), ctx)  # refuse before the claim
    opened = open_store(store, base_dir=folder, storage_options=storage_options)
    opened.claim(config.id)
    writer.apply(repo, "", operation, ctx)
    return folder


def _init_operation(
    folder: Path, prefix: str, config: RegistryConfig, github: GithubSetup | None, *,
    branch: str,
) -> Operation:
    ignore = _ignored_store_dir(config.store)

    def operation(snapshot: Snapshot, ctx: OpContext) -> Change:
        files = snapshot.files
        if files.read(_join(prefix, layout.REGISTRY_FILE)) is not None:
            raise AlreadyExists(f"{folder} is already a registry")
        writes = {_join(prefix, layout.REGISTRY_FILE): manifest.dump_registry(config)}
        if ignore:
            writes[_join(prefix, GITIGNORE)] = _gitignore(files.read(_join(prefix, GITIGNORE)),
                                                          ignore)
        if github is not None:
            writes.update(_github_writes(files, prefix, config, github, branch=branch))
        return Change(
            writes=dict(writes),
            op="registry-init",
            summary="Initialize modelreg registry",
            trailers=(("Registry-Id", config.id),),
        )

    return operation


def _github_writes(
    files: Files, prefix: str, config: RegistryConfig, github: GithubSetup, *, branch: str
) -> dict[str, bytes]:
    if files.read(github_files.WORKFLOW_PATH) is not None:
        raise AlreadyExists(
            f"{github_files.WORKFLOW_PATH} exists already; move it away, or run `modelreg init` "
            "without --github and then `modelreg codeowners`"
        )
    options = github_files.WorkflowOptions(prefix=prefix, branch=branch, action=github.action,
                                           store=config.store)
    workflow = github_files.render_workflow(options)
    path, text = _codeowners(files, prefix, [], github.owners)
    return {github_files.WORKFLOW_PATH: workflow.encode(), path: text.encode()}


def update_codeowners(registry: Registry, owners: github_files.Owners) -> CodeownersResult:
    """Rewrite the modelreg block of the repository's CODEOWNERS as one commit: an entry per
    model folder of `registry`, one for its `registry.yaml` and one for every `aliases.yaml`.
    Everything outside the block is kept byte for byte (`github_files.update_codeowners`)."""
    from modelreg import writer

    prefix = registry.prefix

    def operation(snapshot: Snapshot, ctx: OpContext) -> Change:
        files = snapshot.files
        if files.blob_id(_join(prefix, layout.REGISTRY_FILE)) is None:
            where = f"{prefix}/" if prefix else "the repository's root"
            raise RegistryNotFound(f"no registry.yaml in {where} on the branch written to")
        models = _join(prefix, layout.MODELS_DIR)
        dirs = [d for d in files.listdir(models)
                if not d.startswith(".") and files.blob_id(f"{models}/{d}") is None]
        path, text = _codeowners(files, prefix, dirs, owners)
        return Change(writes={path: text.encode()}, op="codeowners",
                      summary=f"Update the modelreg block of {path} ({_count(len(dirs))})",
                      result=(path, len(dirs)))

    ctx = OpContext.create(registry.actor)
    written = writer.apply(registry.repo, "", operation, ctx, ref=registry.ref)
    path, models = written.change.result
    return CodeownersResult(path=path, models=models, commit=written.commit,
                            committed=written.committed)


def _codeowners(
    files: Files, prefix: str, model_dirs: list[str], owners: github_files.Owners
) -> tuple[str, str]:
    """(the CODEOWNERS file GitHub reads, its new text)."""
    path = github_files.codeowners_path(
        p for p in github_files.CODEOWNERS_PATHS if files.blob_id(p) is not None
    )
    data = files.read(path)
    try:
        text = data.decode("utf-8") if data is not None else None
    except UnicodeDecodeError:
        raise InvalidParameter(f"{path} is not UTF-8 text; fix it before updating it") from None
    return path, github_files.update_codeowners(text, prefix, model_dirs, owners)


def _count(n: int) -> str:
    return f"{n} model folder{'s' * (n != 1)}"


def _join(prefix: str, path: str) -> str:
    return f"{prefix}/{path}" if prefix else path


def _gitignore(current: bytes | None, ignore: str) -> bytes:
    """The registry's `.gitignore` with the local store in it (an existing file is kept)."""
    line = f"/{ignore}/\n".encode()
    if current is None:
        return b"# the local artifact store is not kept in Git\n" + line
    if line.rstrip() in current.splitlines():
        return current
    return current + (b"" if current.endswith(b"\n") or not current else b"\n") + line


def _branch(repo: GitRepo, branch: str) -> str:
    """The registry branch the workflow checks pushes to: `--branch`, else HEAD's, else main."""
    head = repo.head_branch() or ""
    return branch or head.removeprefix("refs/heads/") or "main"


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
