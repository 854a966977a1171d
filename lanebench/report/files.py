"""Writing every report format into one directory (the report artifact)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from lanebench.atomic_write import write_text_atomic
from lanebench.report.context import ReportContext
from lanebench.report.html import html_from_view, render_html
from lanebench.report.markdown import (
    comment_from_view,
    render_comment,
    render_summary,
    summary_from_view,
)
from lanebench.report.tables import (
    csv_summary_from_view,
    render_csv_samples,
    render_csv_summary,
    render_json,
)
from lanebench.report.view import build_view

# format name -> (file name, renderer); the names are also `lanebench report --format` values.
FORMATS: dict[str, tuple[str, Callable[[ReportContext], str]]] = {
    "comment": ("comment.md", render_comment),
    "summary": ("summary.md", render_summary),
    "html": ("report.html", render_html),
    "csv": ("samples.csv", render_csv_samples),
    "csv-summary": ("summary.csv", render_csv_summary),
    "json": ("comparison.json", render_json),
}


def render_reports(ctx: ReportContext) -> dict[str, str]:
    """Every format that applies, rendered: format name -> text.

    Head-only reports have no comparison, so no comparison.json; a skipped run renders
    the comment, the summary and the HTML page that explain why nothing was measured.
    """
    view = build_view(ctx)  # once, not once per format
    from_view: dict[str, Callable[[], str]] = {
        "comment": lambda: comment_from_view(view),
        "summary": lambda: summary_from_view(view),
        "html": lambda: html_from_view(view),
        "csv-summary": lambda: csv_summary_from_view(view),
    }
    rendered: dict[str, str] = {}
    for name, (_, render) in FORMATS.items():
        if name == "json" and ctx.comparison is None:
            continue
        if name in ("csv", "csv-summary") and ctx.head is None:
            continue
        rendered[name] = from_view[name]() if name in from_view else render(ctx)
    return rendered


def write_rendered(rendered: dict[str, str], directory: Path | str) -> dict[str, Path]:
    """Write rendered formats under their file names; returns format name -> path written."""
    out = Path(directory)
    return {name: write_text_atomic(out / FORMATS[name][0], text) for name, text in rendered.items()}


def write_reports(ctx: ReportContext, directory: Path | str) -> dict[str, Path]:
    """Write every format that applies (`render_reports`); returns format name -> path."""
    return write_rendered(render_reports(ctx), directory)
