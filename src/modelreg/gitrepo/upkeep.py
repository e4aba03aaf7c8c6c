"""Git's automatic maintenance for a repository written by plumbing (issue #5).

`git commit` runs `git gc --auto`; commits made from objects do not, so the writer asks here
after each write. Each write leaves ~7 loose objects (one is the `models` tree, 320 KB at
100,000 versions), so without it loose objects pile up: `gc.auto` (6,700) is passed about
every 1,000 writes. Git's own estimate is used (the objects in one of the 256 folders), and
`git gc --auto` is started detached: its foreground part (packing refs, expiring reflogs,
~0.2 s) and the repack that follows never hold up the write that started them.

Writes go on while it repacks, so it often ends with more loose objects than `gc.auto` again
and says so in `.git/gc.log`, which stops every later `git gc --auto` for `gc.logExpiry` (a
day): 10,000 writes then leave 35,000 loose objects (2 GB) where they should leave a few
thousand. The writer's runs ignore that log (`gc.logExpiry=now`); there is at most one run
every INTERVAL (a writer doing 100 writes a second passes `gc.auto` about that often).
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path

from modelreg.gitrepo.repo import GitRepo, git_env

STAMP = "modelreg/gc-started"
INTERVAL = 10.0  # seconds between two starts (a start while one runs exits at once: Git's lock)
_LOOSE = re.compile(r"^[0-9a-f]{38}$")


def needs_gc(repo: GitRepo) -> bool:
    """Whether `git gc --auto` would repack: more loose objects in `objects/17` than
    `gc.auto` / 256, rounded up, as Git counts them; not twice within INTERVAL."""
    limit = repo.config_int("gc.auto", 6700)
    if limit <= 0:
        return False
    sample = repo.found.common_dir / "objects" / "17"
    try:
        loose = sum(1 for name in os.listdir(sample) if _LOOSE.match(name))
    except FileNotFoundError:
        return False
    return loose > -(-limit // 256) and not _recent(repo.git_dir / STAMP, INTERVAL)


def start_gc(repo: GitRepo) -> None:
    """Start `git gc --auto` in the background and return at once (a shell starts it and
    exits, so no child is left to reap); where there is no POSIX shell, wait for its
    foreground part, after which Git detaches by itself."""
    stamp = repo.git_dir / STAMP
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.touch()
    gc = ["git", "-c", "gc.logExpiry=now", "gc", "--auto", "--quiet"]
    args = ["sh", "-c", " ".join(gc) + " &"] if os.name == "posix" else gc
    subprocess.run(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, cwd=repo.git_dir, env=git_env(), check=False)


def _recent(path: Path, seconds: float) -> bool:
    try:
        return time.time() - path.stat().st_mtime < seconds
    except FileNotFoundError:
        return False
