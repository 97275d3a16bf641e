"""The error hierarchy: one root, each class also a builtin so callers can catch either."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class ChainlabError(Exception):
    """Root of every error chainlab raises on purpose."""


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Issue:
    """One problem in the input: where it is (file, row as counted in the file, column) and what to do.

    ``row`` counts the header as row 1, so the first data row is row 2, as a spreadsheet shows it.
    """

    file: str
    message: str
    row: int | None = None
    column: str | None = None
    severity: Severity = Severity.ERROR

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f" row {self.row}"
        if self.column:
            where += f", column '{self.column}'"
        return f"{where.lstrip(', ')}: {self.message}" if where else self.message

    def as_dict(self) -> dict:
        return {"file": self.file, "row": self.row, "column": self.column, "message": self.message}


class ValidationError(ChainlabError, ValueError):
    """The input is wrong; ``issues`` lists every problem found, each naming where and the fix."""

    def __init__(self, issues: list[Issue] | str):
        if isinstance(issues, str):
            issues = [Issue(file="", message=issues)]
        self.issues = [i for i in issues if i.severity is Severity.ERROR] or list(issues)
        head = f"{len(self.issues)} problem(s) in the input:" if len(self.issues) > 1 else ""
        body = "\n".join(f"  {i}" if head else str(i) for i in self.issues[:50])
        more = f"\n  ... and {len(self.issues) - 50} more" if len(self.issues) > 50 else ""
        super().__init__(f"{head}\n{body}{more}" if head else body)


class NotFoundError(ChainlabError, LookupError):
    """A named thing (file, site, product, plan) does not exist."""


class SolverError(ChainlabError, RuntimeError):
    """A solver backend failed in a way that is not the model's fault."""


class BackendUnavailable(SolverError):
    """The requested solver backend is not installed or not usable here."""
