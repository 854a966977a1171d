"""SLA rules in the config file: their syntax, parsing and the built-in defaults per lane.

A lane's `sla:` is a list whose items are either a rule string or a mapping:

    sla:
      - "wall.p95 <= 2s"                      # absolute limit on a statistic of the head run
      - "wall.median: regression <= 5%"       # relative limit, decided by the comparison
      - {rule: "maxrss.max <= 512MiB", benchmarks: [build], severity: warning}
      - "failures <= 0"                       # failed iterations (a count, or a rate "5%")
      - "budget < 80%"                        # share of the lane's time budget used
      - "any regression"                      # every regression verdict not covered above
      - "noise"                               # measurements too noisy to detect δ

The parsed form (`ParsedRule`) is what `lanebench.sla` evaluates. Everything here is
pure: no results, no statistics.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass
from typing import Any, Literal, cast

from pydantic import BaseModel, ConfigDict, Field, model_validator

from lanebench.metrics import METRICS
from lanebench.units import parse_duration, parse_percent, parse_size

RuleKind = Literal["absolute", "relative", "failures", "budget", "any-regression", "noise"]
Op = Literal["<=", "<", ">=", ">"]

STATISTICS: tuple[str, ...] = ("median", "mean", "p95", "p99", "min", "max", "cv")

# Severity each kind of rule gets when the config does not say.
DEFAULT_SEVERITY: dict[str, Literal["warning", "critical"]] = {
    "absolute": "critical",
    "relative": "critical",
    "failures": "critical",
    "any-regression": "critical",
    "budget": "warning",
    "noise": "warning",
}

EXAMPLE = '"wall.p95 <= 2s"'
_OP = r"(?P<op><=|>=|<|>)"
_ABSOLUTE = re.compile(rf"^(?P<metric>[A-Za-z_][\w]*)(?:\.(?P<stat>\w+))?\s*{_OP}\s*(?P<value>\S.*)$")
_RELATIVE = re.compile(
    r"^(?P<metric>[A-Za-z_]\w*)(?:\.(?P<stat>\w+))?\s*:\s*regression\s*(?P<op><=|<)\s*(?P<value>\S.*)$"
)
_FAILURES = re.compile(rf"^failures\s*{_OP}\s*(?P<value>\S.*)$")
_BUDGET = re.compile(rf"^budget(?:\s*{_OP}\s*(?P<value>\S.*))?$")
_ANY_REGRESSION = re.compile(r"^any\s+regressions?$")
_NOISE = re.compile(r"^noise$")


@dataclass(frozen=True)
class ParsedRule:
    """A rule reduced to what evaluation needs; `text` is the rule as written."""

    text: str
    kind: RuleKind
    metric: str | None = None
    stat: str | None = None
    op: Op = "<="
    limit: float | None = None
    # "seconds", "bytes", "count", "fraction": how `limit` is measured
    limit_unit: str = ""

    def holds(self, observed: float) -> bool:
        """Whether an observed value satisfies `observed <op> limit`."""
        assert self.limit is not None
        return {
            "<=": observed <= self.limit,
            "<": observed < self.limit,
            ">=": observed >= self.limit,
            ">": observed > self.limit,
        }[self.op]


class RuleSyntaxError(ValueError):
    """A rule string that does not parse; the text is the whole explanation."""


def _bad(text: str, why: str = "") -> RuleSyntaxError:
    tail = f" ({why})" if why else ""
    return RuleSyntaxError(f'expected a rule like {EXAMPLE}, got "{text}"{tail}')


def _op(m: re.Match[str]) -> Op:
    """The comparison a rule's pattern matched (its groups admit only these four)."""
    return cast(Op, m.group("op"))


def _number(text: str) -> float | None:
    """A finite number, else None ("inf" and "1e400" are not limits)."""
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _known_metric(name: str, text: str) -> None:
    if name not in METRICS:
        close = difflib.get_close_matches(name, list(METRICS), n=1)
        hint = f'did you mean "{close[0]}"?' if close else f"known: {', '.join(METRICS)}"
        raise _bad(text, f'unknown metric "{name}"; {hint}')


