"""Hostile names (benchmarks, branches, lane reasons, stderr) in every report format."""

from __future__ import annotations

import csv
import io
import re
from html.parser import HTMLParser

import pytest
from markdown_it import MarkdownIt

from lanebench.report import (
    COMMENT_MARKER,
    render_comment,
    render_csv_samples,
    render_csv_summary,
    render_html,
    render_summary,
)
from lanebench.report.demo import HOSTILE_NAMES, demo_context
from lanebench.report.escape import (
    ZWJ,
    escape_csv_cell,
    escape_markdown,
    escape_markdown_code_block,
    escape_markdown_url,
    escape_mermaid_label,
)

OUR_LINKS = {
    "https://github.com/example/app/actions/runs/123456789",
    "https://github.com/example/app/actions/runs/123456789/artifacts/987654",
}
ALLOWED_TAGS = {
    "h2", "h3", "h4", "p", "sub", "a", "table", "thead", "tbody", "tr", "th", "td", "ul", "ol",
    "li", "strong", "em", "code", "pre", "details", "summary", "blockquote",
}


def markdown_to_html(text: str) -> str:
    return MarkdownIt("commonmark", {"html": True}).enable("table").enable("strikethrough").render(text)


class TagCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def collect(html: str) -> TagCollector:
    c = TagCollector()
    c.feed(html)
    return c


@pytest.fixture(scope="module")
def hostile_comment() -> str:
    return render_comment(demo_context(hostile=True, cross_machine=True))


def test_escape_markdown_neutralises_each_construct() -> None:
    s = escape_markdown("a|b\nc <b>x</b> @octocat #12 `c` *e* [l](u) https://x.example www.y.example &amp;")
    assert "\n" not in s
    assert "\\|" in s and "\\`c\\`" in s and "\\*e\\*" in s and "\\[l\\](u)" in s
    assert "&lt;b&gt;x&lt;/b&gt;" in s and "&amp;amp;" in s
    assert "@" + ZWJ + "octocat" in s and "#" + ZWJ + "12" in s
    assert "://" not in s and "www." not in s


def test_escape_markdown_code_block_outlasts_any_fence() -> None:
    block = escape_markdown_code_block("````\nx <!-- y -->", info="text")
    assert block.startswith("`````text\n") and block.endswith("\n`````")
    assert "<!--" not in block


def test_escape_markdown_url_keeps_only_web_links() -> None:
    assert escape_markdown_url("javascript:alert(1)") is None
    assert escape_markdown_url("https://x.example/a b)") == "https://x.example/a%20b%29"


def test_escape_mermaid_label_cannot_end_the_string_or_fence() -> None:
    label = escape_mermaid_label('a"]\n```\nb', max_length=80)
    assert '"' not in label and "`" not in label and "\n" not in label and "]" not in label


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"])
def test_escape_csv_cell_defuses_formulas(cell: str) -> None:
    assert escape_csv_cell(cell) == "'" + cell


def test_comment_has_one_marker_and_no_other_html_comment(hostile_comment: str) -> None:
    assert hostile_comment.count("<!--") == 1
    assert hostile_comment.startswith(COMMENT_MARKER + "\n")


def test_comment_renders_no_foreign_tags_or_links(hostile_comment: str) -> None:
    parsed = collect(markdown_to_html(hostile_comment))
    tags = {t for t, _ in parsed.tags}
    assert tags <= ALLOWED_TAGS, tags - ALLOWED_TAGS
    hrefs = {a.get("href") for t, a in parsed.tags if t == "a"}
    assert hrefs <= OUR_LINKS


def test_comment_pings_nobody(hostile_comment: str) -> None:
    # GitHub links mentions and references in text, never in code: drop code, then look.
    html = re.sub(r"<pre>.*?</pre>|<code>.*?</code>", "", markdown_to_html(hostile_comment), flags=re.S)
    text = "".join(collect(html).text)
    assert "@octocat" in hostile_comment  # the stderr tail, inside a code block
    assert not re.search(r"(?<!\w)@[A-Za-z0-9]", text)
    assert not re.search(r"(?<!\w)#[0-9]", text)


def test_comment_tables_keep_their_shape(hostile_comment: str) -> None:
    html = markdown_to_html(hostile_comment)
    for table in re.findall(r"<table>.*?</table>", html, re.S):
        header = len(re.findall(r"<th[ >]", table.split("</thead>")[0]))
        for row in re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>")[-1], re.S):
            assert len(re.findall(r"<td[ >]", row)) == header
    # The name with a pipe and a newline is one cell, shown on one line.
    assert re.search(r"<td[^>]*>pipe \| and newline</td>", html)


def test_comment_shows_hostile_names_as_text(hostile_comment: str) -> None:
    text = "".join(collect(markdown_to_html(hostile_comment)).text).replace(ZWJ, "")
    for name in HOSTILE_NAMES:
        assert name.replace("\n", " ") in text


def test_summary_is_escaped_too() -> None:
    text = render_summary(demo_context(hostile=True))
    assert "<!--" not in text and "<script>" not in text
    assert "## perf &lt;b&gt;@" + ZWJ + "octocat&lt;/b&gt;" in text


def test_html_dashboard_escapes_everything() -> None:
    html = render_html(demo_context(hostile=True, cross_machine=True))
    parsed = collect(html)
    tags = {t for t, _ in parsed.tags}
    assert "script" not in tags and "img" not in tags and "b" in tags  # <b> is ours (labels)
    assert not any(k.startswith("on") for _, attrs in parsed.tags for k in attrs)
    hrefs = {a.get("href") for t, a in parsed.tags if t == "a"}
    assert hrefs <= OUR_LINKS
    text = "".join(parsed.text)
    for name in HOSTILE_NAMES:
        assert name in text
    assert "<!-- lanebench:comment -->" not in html


def test_csv_defuses_hostile_names_and_keeps_values() -> None:
    ctx = demo_context(hostile=True)
    rows = list(csv.DictReader(io.StringIO(render_csv_samples(ctx))))
    names = {r["benchmark"] for r in rows}
    assert "'=HYPERLINK(\"http://evil.example\",\"x\")" in names
    assert "'@octocat please look" in names
    assert "pipe | and\nnewline" in names  # quoted by csv, not altered
    summary = list(csv.DictReader(io.StringIO(render_csv_summary(ctx))))
    assert all(not r["benchmark"].startswith(("=", "+", "-", "@")) for r in summary)
    # Negative numbers stay numbers: only text cells are defused.
    assert any(r["change_percent"].startswith("-") for r in summary)
