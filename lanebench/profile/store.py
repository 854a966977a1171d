"""A profile small enough to keep in a results file and a baseline artifact.

A cachegrind profile of one Python command holds a few thousand functions (~80 KB of
JSON for instructions alone); a results file keeps one per benchmark, and every pull
request downloads the baseline's. So a stored profile keeps:

- the functions with the largest instruction counts, as many as fit `max_bytes` once
  compressed (gzip, then base64 for JSON); `kept_share` says which part of the total
  they hold;
- one "(other functions)" row with the sum of the rest, so totals still add up;
- `folded_below`: every function left out counted fewer than this, so a diff against a
  full profile can say "fewer than N" for a function missing here instead of "0".

File names are made relative to the project when stored (`normalise_file`), so a profile
measured in a worktree diffs cleanly against one measured in the main checkout.
"""

from __future__ import annotations

import base64
import gzip
import json
import zlib
from collections.abc import Mapping, Sequence
from typing import Any

from lanebench.profile.cachegrind import FunctionKey, Profile, ProfileError
from lanebench.profile.diff import ProfileDiff, diff_counts, normalise_file

FORMAT = "lanebench-profile/1"
OTHER = ("", "(other functions)")
DEFAULT_MAX_BYTES = 16 * 1024


def _encode(rows: list[list[Any]]) -> str:
    raw = json.dumps(rows, separators=(",", ":")).encode()
    return base64.b64encode(gzip.compress(raw, compresslevel=9, mtime=0)).decode("ascii")


def compact_profile(
    profile: Profile, *, roots: Sequence[str] = (), max_bytes: int = DEFAULT_MAX_BYTES
) -> dict[str, Any]:
    """The stored form: a JSON-ready dict whose `data` is at most `max_bytes` long."""
    events = list(profile.events)
    ir = events.index("Ir") if "Ir" in events else 0
    merged: dict[FunctionKey, list[int]] = {}
    for (file, function), counts in profile.functions.items():
        key = (normalise_file(file, roots), function)
        into = merged.setdefault(key, [0] * len(events))
        for k, value in enumerate(counts):
            into[k] += value
    ranked = sorted(merged.items(), key=lambda kv: (-kv[1][ir], kv[0]))
    total = sum(c[ir] for _, c in ranked) or 1

    def rows(n: int) -> list[list[Any]]:
        kept = [[file, fn, *counts] for (file, fn), counts in ranked[:n]]
        rest = [sum(c[k] for _, c in ranked[n:]) for k in range(len(events))]
        return kept + ([[*OTHER, *rest]] if n < len(ranked) else [])

    low, high = 0, len(ranked)
    while low < high:  # the largest n whose encoding fits
        mid = (low + high + 1) // 2
        if len(_encode(rows(mid))) <= max_bytes:
            low = mid
        else:
            high = mid - 1
    n = low
    data = _encode(rows(n))
    return {
        "format": FORMAT,
        "events": events,
        "totals": list(profile.totals),
        "processes": profile.processes,
        "functions": len(ranked),
        "kept": n,
        "kept_share": round(sum(c[ir] for _, c in ranked[:n]) / total, 6),
        "folded_below": ranked[n][1][ir] + 1 if n < len(ranked) else 0,
        "encoding": "gzip+base64",
        "data": data,
    }


def expand_profile(stored: Mapping[str, Any]) -> tuple[Profile, int]:
    """The profile back (functions left out summed in "(other functions)") and its
    `folded_below` (0 when nothing was left out)."""
    if stored.get("format") != FORMAT:
        raise ProfileError(f"unknown stored profile format {stored.get('format')!r} (expected {FORMAT})")
    try:
        rows = json.loads(gzip.decompress(base64.b64decode(stored["data"])))
        events = tuple(stored["events"])
        functions = {(r[0], r[1]): [int(v) for v in r[2:]] for r in rows}
        profile = Profile(events=events, functions=functions, totals=list(stored["totals"]),
                          processes=int(stored.get("processes", 0)))
    except (KeyError, ValueError, TypeError, OSError, EOFError, zlib.error) as err:
        raise ProfileError(f"a stored profile is damaged: {err}") from None
    return profile, int(stored.get("folded_below", 0))


def diff_stored(
    base: Mapping[str, Any], head: Mapping[str, Any], *, event: str = "Ir", top: int = 10
) -> ProfileDiff:
    """Where the counts went between two stored profiles (file names already relative);
    ProfileError when either is damaged."""
    base_profile, base_below = expand_profile(base)
    head_profile, head_below = expand_profile(head)
    return diff_counts(
        {k: v for k, v in base_profile.counts(event).items() if k != OTHER},
        {k: v for k, v in head_profile.counts(event).items() if k != OTHER},
        event=event, top=top, base_folded_below=base_below, head_folded_below=head_below,
    )
