"""`lanebench` command line: one subcommand module per verb under lanebench/commands/."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence

from lanebench import __version__
from lanebench.errors import EXIT_USAGE, LanebenchError
from lanebench.secrets import held_secrets

# The commands that run benchmarks: code under review, which must not find a token.
MEASURING_COMMANDS = frozenset({"run", "pr", "baseline"})


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
    held = held_secrets() if args.command in MEASURING_COMMANDS else []
    if held:
        # Benchmarks get an environment without them, but this process and the shell that
        # started it were started with them: /proc/<pid>/environ shows them to any
        # process of the same user. lanebench needs no token to measure.
        print(f"lanebench: warning: {', '.join(held)} set in the environment: the benchmarks "
              "do not inherit it, but can read it from /proc/<pid>/environ of this process "
              "and of the shell that started it; give the step that measures no token "
              "(docs/action.md#what-a-benchmark-can-read)", file=sys.stderr)
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
