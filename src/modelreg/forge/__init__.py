"""The forge side of a proposal (GitHub first): which repository a remote is, its pull
requests over the REST API, and the title and body modelreg writes for one (DESIGN §4)."""

from __future__ import annotations

from modelreg.forge.body import body, metrics_markdown, title
from modelreg.forge.github import ForgeError, GitHub, PullRequest
from modelreg.forge.urls import ForgeRepo, parse_remote_url

__all__ = [
    "ForgeError",
    "ForgeRepo",
    "GitHub",
    "PullRequest",
    "body",
    "metrics_markdown",
    "parse_remote_url",
    "title",
]