def _typed_limit(metric: str, stat: str, value: str, text: str) -> tuple[float, str]:
    """The limit in the metric's base unit, and that unit's name."""
    if stat == "cv":
        try:
            return parse_percent(_number(value) if _number(value) is not None else value), "fraction"
        except ValueError as exc:
            raise _bad(text, f"cv is a percentage: {exc}") from None
    unit = METRICS[metric].unit
    bare = _number(value)
    try:
        if unit == "s":
            return parse_duration(bare if bare is not None else value), "seconds"
        if unit == "bytes":
            return float(parse_size(bare if bare is not None else value)), "bytes"
    except ValueError as exc:
        raise _bad(text, f"{metric} is in {'seconds' if unit == 's' else 'bytes'}: {exc}") from None
    if bare is None:
        raise _bad(text, f"{metric} is a count: expected a number, got \"{value}\"")
    return bare, "count"


def parse_rule(text: Any) -> ParsedRule:
    """Parse one rule string; raises RuleSyntaxError saying what was expected."""
    if not isinstance(text, str):
        shown = type(text).__name__ if isinstance(text, (list, dict)) else repr(text)
        raise RuleSyntaxError(f"expected a rule like {EXAMPLE}, got {shown}")
    rule = " ".join(text.split())
    if not rule:
        raise _bad(text, "the rule is empty")

    if _ANY_REGRESSION.match(rule):
        return ParsedRule(rule, "any-regression")
    if _NOISE.match(rule):
        return ParsedRule(rule, "noise")

    m = _BUDGET.match(rule)
    if m:
        if m.group("op") is None:  # bare `budget`: the default warning point
            return ParsedRule("budget < 80%", "budget", op="<", limit=0.8, limit_unit="fraction")
        if m.group("op") not in ("<", "<="):
            raise _bad(text, "budget takes an upper limit: budget < 80%, or budget <= 10min")
        value = m.group("value")
        if value.rstrip().endswith("%"):
            return ParsedRule(rule, "budget", op=_op(m), limit=parse_percent(value),
                              limit_unit="fraction")
        try:
            seconds = parse_duration(_number(value) if _number(value) is not None else value)
        except ValueError:
            raise _bad(text, f'budget takes a share like "80%" or a duration like "10min", got "{value}"') from None
        return ParsedRule(rule, "budget", op=_op(m), limit=seconds, limit_unit="seconds")

    m = _FAILURES.match(rule)
    if m:
        if m.group("op") not in ("<", "<="):
            raise _bad(text, "failures takes an upper limit: failures <= 0")
        value = m.group("value").strip()
        if value.endswith("%"):
            return ParsedRule(rule, "failures", op=_op(m), limit=parse_percent(value),
                              limit_unit="fraction")
        count = _number(value)
        if count is None or count < 0 or count != int(count):
            raise _bad(text, f'failures takes a count like "0" or a rate like "5%", got "{value}"')
        return ParsedRule(rule, "failures", op=_op(m), limit=count, limit_unit="count")

    m = _RELATIVE.match(rule)
    if m:
        metric, stat = m.group("metric"), m.group("stat")
        _known_metric(metric, text)
        if stat not in (None, "median"):
            raise _bad(
                text,
                f"a relative rule uses the comparison's change in the typical value; "
                f"write {metric}.median: regression <= 5%",
            )
        try:
            limit = parse_percent(m.group("value"))
        except ValueError as exc:
            raise _bad(text, str(exc)) from None
        return ParsedRule(rule, "relative", metric=metric, stat="median", op=_op(m),
                          limit=limit, limit_unit="fraction")

    if ":" in rule:
        raise _bad(text, 'a relative rule reads "wall.median: regression <= 5%"')

    m = _ABSOLUTE.match(rule)
    if m:
        metric, stat = m.group("metric"), m.group("stat")
        _known_metric(metric, text)
        if stat is None:
            raise _bad(text, f"name a statistic: {', '.join(f'{metric}.{s}' for s in STATISTICS[:3])}, ...")
        if stat not in STATISTICS:
            raise _bad(text, f'unknown statistic "{stat}"; one of {", ".join(STATISTICS)}')
        limit, unit = _typed_limit(metric, stat, m.group("value").strip(), text)
        return ParsedRule(rule, "absolute", metric=metric, stat=stat, op=_op(m),
                          limit=limit, limit_unit=unit)

    raise _bad(text)


