"""`lanebench` command line: one subcommand module per verb under lanebench/commands/."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence

from lanebench import __version__
from lanebench.errors import EXIT_USAGE, LanebenchError


class _Formatter(argparse.RawDescriptionHelpFormatter):
    pass


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lanebench",
        description="Benchmark commands, compare against a baseline with honest statistics, "
        "and gate pull requests on the verdict.",
        formatter_class=_Formatter,
        epilog="Run `lanebench COMMAND --help` for a command's options and examples.",
    )
    parser.add_argument("--version", action="version", version=f"lanebench {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    import lanebench.commands as commands_pkg

    modules = []
    for info in pkgutil.iter_modules(commands_pkg.__path__):
        if info.name.startswith("_"):
            continue
        mod = importlib.import_module(f"lanebench.commands.{info.name}")
        if hasattr(mod, "register"):
            modules.append(mod)
    for mod in sorted(modules, key=lambda m: (getattr(m, "ORDER", 100), m.__name__)):
        mod.register(sub, _Formatter)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except LanebenchError as exc:
        for line in str(exc).splitlines():
            print(f"lanebench: error: {line}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("lanebench: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_USAGE


if __name__ == "__main__":
    raise SystemExit(main())
