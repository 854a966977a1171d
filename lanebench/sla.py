"""SLA validation: per-lane rules checked against results and the comparison.

(Model first; rule parsing and evaluation live below it.)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Severity = Literal["warning", "critical"]
SlaStatus = Literal["pass", "warn", "fail"]
FailOn = Literal["critical", "warning", "never"]


@dataclass
class Finding:
    """One rule evaluated on one benchmark (or on the run as a whole)."""

    rule: str  # the rule as the user wrote it (or the default's text), e.g. "wall.p95 <= 2s"
    severity: Severity
    passed: bool
    message: str  # one sentence with the observed value, its interval and the limit
    benchmark: str | None = None
    metric: str | None = None
    observed: float | None = None
    interval: tuple[float, float] | None = None
    limit: float | None = None
    unit: str = ""  # "s", "bytes", "ratio", "count", "fraction"
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class SlaReport:
    status: SlaStatus
    fail_on: FailOn
    findings: list[Finding]  # every evaluated rule, passed ones included

    @property
    def violations(self) -> list[Finding]:
        return [f for f in self.findings if not f.passed]

    @property
    def gate_failed(self) -> bool:
        """Whether the check must fail under `fail_on`."""
        if self.fail_on == "never":
            return False
        if self.fail_on == "warning":
            return self.status in ("warn", "fail")
        return self.status == "fail"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "gate_failed": self.gate_failed}
