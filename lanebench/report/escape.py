"""Escaping of untrusted text, one function per target.

Benchmark names, branch names, lane reasons, labels and command output come from the
pull request, so every one of them passes through exactly one function here before it
reaches a comment, a summary, a chart, a CSV cell or the HTML dashboard. The templates
use these through Jinja2 filters; HTML itself is escaped by Jinja2's autoescape.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

from markupsafe import Markup

ZWJ = "\u200d"  # zero-width joiner: invisible, but breaks @mentions, #refs and autolinks

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u2028\u2029]")
_NEWLINES = re.compile(r"\s*[\r\n]+\s*")
# Characters with a meaning in GitHub Markdown inline text or in a table row.
_MD_PUNCT = re.compile(r"([\\`*_\[\]|~])")
_MENTION = re.compile(r"@(?=[A-Za-z0-9])")
_REFERENCE = re.compile(r"#(?=[0-9])")
_AUTOLINK = re.compile(r"(?i)(://|\bwww\.)")
_COMMENT_OPEN = "<!--"


def _plain(text: object) -> str:
    s = "" if text is None else str(text)
    s = _CONTROL.sub("", s)
    return s


def escape_markdown(text: object) -> Markup:
    """Inline Markdown text that renders as exactly the characters given, on one line.

    Newlines become spaces (they would end a table row), Markdown punctuation gets a
    backslash, `<`, `>` and `&` become entities (no raw HTML, no `<!--` marker forgery),
    and `@name`, `#123` and URLs get a zero-width joiner so they neither ping, nor
    cross-reference, nor link.
    """
    if isinstance(text, Markup):
        return text
    s = _NEWLINES.sub(" ", _plain(text)).replace("\t", " ")
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    s = _MENTION.sub("@" + ZWJ, s)
    s = _REFERENCE.sub("#" + ZWJ, s)
    s = _AUTOLINK.sub(lambda m: m.group(1)[:-1] + ZWJ + m.group(1)[-1], s)
    s = _MD_PUNCT.sub(r"\\\1", s)
    return Markup(s)


def escape_markdown_code_block(text: object, *, info: str = "") -> Markup:
    """A fenced code block showing `text` verbatim (command output, stderr tails).

    The fence is longer than any backtick run inside, so the text cannot close it;
    `<!--` is broken with a zero-width joiner so the raw body never holds a marker.
    """
    s = _plain(text).replace("\r\n", "\n").replace("\r", "\n")
    s = s.replace(_COMMENT_OPEN, "<" + ZWJ + "!--")
    longest = max((len(m) for m in re.findall(r"`+|~+", s)), default=0)
    fence = "`" * max(3, longest + 1)
    return Markup(f"{fence}{info}\n{s.rstrip()}\n{fence}")


def escape_markdown_url(url: object) -> str | None:
    """A URL safe inside `[text](url)`, or None unless it is plain http(s)."""
    s = _plain(url).strip()
    try:
        parts = urlsplit(s)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return quote(s, safe=":/?#[]@!$&'*+,;=%~-._")


def escape_mermaid_label(text: object, *, max_length: int = 24) -> str:
    """A label for a Mermaid chart: a quoted string that cannot end the string or the fence."""
    s = _NEWLINES.sub(" ", _plain(text))
    s = re.sub(r"[^\w .:/+\-()%]", "_", s).replace("%%", "%").strip() or "_"
    if len(s) > max_length:
        s = s[: max_length - 1] + "…"
    return s


def escape_csv_cell(text: object) -> str:
    """Text for a CSV cell that a spreadsheet shows as text, never runs as a formula.

    Cells starting with = + - @ (or tab / carriage return, which some spreadsheets skip)
    get a leading apostrophe, as OWASP recommends. Numbers are written as numbers and
    never pass through here.
    """
    s = "" if text is None else str(text)
    if s and s[0] in "=+-@\t\r":
        return "'" + s
    return s


def plain_line(text: object) -> str:
    """Text for a terminal or a plain-text field (a check run's title): one line, no
    control bytes (no terminal escape sequences), no Markdown escapes."""
    return _NEWLINES.sub(" ", _plain(text)).replace("\t", " ")


def strip_for_html(text: object) -> str:
    """Text for the HTML dashboard; Jinja2 autoescape does the escaping, this drops control bytes."""
    return _plain(text)
