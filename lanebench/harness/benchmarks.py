"""A harness's cases as benchmark entries of today's results document (schema 1.x).

Today's entries carry raw samples per metric and nothing about units or directions, so
each entry here keeps the samples the schema can hold (`samples`, every metric of one
count) and puts the rest in a `harness` block that readers of schema 1.x keep untouched:
the format and version, the case's selector and parameters, and per metric its unit,
direction, evidence, the harness's summary or single value. When the results schema
carries direction and unit itself, this block is where they come from.
"""

from __future__ import annotations

import re
from typing import Any

from lanebench.harness.model import Case, HarnessOutput


def metric_key(name: str) -> str:
    """A harness's metric name as a results-file metric name (a lower-case identifier of at
    most 64 characters): Go's `compares/op` is `compares_per_op`, a Google Benchmark user
    counter `CacheMisses` is `cachemisses`."""
    key = re.sub(r"[^a-z0-9_]+", "_", name.lower().replace("/", "_per_")).strip("_")
    if not key or not key[0].isalpha():
        key = "m_" + key
    return key[:64]


def benchmark_dicts(output: HarnessOutput, command: list[str] | str = "") -> list[dict[str, Any]]:
    """One results-document benchmark entry per case, in the harness's order."""
    return [_entry(output, case, command) for case in output.cases]


def _entry(output: HarnessOutput, case: Case, command: list[str] | str) -> dict[str, Any]:
    primary = case.primary
    count = len(primary.samples) if primary is not None and primary.samples else None
    samples: dict[str, list[float]] = {}
    metrics: dict[str, dict[str, Any]] = {}
    notes: list[str] = []
    keys: set[str] = set()
    for m in case.metrics:
        key = metric_key(m.name)
        while key in keys:  # two names that differ only in what a key cannot hold
            key = key[:60] + f"_{len(keys)}"
        keys.add(key)
        info: dict[str, Any] = {"unit": m.unit, "direction": m.direction, "evidence": m.evidence}
        if key != m.name:
            info["name"] = m.name
        if m.summary is not None:
            info["summary"] = m.summary.to_dict()
        if m.reported is not None:
            info["reported"] = m.reported
        if m.samples:
            if len(m.samples) == count:
                samples[key] = list(m.samples)
            else:  # the schema wants one count per benchmark: keep it beside, say so
                info["samples"] = list(m.samples)
                notes.append(f"{m.name}: {len(m.samples)} samples where {case.metrics[0].name} has "
                             f"{count}; kept under harness.metrics")
        if m.note:
            notes.append(f"{m.name}: {m.note}")
        metrics[key] = info
    status = "ok"
    if case.error is not None:
        notes.insert(0, f"the harness reports a failure: {case.error}")
        status = "failed" if not samples else "ok"
    return {
        "name": case.name,
        "command": command,
        "samples": samples,
        "status": status,
        "notes": notes,
        "harness": {
            "format": output.format,
            "harness": output.harness,
            "version": output.version,
            "selector": case.selector,
            "params": case.params,
            "metrics": metrics,
            "extra": case.extra,
        },
    }
