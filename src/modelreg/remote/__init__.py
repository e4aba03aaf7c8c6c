"""Registries on a Git remote, read through a cached clone (DESIGN §3, issue #6).

`modelreg+https://host/org/repo.git?ref=main&path=ml/registry` (likewise `+ssh`, `+git`,
`+file`, `+http`; `git+https://...` is the same) names a registry in a remote repository.
`modelreg.location` parses it; `CachedClone` keeps a bare clone of that one branch under
`<cache>/registries/` (`cachedir`) and fetches it again when its last fetch is older than
`max_age`. Reads only: writes to such a registry are refused (`read_only`), since a cache
shared by every process on a machine is nobody's clone to commit in.

Like `gitrepo` and `store`, this package touches the world (it runs `git`); it is imported
only when a registry is named by a remote URI.
"""

from __future__ import annotations

from modelreg.errors import InvalidParameter
from modelreg.location import RemoteSource
from modelreg.remote.cached import DEFAULT_MAX_AGE, ENV_MAX_AGE, CachedClone, StaleRegistryWarning


class ReadOnlyRegistry(InvalidParameter):
    """A write to a registry opened by a remote URI."""


def read_only(source: RemoteSource) -> ReadOnlyRegistry:
    return ReadOnlyRegistry(
        f"{source.uri} is read through a cached clone and cannot be written; clone the "
        f"repository (git clone {source.url}) and write from the clone with --push or "
        "--propose"
    )


__all__ = [
    "DEFAULT_MAX_AGE",
    "ENV_MAX_AGE",
    "CachedClone",
    "ReadOnlyRegistry",
    "StaleRegistryWarning",
    "read_only",
]
