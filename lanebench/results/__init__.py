"""The versioned results document: one JSON file per run, raw samples per metric.

This package owns every block of the file: `model.py` types each one with its reader
and writer, `checks.py` and `json_input.py` hold what reading untrusted JSON checks, and
`files.py` reads and writes whole files (`write_results` is the only writer).

Schema versions are semver strings. Readers accept any file whose major version they
know (unknown keys from newer minor versions are kept and written back untouched) and
refuse an unknown major version with a message that says which lanebench reads it.

1.1.0 added three optional blocks (1.0.0 files are read as before, without them):
- top-level `calibration`: the reference workload's times in this run
  (`lanebench.calibration`);
- top-level `history`: in a baseline, summaries of the last main-branch runs
  (`lanebench.baseline.append_history`);
- per benchmark, `paired`: the base commit's samples measured interleaved with head's
  (`lanebench.runner.paired`).

1.2.0 writes a benchmark's `settings` the same way for plain and paired runs, from one
loop (`lanebench.runner.stages`): `max_iterations` is the lane's maximum in both (paired
runs without adaptive stopping wrote the minimum), and `adaptive` is the stopping rule's
plan object in both (plain adaptive runs wrote `true`, which readers still take as the
default plan rebuilt from min and max). Paired runs also record `run.spawner`,
`run.subreaper`, `run.budget_note` and `maxrss_floor` as plain runs do. Every block is now
typed and checked when read (run fields such as `measuring_seconds`, a benchmark's
`settings` and `maxrss_floor`), so a mistyped one is refused with its path instead of
being ignored.

1.3.0 added the optional top-level `main_runs`: in a baseline, one compact record per
main-branch run (median, n and interval per benchmark x metric, runner, calibration),
up to 200 runs, from which `lanebench history` and the baseline job find change points
and drift (`lanebench.history_store`, `lanebench.stats.trends`).

1.4.0 adds, per benchmark, `instructions`: the instrument fingerprint and the stored
cachegrind profile of a benchmark measured with `instrument: instructions`, whose samples
then hold `instructions` (and with cache simulation `l1_misses`, `ll_misses`,
`estimated_cycles`). A benchmark measured by instructions alone has no `wall` samples.
"""

from lanebench.results.checks import MAX_SAMPLE, MIN_SAMPLE, is_sample, sample_problem
from lanebench.results.files import (
    RESULTS_FILE_NAME,
    ResultsLimits,
    check_major,
    parse_version,
    read_results,
    results_from_dict,
    write_results,
)
from lanebench.results.json_input import (
    MAX_JSON_DEPTH,
    MAX_RESULTS_BYTES,
    MAX_STRING_LENGTH,
    ResultsLimitError,
    check_json_shape,
    load_json_file,
    parse_json,
)
from lanebench.results.model import (
    BENCHMARK_STATUSES,
    FAILURE_STATUSES,
    KIND,
    RUN_STATUSES,
    SCHEMA_VERSION,
    SUPPORTED_MAJOR,
    AdaptivePlan,
    BenchmarkResult,
    BenchmarkStatus,
    Calibration,
    Failure,
    FailureStatus,
    HistoryEntry,
    InstructionCounts,
    PairedBenchmark,
    PairedRun,
    ResultsDocument,
    RunInfo,
    RunSettings,
    RunStatus,
    Samples,
    SpawnerInfo,
)

__all__ = [
    "BENCHMARK_STATUSES",
    "FAILURE_STATUSES",
    "KIND",
    "MAX_JSON_DEPTH",
    "MAX_RESULTS_BYTES",
    "MAX_SAMPLE",
    "MAX_STRING_LENGTH",
    "MIN_SAMPLE",
    "RESULTS_FILE_NAME",
    "RUN_STATUSES",
    "SCHEMA_VERSION",
    "SUPPORTED_MAJOR",
    "AdaptivePlan",
    "BenchmarkResult",
    "BenchmarkStatus",
    "Calibration",
    "Failure",
    "InstructionCounts",
    "FailureStatus",
    "HistoryEntry",
    "PairedBenchmark",
    "PairedRun",
    "ResultsDocument",
    "ResultsLimitError",
    "ResultsLimits",
    "RunInfo",
    "RunSettings",
    "RunStatus",
    "Samples",
    "SpawnerInfo",
    "check_json_shape",
    "check_major",
    "is_sample",
    "load_json_file",
    "parse_json",
    "parse_version",
    "read_results",
    "results_from_dict",
    "sample_problem",
    "write_results",
]
