"""Symbolic links and submodules a change puts in the registry folder (issue #6).

Git keeps a link as the path it points at, and the registry reads no links: a tree read sees
neither a file nor a folder there, so a link in place of a manifest (or of a model folder)
reads as absent while a reviewer sees a file, and in a checkout it may point outside the
registry. Each one the change adds is an error naming it and its target. Pure: `run` reads
what each hidden path holds from Git.
"""

from __future__ import annotations

from collections.abc import Mapping

from modelreg.check import codes
from modelreg.problems import Problem


def link_problems(hidden: Mapping[str, bytes | None]) -> list[Problem]:
    """One finding per path the change adds as a link (its target) or a submodule (None)."""
    found = []
    for path, target in sorted(hidden.items()):
        if target is None:
            found.append(Problem(
                path=path, code=codes.SUBMODULE,
                message="a submodule (a commit of another repository) in the registry folder: "
                "the registry reads only files committed here; remove it"))
            continue
        shown = target.decode("utf-8", "backslashreplace")[:200]
        found.append(Problem(
            path=path, code=codes.SYMLINK,
            message=f"a symbolic link (to {shown!r}) in the registry folder: the registry reads "
            "no links (Git keeps the path it points at, so what is reviewed is not what would "
            "be read, and it may point outside the registry); commit the file itself"))
    return found
