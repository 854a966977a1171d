"""Where the instructions went: the functions whose counts changed most between two profiles.

Functions are matched by (source file, function) after the file names are made relative to
the project (a worktree and the main checkout hold the same sources at different absolute
paths). A function whose file moved or was renamed is matched by its name alone, when that
name is unique among the functions left unmatched on both sides.

What a profile can name: cachegrind sees machine code, so for an interpreted language it
names the interpreter's C functions (`_PyEval_EvalFrameDefault`), never the Python
functions they ran (docs/instructions.md, "Naming Python functions").
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from lanebench.profile.cachegrind import FunctionKey, Profile

UNKNOWN = "???"  # cachegrind's name for code without symbols or debug information


def normalise_file(name: str, roots: Sequence[str] = ()) -> str:
    """A source file name as it reads the same in every checkout: relative to the first
    root it lies under, with `./` and `..` folded; other names as they are."""
    if name in ("", UNKNOWN):
        return name
    for root in roots:
        prefix = root.rstrip("/") + "/"
        if name.startswith(prefix):
            return os.path.normpath(name[len(prefix):])
    if name.startswith("/"):
        return name
    return str(PurePosixPath(os.path.normpath(name)))


def normalised_counts(profile: Profile, event: str, roots: Sequence[str] = ()) -> dict[FunctionKey, int]:
    out: dict[FunctionKey, int] = {}
    for (file, function), count in profile.counts(event).items():
        key = (normalise_file(file, roots), function)
        out[key] = out.get(key, 0) + count
    return out


@dataclass(frozen=True)
class FunctionChange:
    """One function's count in base and head. `share` is its part of the total change
    (signed: functions that moved the other way make the others' shares exceed 100%)."""

    file: str
    function: str
    base: int
    head: int
    share: float | None
    moved_from: str | None = None
    # a side whose stored profile left this function out: its count there is unknown but
    # below this bound (lanebench.profile.store); `base`/`head` then hold 0
    base_below: int = 0
    head_below: int = 0

    @property
    def change(self) -> int:
        return self.head - self.base

    @property
    def label(self) -> str:
        """`function (file)`, or the function alone when the file is unknown."""
        if self.file in ("", UNKNOWN):
            return self.function
        return f"{self.function} ({self.file})"

    @property
    def short_label(self) -> str:
        """`label` with a file outside the project (an absolute path: the interpreter's or a
        library's build tree) cut to its last two parts: `_PyEval_EvalFrameDefault
        (…/Python/ceval.c)`."""
        parts = PurePosixPath(self.file).parts
        if not self.file.startswith("/") or len(parts) <= 3:
            return self.label
        return f"{self.function} (…/{'/'.join(parts[-2:])})"


@dataclass(frozen=True)
class ProfileDiff:
    event: str
    base_total: int
    head_total: int
    rows: list[FunctionChange]  # largest absolute change first
    functions_changed: int

    @property
    def change(self) -> int:
        return self.head_total - self.base_total


def _match_moved(
    base: dict[FunctionKey, int], head: dict[FunctionKey, int]
) -> dict[FunctionKey, FunctionKey]:
    """head key -> base key for functions whose file name changed, matched by a function
    name that is unique among the unmatched keys of each side."""
    only_base = [k for k in base if k not in head and k[1] != UNKNOWN]
    only_head = [k for k in head if k not in base and k[1] != UNKNOWN]

    def unique(keys: list[FunctionKey]) -> dict[str, FunctionKey]:
        by_name: dict[str, list[FunctionKey]] = {}
        for k in keys:
            by_name.setdefault(k[1], []).append(k)
        return {name: ks[0] for name, ks in by_name.items() if len(ks) == 1}

    base_by_name = unique(only_base)
    return {hk: base_by_name[name] for name, hk in unique(only_head).items() if name in base_by_name}


def diff_counts(
    base: Mapping[FunctionKey, int],
    head: Mapping[FunctionKey, int],
    *,
    event: str = "Ir",
    top: int = 10,
    base_folded_below: int = 0,
    head_folded_below: int = 0,
) -> ProfileDiff:
    """The `top` functions by absolute change of one event's count. `*_folded_below` say
    that side is a stored profile whose left-out functions each counted fewer than that."""
    base, head = dict(base), dict(head)
    moved = _match_moved(base, head) if not (base_folded_below or head_folded_below) else {}
    rows: list[FunctionChange] = []
    seen_base: set[FunctionKey] = set()
    for key, h in head.items():
        bkey = moved.get(key, key)
        b = base.get(bkey, 0)
        seen_base.add(bkey)
        rows.append(FunctionChange(key[0], key[1], b, h, None, bkey[0] if bkey != key else None,
                                   base_below=base_folded_below if bkey not in base else 0))
    rows += [FunctionChange(k[0], k[1], b, 0, None, head_below=head_folded_below)
             for k, b in base.items() if k not in seen_base]
    base_total, head_total = sum(base.values()), sum(head.values())
    total_change = head_total - base_total
    changed = [r for r in rows if r.change]
    changed.sort(key=lambda r: (-abs(r.change), r.label))
    shown = [
        dataclasses.replace(r, share=r.change / total_change if total_change else None)
        for r in changed[:top]
    ]
    return ProfileDiff(event, base_total, head_total, shown, len(changed))


def diff_profiles(
    base: Profile, head: Profile, *, event: str = "Ir", top: int = 10,
    base_roots: Sequence[str] = (), head_roots: Sequence[str] = (),
) -> ProfileDiff:
    """Diff two profiles; `*_roots` are each side's project directories (made relative)."""
    return diff_counts(normalised_counts(base, event, base_roots),
                       normalised_counts(head, event, head_roots), event=event, top=top)
