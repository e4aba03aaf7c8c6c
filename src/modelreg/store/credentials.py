"""Refuse URIs that carry credentials, so none lands in Git history (DESIGN §2).

`source`, `run_link`, references and the store URL are recorded in manifests that everyone with
read access to the repository sees forever. A URI is refused when it carries user info
(`s3://KEY:secret@bucket/x`), a token or signed-URL parameter in its query or fragment
(`X-Amz-Signature`, `sig`, `access_token`, ...), or a well-known secret's shape (an AWS access
key id, a GitHub token). The error names what was found, never the secret's value.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

from modelreg.errors import InvalidParameter

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
    ("an AWS access key id", re.compile(r"(?<![A-Z0-9])(AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])")),
    ("a GitHub token", re.compile(r"\b(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})")),
    ("a GitLab token", re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}")),
    ("a Slack token", re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}")),
)
# Schemes where a bare user name is an account, not a secret (`ssh://git@host/repo`).
USER_SCHEMES = frozenset({"ssh", "git+ssh", "sftp", "modelreg+ssh"})


def check_no_credentials(uri: str) -> None:
    """Raise InvalidParameter ("... carries a credential ...") when `uri` holds one."""
    found = find_credential(uri)
    if found:
        raise InvalidParameter(
            f"{redact(uri)!r} carries a credential ({found}); credentials never go into the "
            "registry: give them through fsspec's configuration or the environment instead"
        )


def find_credential(uri: str) -> str:
    """What kind of credential `uri` carries, or '' when it carries none."""
    for label, shape in SECRET_SHAPES:
        if shape.search(uri):
            return label
    for part in uri.split("::"):  # fsspec chains: simplecache::s3://...
        found = _in_url(part)
        if found:
            return found
    return ""


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


def redact(uri: str) -> str:
    """`uri` without user info, query and fragment: safe to show in a message."""
    for _, shape in SECRET_SHAPES:
        uri = shape.sub("***", uri)
    return "::".join(_redact_url(part) for part in uri.split("::"))


def _redact_url(uri: str) -> str:
    try:
        parts = urlsplit(uri)
    except ValueError:
        return "<uri>"
    if not parts.scheme or not parts.netloc:
        return uri.split("?", 1)[0].split("#", 1)[0][:200]
    host = parts.netloc.rpartition("@")[2]
    user = "***@" if "@" in parts.netloc else ""
    query = "?..." if parts.query or parts.fragment else ""
    return f"{parts.scheme}://{user}{host}{parts.path}{query}"
