"""Decide a change's lane and which benchmarks it needs, with a trace a person can read.

Order of evaluation, first hit wins:
1. a forced lane (the action's `lane:` input or `lanebench detect --lane`);
2. a pull request label `<label_prefix><lane>` (default `lanebench:heavy`);
3. the configured lanes in file order: a lane matches when any of its `when` blocks
   has every condition true; the last lane (no `when`) is the fallback.
The rules are evaluated even when a lane is forced, so reports can say what they
would have chosen. Nothing here knows where the change set came from.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal

import pathspec

from lanebench.changes import ChangedFile, ChangeSet
from lanebench.errors import ConfigError

if TYPE_CHECKING:
    from lanebench.config import BenchmarkSpec, Config
    from lanebench.config.lane_specs import LaneSpec, When

MAX_LISTED = 10  # files named in a trace entry; the rest are counted


@lru_cache(maxsize=256)
def _spec(patterns: tuple[str, ...]) -> pathspec.GitIgnoreSpec:
    return pathspec.GitIgnoreSpec.from_lines(patterns)


class PatternMatcher:
    """Gitignore-style patterns (later ones win, `!` negates) matched against a set of paths.

    Paths are relative to the repository root. With a `prefix` (the project root's folder
    inside the repository, e.g. "services/api/"), a path under it also matches when its
    project-relative form does. All paths are matched in one batch call, several times
    faster than path by path; `pattern_for` is only needed for explanations.
    """

    def __init__(self, patterns: Sequence[str], paths: Iterable[str], prefix: str = "") -> None:
        self.patterns = tuple(patterns)
        self.prefix = prefix
        self._spec = _spec(self.patterns)
        paths = list(paths)
        self.matched: set[str] = set(self._spec.match_files(paths))
        if prefix:
            inside = {p[len(prefix) :]: p for p in paths if p.startswith(prefix)}
            self.matched.update(inside[local] for local in self._spec.match_files(inside))

    def any_path(self, change: ChangedFile) -> bool:
        """Whether any of the change's paths matches (a rename has two)."""
        return change.path in self.matched or change.previous_path in self.matched

    def every_path(self, change: ChangedFile) -> bool:
        """Whether all of the change's paths match."""
        return change.path in self.matched and (
            change.previous_path is None or change.previous_path in self.matched
        )

    def pattern_for(self, path: str) -> str | None:
        """The pattern that includes `path` (the last one matching), or None."""
        forms = [path]
        if self.prefix and path.startswith(self.prefix):
            forms.append(path[len(self.prefix) :])
        for form in forms:
            result = self._spec.check_file(form)
            if result.include and result.index is not None:
                return self.patterns[result.index]
        return None

    def pattern_for_change(self, change: ChangedFile) -> str | None:
        for path in change.paths:
            hit = self.pattern_for(path)
            if hit is not None:
                return hit
        return None


def project_prefix(config: Config, change_set: ChangeSet) -> str:
    """Where the project root (the config's folder) sits inside the repository, as a path
    prefix like "services/api/"; "" when they are the same folder or it is unknown."""
    if change_set.root is None:
        return ""
    try:
        relative = config.root.resolve().relative_to(change_set.root.resolve())
    except (OSError, ValueError):
        return ""
    text = relative.as_posix()
    return "" if text in ("", ".") else text + "/"


def all_paths(files: Iterable[ChangedFile]) -> list[str]:
    """Every path a change touches, old paths of renames included, without repeats."""
    return list(dict.fromkeys(path for change in files for path in change.paths))


def _listed(paths: Sequence[str]) -> tuple[list[str], int]:
    return list(paths[:MAX_LISTED]), max(0, len(paths) - MAX_LISTED)


def _names(paths: Sequence[str], limit: int = 3) -> str:
    shown = ", ".join(paths[:limit])
    return shown + (f" and {len(paths) - limit} more" if len(paths) > limit else "")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


@dataclass
class ChangeStats:
    """The numbers the default rules are written in."""

    files: int
    code_files: int
    docs_files: int
    code_lines: int
    unknown_line_files: int  # binary code files: changed, line count unknown
    complete: bool
    source: str
    note: str
    labels: list[str]
    project_prefix: str = ""  # the config's folder inside the repository, e.g. "services/api/"


