"""Which forge repository a Git remote URL names, and the pages a person opens there. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, urlencode, urlsplit

_SCP = re.compile(r"^(?:[^@/]+@)?(?P<host>[^:/]+):(?P<path>[^/].*)$")  # git@github.com:o/r.git


@dataclass(frozen=True, slots=True, kw_only=True)
class ForgeRepo:
    """`host` is where people browse it (`github.com`), `owner/name` its full name."""

    host: str
    owner: str
    name: str

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    def compare_url(self, base: str, head: str) -> str:
        """The page that opens a pull request from `head` into `base`: GitLab's and
        Bitbucket's own shapes on their hosts, else GitHub's (also Gitea's and Forgejo's)."""
        site = f"https://{self.host}/{self.full_name}"
        if self.host == "bitbucket.org":
            return f"{site}/pull-requests/new?" + urlencode({"source": head, "dest": base})
        if self.host == "gitlab.com" or self.host.startswith("gitlab."):
            query = {"merge_request[source_branch]": head, "merge_request[target_branch]": base}
            return f"{site}/-/merge_requests/new?" + urlencode(query)
        return f"{site}/compare/{quote(base, safe='/')}...{quote(head, safe='/')}?expand=1"


def parse_remote_url(url: str) -> ForgeRepo | None:
    """`https://github.com/o/r.git`, `ssh://git@github.com/o/r`, `git@github.com:o/r.git`
    (and `git://`) -> host github.com, owner o, name r; None for a path or another shape."""
    text = url.strip()
    if "://" in text:
        parts = urlsplit(text)
        if parts.scheme not in ("https", "http", "ssh", "git", "git+ssh", "ssh+git"):
            return None
        host, path = parts.hostname or "", parts.path
    else:
        match = _SCP.match(text)
        if match is None:
            return None
        host, path = match.group("host"), match.group("path")
    segments = [s for s in path.strip("/").split("/") if s]
    if not host or len(segments) != 2:
        return None
    owner, name = segments[0], segments[1].removesuffix(".git")
    if not owner or not name:
        return None
    return ForgeRepo(host=host.lower(), owner=owner, name=name)
