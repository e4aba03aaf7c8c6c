"""Small builders shared by tests: a registry in a real Git repository, model folders."""

from __future__ import annotations

import subprocess
from pathlib import Path

from modelreg import Registry


def make_model(
    folder: Path, content: str = "weights\n", files: dict[str, str] | None = None
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for rel, text in (files or {"model.bin": content}).items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(text)
    return folder


def init_registry(repo: Path, sub: str = "registry", **kwargs: object) -> Registry:
    return Registry.init(repo / sub, **kwargs)  # type: ignore[arg-type]


def git_out(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True)
    return done.stdout


def repo_state(repo: Path, store: Path | None = None) -> dict[str, object]:
    """What 'nothing changed' means: refs, status, objects, and the store's files."""
    objects = sorted(p.relative_to(repo / ".git/objects").as_posix()
                     for p in (repo / ".git/objects").rglob("*") if p.is_file())
    state: dict[str, object] = {
        "refs": git_out(repo, "for-each-ref", "--format=%(refname) %(objectname)"),
        "head": git_out(repo, "rev-parse", "HEAD"),
        "status": git_out(repo, "status", "--porcelain", "--untracked-files=all"),
        "objects": objects,
    }
    if store is not None:
        files = store.rglob("*") if store.exists() else ()
        state["store"] = sorted(str(p.relative_to(store)) for p in files)
    return state
