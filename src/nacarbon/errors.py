"""Project exceptions: library code raises these; only entry points turn them into a message and exit code."""

from __future__ import annotations

import functools


class NacarbonError(Exception):
    """Base class of every error nacarbon raises on purpose.

    Subclasses must survive pickling back from a process-pool worker: ``__reduce__`` rebuilds them
    from ``_init_args`` (and ``_init_kwargs`` for keyword-only arguments).
    """

    def __reduce__(self):
        args = tuple(getattr(self, "_init_args", self.args))
        kwargs = getattr(self, "_init_kwargs", None)
        return (functools.partial(type(self), **kwargs) if kwargs else type(self), args)


class DataValidationError(NacarbonError):
    """One or more rows of the data file ``path`` break the schema.

    ``problems`` holds one dict per failure: ``row`` (1-based data row, None for the whole file),
    ``field``, ``value`` and ``rule``.
    """

    def __init__(self, path: str, problems: list[dict]):
        self._init_args = (path, problems)
        self.path = str(path)
        self.problems = problems
        if len(problems) == 1:   # the common case reads as one line: file, where, what
            super().__init__(f"{self.path}: {describe_problem(problems[0])}")
            return
        lines = [f"{self.path}: {len(problems)} problem(s) found"]
        lines += [f"  {describe_problem(p)}" for p in problems[:50]]
        if len(problems) > 50:
            lines.append(f"  ... and {len(problems) - 50} more")
        super().__init__("\n".join(lines))


def describe_problem(problem: dict) -> str:
    """One problem of a :class:`DataValidationError` in words: where (row, field), the value, the rule.

    A problem of the whole file (no row, field or value) is its rule alone.
    """
    row, field, value = problem.get("row"), problem.get("field"), problem.get("value")
    where = ("file" if row is None else f"row {row}") + ("" if field is None else f", field '{field}'")
    if value is not None:
        return f"{where}: value {value!r} breaks rule: {problem.get('rule')}"
    if row is None and field is None:
        return str(problem.get("rule"))
    return f"{where}: {problem.get('rule')}"


class ConfigError(NacarbonError, ValueError):
    """A configuration value is missing, unknown or impossible (also a ``ValueError``).

    With ``key`` (``cv.n_splits``) the message reads ``key=value: message (allowed: ...)``, so one line
    tells the user what to change; without a message, ``key=value is not allowed: expected <allowed>``.
    ``key``, ``value`` and ``allowed`` are kept as attributes.
    """

    def __init__(self, message: str = "", *, key: str | None = None, value: object = None, allowed: object = None):
        self._init_args = (message,)
        self._init_kwargs = {k: v for k, v in (("key", key), ("value", value), ("allowed", allowed)) if v is not None}
        self.key, self.value, self.allowed = key, value, allowed
        text = str(message)
        if key is not None and allowed is not None and not text:
            text = f"{key}={value!r} is not allowed: expected {allowed}"
        else:
            if key is not None:
                text = f"{key}={value!r}" + (f": {text}" if text else "")
            if allowed is not None:
                text += f" (allowed: {allowed})"
        super().__init__(text)


class PipelineError(NacarbonError):
    """Some training jobs of ``make run`` failed; the others finished and are stored."""


class ProcessingError(NacarbonError):
    """A measurement file cannot be turned into database parameters."""


class RegistryError(NacarbonError):
    """A model registry operation cannot be carried out."""


class StoreError(NacarbonError):
    """A tracking server, database or folder that holds runs or studies cannot be used."""


class ServerError(NacarbonError):
    """A server (tracking server, PostgreSQL) or a tuning worker could not be started, reached or stopped."""


class ServerUnavailable(ServerError):
    """The server software is missing and cannot be installed here (no root, no apt-get, no network)."""
