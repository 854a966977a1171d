"""Errors a user can cause, each rendered as one line naming the cause and the fix.

Exit codes follow one convention across the CLI and the action:
0 success, 1 a verdict the user asked to fail on (regression, SLA breach),
2 a usage or input error (bad config, unreadable results file), 3 an external
fault (GitHub API, git), 130/143 interrupted by SIGINT/SIGTERM.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAIL = 1
EXIT_USAGE = 2
EXIT_EXTERNAL = 3


class LanebenchError(Exception):
    """Base class: `str(err)` is the one line shown to the user."""

    exit_code: int = EXIT_USAGE

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        self.message = message
        self.hint = hint
        super().__init__(self.__str__())

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message} ({self.hint})"
        return self.message


class ConfigError(LanebenchError):
    """The config file is missing, unreadable or invalid."""


class ResultsError(LanebenchError):
    """A results or comparison file is missing, truncated, or of an unknown schema."""


class ExternalError(LanebenchError):
    """A service or tool outside lanebench failed (GitHub API, git)."""

    exit_code = EXIT_EXTERNAL
