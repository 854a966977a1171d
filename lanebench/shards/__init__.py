"""Shards: one suite measured as N parts on N runners (a `strategy.matrix`), judged as one.

`plan.py` splits the planned benchmarks (`lanebench run --shard K/N`, the action's
`shard:` input) the same way on every job; `merge.py` puts the parts' results files back
together (`lanebench merge`, the action's `mode: merge`), refusing parts that do not
belong together. Each merged benchmark keeps the runner it was measured on (`shards` in
the results file), so the comparison normalises it by that runner's calibration
(`stats.comparison`). docs/shards.md has the workflow.
"""

from lanebench.shards.merge import (
    ShardError,
    ShardsIncomplete,
    find_shard_files,
    merge_shard_files,
    merge_shards,
)
from lanebench.shards.plan import (
    MAX_SHARDS,
    ShardPlan,
    ShardSpec,
    baseline_timings,
    config_digest,
    plan_shards,
    split,
)

__all__ = [
    "MAX_SHARDS",
    "ShardError",
    "ShardPlan",
    "ShardSpec",
    "ShardsIncomplete",
    "baseline_timings",
    "config_digest",
    "find_shard_files",
    "merge_shard_files",
    "merge_shards",
    "plan_shards",
    "split",
]
