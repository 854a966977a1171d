"""`lanebench run`: measure the configured benchmarks and write a results file."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lanebench.commands._lane_choice import lane_name_for
from lanebench.commands._output import check_output_directory, check_output_file
from lanebench.config import DEFAULT_CONFIG_PATH, BenchmarkSpec, Config, LaneSettings
from lanebench.config.model import MAX_ITERATIONS, MAX_WARMUP, checked_override
from lanebench.errors import EXIT_FAIL, EXIT_OK, ConfigError
from lanebench.names import shown_names
from lanebench.results import RESULTS_FILE_NAME

ORDER = 10

EPILOG = """\
iterations:
  Each benchmark runs `warmup` unmeasured iterations, then `min_iterations` measured
  ones (lane settings). --iterations N runs exactly N (min = max = N). Up to
  `max_iterations` are run only when a stopping rule decides when there are enough
  samples (the GitHub Action's adaptive mode), never beyond the lane's `budget`.

paired A/B (--paired REF):
  Checks out REF (e.g. main) in a temporary git worktree, runs the config's `setup` in
  both trees, then measures base and head interleaved, pair by pair in a seeded random
  order, on this machine. The results file holds both sides; `lanebench pr --results`
  or `lanebench pr --paired REF` judges it with the paired signed-rank test. Takes
  `min_iterations` pairs, then more, up to `max_iterations`, for benchmarks whose
  verdicts are still open (within the budget). About twice the time of a plain run; no
  --resume. See docs/noise.md.

calibration:
  A plain run also times lanebench's reference workload 3 times before and 2 times after
  the benchmarks (`calibration.measure` in the lane settings), so that a comparison
  can tell how fast each run's machine was.

exit status:
  0 every benchmark succeeded, 1 a benchmark failed or timed out (the results file is
  still written), 2 a usage or config error, 130/143 interrupted by SIGINT/SIGTERM
  (partial results are written; continue with --resume).

examples:
  lanebench run
  lanebench run --config examples/demo/.github/lanebench.yml --iterations 5
  lanebench run --lane heavy --benchmark parse --benchmark render -o head.json
  lanebench run --resume            # continue a run that was cancelled or killed
  lanebench run --paired main -o paired.json   # base (main) and head, interleaved
"""


def register(sub: Any, formatter: type[argparse.HelpFormatter]) -> None:
    p = sub.add_parser(
        "run",
        help="measure the configured benchmarks and write a results file",
        formatter_class=formatter,
        description="Run each benchmark of a lane warmup + N times, measuring wall time, CPU, "
        "peak memory and I/O of its whole process tree, and write the raw samples to a "
        "results file (see docs/metrics.md). Progress goes to stderr; command output to "
        "log files under .lanebench/logs/ beside the results file.",
        epilog=EPILOG,
    )
    p.add_argument(
        "--config", "-c", type=Path, default=None, metavar="PATH",
        help=f"config file (default: {DEFAULT_CONFIG_PATH})",
    )
    p.add_argument(
        "--lane", "-l", default=None, metavar="NAME",
        help="lane whose settings to use (default: standard, else the config's last lane)",
    )
    p.add_argument(
        "--iterations", "-n", type=_count(1), default=None, metavar="N",
        help="measured iterations per benchmark (sets min_iterations = max_iterations = N)",
    )
    p.add_argument(
        "--warmup", "-w", type=_count(0), default=None, metavar="N",
        help="unmeasured iterations before the measured ones (default: the lane's)",
    )
    p.add_argument(
        "--benchmark", "-b", action="append", dest="benchmarks", default=None, metavar="NAME",
        help="run only this benchmark (repeat for several; default: the lane's)",
    )
    p.add_argument(
        "--output", "-o", type=Path, default=Path(RESULTS_FILE_NAME), metavar="PATH",
        help=f"results file to write (default: {RESULTS_FILE_NAME})",
    )
    p.add_argument(
        "--resume", action="store_true",
        help="continue from the checkpoint of an interrupted run with the same settings",
    )
    p.add_argument(
        "--checkpoint", type=Path, default=None, metavar="PATH",
        help="checkpoint file (default: the output's name with .checkpoint.jsonl)",
    )
    p.add_argument(
        "--log-dir", type=Path, default=None, metavar="DIR",
        help="where command output goes (default: .lanebench/logs beside the output)",
    )
    p.add_argument(
        "--paired", default=None, metavar="BASE_REF",
        help="also measure git ref BASE_REF (in a temporary worktree), interleaved with head",
    )
    p.set_defaults(func=run)


def _count(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected a number >= {minimum}, got {value}")
        return value

    return parse


def lane_with_overrides(
    lane: LaneSettings, iterations: int | None, warmup: int | None
) -> LaneSettings:
    """The lane's settings with the command line's --iterations / --warmup applied."""
    update: dict[str, Any] = {}
    if iterations is not None:
        checked_override("--iterations", iterations, 1, MAX_ITERATIONS)
        update.update(min_iterations=iterations, max_iterations=iterations)
    if warmup is not None:
        update["warmup"] = checked_override("--warmup", warmup, 0, MAX_WARMUP)
    settings = LaneSettings.model_validate(
        lane.model_dump(include=set(LaneSettings.model_fields))
    )
    return settings.model_copy(update=update) if update else settings


def select_benchmarks(config: Config, lane: LaneSettings, names: list[str] | None) -> list[BenchmarkSpec]:
    """The benchmarks named on the command line, else the lane's (`all` or its list)."""
    known = {b.name: b for b in config.benchmarks}
    if names:
        unknown = [n for n in names if n not in known]
        if unknown:
            raise ConfigError(
                f"unknown benchmark{'s' if len(unknown) > 1 else ''}: {shown_names(unknown)}",
                hint=f"known: {shown_names(list(known))}",
            )
        return [known[n] for n in dict.fromkeys(names)]
    if lane.benchmarks == "all":
        return list(config.benchmarks)
    return [known[n] for n in lane.benchmarks]


def run(args: argparse.Namespace) -> int:
    from lanebench.config import load_config
    from lanebench.pipeline import measure_lane
    from lanebench.runner import local_run_info, make_progress

    check_output_file(args.output, "--output")
    if args.checkpoint is not None:
        check_output_file(args.checkpoint, "--checkpoint")
    if args.log_dir is not None:
        check_output_directory(args.log_dir, "--log-dir")
    config = load_config(args.config)
    lane_name = lane_name_for(config, args.lane)
    lane = lane_with_overrides(config.lanes[lane_name], args.iterations, args.warmup)
    benchmarks = select_benchmarks(config, lane, args.benchmarks)
    doc = measure_lane(
        config, lane_name, lane, benchmarks, output=args.output,
        run_info=local_run_info(config.root, config.path), progress=make_progress(sys.stderr),
        paired_base=args.paired, resume=args.resume, checkpoint=args.checkpoint,
        log_dir=args.log_dir,
    )
    samples = sum(b.n for b in doc.benchmarks)
    bad = [b for b in doc.benchmarks if b.status in ("failed", "timeout")]
    line = f"wrote {args.output}: lane {lane_name}, {len(doc.benchmarks)} benchmark(s), {samples} samples"
    if args.paired:
        line += f" per side, paired with {args.paired}"
    if bad:
        line += "; " + ", ".join(f"{b.name} {b.status}" for b in bad)
    print(line)
    return EXIT_FAIL if bad else EXIT_OK
