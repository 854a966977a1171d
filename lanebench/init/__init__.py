"""`lanebench init`: find what a repository can benchmark and propose a working setup.

Data flows one way: `project.scan` reads the tree once → `detectors` turn it into
proposals (what was found, where, the command) → `trial` runs each once through the
runner → `plan` fits iterations to the lane budgets → `configfile` and `workflows` render
the files → `files` writes them. `flow.run_init` strings these together; `prompts` asks
the questions on a terminal. docs/init.md describes the choices.
"""

from lanebench.init.detectors import Detection, detect
from lanebench.init.flow import InitOptions, run_init
from lanebench.init.model import HARNESS_ENTRIES, Finding, HarnessRun, Location, Proposal, Trial
from lanebench.init.project import scan

__all__ = [
    "HARNESS_ENTRIES",
    "Detection",
    "Finding",
    "HarnessRun",
    "InitOptions",
    "Location",
    "Proposal",
    "Trial",
    "detect",
    "run_init",
    "scan",
]