def _rule_item_schema(schema: dict[str, Any]) -> None:
    # A rule is written as a plain string or as a mapping; editors should offer both.
    mapping = dict(schema)
    schema.clear()
    schema["anyOf"] = [
        {"type": "string", "description": 'A rule, e.g. "wall.p95 <= 2s" (see docs/sla.md).'},
        mapping,
    ]


class SlaRule(BaseModel):
    """One SLA rule: the rule text, the benchmarks it applies to, its severity."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra=_rule_item_schema)

    rule: str = Field(
        description='The rule, e.g. "wall.p95 <= 2s", "wall.median: regression <= 5%", '
        '"failures <= 0", "budget < 80%", "any regression", "noise".'
    )
    benchmarks: list[str] | None = Field(
        None,
        description="Benchmark names (shell-style wildcards allowed) the rule applies to; "
        "omitted means every benchmark.",
    )
    severity: Literal["warning", "critical", "off"] | None = Field(
        None,
        description="warning or critical (default: critical for limits, regressions and "
        "failures; warning for budget and noise); off disables a built-in rule.",
    )

    @model_validator(mode="before")
    @classmethod
    def _string_or_mapping(cls, value: Any) -> Any:
        if isinstance(value, str):
            parse_rule(value)
            return {"rule": value}
        if isinstance(value, dict):
            if "rule" in value:
                parse_rule(value["rule"])
            if value.get("severity") is False:  # YAML reads a bare `off` as false
                value = {**value, "severity": "off"}
            return value
        raise RuleSyntaxError(
            f"expected a rule like {EXAMPLE} or a mapping with `rule:`, got "
            f"{type(value).__name__ if isinstance(value, list) else repr(value)}"
        )

    @property
    def parsed(self) -> ParsedRule:
        return parse_rule(self.rule)

    @property
    def effective_severity(self) -> Literal["warning", "critical", "off"]:
        return self.severity or DEFAULT_SEVERITY[self.parsed.kind]

    def applies_to(self, benchmark: str) -> bool:
        if self.benchmarks is None:
            return True
        from fnmatch import fnmatchcase

        return any(fnmatchcase(benchmark, pattern) for pattern in self.benchmarks)


# Rules a lane gets when its config has no `sla:` of its own. Kept here rather than in
# DEFAULT_LANES so that lanes which `extend:` a built-in, and user-named lanes, get them
# too (see `default_rules`). Every lane also gets the built-in `any regression`
# (critical) and `noise` (warning) rules unless its list names them.
DEFAULT_SLA: dict[str, list[str | dict[str, Any]]] = {
    # A docs-only change cannot make code slower; when a docs lane measures anyway,
    # a "regression" there is the runner's noise, so it warns instead of failing.
    "docs": [{"rule": "any regression", "severity": "warning"}, "failures <= 0", "budget < 80%"],
    "standard": ["failures <= 0", "budget < 80%"],
    "heavy": ["failures <= 0", "budget < 80%"],
}
FALLBACK_SLA_LANE = "standard"


def default_rules(lane_name: str | None, extends: str | None = None) -> list[SlaRule]:
    """The built-in rules for a lane by name, else by the built-in lane it extends."""
    for name in (lane_name, extends):
        if name in DEFAULT_SLA:
            return [SlaRule.model_validate(item) for item in DEFAULT_SLA[name]]
    return [SlaRule.model_validate(item) for item in DEFAULT_SLA[FALLBACK_SLA_LANE]]


def implicit_rules() -> list[SlaRule]:
    """Rules every lane has unless its list names a rule of the same kind."""
    return [SlaRule(rule="any regression"), SlaRule(rule="noise")]
