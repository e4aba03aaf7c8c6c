"""Who and when a commit or a reflog entry names, as Git finds them (issue #5).

The name and email come from the environment (`GIT_AUTHOR_NAME`, `GIT_COMMITTER_EMAIL`,
...), then `author.*` / `committer.*`, then `user.*`, then `$EMAIL`, as Git's `ident.c` looks
for them; then a fallback naming modelreg, so a service with no Git identity can still write.
Lines are written as libgit2 and Git write them: `Name <email> 1700000000 +0100`.
"""

from __future__ import annotations

import datetime as dt
import os
from typing import TYPE_CHECKING, NamedTuple

from modelreg.errors import GitError

if TYPE_CHECKING:
    from modelreg.gitrepo.config import GitConfig

_SPACE = " \t\n\v\f\r"  # what libgit2 trims from a name and an email (`git__isspace`)


class Ident(NamedTuple):
    name: str
    email: str
    time: int  # seconds since the epoch
    offset: int  # minutes east of UTC

    def line(self) -> str:
        sign = "-" if self.offset < 0 else "+"
        hours, minutes = divmod(abs(self.offset), 60)
        return f"{self.name} <{self.email}> {self.time} {sign}{hours:02d}{minutes:02d}"


def who(config: GitConfig, role: str = "author") -> tuple[str, str]:
    """The (name, email) Git would write for `role` ("author" or "committer")."""
    env = os.environ
    upper = role.upper()
    name = (env.get(f"GIT_{upper}_NAME") or config.get(f"{role}.name")
            or config.get("user.name") or "modelreg")
    email = (env.get(f"GIT_{upper}_EMAIL") or config.get(f"{role}.email")
             or config.get("user.email") or env.get("EMAIL") or "modelreg@localhost")
    return name, email


def now_ident(config: GitConfig, role: str, moment: dt.datetime | None = None) -> Ident:
    """`role`'s identity at `moment` (now, in the local time zone), checked as libgit2 checks
    a signature: trimmed, not empty, no `<` or `>` (nor a line break, which would end it)."""
    local = (moment or dt.datetime.now()).astimezone()
    offset = int((local.utcoffset() or dt.timedelta()).total_seconds() // 60)
    name, email = (part.strip(_SPACE) for part in who(config, role))
    for part in (name, email):
        if not part or any(c in part for c in "<>\n"):
            raise GitError(f"Git {role} identity {part!r} cannot be written in a commit "
                           "(set user.name and user.email without '<', '>' or line breaks)")
    return Ident(name, email, int(local.timestamp()), offset)
