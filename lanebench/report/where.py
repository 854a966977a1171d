"""Where the instructions went: the per-function tables of a comparison's instruction rows.

`compare` puts the functions whose counts changed most in an instruction row's `extra`
(`functions`: machine instructions per C function; `python_functions`: bytecodes per
Python function). This turns them into the rows every report shows: function, base, head,
change, share of the total change. Function and file names come from the profiles and
stay plain strings: each template escapes them for its target.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lanebench.formatting import count_text, format_change
from lanebench.stats.model import Comparison, MetricComparison

KINDS = (
    ("python_functions", "Python functions", "bytecodes"),
    ("functions", "functions (machine code)", "instructions"),
)


@dataclass
class FunctionRow:
    label: str  # `function (file)`: untrusted
    base: str
    head: str
    change: str
    share: str
    bar: float  # |share| clipped to [0, 1]: the chart's bar
    grew: bool


@dataclass
class WhereTable:
    benchmark: str  # untrusted
    title: str  # "Python functions, bytecodes"
    unit: str
    verdict: str
    total: str  # "+41.2M instructions (+2.6%)"
    rows: list[FunctionRow] = field(default_factory=list)
    more: int = 0  # changed functions not shown


def _plain(value: int, below: int) -> str:
    return f"< {below:,}" if below and not value else f"{value:,}"


def _share(share: Any) -> str:
    return "—" if not isinstance(share, (int, float)) else f"{share * 100:.0f}%"


def tables_of(m: MetricComparison) -> list[WhereTable]:
    out = []
    for key, title, unit in KINDS:
        rows = m.extra.get(key)
        if not isinstance(rows, list) or not rows:
            continue
        total_change = m.extra.get(f"{key}_total_change", 0)
        relative = "" if m.change is None or key != "functions" else f" ({format_change(m.change)})"
        table = WhereTable(
            benchmark=m.benchmark, title=f"{title}, {unit}", unit=unit, verdict=m.verdict,
            total=f"{count_text(total_change)} {unit}{relative}" if isinstance(total_change, int) else "",
        )
        for r in rows:
            share = r.get("share")
            table.rows.append(FunctionRow(
                label=str(r.get("label", "")),
                base=_plain(int(r.get("base", 0)), int(r.get("base_below", 0))),
                head=_plain(int(r.get("head", 0)), int(r.get("head_below", 0))),
                change=count_text(int(r.get("change", 0))),
                share=_share(share),
                bar=min(1.0, abs(share)) if isinstance(share, (int, float)) else 0.0,
                grew=int(r.get("change", 0)) > 0,
            ))
        changed = m.extra.get(f"{key}_changed")
        table.more = max(0, int(changed) - len(rows)) if isinstance(changed, int) else 0
        out.append(table)
    return out


def where_tables(comparison: Comparison | None, *, changed_only: bool = True) -> list[WhereTable]:
    """The tables of every instruction row (only those whose verdict is not `unchanged`
    with `changed_only`: an unchanged count's functions moved by noise-free trifles)."""
    if comparison is None:
        return []
    out = []
    for m in comparison.metrics:
        if m.metric != "instructions" or (changed_only and m.verdict == "unchanged"):
            continue
        out += tables_of(m)
    return out
