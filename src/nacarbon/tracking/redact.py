"""Keep credentials out of logs, params and artifacts."""

from __future__ import annotations

import re

MASK = "***"
# A password ends at the first character that cannot be part of it inside a URL written into
# text: whitespace, quotes, brackets and commas (YAML/list punctuation) besides '@' itself.
_PW = r"[^@\s'\"\[\]{},]*"
# scheme://user:password@host, scheme://:password@host, and the same URL-encoded once
# (scheme%3A%2F%2Fuser%3Apassword%40host).
_URL_PASSWORD = re.compile(
    r"(?P<head>[a-zA-Z][a-zA-Z0-9+.\-]*://[^:/@\s'\"]*:)(?P<pw>" + _PW + r")(?P<tail>@)")
_ENCODED_URL_PASSWORD = re.compile(
    r"(?P<head>[a-zA-Z][a-zA-Z0-9+.\-]*%3A%2F%2F(?:(?!%3A|%40)[^/@\s'\"])*%3A)(?P<pw>(?:(?!%40)[^\s'\"])*)(?P<tail>%40)",
    re.IGNORECASE)
# ?password=..., &pwd=..., password: ... (a YAML key), PGPASSWORD=...
_KEY_PASSWORD = re.compile(
    r"(?P<head>\b(?:[A-Za-z_]*password|passwd|pwd)\s*(?:=|:\s|%3D)\s*)(?P<pw>[^&\s'\"\[\]{},;]+)", re.IGNORECASE)


def redact(text: str) -> str:
    """Mask every password in ``text`` (a URL, YAML dump, log line) with ``***``.

    Covers ``scheme://user:password@host`` (user may be empty), its URL-encoded form, and ``password=``
    / ``pwd=`` / ``password:`` values (query strings, YAML keys, environment assignments).
    """
    out = str(text)
    for pattern in (_URL_PASSWORD, _ENCODED_URL_PASSWORD, _KEY_PASSWORD):
        out = pattern.sub(lambda m: f"{m.group('head')}{MASK}" + (m.groupdict().get("tail") or ""), out)
    return out
