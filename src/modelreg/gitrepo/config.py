"""Git's configuration of a repository, read without libgit2 (issue #5).

A write reads a few settings (the identity, `commit.gpgSign`, compression, `gc.auto`, ...);
importing pygit2 for them cost a CLI write 50-80 ms. One `git config --list` answers them all
in ~2 ms with Git's own meaning: every scope (system, global, local, worktree, `-c` and
`GIT_CONFIG_*` in the environment), includes and conditional includes. Values are read as
Git reads them (`yes`/`on`/`1`, `8k`, `0x10`).

The answer is kept per repository and environment and used again while the files it came
from are unchanged (a stat each), so a long-running service sees an edited configuration as
libgit2 let it, and a process that writes many times starts one `git config`.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import NamedTuple

from modelreg.errors import GitError

_TRUE = frozenset({"true", "yes", "on"})
_FALSE = frozenset({"false", "no", "off", ""})
_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}
_INT = re.compile(r"^\s*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)([kKmMgG]?)\Z")
Stamp = tuple[tuple[str, int, int, int], ...]


class _Cached(NamedTuple):
    stamp: Stamp
    config: GitConfig


_cache: dict[tuple[str, tuple[str | None, ...]], _Cached] = {}
_ENV = ("HOME", "XDG_CONFIG_HOME", "GIT_CONFIG_GLOBAL", "GIT_CONFIG_SYSTEM",
        "GIT_CONFIG_NOSYSTEM", "GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT", "GIT_CONFIG")


class GitConfig:
    """Settings as `git config --list` gives them: the last value of a key wins, as in Git;
    a key written without `=` has the value None (true, for a boolean)."""

    def __init__(self, entries: dict[str, str | None]) -> None:
        self.entries = entries

    def has(self, key: str) -> bool:
        return canonical(key) in self.entries

    def get(self, key: str) -> str | None:
        return self.entries.get(canonical(key))

    def get_bool(self, key: str) -> bool | None:
        """The setting as a boolean, None when unset; ValueError when Git would refuse it."""
        key = canonical(key)
        if key not in self.entries:
            return None
        return parse_bool(self.entries[key])

    def get_int(self, key: str) -> int | None:
        """The setting as an integer, None when unset; ValueError when Git would refuse it."""
        value = self.entries.get(canonical(key))
        return None if value is None else parse_int(value)


def canonical(key: str) -> str:
    """A key as Git lists it: section and name lowercased, a subsection kept as it is."""
    section, _, rest = key.partition(".")
    middle, dot, name = rest.rpartition(".")
    return f"{section.lower()}.{middle}{dot}{name.lower()}"


def parse_bool(value: str | None) -> bool:
    """Git's `git_config_bool`: no value is true, then the words, then any integer."""
    if value is None:
        return True
    word = value.lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    return parse_int(value) != 0


def parse_int(value: str) -> int:
    """Git's `git_parse_int`: C's `strtol` with base 0 (`0x10`, `010`), then k, m or g."""
    match = _INT.match(value)
    if match is None:
        raise ValueError(f"bad numeric config value {value!r}")
    sign, digits, unit = match.groups()
    base = 16 if digits[:2].lower() == "0x" else 8 if digits.startswith("0") else 10
    number = int(digits[2:] if base == 16 else digits, base)
    return (-number if sign == "-" else number) * _UNITS[unit.lower()]


def load(git_dir: Path) -> GitConfig:
    """The configuration a `git` command in `git_dir` sees now."""
    key = (str(git_dir), _env_key())
    cached = _cache.get(key)
    if cached is not None and cached.stamp == _stamp(cached.stamp):
        return cached.config
    from modelreg.gitrepo.repo import git_env

    env = git_env()
    standard = _standard(git_dir, env)
    before = _stamp_of(standard)  # taken first: an edit while Git reads is seen next time
    proc = subprocess.run(
        ["git", f"--git-dir={git_dir}", "config", "--list", "--show-origin", "-z"],
        cwd=git_dir, capture_output=True, env=env, check=False,
    )
    if proc.returncode != 0:
        last = (proc.stderr.decode(errors="replace").strip().splitlines() or ["failed"])[-1]
        raise GitError(f"could not read Git's configuration of {git_dir}: {last}")
    entries, files = _parse(proc.stdout, git_dir)
    config = GitConfig(entries)
    _cache[key] = _Cached(tuple(sorted(before + _stamp_of(files - standard))), config)
    return config


def _env_key() -> tuple[str | None, ...]:
    """The environment variables that change which files Git reads or what they say (read
    one by one: a write asks for its configuration about ten times)."""
    get = os.environ.get
    values = [get(name) for name in _ENV]
    count = get("GIT_CONFIG_COUNT") or ""
    for i in range(int(count) if count.isdigit() else 0):
        values += [get(f"GIT_CONFIG_KEY_{i}"), get(f"GIT_CONFIG_VALUE_{i}")]
    return tuple(values)


def _parse(out: bytes, git_dir: Path) -> tuple[dict[str, str | None], set[str]]:
    """`--show-origin -z` output: origin NUL key [LF value] NUL, repeated."""
    fields = out.decode("utf-8", errors="surrogateescape").split("\0")[:-1]
    entries: dict[str, str | None] = {}
    files = set()
    for origin, item in zip(fields[0::2], fields[1::2], strict=True):
        if origin.startswith("file:"):
            files.add(str(git_dir / origin[5:]))  # a relative path is relative to git_dir
        name, newline, value = item.partition("\n")
        entries.pop(name, None)  # the last one wins, and keeps its place last
        entries[name] = value if newline else None
    return entries, files


def _standard(git_dir: Path, env: dict[str, str]) -> set[str]:
    """The files Git reads when they exist, so that one created later is noticed."""
    home = env.get("HOME", "")
    xdg = env.get("XDG_CONFIG_HOME") or os.path.join(home, ".config")
    files = {str(git_dir / "config"), str(git_dir / "config.worktree"),
             env.get("GIT_CONFIG_SYSTEM", "/etc/gitconfig")}
    commondir = git_dir / "commondir"
    if commondir.is_file():
        files.add(str((git_dir / commondir.read_text().strip()) / "config"))
    if "GIT_CONFIG_GLOBAL" in env:
        files.add(env["GIT_CONFIG_GLOBAL"])
    else:
        files |= {os.path.join(home, ".gitconfig"), os.path.join(xdg, "git", "config")}
    return {f for f in files if f}


def _stamp_of(files: set[str]) -> Stamp:
    return _stamp(tuple((name, 0, 0, 0) for name in sorted(files)))


def _stamp(previous: Stamp) -> Stamp:
    """The files' (name, mtime, size, inode) now; zeros for a file that does not exist."""
    out = []
    for name, *_ in previous:
        try:
            st = os.stat(name)
        except OSError:
            out.append((name, 0, 0, 0))
        else:
            out.append((name, st.st_mtime_ns, st.st_size, st.st_ino))
    return tuple(out)
