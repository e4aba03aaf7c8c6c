"""What a landed write returns: the writer's fields (`change`, `commit`, `retries`,
`committed`) and where it went."""

from __future__ import annotations

from dataclasses import dataclass

from modelreg.change import Change


@dataclass(frozen=True, slots=True, kw_only=True)
class Pushed:
    """A write pushed to `branch` of `remote`.

    `commit` is the commit now on the remote (the unchanged tip when nothing needed writing);
    `retries` counts the tries after the first; `deduplicated` says an earlier try had landed
    though its answer was lost (found by its `Modelreg-Op-Id`). `local` says, in words, why the
    local branch or checkout was left where it was ('' when it was brought along or absent).
    """

    change: Change
    commit: str
    retries: int
    committed: bool
    remote: str
    branch: str
    deduplicated: bool = False
    local: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Proposal:
    """A write proposed as `branch` of `remote`, to be merged into `base`.

    `url` is the pull request's page when one was opened (`number` is then set), else the
    forge's compare page to open one from ('' when the remote is not on a known forge).
    """

    change: Change
    commit: str
    retries: int
    committed: bool
    remote: str
    branch: str
    base: str
    url: str = ""
    number: int | None = None
    opened: bool = False
