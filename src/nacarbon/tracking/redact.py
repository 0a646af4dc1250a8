"""Keep credentials out of logs, params and artifacts."""

from __future__ import annotations

import re

# scheme://user:password@host -> scheme://user:***@host
_URL_PASSWORD = re.compile(r"(?P<head>[a-zA-Z][a-zA-Z0-9+.\-]*://[^:/@\s]+:)(?P<pw>[^@\s]+)(?P<tail>@)")


def redact(text: str) -> str:
    """Replace the password of every ``scheme://user:password@host`` URL in ``text`` with ``***``.

    Parameters
    ----------
    text : str
        Any text: a URL, a YAML dump, a log line.

    Returns
    -------
    str
        The same text with passwords masked.
    """
    return _URL_PASSWORD.sub(lambda m: f"{m.group('head')}***{m.group('tail')}", str(text))
