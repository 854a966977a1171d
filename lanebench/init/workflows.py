"""The GitHub workflows `lanebench init` writes, from the templates in init/templates/.

The templates are the linted examples of examples/workflows/ (tests keep them identical):
least-privilege permissions, every action pinned by full commit SHA. Only the lanebench
action's pin is filled in, and for the runner-toolchain pair the toolchain steps of the
project's benchmarks. A kind that needs a lanebench command this version lacks (sharded
runs need `lanebench shard`) is listed with the reason and never written.
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass
from importlib import resources

from lanebench.errors import LanebenchError
from lanebench.init.model import Proposal

PLACEHOLDER_ACTION = "OWNER/lanebench@0000000000000000000000000000000000000000"
PLACEHOLDER_VERSION = "vX.Y.Z"
ACTION_REF = re.compile(r"^([A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)@([0-9a-f]{40})$")
WORKFLOW_DIR = ".github/workflows"

SETUP_GO = """\
      - uses: actions/setup-go@f111f3307d8850f501ac008e886eec1fd1932a34 # v5.3.0
        with:
          go-version-file: {go_mod}
          cache: false{comment}

"""
GO_CACHE_COMMENT = "  # a warm build cache in one run and a cold one in the other is noise"


@dataclass(frozen=True)
class ActionPin:
    """The lanebench action as workflows use it: `OWNER/REPO@SHA`, with its version when known."""

    ref: str = PLACEHOLDER_ACTION
    version: str | None = None

    @property
    def is_placeholder(self) -> bool:
        return self.ref == PLACEHOLDER_ACTION

    @property
    def pip_url(self) -> str:
        repo, sha = self.ref.split("@")
        return f"git+https://github.com/{repo}@{sha}"


def parse_action(text: str, version: str | None = None) -> ActionPin:
    if not ACTION_REF.match(text):
        raise LanebenchError(
            f"--action {text}: expected OWNER/REPO@ followed by a full 40-character commit SHA",
            hint="a tag or branch can be moved under you; pin the release commit you reviewed",
        )
    return ActionPin(text, version)


@dataclass(frozen=True)
class WorkflowKind:
    key: str
    title: str
    files: tuple[str, ...]
    description: str

    def unavailable(self) -> str | None:
        """Why this kind cannot be written by this version of lanebench, or None."""
        if self.key == "sharded":
            # The hook for sharded runs: once `lanebench shard` exists and a sharded.yml
            # template ships beside the others, this kind becomes available.
            if importlib.util.find_spec("lanebench.commands.shard") is None:
                return "needs `lanebench shard`, which this version of lanebench does not have"
            if not _template_exists("sharded.yml"):
                return "no sharded workflow template ships with this version"
        return None


KINDS: dict[str, WorkflowKind] = {
    kind.key: kind
    for kind in (
        WorkflowKind("same-repo", "same-repository pair", ("pr.yml", "main-baseline.yml"),
                     "the action measures in its container, comments and checks; pull "
                     "requests from forks are skipped"),
        WorkflowKind("fork-safe", "fork-safe pair", ("fork-safe-pr.yml", "fork-safe-report.yml"),
                     "measure read-only on the runner, report from a trusted workflow_run; "
                     "for repositories that take pull requests from forks"),
        WorkflowKind("runner-toolchain", "runner-toolchain", ("runner-toolchain.yml",),
                     "measure on the runner with the project's toolchain (Go, Rust, Node, "
                     "the project's Python packages), then the action compares and reports"),
        WorkflowKind("sharded", "sharded", ("sharded.yml",),
                     "benchmarks split across parallel jobs"),
    )
}


def _template_exists(name: str) -> bool:
    return resources.files("lanebench.init").joinpath("templates").joinpath(name).is_file()


def _template(name: str) -> str:
    return resources.files("lanebench.init").joinpath("templates").joinpath(name).read_text(encoding="utf-8")


def pinned(text: str, pin: ActionPin) -> str:
    text = text.replace(
        f"lanebench @ git+https://github.com/{PLACEHOLDER_ACTION}", f"lanebench @ {pin.pip_url}"
    )
    if pin.version:
        text = text.replace(f"{PLACEHOLDER_ACTION} # {PLACEHOLDER_VERSION}", f"{pin.ref} # {pin.version}")
    return text.replace(PLACEHOLDER_ACTION, pin.ref)


def toolchain_steps(
    proposals: list[Proposal], *, measure: bool, python_package: bool = False
) -> tuple[str, str]:
    """The setup steps (before installing lanebench) and the install steps (after it)
    that the proposals' programs need on a GitHub runner."""
    before = ""
    go = next((p for p in proposals if p.detector == "go"), None)
    if go is not None:
        go_mod = "go.mod" if go.cwd == "." else f"{go.cwd}/go.mod"
        before += SETUP_GO.format(go_mod=go_mod, comment=GO_CACHE_COMMENT if measure else "")
    pip = sorted({pkg for p in proposals for pkg in p.pip})
    after = ""
    if python_package or pip:
        args = " ".join((["-e", "."] if python_package else []) + pip)
        after += (
            "\n      - name: Install the project and its benchmark tools\n"
            f"        run: python -m pip install {args}\n"
        )
    if any(p.detector == "google-benchmark" for p in proposals):
        after += (
            "\n      - name: Install Google Benchmark and CMake\n"
            "        run: sudo apt-get install -y --no-install-recommends libbenchmark-dev cmake\n"
        )
    return before, after


def toolchain_names(proposals: list[Proposal]) -> str:
    names = {"go": "Go", "cargo": "Rust", "package.json": "Node", "google-benchmark": "C++",
             "pytest-benchmark": "Python", "pyperf": "Python", "script": "Python",
             "import-time": "Python", "tox": "Python", "nox": "Python", "make": "make"}
    found = list(dict.fromkeys(names.get(p.detector, p.detector) for p in proposals))
    return ", ".join(found) or "Go"


def render(
    kind: WorkflowKind, proposals: list[Proposal], pin: ActionPin, *, python_package: bool = False
) -> dict[str, str]:
    """{file name: text} of the kind's workflows."""
    reason = kind.unavailable()
    if reason is not None:
        raise LanebenchError(f"the {kind.title} workflows cannot be written: {reason}",
                             hint="pick same-repo, fork-safe or runner-toolchain")
    out: dict[str, str] = {}
    for name in kind.files:
        text = _template(name)
        if name == "runner-toolchain.yml":
            before_m, after = toolchain_steps(proposals, measure=True, python_package=python_package)
            before_b, _ = toolchain_steps(proposals, measure=False, python_package=python_package)
            text = (text.replace("@@TOOLCHAIN_MEASURE@@", before_m)
                    .replace("@@TOOLCHAIN_BASELINE@@", before_b)
                    .replace("@@PROJECT_INSTALL@@", after)
                    .replace("(here Go;", f"(here {toolchain_names(proposals)};"))
        out[name] = pinned(text, pin)
    return out


def default_kind(proposals: list[Proposal]) -> str:
    """runner-toolchain when a benchmark needs something the action's image lacks (any
    toolchain, or Python packages beyond lanebench's own), else the same-repository pair."""
    for proposal in proposals:
        if proposal.detector not in {"import-time", "script"} or proposal.pip or proposal.needs:
            return "runner-toolchain"
        if any("dependencies" in note for note in proposal.notes):
            return "runner-toolchain"
    return "same-repo"