class _Facts:
    """A change set seen through the config's docs patterns, computed once."""

    def __init__(self, change_set: ChangeSet, docs_patterns: Sequence[str], prefix: str) -> None:
        self.change_set = change_set
        self.files = change_set.files
        self.prefix = prefix
        self.paths = all_paths(self.files)
        docs = PatternMatcher(docs_patterns, self.paths, prefix)
        self.code = [f for f in self.files if not docs.every_path(f)]
        self.code_lines = sum(f.lines or 0 for f in self.code)
        self.unknown_lines = sum(1 for f in self.code if f.lines is None)
        self.labels = {label.casefold() for label in change_set.labels}
        self.matchers: dict[tuple[str, ...], PatternMatcher] = {}

    def matcher(self, patterns: Sequence[str]) -> PatternMatcher:
        key = tuple(patterns)
        if key not in self.matchers:
            self.matchers[key] = PatternMatcher(key, self.paths, self.prefix)
        return self.matchers[key]

    def stats(self) -> ChangeStats:
        cs = self.change_set
        return ChangeStats(
            files=len(self.files),
            code_files=len(self.code),
            docs_files=len(self.files) - len(self.code),
            code_lines=self.code_lines,
            unknown_line_files=self.unknown_lines,
            complete=cs.complete,
            source=cs.source,
            note=cs.note,
            labels=list(cs.labels),
            project_prefix=self.prefix,
        )


@dataclass
class ConditionCheck:
    """One condition of a `when` block, and the evidence for its outcome."""

    condition: str  # all_match | any_match | min_files | min_lines | labels
    passed: bool
    detail: str
    files: list[str] = field(default_factory=list)
    more_files: int = 0


@dataclass
class BlockTrace:
    """One `when` block: matched when every check passed."""

    index: int
    matched: bool
    checks: list[ConditionCheck]


@dataclass
class LaneTrace:
    """What happened to one lane during evaluation."""

    lane: str
    status: Literal["matched", "no match", "fallback", "not evaluated"]
    summary: str
    blocks: list[BlockTrace] = field(default_factory=list)


@dataclass
class LaneDecision:
    """The chosen lane, why, and the trace of every lane's conditions."""

    lane: str
    settings: LaneSpec
    reasons: list[str]  # the first is the main one; later ones may name other lanes ("docs: ...")
    trace: list[LaneTrace]
    rule_lane: str  # what the rules alone chose; differs from `lane` when forced
    forced_by: str | None = None  # 'lane input "heavy"' or 'label "lanebench:heavy"'
    stats: ChangeStats | None = None

    @property
    def reason(self) -> str:
        return self.reasons[0] if self.reasons else ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "lane": self.lane,
            "reason": self.reason,
            "reasons": list(self.reasons),
            "forced_by": self.forced_by,
            "rule_lane": self.rule_lane,
            "run": self.settings.run,
            "budget_seconds": self.settings.budget,
            "change_set": asdict(self.stats) if self.stats else None,
            "trace": [asdict(t) for t in self.trace],
        }


# ---------------------------------------------------------------- conditions


def _check_all_match(facts: _Facts, patterns: list[str]) -> ConditionCheck:
    files = facts.files
    if not files:
        return ConditionCheck("all_match", False, "no changed files")
    if not facts.change_set.complete:
        return ConditionCheck(
            "all_match",
            False,
            f"the file list is incomplete ({facts.change_set.note}), so not every file can be checked",
        )
    matcher = facts.matcher(patterns)
    used: Counter[str] = Counter()
    unmatched = [change.path for change in files if not matcher.every_path(change)]
    if unmatched:
        shown, more = _listed(unmatched)
        which = "the changed file" if len(files) == 1 else f"{len(unmatched)} of {len(files)} changed files"
        return ConditionCheck(
            "all_match",
            False,
            f"{which} match{'es' if len(files) == 1 else ''} none of the patterns: {_names(unmatched)}",
            shown,
            more,
        )
    for change in files:
        used[matcher.pattern_for(change.path) or "?"] += 1
    by_pattern = ", ".join(f"{p} {n}" for p, n in used.most_common(4))
    if len(used) > 4:
        by_pattern += ", …"
    every = "the changed file matches" if len(files) == 1 else f"all {len(files)} changed files match"
    return ConditionCheck("all_match", True, f"{every} ({by_pattern})")


def _check_any_match(facts: _Facts, patterns: list[str]) -> ConditionCheck:
    matcher = facts.matcher(patterns)
    hits = [change for change in facts.files if matcher.any_path(change)]
    if not hits:
        n = len(facts.files)
        scope = "" if facts.change_set.complete else " listed"
        if n == 0:
            detail = "no changed files"
        elif n == 1:
            detail = f"the changed file{scope} matches none of the patterns"
        else:
            detail = f"none of the {n} changed files{scope} match the patterns"
        return ConditionCheck("any_match", False, detail)
    shown, more = _listed([change.path for change in hits])
    examples = ", ".join(f"{c.path} ({matcher.pattern_for_change(c)})" for c in hits[:3])
    if len(hits) > 3:
        examples += f" and {len(hits) - 3} more"
    verb = "matches" if len(hits) == 1 else "match"
    return ConditionCheck(
        "any_match", True, f"{_plural(len(hits), 'changed file')} {verb}: {examples}", shown, more
    )


