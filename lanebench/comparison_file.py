"""The comparison JSON (`Comparison.to_dict()`) on disk: written whole, read back checked.

What `lanebench compare -o` and the report's comparison.json hold; `stats.comparison`
computes it and knows no files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lanebench.atomic_write import write_json_atomic
from lanebench.errors import ResultsError
from lanebench.results import check_major, load_json_file
from lanebench.stats.model import (
    COMPARISON_KIND,
    BenchmarkOutcome,
    Comparison,
    MetricComparison,
    Noise,
    Summary,
)


def _dataclass_from(cls: Any, data: dict[str, Any]) -> Any:
    fields = cls.__dataclass_fields__
    known = {k: v for k, v in data.items() if k in fields and k != "extra"}
    obj = cls(**known)
    if "extra" in fields:
        extra = dict(data.get("extra") or {})
        extra.update({k: v for k, v in data.items() if k not in fields})
        obj.extra = extra
    return obj


def comparison_from_dict(d: Any, *, source: str = "<comparison>") -> Comparison:
    """Rebuild a Comparison from its JSON form (`Comparison.to_dict()`)."""
    if not isinstance(d, dict) or "schema_version" not in d:
        raise ResultsError(f"{source}: not a lanebench comparison file (no schema_version)")
    if d.get("kind", COMPARISON_KIND) != COMPARISON_KIND:
        raise ResultsError(f"{source}: expected a {COMPARISON_KIND} file, got kind {d.get('kind')!r}")
    check_major(d["schema_version"], source)
    try:
        metrics = []
        for m in d.get("metrics", []):
            m = dict(m)
            for side in ("base", "head"):
                if m.get(side) is not None:
                    m[side] = _dataclass_from(Summary, m[side])
            if m.get("noise") is not None:
                m["noise"] = Noise(**m["noise"])
            metrics.append(_dataclass_from(MetricComparison, m))
        benchmarks = [BenchmarkOutcome(**b) for b in d.get("benchmarks", [])]
        top = {k: v for k, v in d.items() if k not in ("kind", "counts", "metrics", "benchmarks")}
        top["metrics"], top["benchmarks"] = metrics, benchmarks
        return _dataclass_from(Comparison, top)
    except (TypeError, AttributeError) as exc:
        raise ResultsError(f"{source}: malformed comparison file: {exc}") from None


def write_comparison(path: Path | str, comparison: Comparison) -> Path:
    return write_json_atomic(path, comparison.to_dict())


def read_comparison(path: Path | str) -> Comparison:
    return comparison_from_dict(load_json_file(path, "comparison file"), source=str(path))

