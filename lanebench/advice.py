"""Recommendations derived only from measured evidence, each citing its numbers.

(Model first; the rules that derive recommendations live below it.)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Recommendation:
    kind: str  # stable identifier, e.g. "io-wait", "more-computation", "memory-growth", "noisy"
    title: str  # short imperative headline
    text: str  # the advice, with the figures that triggered it
    impact: float  # ranking key: larger first (e.g. the size of the change it explains)
    benchmark: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)  # the numbers behind it

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
