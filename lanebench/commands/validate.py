"""`lanebench validate`: check a results file (or a config file) and say what is wrong."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

ORDER = 30


def register(sub: Any, formatter: type[argparse.HelpFormatter]) -> None:
    p = sub.add_parser(
        "validate",
        help="check a results file or a config file",
        formatter_class=formatter,
        description="Validate a results file (JSON) or a config file (YAML). Exit 0 when valid, "
        "2 with one line per problem otherwise.",
        epilog="examples:\n  lanebench validate lanebench-results.json\n"
        "  lanebench validate .github/lanebench.yml",
    )
    p.add_argument("files", nargs="+", type=Path, metavar="FILE")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from lanebench.config import load_config
    from lanebench.results import read_results

    for path in args.files:
        if path.suffix in (".yml", ".yaml"):
            cfg = load_config(path)
            print(f"{path}: valid config ({len(cfg.benchmarks)} benchmarks, lanes: {', '.join(cfg.lanes)})")
        else:
            doc = read_results(path)
            total = sum(b.n for b in doc.benchmarks)
            print(
                f"{path}: valid results (schema {doc.schema_version}, {len(doc.benchmarks)} "
                f"benchmarks, {total} samples)"
            )
    return 0
