"""A small GitHub REST client over urllib (no dependency): open a pull request, read one.

The API's address is `$GITHUB_API_URL` (GitHub Actions sets it; default
https://api.github.com); the token is `$GITHUB_TOKEN` or `$MODELREG_GITHUB_TOKEN`. Without a
token there is no client, and the caller links to the compare page instead.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from modelreg import __version__
from modelreg.errors import CONFLICT, INTERNAL_ERROR, INVALID_PARAMETER_VALUE, ModelregError
from modelreg.forge.urls import ForgeRepo

DEFAULT_API = "https://api.github.com"
TOKEN_VARS = ("GITHUB_TOKEN", "MODELREG_GITHUB_TOKEN")
TIMEOUT = 30.0


class ForgeError(ModelregError):
    """The forge refused a request or could not be reached."""

    code = INTERNAL_ERROR


@dataclass(frozen=True, slots=True, kw_only=True)
class PullRequest:
    """`state` is GitHub's (`open` or `closed`); `merged` tells a merge from a close."""

    number: int
    url: str
    state: str
    merged: bool
    merge_commit: str | None
    head: str
    base: str


class GitHub:
    def __init__(self, api_url: str, token: str) -> None:
        self.api_url = api_url.rstrip("/")
        self.token = token

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> GitHub | None:
        """The client the environment configures, or None without a token."""
        token = next((environ[k] for k in TOKEN_VARS if environ.get(k)), "")
        if not token:
            return None
        return cls(environ.get("GITHUB_API_URL") or DEFAULT_API, token)

    def serves(self, repo: ForgeRepo, environ: Mapping[str, str]) -> bool:
        """Whether `repo`'s host is this API's: github.com, the API's own host (less `api.`),
        or `$GITHUB_SERVER_URL`'s (GitHub Enterprise). A token never goes to another forge."""
        api_host = (urlsplit(self.api_url).hostname or "").removeprefix("api.")
        server = urlsplit(environ.get("GITHUB_SERVER_URL", "")).hostname or ""
        return repo.host in ("github.com", api_host, server)

    def open_pull_request(
        self, repo: ForgeRepo, *, title: str, body: str, head: str, base: str
    ) -> PullRequest:
        """POST /repos/{owner}/{repo}/pulls."""
        data = {"title": title, "head": head, "base": base, "body": body}
        answer = self._call("POST", f"/repos/{repo.full_name}/pulls", data,
                            what=f"open a pull request from {head} into {base}")
        return _pull(answer)

    def pull_request(self, repo: ForgeRepo, number: int) -> PullRequest:
        """GET /repos/{owner}/{repo}/pulls/{number}."""
        answer = self._call("GET", f"/repos/{repo.full_name}/pulls/{number}", None,
                            what=f"read pull request #{number}")
        return _pull(answer)

    def pull_request_for(self, repo: ForgeRepo, branch: str) -> PullRequest | None:
        """The newest pull request from `branch` (open or not), or None."""
        query = f"head={quote(f'{repo.owner}:{branch}', safe='')}&state=all"
        answer = self._call("GET", f"/repos/{repo.full_name}/pulls?{query}", None,
                            what=f"find the pull request of {branch}")
        found = answer if isinstance(answer, list) else []
        return _pull(found[0]) if found else None

    def _call(self, method: str, path: str, data: Any, *, what: str) -> Any:
        request = urllib.request.Request(
            self.api_url + path, method=method,
            data=None if data is None else json.dumps(data).encode(),
            headers=self._headers(data is not None),
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            raise _refused(exc, what) from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ForgeError(f"cannot {what}: {self.api_url} did not answer ({reason})") from None

    def _headers(self, has_body: bool) -> dict[str, str]:
        headers = {
            "Accept": "application/vnd.github+json",
            "Authorization": f"Bearer {self.token}",
            "X-GitHub-Api-Version": "2022-11-28",
            "User-Agent": f"modelreg/{__version__}",
        }
        if has_body:
            headers["Content-Type"] = "application/json"
        return headers


def _refused(exc: urllib.error.HTTPError, what: str) -> ForgeError:
    """GitHub's answer in one line: status, message and the first validation error."""
    try:
        answer = json.loads(exc.read() or b"{}")
    except ValueError:
        answer = {}
    message = str(answer.get("message") or exc.reason) if isinstance(answer, dict) else ""
    errors = answer.get("errors") if isinstance(answer, dict) else None
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        detail = errors[0].get("message") or errors[0].get("code")
        message = f"{message}: {detail}" if detail else message
    code = CONFLICT if exc.code in (409, 422) else INVALID_PARAMETER_VALUE
    error = ForgeError(f"GitHub refused to {what} ({exc.code}: {message})")
    error.code = code if exc.code < 500 else INTERNAL_ERROR
    return error


def _pull(answer: Any) -> PullRequest:
    if not isinstance(answer, dict) or not isinstance(answer.get("number"), int):
        raise ForgeError("GitHub answered with something that is not a pull request")
    return PullRequest(
        number=answer["number"],
        url=str(answer.get("html_url") or ""),
        state=str(answer.get("state") or "open"),
        merged=bool(answer.get("merged") or answer.get("merged_at")),
        merge_commit=answer.get("merge_commit_sha") or None,
        head=str((answer.get("head") or {}).get("ref") or ""),
        base=str((answer.get("base") or {}).get("ref") or ""),
    )