def _check_min_files(facts: _Facts, minimum: int) -> ConditionCheck:
    count = len(facts.code)
    scope = "" if facts.change_set.complete else " among the files listed"
    passed = count >= minimum
    need = f"threshold: {minimum} or more" if passed else f"needs {minimum} or more"
    shown, more = _listed([f.path for f in facts.code]) if passed else ([], 0)
    return ConditionCheck(
        "min_files", passed, f"{_plural(count, 'code file')} changed{scope} ({need})", shown, more
    )


def _check_min_lines(facts: _Facts, minimum: int) -> ConditionCheck:
    lines = facts.code_lines
    passed = lines >= minimum
    need = f"threshold: {minimum} or more" if passed else f"needs {minimum} or more"
    detail = f"{_plural(lines, 'changed line')} in code files ({need})"
    if facts.unknown_lines:
        detail += f"; {_plural(facts.unknown_lines, 'binary file')} of unknown size not counted"
    if not facts.change_set.complete:
        detail += "; the file list is incomplete"
    return ConditionCheck("min_lines", passed, detail)


def _check_labels(facts: _Facts, wanted: list[str]) -> ConditionCheck:
    present = [w for w in wanted if w.casefold() in facts.labels]
    if present:
        return ConditionCheck("labels", True, f'label "{present[0]}" is present')
    have = ", ".join(facts.change_set.labels) or "none"
    return ConditionCheck(
        "labels", False, f"none of the labels {', '.join(wanted)} is present (labels: {have})"
    )


def _check_block(facts: _Facts, block: When) -> list[ConditionCheck]:
    checks: list[ConditionCheck] = []
    # a fixed, documented order: labels, patterns, then counts
    if block.labels is not None:
        checks.append(_check_labels(facts, block.labels))
    if block.all_match is not None:
        checks.append(_check_all_match(facts, block.all_match))
    if block.any_match is not None:
        checks.append(_check_any_match(facts, block.any_match))
    if block.min_files is not None:
        checks.append(_check_min_files(facts, block.min_files))
    if block.min_lines is not None:
        checks.append(_check_min_lines(facts, block.min_lines))
    return checks


def _evaluate_lanes(config: Config, facts: _Facts) -> tuple[str, list[str], list[LaneTrace]]:
    """Run the rules: (chosen lane, reasons, trace)."""
    trace: list[LaneTrace] = []
    chosen: str | None = None
    reasons: list[str] = []
    for name, lane in config.lanes.items():
        if chosen is not None:
            trace.append(LaneTrace(name, "not evaluated", f"an earlier lane ({chosen}) matched"))
            continue
        if lane.when is None:
            chosen = name
            if not facts.files:
                complete = facts.change_set.complete
                why = "the change set is empty" if complete else "no changed files are known"
            else:
                why = "no other lane's conditions matched"
            trace.append(LaneTrace(name, "fallback", f"fallback lane: {why}"))
            reasons.append(why)
            reasons.extend(f"{t.lane}: {t.summary}" for t in trace if t.status == "no match")
            continue
        blocks: list[BlockTrace] = []
        for index, block in enumerate(lane.when):
            checks = _check_block(facts, block)
            blocks.append(BlockTrace(index, all(c.passed for c in checks), checks))
        winner = next((b for b in blocks if b.matched), None)
        if winner is not None:
            chosen = name
            summary = "; ".join(c.detail for c in winner.checks)
            trace.append(LaneTrace(name, "matched", summary, blocks))
            reasons.append(summary)
        else:
            failed = [next(c for c in b.checks if not c.passed).detail for b in blocks]
            trace.append(LaneTrace(name, "no match", "; ".join(failed), blocks))
    assert chosen is not None, "config validation guarantees a final fallback lane"
    return chosen, reasons, trace


# ---------------------------------------------------------------- overrides


def _known(config: Config) -> str:
    return ", ".join(config.lanes)


def lane_named(config: Config, forced: str) -> str:
    if forced in config.lanes:
        return forced
    folded = {name.casefold(): name for name in config.lanes}
    if forced.casefold() in folded:
        return folded[forced.casefold()]
    raise ConfigError(
        f'unknown lane "{forced}" (known lanes: {_known(config)})',
        hint="fix the `lane:` input or --lane value",
    )


