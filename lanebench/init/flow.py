"""`lanebench init` from start to end: detect, run each proposal once, plan iterations,
ask (or take the defaults), show a summary, write."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from lanebench.config import DEFAULT_CONFIG_PATH
from lanebench.errors import LanebenchError
from lanebench.formatting import format_duration
from lanebench.init.configfile import Choice, check_config, render_config
from lanebench.init.detectors import Detection, detect
from lanebench.init.detectors.fallback import ADD_A_BENCHMARK
from lanebench.init.files import PlannedFile, print_dry_run, refuse_existing, write_all
from lanebench.init.model import Proposal, Trial
from lanebench.init.plan import Plan, plan_iterations, timeout_for
from lanebench.init.project import scan
from lanebench.init.prompts import Prompter
from lanebench.init.trial import DEFAULT_TRIAL_TIMEOUT, run_once
from lanebench.init.workflows import (
    KINDS,
    WORKFLOW_DIR,
    ActionPin,
    default_kind,
    parse_action,
    render,
)


@dataclass
class InitOptions:
    root: Path
    config: Path = DEFAULT_CONFIG_PATH  # relative to root unless absolute
    force: bool = False
    dry_run: bool = False
    workflows: str | None = None  # a KINDS key, "none", or None for the default
    action: ActionPin = field(default_factory=ActionPin)
    action_given: bool = False
    trial: bool = True
    trial_timeout: float = DEFAULT_TRIAL_TIMEOUT


def _shown(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def run_init(options: InitOptions, ask: Prompter, out: TextIO) -> int:
    root = options.root.resolve()
    if not root.is_dir():
        raise LanebenchError(f"{options.root}: not a directory", hint="pass --root PROJECT_DIR")
    detection = detect(scan(root))
    _report_detection(detection, out)
    if not detection.proposals:
        raise LanebenchError(f"no benchmark found in {root}", hint=ADD_A_BENCHMARK)

    choices = []
    for proposal in detection.proposals:
        if proposal.duplicate_of is not None:
            trial = Trial("not-run", message=f"runs what {proposal.duplicate_of} runs")
            out.write(f"not running {proposal.name}: it runs what {proposal.duplicate_of} runs\n")
        elif options.trial:
            out.write(f"running {proposal.name} once (limit {options.trial_timeout:g} s): "
                      f"{proposal.command_text}\n")
            out.flush()
            trial = run_once(proposal, root, options.trial_timeout)
            out.write(f"  {_trial_text(trial)}\n")
        else:
            trial = Trial("not-run", message="--no-trial")
        if trial.ok and trial.wall is not None:
            proposal.timeout = timeout_for(trial.wall)
        default = proposal.duplicate_of is None and (trial.ok or trial.status == "not-run")
        include = ask.yes_no(f"include {proposal.name}?", default=default)
        choices.append(Choice(proposal, trial, include))
    included = [c for c in choices if c.include]
    if not included:
        raise LanebenchError("no benchmark was included, so there is no config to write",
                             hint=ADD_A_BENCHMARK)

    walls = [c.trial.wall for c in included if c.trial.wall is not None]
    plan = plan_iterations(walls, root) if walls else None

    kind_key = _pick_workflows(options, [c.proposal for c in included], ask)
    pin = options.action
    if kind_key != "none" and not options.action_given and not ask.assume_yes:
        answer = ask.text("lanebench action to pin (OWNER/REPO@full-commit-sha)", pin.ref)
        pin = parse_action(answer) if answer != pin.ref else pin

    config_path = options.config if options.config.is_absolute() else root / options.config
    config_shown = _shown(config_path, root)
    config_text = render_config(choices, plan, config_shown)
    check_config(config_text, config_shown)
    files = [PlannedFile(config_path, config_shown, config_text)]
    if kind_key != "none":
        rendered = render(KINDS[kind_key], [c.proposal for c in included], pin,
                          python_package=detection.package is not None)
        for name, text in rendered.items():
            path = root / WORKFLOW_DIR / name
            files.append(PlannedFile(path, _shown(path, root), text))

    _summary(included, plan, files, kind_key, pin, out)
    if options.dry_run:
        print_dry_run(files, out)
        return 0
    refuse_existing(files, options.force)
    if not ask.yes_no("write these files?", default=True):
        out.write("nothing written\n")
        return 0
    write_all(files)
    for planned in files:
        out.write(f"wrote {planned.shown}\n")
    _next_steps(config_shown, kind_key, pin, out)
    return 0


def _report_detection(detection: Detection, out: TextIO) -> None:
    root = detection.project.root
    out.write(f"looking at {root}\n")
    if detection.project.truncated:
        out.write(f"  (stopped after {len(detection.project.files)} files)\n")
    for proposal in detection.proposals:
        out.write(f"found: {proposal.found}\n  in {proposal.where_text}\n"
                  f"  proposed as `{proposal.name}`: {proposal.command_text}\n")
    for finding in detection.findings:
        where = f" in {finding.where_text}" if finding.where else ""
        out.write(f"found but not proposed: {finding.found}{where}: {finding.reason}\n")


def _trial_text(trial: Trial) -> str:
    if trial.ok and trial.wall is not None:
        setup = f" (setup {format_duration(trial.setup_wall)})" if trial.setup_wall else ""
        return f"ok in {format_duration(trial.wall)}{setup}"
    return f"{trial.status}: {trial.message}"


def _pick_workflows(options: InitOptions, proposals: list[Proposal], ask: Prompter) -> str:
    default = default_kind(proposals)
    if options.workflows is not None:
        if options.workflows != "none":
            reason = KINDS[options.workflows].unavailable()
            if reason:
                raise LanebenchError(f"--workflows {options.workflows}: {reason}",
                                     hint="pick same-repo, fork-safe or runner-toolchain")
        return options.workflows
    entries = [(k.key, f"{k.title}: {', '.join(k.files)}: {k.description}", k.unavailable())
               for k in KINDS.values()]
    entries.append(("none", "none: only the config file", None))
    return ask.choose("which workflows?", entries, default)


def _summary(included: list[Choice], plan: Plan | None, files: list[PlannedFile],
             kind_key: str, pin: ActionPin, out: TextIO) -> None:
    out.write("\nsummary\n")
    for choice in included:
        took = (f"{format_duration(choice.trial.wall)} a run" if choice.trial.wall is not None
                else choice.trial.message)
        out.write(f"  benchmark {choice.proposal.name}: {choice.proposal.command_text} ({took})\n")
        if choice.proposal.paths:
            out.write(f"    runs when these change: {', '.join(choice.proposal.paths)}\n")
        else:
            out.write("    runs on every change (no paths known)\n")
    if plan is None:
        out.write("  iterations: the built-in lanes' (no timed run to plan from)\n")
    elif plan.defaults:
        for note in plan.notes:
            out.write(f"  {note}\n")
    else:
        lanes = ", ".join(f"{lane.name} {lane.min_iterations}–{lane.max_iterations}" for lane in plan.lanes)
        out.write(f"  iterations: the built-in lanes' ({lanes}) fit their budgets: one round "
                  f"takes {format_duration(plan.per_round)}\n")
    if kind_key != "none":
        out.write(f"  workflows: {KINDS[kind_key].title}\n")
        if pin.is_placeholder:
            out.write(f"  the action is pinned to the placeholder {pin.ref}: replace it with the "
                      "lanebench repository and the full commit SHA of the release you reviewed\n")
    for planned in files:
        state = "overwrite" if planned.path.exists() else "write"
        out.write(f"  {state} {planned.shown}\n")


def _next_steps(config_shown: str, kind_key: str, pin: ActionPin, out: TextIO) -> None:
    out.write(f"next: lanebench validate {config_shown}, then `lanebench baseline` for a first "
              "local baseline")
    if kind_key != "none" and pin.is_placeholder:
        out.write(f"; in {WORKFLOW_DIR}/, replace {pin.ref} with the release commit you reviewed")
    out.write("\n")
