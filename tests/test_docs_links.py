"""Every relative link in the README and the docs reaches a file, and every #anchor a heading.

Links are read the way GitHub reads them (markdown-it-py, so links inside code blocks
and code spans are not links), relative to the file that holds them; anchors are
GitHub's heading slugs (lower case, punctuation dropped, spaces to hyphens, `-1` for a
repeated heading).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.anchors import anchors_plugin

REPO = Path(__file__).resolve().parents[1]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md")),
        *sorted((REPO / "examples").glob("**/*.md"))]


@cache
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark").enable(["table", "strikethrough"]).use(anchors_plugin, max_level=6)


def _tokens(path: Path) -> list[Token]:
    return _parser().parse(path.read_text(encoding="utf-8"))


def _walk(tokens: list[Token]) -> list[Token]:
    out: list[Token] = []
    for token in tokens:
        out.append(token)
        if token.children:
            out.extend(_walk(token.children))
    return out


def links(path: Path) -> list[str]:
    """Targets of every link and image in `path`."""
    found = []
    for token in _walk(_tokens(path)):
        if token.type == "link_open":
            found.append(str(token.attrGet("href")))
        elif token.type == "image":
            found.append(str(token.attrGet("src")))
    return found


@cache
def anchors(path: Path) -> frozenset[str]:
    """The heading ids GitHub gives `path`."""
    return frozenset(
        str(t.attrGet("id")) for t in _tokens(path) if t.type == "heading_open" and t.attrGet("id")
    )


def broken_links(doc: Path) -> list[str]:
    broken = []
    for href in links(doc):
        parts = urlsplit(href)
        if parts.scheme or parts.netloc:
            continue  # absolute URLs: checked by nobody here, there is no network
        target = (doc.parent / unquote(parts.path)).resolve() if parts.path else doc
        if not target.exists():
            broken.append(f"{href}: no such file")
        elif parts.fragment and target.suffix == ".md" and unquote(parts.fragment) not in anchors(target):
            broken.append(f"{href}: no heading with the anchor #{parts.fragment}")
    return broken


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.relative_to(REPO).as_posix())
def test_relative_links_and_anchors_resolve(doc: Path) -> None:
    assert broken_links(doc) == []


def test_the_checker_sees_a_broken_file_link_and_a_broken_anchor(tmp_path: Path) -> None:
    (tmp_path / "other.md").write_text("# Other\n\n## Reading the comment\n\n## Reading the comment\n")
    doc = tmp_path / "doc.md"
    doc.write_text(
        "# Top\n\n[ok](other.md#reading-the-comment-1) [ok](#top) [ok](https://x.invalid/y)\n"
        "[gone](missing.md) [bad anchor](other.md#nowhere) `[code](not-a-link.md)`\n\n"
        "```\n[fenced](not-a-link-either.md)\n```\n"
    )
    assert broken_links(doc) == [
        "missing.md: no such file",
        "other.md#nowhere: no heading with the anchor #nowhere",
    ]