def lane_from_labels(config: Config, labels: Iterable[str]) -> tuple[str, str] | None:
    """(lane, label) forced by a `<label_prefix><lane>` label, or None.

    Prefix and lane name compare case-insensitively, as GitHub labels do. Labels naming
    an unknown lane, or two different lanes, are errors: a silent pick would surprise.
    """
    prefix = config.label_prefix.casefold()
    if not prefix:
        return None
    folded = {name.casefold(): name for name in config.lanes}
    found: dict[str, str] = {}
    for label in labels:
        if not label.casefold().startswith(prefix):
            continue
        wanted = label[len(config.label_prefix) :].strip()
        lane = folded.get(wanted.casefold())
        if lane is None:
            raise ConfigError(
                f'label "{label}" names no lane (known lanes: {_known(config)})',
                hint=f"rename the label to {config.label_prefix}<lane> or remove it",
            )
        found.setdefault(lane, label)
    if len(found) > 1:
        quoted = ", ".join(f'"{label}"' for label in found.values())
        raise ConfigError(
            f"labels {quoted} force different lanes",
            hint="keep one lane label on the pull request",
        )
    if found:
        lane, label = next(iter(found.items()))
        return lane, label
    return None


def decide_lane(config: Config, change_set: ChangeSet, *, forced: str | None = None) -> LaneDecision:
    """Choose the lane for `change_set`. Raises ConfigError for an unknown forced lane."""
    facts = _Facts(change_set, config.docs_patterns, project_prefix(config, change_set))
    rule_lane, reasons, trace = _evaluate_lanes(config, facts)
    forced = (forced or "").strip() or None
    lane = rule_lane
    forced_by: str | None = None
    if forced is not None:
        lane = lane_named(config, forced)
        forced_by = f'lane input "{forced}"'
    else:
        by_label = lane_from_labels(config, change_set.labels)
        if by_label is not None:
            lane, label = by_label
            forced_by = f'label "{label}"'
    if forced_by is not None:
        rules = f"the rules alone choose {rule_lane}" + (f": {reasons[0]}" if reasons else "")
        reasons = [f"forced by the {forced_by}", rules]
    return LaneDecision(
        lane=lane,
        settings=config.lanes[lane],
        reasons=reasons,
        trace=trace,
        rule_lane=rule_lane,
        forced_by=forced_by,
        stats=facts.stats(),
    )


# ---------------------------------------------------------------- benchmark plan

PlanStatus = Literal["run", "skipped", "not in lane", "not affected"]


@dataclass
class Planned:
    """Whether one benchmark runs in this change's lane, and why.

    `reason` is said after the status (`not affected: <reason>`), so it never repeats it.

    `status` "not affected" means the benchmark's `paths` miss every changed file:
    the pipeline reuses the baseline samples ("carried over") instead of measuring.
    """

    spec: BenchmarkSpec
    run: bool
    reason: str
    status: PlanStatus = "run"

    @property
    def carried_over(self) -> bool:
        return self.status == "not affected"

    def to_dict(self) -> dict[str, Any]:
        return {"benchmark": self.spec.name, "run": self.run, "status": self.status, "reason": self.reason}


def _config_file_changed(config: Config, change_set: ChangeSet, prefix: str) -> str | None:
    path = config.path
    if path is None:
        return None
    try:
        relative = path.resolve().relative_to(config.root.resolve()).as_posix()
    except (OSError, ValueError):
        return None
    for changed in change_set.paths:
        if changed == prefix + relative:
            return changed
        if change_set.root is None and changed.endswith("/" + relative):
            return changed  # the project's place in the repository is unknown
    return None


def plan_benchmarks(
    config: Config, decision: LaneDecision, change_set: ChangeSet
) -> list[Planned]:
    """For each configured benchmark: run it, or say why not (lane off, not in lane, not affected)."""
    lane = decision.settings
    selected = None if lane.benchmarks == "all" else set(lane.benchmarks)
    prefix = project_prefix(config, change_set)
    config_change = _config_file_changed(config, change_set, prefix)
    paths = all_paths(change_set.files)
    plan: list[Planned] = []
    for spec in config.benchmarks:
        if not lane.run:
            plan.append(
                Planned(spec, False, f"the {decision.lane} lane runs no benchmarks", "skipped")
            )
        elif selected is not None and spec.name not in selected:
            plan.append(
                Planned(spec, False, f"the {decision.lane} lane's benchmarks list leaves it out", "not in lane")
            )
        elif not spec.paths:
            plan.append(Planned(spec, True, "runs on every change (no `paths`)"))
        elif not change_set.complete:
            plan.append(Planned(spec, True, "the file list is incomplete, so it may be affected"))
        elif config_change is not None:
            plan.append(Planned(spec, True, f"the config file changed ({config_change})"))
        else:
            matcher = PatternMatcher(spec.paths, paths, prefix)
            hit = None
            if matcher.matched:  # most often empty: then no file needs a second look
                hit = next((c for c in change_set.files if matcher.any_path(c)), None)
            if hit is not None:
                pattern = matcher.pattern_for_change(hit)
                plan.append(Planned(spec, True, f"affected: {hit.path} matches {pattern}"))
            else:
                plan.append(
                    Planned(
                        spec,
                        False,
                        "no changed file matches its paths; baseline carried over",
                        "not affected",
                    )
                )
    return plan
