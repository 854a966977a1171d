"""The two Jinja2 environments: Markdown (escape-by-default via finalize) and HTML (autoescape)."""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from lanebench.formatting import format_value
from lanebench.report.escape import (
    escape_markdown,
    escape_markdown_code_block,
    strip_for_html,
)


def _markdown_finalize(value: Any) -> Any:
    # Every `{{ ... }}` in a Markdown template is escaped unless it is Markup already,
    # so forgetting the `md` filter can never let PR text through raw.
    if isinstance(value, Markup):
        return value
    return escape_markdown(value)


@cache
def markdown_environment() -> Environment:
    env = Environment(
        loader=PackageLoader("lanebench.report", "templates"),
        autoescape=False,
        finalize=_markdown_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=StrictUndefined,
    )
    env.filters["md"] = escape_markdown
    env.filters["code_block"] = escape_markdown_code_block
    env.filters["value"] = lambda v, unit: Markup(format_value(v, unit))
    return env


@cache
def html_environment() -> Environment:
    env = Environment(
        loader=PackageLoader("lanebench.report", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html", "j2"), default=True),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=StrictUndefined,
    )
    env.filters["text"] = strip_for_html
    env.filters["value"] = format_value
    return env
