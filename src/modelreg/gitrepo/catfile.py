"""Git objects read through one persistent `git cat-file --batch` process (DESIGN §6).

A resolve reads about five small objects. libgit2 reads them faster once loaded, but importing
pygit2 costs a CLI process ~70 ms, half of its budget; one `git cat-file` answers each request
in C in a fraction of a millisecond over a pipe, and Git walks the path of `<commit>:<path>`
itself. Writes, history and the index still use libgit2, imported only when they run.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import threading
import weakref
from pathlib import Path
from typing import IO, NamedTuple

from modelreg.errors import GitError

_KINDS = frozenset({b"blob", b"tree", b"commit", b"tag"})


class Obj(NamedTuple):
    id: str
    kind: str
    data: bytes


class CatFile:
    """One `git cat-file --batch` for a repository, started on the first request."""

    def __init__(self, git_dir: Path) -> None:
        self.git_dir = git_dir
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self._stop: weakref.finalize[..., CatFile] | None = None

    def get(self, spec: str) -> Obj | None:
        """The object `spec` names (`<commit>:<path>`, an id, `HEAD~1^{commit}`), or None."""
        if "\n" in spec:
            return None
        with self._lock:
            stdin, stdout = self._pipes()
            try:
                stdin.write(spec.encode("utf-8") + b"\n")
                stdin.flush()
                header = stdout.readline()
                parts = header.split()
                if len(parts) != 3 or parts[1] not in _KINDS:
                    if not header:
                        self._reset()
                        raise GitError(f"git cat-file stopped reading {self.git_dir}")
                    return None
                data = stdout.read(int(parts[2]) + 1)[:-1]
            except (BrokenPipeError, ValueError) as exc:
                self._reset()
                raise GitError(f"git cat-file failed on {self.git_dir}: {exc}") from None
        return Obj(parts[0].decode(), parts[1].decode(), data)

    def _pipes(self) -> tuple[IO[bytes], IO[bytes]]:
        if self._proc is None:
            from modelreg.gitrepo.repo import git_env

            env = {**git_env(), "GIT_DIR": str(self.git_dir)}
            try:
                proc = subprocess.Popen(
                    ["git", "cat-file", "--batch"], stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=self.git_dir, env=env,
                )
            except FileNotFoundError:
                raise GitError("git is not installed (modelreg needs the git command)") from None
            self._proc = proc
            self._stop = weakref.finalize(self, _stop, proc)
        assert self._proc.stdin is not None and self._proc.stdout is not None
        return self._proc.stdin, self._proc.stdout

    def _reset(self) -> None:
        if self._stop is not None:
            self._stop()
        self._proc = None
        self._stop = None

    def close(self) -> None:
        with self._lock:
            self._reset()


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """End the process and reap it (an unreaped child is a ResourceWarning)."""
    for stream in (proc.stdin, proc.stdout):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def parse_tree(data: bytes) -> dict[str, tuple[int, str]]:
    """A raw tree object's entries: name -> (mode, id)."""
    out: dict[str, tuple[int, str]] = {}
    pos = 0
    end = len(data)
    while pos < end:
        space = data.index(b" ", pos)
        nul = data.index(b"\0", space)
        mode = int(data[pos:space], 8)
        name = os.fsdecode(data[space + 1 : nul])
        out[name] = (mode, data[nul + 1 : nul + 21].hex())
        pos = nul + 21
    return out
