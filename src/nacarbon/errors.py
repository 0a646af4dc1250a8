"""Project exceptions.

Library code raises these; only entry points turn them into a message and an exit code.
Each carries enough context (file, row, field, rule) to be read on its own.
"""

from __future__ import annotations


class NacarbonError(Exception):
    """Base class of every error nacarbon raises on purpose.

    Every subclass must survive pickling (an error raised in a process-pool worker is pickled
    back to the parent): ``__reduce__`` rebuilds it from the arguments its constructor took.
    """

    def __reduce__(self):
        return (type(self), tuple(getattr(self, "_init_args", self.args)))


class DataValidationError(NacarbonError):
    """One or more rows of a data file break the schema.

    Parameters
    ----------
    path : str
        The file that was checked.
    problems : list of dict
        One dict per failure with keys ``row`` (1-based data row, or None for file-level
        problems), ``field``, ``value`` and ``rule``.
    """

    def __init__(self, path: str, problems: list[dict]):
        self._init_args = (path, problems)
        self.path = str(path)
        self.problems = problems
        lines = [f"{self.path}: {len(problems)} problem(s) found"]
        for p in problems[:50]:
            row = "file" if p.get("row") is None else f"row {p['row']}"
            lines.append(f"  {row}, field '{p.get('field')}': value {p.get('value')!r} breaks rule: {p.get('rule')}")
        if len(problems) > 50:
            lines.append(f"  ... and {len(problems) - 50} more")
        super().__init__("\n".join(lines))


class ConfigError(NacarbonError):
    """A configuration value is missing, unknown or impossible."""


class ProcessingError(NacarbonError):
    """A measurement file cannot be turned into database parameters."""


class RegistryError(NacarbonError):
    """A model registry operation cannot be carried out."""


class StoreError(NacarbonError):
    """A tracking server, database or folder that holds runs or studies cannot be used."""
