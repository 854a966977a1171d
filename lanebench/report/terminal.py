"""Tables for a terminal: a results file (`lanebench show`) and a comparison (`lanebench
compare`). A rich table on a terminal, aligned plain text otherwise; notes as plain lines
beneath. Every cell is plain text: rich would read "[...]" in a benchmark name as markup."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from lanebench.formatting import format_change, format_interval, format_p, format_value
from lanebench.metrics import COMPARED_BY_DEFAULT, COUNTS_COMPARED, metric
from lanebench.report.where import where_tables
from lanebench.results import ResultsDocument
from lanebench.stats.model import Comparison, MetricComparison
from lanebench.stats.summary import summarize

RESULTS_HEADERS = ("benchmark", "metric", "n", "median", "p95", "CV")
COMPARISON_HEADERS = ("benchmark", "metric", "base median", "head median", "change [CI]", "p",
                      "p adj", "verdict")
VERDICT_STYLE = {
    "regression": "bold red",
    "improvement": "green",
    "unchanged": "dim",
    "inconclusive": "yellow",
    "insufficient data": "yellow",
    "failed": "bold red",
}


def plain_table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: set[int], *,
                rule: bool = False) -> str:
    """Columns padded to their widest cell; `right` are the right-aligned ones."""
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.rjust(widths[i]) if i in right else c.ljust(widths[i]) for i, c in enumerate(cells)
        ).rstrip()

    lines = [line(headers)]
    if rule:
        lines.append(line(["-" * w for w in widths]))
    return "\n".join([*lines, *map(line, rows)])


def print_table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: set[int], *,
                tty: bool, title: str | None = None, notes: Sequence[str] = (),
                rule: bool = False, styles: dict[str, str] | None = None) -> None:
    """The table on stdout, then its notes. `styles` colours a row's last cell by its text."""
    if not tty:
        if title is not None:
            print(title)
        print(plain_table(headers, rows, right, rule=rule))
        for line in notes:
            print(line)
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(title=Text(title) if title is not None else None, title_justify="left",
                  show_header=True, header_style="bold")
    for i, header in enumerate(headers):
        table.add_column(header, justify="right" if i in right else "left")
    for row in rows:
        cells = [Text(cell) for cell in row]
        if styles is not None:
            cells[-1] = Text(row[-1], style=styles.get(row[-1], ""))
        table.add_row(*cells)
    console = Console()
    console.print(table)
    for line in notes:
        console.print(line, markup=False, highlight=False)


# --- a results file ----------------------------------------------------------------------------


def format_cv(cv: float) -> str:
    return "n/a" if cv != cv else f"{cv * 100:.1f}%"


def results_rows(doc: ResultsDocument, metrics: list[str] | None, show_all: bool) -> list[list[str]]:
    """n, median, p95 and CV per benchmark and metric (the compared ones unless told)."""
    rows: list[list[str]] = []
    for bench in doc.benchmarks:
        if metrics:
            names = metrics
        elif show_all:
            names = list(bench.samples)
        else:
            names = [m for m in (*COMPARED_BY_DEFAULT, *COUNTS_COMPARED) if m in bench.samples]
        for name in names:
            values = bench.samples.get(name, [])
            summary = summarize(values) if values else None
            unit = metric(name).unit
            rows.append([
                bench.name,
                name,
                str(len(values)),
                format_value(summary.median if summary else None, unit, "n/a"),
                format_value(summary.p95 if summary else None, unit, "n/a"),
                format_cv(summary.cv if summary and summary.n > 1 else float("nan")),
            ])
    return rows


def results_notes(doc: ResultsDocument) -> list[str]:
    """Benchmarks that did not finish ok, failed iterations and notes."""
    out: list[str] = []
    for bench in doc.benchmarks:
        if bench.status != "ok":
            out.append(f"{bench.name}: {bench.status}")
        for failure in bench.failures:
            what = failure.message or failure.status
            out.append(f"{bench.name}: iteration {failure.iteration} {failure.status}: {what}")
        for note in bench.notes:
            out.append(f"{bench.name}: {note}")
    return out


