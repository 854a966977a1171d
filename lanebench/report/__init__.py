"""Reports: the PR comment, the job summary, the HTML dashboard, CSV and JSON.

Pure functions of a `ReportContext`; nothing here touches the network.
"""

from lanebench.report.context import ReportContext, TrendPoint
from lanebench.report.files import FORMATS, render_reports, write_rendered, write_reports
from lanebench.report.html import render_html
from lanebench.report.markdown import (
    COMMENT_LIMIT,
    COMMENT_MARKER,
    SUMMARY_LIMIT,
    comment_marker,
    render_comment,
    render_summary,
)
from lanebench.report.tables import render_csv_samples, render_csv_summary, render_json
from lanebench.report.view import headline

__all__ = [
    "COMMENT_LIMIT",
    "COMMENT_MARKER",
    "FORMATS",
    "SUMMARY_LIMIT",
    "ReportContext",
    "TrendPoint",
    "comment_marker",
    "render_comment",
    "headline",
    "render_csv_samples",
    "render_csv_summary",
    "render_html",
    "render_json",
    "render_reports",
    "render_summary",
    "write_rendered",
    "write_reports",
]
