"""Refuse URIs that carry credentials, so none lands in Git history (DESIGN §2).

`source`, `run_link`, references and the store URL are recorded in manifests that everyone with
read access to the repository sees forever. A URI is refused when it carries user info
(`s3://KEY:secret@bucket/x`), a token or signed-URL parameter in its query or fragment
(`X-Amz-Signature`, `sig`, `access_token`, ...), or a well-known secret's shape (an AWS access
key id, a GitHub token). The error names what was found, never the secret's value. The
patterns live in `modelreg.secretscan`, which `validate`, `check` and the last guard before a
commit apply to every string of every manifest.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from modelreg.errors import InvalidParameter

__all__ = ["check_no_credentials", "find_credential", "redact"]


def find_credential(uri: str) -> str:
    """What credential `uri` carries ('' for none): `secretscan`'s patterns, compiled on
    first use (~3 ms that a resolve, which checks no URL, does not pay)."""
    from modelreg.secretscan import find_credential as find

    return find(uri)


def check_no_credentials(uri: str) -> None:
    """Raise InvalidParameter ("... carries a credential ...") when `uri` holds one."""
    found = find_credential(uri)
    if found:
        raise InvalidParameter(
            f"{redact(uri)!r} carries a credential ({found}); credentials never go into the "
            "registry: give them through fsspec's configuration or the environment instead"
        )


def redact(uri: str) -> str:
    """`uri` without user info, query and fragment: safe to show in a message."""
    from modelreg.secretscan import SECRET_SHAPES

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
