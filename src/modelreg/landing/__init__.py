"""Landing a write on a remote (DESIGN §4): `push` (commit and push to the registry branch,
with retries and operation-id dedupe) and `propose` (a branch and a pull request); and what
follows a proposal: its status, `rebase`, `revert`."""

from __future__ import annotations

from modelreg.landing.proposing import propose
from modelreg.landing.pushing import push, remote_snapshot
from modelreg.landing.replaying import Rebased, rebase, revert_operation
from modelreg.landing.results import Proposal, Pushed
from modelreg.landing.status import ProposalStatus, proposal_status, wait_for

__all__ = [
    "Proposal",
    "ProposalStatus",
    "Pushed",
    "Rebased",
    "proposal_status",
    "propose",
    "push",
    "rebase",
    "remote_snapshot",
    "revert_operation",
    "wait_for",
]
