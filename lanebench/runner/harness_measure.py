"""A sample of a harness benchmark: one invocation of the harness command, its output read.

The command runs like any benchmark's (`measure_once`: timeout, tree kill, logs), with
`{output}` replaced by a fresh path in the benchmark's log folder (`output: file`) or its
stdout read (`output: stdout`), and the lane's case selection appended (`selection`:
the harness's own filter arguments). The output is read by `lanebench.harness` and each
case gets one value per metric for this invocation (`harness.invocation`); the
invocation's own process metrics stay the sample's metrics, recorded for the harness
benchmark as a whole. An output that cannot be read makes the iteration an error whose
message names the file, the field and the harness version. An invocation that exited
non-zero but wrote its cases keeps them (the benchmark's note counts such invocations).
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from pathlib import Path

from lanebench import harness
from lanebench.config import BenchmarkSpec, LaneSettings
from lanebench.config.model import OUTPUT_PLACEHOLDER
from lanebench.harness.invocation import HarnessRun, invocation_cases
from lanebench.runner.measure import ProcessMeasure, run_of
from lanebench.runner.process import measure_once
from lanebench.runner.sample import Attempt, Run

OUTPUT_FILE = "harness-output"


def harness_argv(spec: BenchmarkSpec, output: Path | None, selection: list[str]) -> list[str]:
    """The command to run: `{output}` replaced, the selection arguments appended (last
    occurrence wins for the flags harnesses take: Go's -bench, --benchmark_filter)."""
    if isinstance(spec.command, str):
        text = spec.command
        if output is not None:
            text = text.replace(OUTPUT_PLACEHOLDER, shlex.quote(str(output)))
        if selection:
            text = f"{text} {shlex.join(selection)}"
        return ["/bin/sh", "-c", text]
    argv = list(spec.command)
    if output is not None:
        argv = [a.replace(OUTPUT_PLACEHOLDER, str(output)) for a in argv]
    return argv + list(selection)


class HarnessMeasure(ProcessMeasure):
    """`ProcessMeasure` for plain benchmarks; for a harness benchmark, one invocation per
    sample with its cases read (module docstring)."""

    def __init__(self, lane: LaneSettings, roots: Mapping[str, Path], log_dir: Path,
                 selection: Mapping[str, list[str]] | None = None) -> None:
        super().__init__(lane, roots, log_dir)
        self.selection = dict(selection or {})

    def label(self, spec: BenchmarkSpec) -> str:
        return f"{spec.name} ({spec.harness})" if spec.harness else spec.name

    def run_side(self, spec: BenchmarkSpec, side: str, attempt: Attempt) -> Run:
        if spec.harness is None:
            return super().run_side(spec, side, attempt)
        env = self.environment(spec)
        logs = self.log_folder(spec, side)
        logs.mkdir(parents=True, exist_ok=True)
        to_file = spec.harness_output == "file"
        out_file = (logs / OUTPUT_FILE).resolve() if to_file else None
        if out_file is not None:
            out_file.unlink(missing_ok=True)  # a harness that writes nothing must not be read stale
        argv = harness_argv(spec, out_file, self.selection.get(spec.name, []))
        timeout = spec.timeout if spec.timeout is not None else self.lane.timeout
        record = measure_once(argv, self.roots[side] / spec.cwd, env, timeout,
                              self.lane.sample_interval, logs)
        run = run_of(record, side)
        source = out_file if out_file is not None else record.stdout_path
        if not record.ok:
            # A harness that exited non-zero after writing its results (pytest exits 1 when
            # one test failed) still measured the other cases: they are kept, the failed
            # one is missing from the output and fails for this iteration on its own.
            kept = self._cases_despite_exit(spec, record.exit_code, record.signal, source)
            for path in (record.stdout_path, record.stderr_path, out_file):
                if path is not None and path.exists():
                    path.replace(path.with_name(f"iteration-{attempt.number}.{path.name}"))
            if kept is not None:
                run.status, run.harness = "ok", kept
            return run
        if source is None or not source.exists():
            run.status = "error"
            run.message = (f"{spec.harness} wrote no results to {source or 'stdout'}: check that "
                           "the command writes its results there")
            return run
        try:
            output = harness.read(source, spec.harness)
        except harness.HarnessError as exc:
            run.status = "error"
            run.message = str(exc)
            return run
        if not output.cases:
            run.status = "error"
            run.message = f"{source}: {spec.harness} reported no cases"
            return run
        run.harness = invocation_cases(output)
        return run

    @staticmethod
    def _cases_despite_exit(spec: BenchmarkSpec, exit_code: int | None, killed_by: int | None,
                            source: Path | None) -> HarnessRun | None:
        """The cases of an invocation that exited non-zero (not killed, not timed out) but
        wrote a readable output with at least one measured case; else None."""
        if not exit_code or killed_by is not None or source is None or not source.exists():
            return None
        assert spec.harness is not None
        try:
            output = harness.read(source, spec.harness)
        except harness.HarnessError:
            return None
        read = invocation_cases(output)
        return read if any(c.values and c.error is None for c in read.cases) else None
