"""`lanebench schema`: print the config file's JSON Schema."""

from __future__ import annotations

import argparse
import json
from typing import Any

ORDER = 90


def register(sub: Any, formatter: type[argparse.HelpFormatter]) -> None:
    p = sub.add_parser(
        "schema",
        help="print the config file's JSON Schema",
        formatter_class=formatter,
        description="Print the JSON Schema of .github/lanebench.yml (for editor completion).",
        epilog="example:\n  lanebench schema > lanebench.schema.json",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from lanebench.config import json_schema

    print(json.dumps(json_schema(), indent=2, ensure_ascii=False))
    return 0