def print_results(doc: ResultsDocument, path: Path, metrics: list[str] | None, show_all: bool,
                  *, tty: bool) -> None:
    run = doc.run
    title = f"{path}: lane {run.lane or '?'}, commit {(run.commit or '?')[:12]}"
    if run.status != "complete":
        title += f", run {run.status}"
    print_table(RESULTS_HEADERS, results_rows(doc, metrics, show_all), {2, 3, 4, 5}, tty=tty,
                title=title, notes=results_notes(doc), rule=True)


# --- a comparison -------------------------------------------------------------------------------


def change_cell(m: MetricComparison) -> str:
    """`+11.8% [+8.0, +15.2]`: the change and its interval."""
    if m.change is None:
        return "-"
    if m.ci_low is None or m.ci_high is None:
        return f"{format_change(m.change)} [unbounded]"
    return f"{format_change(m.change)} {format_interval(m.ci_low, m.ci_high)}"


def comparison_rows(comparison: Comparison) -> list[tuple[str, ...]]:
    alpha = comparison.settings.get("alpha", 0.05)
    return [
        (
            m.benchmark,
            m.metric,
            format_value(m.base.median if m.base else None, m.unit, "-"),
            format_value(m.head.median if m.head else None, m.unit, "-"),
            change_cell(m),
            format_p(m.p_value, alpha),
            format_p(m.p_adjusted, alpha),
            m.verdict,
        )
        for m in comparison.metrics
    ]


def comparison_notes(comparison: Comparison) -> list[str]:
    """Lines printed under the table: machine differences, reasons that matter, noise."""
    out: list[str] = []
    if comparison.cross_machine:
        out.append(
            "cross-machine: baseline and head ran on different machines ("
            + "; ".join(comparison.cross_machine)
            + "); a difference may come from the machines, not the change"
        )
    runner = comparison.extra.get("runner")
    for note in (runner.get("notes") or []) if isinstance(runner, dict) else []:
        out.append(f"runner: {note}")
    for outcome in comparison.benchmarks:
        if outcome.status in ("missing in head", "missing in baseline"):
            out.append(f"{outcome.name}: {outcome.status}")
    for m in comparison.metrics:
        # Every verdict that is not "unchanged" says why, inconclusive ones included: the
        # reason names what kept them open (noise, the runner bound, the adjustment).
        if m.verdict in ("regression", "improvement", "failed", "insufficient data", "inconclusive"):
            out.append(f"{m.benchmark} {m.metric}: {m.verdict}: {m.reason}")
    for table in where_tables(comparison):
        out.append(f"where the instructions went: {table.benchmark}, {table.title} ({table.total}):")
        out += [f"  {f.change:>8} {f.share:>5}  {f.label}" for f in table.rows[:5]]
    for m in comparison.metrics:
        if m.undetectable and m.noise is not None:
            out.append(f"noise: {m.benchmark} {m.metric}: {m.noise.message}")
    s = comparison.settings
    counts = comparison.counts()
    tally = ", ".join(f"{n} {v}" for v, n in sorted(counts.items(), key=lambda kv: -kv[1])) or "nothing compared"
    correction = {"holm": "Holm", "bh": "Benjamini-Hochberg"}.get(s["correction"], s["correction"])
    family = s["family_size"]
    method = "paired-wilcoxon" if s.get("comparison") == "paired" else s["test"]
    out.append(
        f"verdicts: {tally} ({method}, {correction} over {family} comparison"
        f"{'' if family == 1 else 's'}, alpha {s['alpha']:g})"
    )
    return out


def print_comparison(comparison: Comparison, *, tty: bool) -> None:
    print_table(COMPARISON_HEADERS, comparison_rows(comparison), {2, 3, 4, 5, 6}, tty=tty,
                notes=comparison_notes(comparison), styles=VERDICT_STYLE)
