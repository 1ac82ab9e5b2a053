"""URLs that may carry a password (``postgresql://user:secret@host/db``, ``redis://:secret@host``),
shown without it: the rule that secrets never reach a message, a repr, a log or a state
(docs/design.md §5) for the URLs of the servers crmbridge shares state through (issue 22)."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

__all__ = ["without_password"]


def without_password(url: str) -> str:
    """``url`` with the password of its userinfo taken out (the user name is kept)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    user = f"{parts.username}@" if parts.username else ""
    netloc = f"{user}{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))
