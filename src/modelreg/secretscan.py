"""Values that look like credentials, wherever they appear in a manifest (DESIGN §2, issue #6).

Everything a manifest holds lands in Git history, which everyone with read access to the
repository reads, forever: a credential committed once is leaked, whatever the next commit
does. So every string of every manifest is scanned, keys as well as values (`source`,
`run_link`, references, the store URL, descriptions, tags, metric names, signatures, file
paths): a secret pasted into a description or a tag leaks as surely as one in a URL, and the
patterns are specific enough that a field-by-field list would only leave holes.

Two kinds of patterns:
- shapes that are a secret wherever they appear: AWS access key ids, GitHub/GitLab/Slack
  tokens, JSON Web Tokens, private-key blocks, signed-URL signatures (`X-Amz-Signature=`,
  `X-Goog-Signature=`, an Azure SAS `&sig=`), Azure account keys;
- URLs (`scheme://...` inside any text, and a whole value that is a URI) with user info
  before `@` or a credential parameter in their query or fragment (`?token=`, ...).
What must pass does: sha256 digests, run ids, git SHAs and UUIDs are lowercase hex, which no
shape matches; `ssh://git@host` names an account, not a secret.

A finding names the pattern and the field, never the value (a field whose own name is a
secret is shown as `<redacted>`). This module is pure: `validate`/`check` report findings
(CREDENTIAL_IN_MANIFEST) and the last guard before a commit refuses them. `store` checks URLs
with it on every resolve, so it imports nothing beyond the standard library at module level.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import parse_qsl, urlsplit

if TYPE_CHECKING:
    from modelreg.problems import Problem
    from modelreg.yamlio import Loaded

CREDENTIAL_IN_MANIFEST = "CREDENTIAL_IN_MANIFEST"
JsonPath = tuple[str | int, ...]

# Query or fragment parameters that carry a credential (compared in lower case).
SECRET_PARAMS = frozenset({
    "x-amz-signature", "x-amz-credential", "x-amz-security-token",
    "x-goog-signature", "x-goog-credential",
    "awsaccesskeyid", "signature", "key-pair-id", "policy",  # S3 v2 presigned, CloudFront
    "sig", "sas", "sastoken",  # Azure shared access signatures
    "token", "access_token", "id_token", "refresh_token", "auth_token", "private_token",
    "api_key", "apikey", "api-key", "password", "passwd", "pwd", "secret", "client_secret",
    "auth", "authorization", "credential", "credentials",
})
# Any parameter whose name ends like this is a credential too (`X-Amz-Security-Token`, ...).
SECRET_SUFFIXES = ("token", "signature", "secret", "password", "credential")
# Shapes of well-known secrets, wherever they appear.
SECRET_SHAPES = (
    ("an AWS access key id", re.compile(
        r"(?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])")),
    ("an AWS secret access key", re.compile(
        r"(?i)aws_?secret_?access_?key\W{0,4}[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+])")),
    ("a GitHub token", re.compile(
        r"(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})")),
    ("a GitLab token", re.compile(r"(?<![A-Za-z0-9_])glpat-[A-Za-z0-9_-]{20,}")),
    ("a Slack token", re.compile(r"(?<![A-Za-z0-9_])xox[abprs]-[A-Za-z0-9-]{10,}")),
    ("a JSON Web Token", re.compile(
        r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")),
    ("a private key block", re.compile(r"-----BEGIN[A-Z0-9 ]* PRIVATE KEY(?: BLOCK)?-----")),
    ("a signed-URL signature", re.compile(
        r"(?i)(?<![A-Za-z0-9-])x-(?:amz|goog)-(?:signature|credential|security-token)=")),
    ("an Azure SAS signature", re.compile(r"[?&;]sig=[A-Za-z0-9%+/=]{10,}")),
    ("an Azure account key", re.compile(
        r"(?i)(?:AccountKey|SharedAccessKey)=[A-Za-z0-9+/]{20,}")),
)
# A URL inside any text.
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s\"'<>`]+")
# Schemes where a bare user name is an account, not a secret (`ssh://git@host/repo`).
USER_SCHEMES = frozenset({"ssh", "git+ssh", "sftp", "modelreg+ssh"})


class Finding(NamedTuple):
    at: JsonPath  # where in the document (for a key: the mapping that holds it)
    label: str  # what it looks like: "an AWS access key id"
    in_key: bool = False


def find_credential(text: str) -> str:
    """What kind of credential `text` carries (a URI or any text), or '' when none."""
    for label, shape in SECRET_SHAPES:
        if shape.search(text):
            return label
    urls = [m.group() for m in _URL.finditer(text)] if "://" in text else []
    if not any(c.isspace() for c in text):
        urls.append(text)  # a value that is a URI: `runs:/x?token=`, `simplecache::s3://...`
    for url in urls:
        for part in url.split("::"):  # fsspec chains: simplecache::s3://...
            found = _in_url(part)
            if found:
                return found
    return ""


def worth_scanning(text: bytes) -> bool:
    """Cheap (a validate of 100,000 versions runs it on each): could `text`, a whole manifest
    as written, hold a credential at all? A search for what every pattern contains, and two
    small ones only when a URL or a parameter is there. A YAML escape that could
    hide a credential from the raw text (`\\x41KIA...`, `https:\\/\\/`, an escaped line break)
    sends the manifest to the scan value by value; `\\"` and `\\n` (an MLflow signature's)
    cannot hide one."""
    lowered = text.lower()
    if any(r.search(text) for r in _CASED) or any(r.search(lowered) for r in _ANY_CASE):
        return True
    if b"://" in text and _USER_INFO.search(text):
        return True
    after_first_line = text[text.find(b"\n") + 1:]  # a schema comment opens every manifest
    if any(c in text for c in (b"?", b"&", b";")) or b"#" in after_first_line:
        return bool(_PARAMETER.search(text))
    return False


# What each of SECRET_SHAPES contains (tests/reliability/test_secrets.py holds them to it),
# and the escapes that could hide one. One search each: a pattern that starts with a literal is
# searched for as fast as a substring, while one alternation of them all is 50 times slower.
_CASED = tuple(re.compile(p) for p in (
    rb"A[KS]IA", rb"gh[pousr]_", rb"github_pat_", rb"glpat-", rb"xox", rb"eyJ", rb"PRIVATE KEY",
    rb"\\[xuU/\n\r]"))
_ANY_CASE = tuple(re.compile(p) for p in (
    rb"secret", rb"x-amz-", rb"x-goog-", rb"accountkey", rb"sharedaccesskey"))
_USER_INFO = re.compile(rb"://[^\s\"'<>`/]*@")
# A query or fragment parameter (signed URLs, SAS, connection strings' `;AccountKey=`).
_PARAMETER = re.compile(rb"[?#&;][^\s\"'<>`=&#;?]*=")


def _in_url(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    if "@" in parts.netloc:
        userinfo = parts.netloc.rpartition("@")[0]
        if ":" in userinfo or parts.scheme.lower() not in USER_SCHEMES:
            return "user info before '@'"
    for text in (parts.query, parts.fragment):
        for name, _ in parse_qsl(text, keep_blank_values=True):
            if _is_secret_param(name):
                return f"parameter {name!r}"
    return ""


def _is_secret_param(name: str) -> bool:
    lowered = name.strip().lower()
    return lowered in SECRET_PARAMS or lowered.endswith(SECRET_SUFFIXES)


# -- documents --------------------------------------------------------------------------------


def scan(data: Any, at: JsonPath = ()) -> Iterator[Finding]:
    """Every string of a loaded document (keys included) that looks like a credential."""
    if isinstance(data, str):
        label = find_credential(data)
        if label:
            yield Finding(at, label)
    elif isinstance(data, Mapping):
        for key, value in data.items():
            label = find_credential(key) if isinstance(key, str) else ""
            if label:
                yield Finding(at, label, in_key=True)
            yield from scan(value, (*at, key))
    elif isinstance(data, (list, tuple)):
        for index, value in enumerate(data):
            yield from scan(value, (*at, index))


def manifest_problems(path: str, text: bytes, loaded: Loaded | None) -> list[Problem]:
    """CREDENTIAL_IN_MANIFEST for each value of the manifest at `path` (`text` as written,
    `loaded` as read, None when it cannot be) that looks like a credential, and for one in a
    comment. The raw text is looked at first: a manifest with no suspect byte costs a search."""
    if not worth_scanning(text):
        return []
    found = [_problem(path, f, loaded.lines.get(f.at)) for f in scan(loaded.data)] if loaded else []
    return found or _outside_values(path, text.decode("utf-8", "replace"))


def _problem(path: str, finding: Finding, line: int | None) -> Problem:
    from modelreg.problems import Problem

    what = "a key here" if finding.in_key else "this value"
    return Problem(
        path=path, line=line, json_path=safe_path(finding.at), code=CREDENTIAL_IN_MANIFEST,
        message=f"{what} looks like {finding.label}: {_WAY_OUT}")


def _outside_values(path: str, raw: str) -> list[Problem]:
    """A credential in the text but in no value: a comment (history keeps those too)."""
    from modelreg.problems import Problem

    for number, line in enumerate(raw.splitlines(), start=1):
        label = find_credential(line.strip())
        if label:
            return [Problem(path=path, line=number, code=CREDENTIAL_IN_MANIFEST,
                            message=f"line {number} holds what looks like {label} outside any "
                            f"value (a comment?): {_WAY_OUT}")]
    return []


def safe_path(at: JsonPath) -> str:
    """The JSON path of `at`, with any key that itself looks like a credential hidden."""
    from modelreg import problems

    shown = tuple(k if isinstance(k, int) or not find_credential(k) else "<redacted>" for k in at)
    return problems.json_path(shown)


_WAY_OUT = ("credentials never go into the registry, whose history keeps them forever: remove "
            "it, revoke the credential, and give credentials through fsspec's configuration or "
            "the environment")
