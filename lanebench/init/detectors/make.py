"""`bench`/`benchmark` targets in a Makefile, and shell scripts that run hyperfine."""

from __future__ import annotations

import posixpath
import re
import shlex

from lanebench.init.detectors._common import python_paths, slug
from lanebench.init.model import Finding, HarnessRun, Location, Proposal
from lanebench.init.project import Project, PythonPackage

MAKEFILES = re.compile(r"(^|/)(GNUmakefile|Makefile|makefile)$")
# `target: prerequisites` (not `VAR := value`), one or more targets on the line
RULE = re.compile(r"^([A-Za-z0-9_.%/ -]+?)\s*::?(?!=)(.*)$")
BENCH_TARGET = re.compile(r"^bench(mark)?s?([_.-][A-Za-z0-9_.-]*)?$", re.IGNORECASE)
HYPERFINE = re.compile(r"(^|[\s;&|(`])hyperfine(\s|$)", re.M)
SHELL_SCRIPT = re.compile(r"\.(sh|bash)$")


def makefile_targets(text: str) -> list[tuple[str, int, list[str]]]:
    """(target, line, recipe lines) of every explicit rule."""
    rules: list[tuple[str, int, list[str]]] = []
    current: list[tuple[str, int, list[str]]] = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith("\t"):
            for _, _, recipe in current:
                recipe.append(line.strip())
            continue
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = RULE.match(line)
        current = []
        if match and not line.startswith((" ", ".")) and "=" not in match.group(1):
            for target in match.group(1).split():
                rule: tuple[str, int, list[str]] = (target, number, [])
                rules.append(rule)
                current.append(rule)
    return rules


def _files_named(project: Project, words: list[str], folder: str) -> list[str]:
    """Words of a recipe or script that are files of the project (the scripts it runs)."""
    out = []
    for word in words:
        word = word.strip("'\"")
        rel = posixpath.normpath(posixpath.join(folder, word)) if folder != "." else posixpath.normpath(word)
        if not rel.startswith("..") and "$" not in rel and project.exists(rel):
            out.append(rel)
    return out


def _split(line: str) -> list[str]:
    try:
        return shlex.split(line, comments=True)
    except ValueError:
        return line.split()


def detect_make(project: Project, package: PythonPackage | None) -> tuple[list[Proposal], list[Finding]]:
    proposals = []
    for makefile in project.matching(MAKEFILES.pattern):
        folder = posixpath.dirname(makefile) or "."
        for target, line, recipe in makefile_targets(project.text(makefile) or ""):
            if not BENCH_TARGET.match(target):
                continue
            words = [w for cmd in recipe for w in _split(cmd.lstrip("@-+"))]
            scripts = _files_named(project, words, folder)
            runs_hyperfine = any(HYPERFINE.search(cmd) for cmd in recipe)
            command = ["make", "-C", folder, target] if folder != "." else ["make", target]
            found = f"Makefile target `{target}`"
            if runs_hyperfine:
                found += " running hyperfine"
            proposal = Proposal(
                name=slug(f"make-{target}" if folder == "." else f"make-{folder}-{target}"),
                found=found,
                where=[Location(makefile, line)],
                command=command,
                detector="make",
                paths=python_paths(package, [makefile, *scripts]) if package else [makefile, *scripts],
                harness=HarnessRun("hyperfine") if runs_hyperfine else None,
                needs=["make"],
                notes=[f"recipe: {'; '.join(recipe)[:160]}"] if recipe else [],
            )
            if runs_hyperfine:
                proposal.notes.append(
                    "hyperfine repeats the command itself: lanebench measures the whole target; "
                    "for hyperfine's own runs, export JSON (`--export-json`) for `harness: hyperfine`"
                )
            proposals.append(proposal)
    return proposals, []


def detect_hyperfine_scripts(
    project: Project, package: PythonPackage | None
) -> tuple[list[Proposal], list[Finding]]:
    proposals = []
    for script in project.matching(SHELL_SCRIPT.pattern):
        text = project.text(script) or ""
        if not HYPERFINE.search(text):
            continue
        folder = posixpath.dirname(script) or "."
        words = [w for line in text.splitlines() for w in _split(line)]
        stem = posixpath.splitext(posixpath.basename(script))[0]
        proposals.append(Proposal(
            name=slug(f"hyperfine-{stem}"),
            found="shell script running hyperfine",
            where=[Location(script, project.line_of(script, HYPERFINE))],
            command=["sh", script] if not text.startswith("#!/bin/bash") and "bash" not in text.split("\n")[0]
            else ["bash", script],
            detector="hyperfine",
            paths=python_paths(package, [script, *_files_named(project, words, folder)]),
            harness=HarnessRun("hyperfine"),
            needs=["hyperfine"],
            notes=["hyperfine repeats each command itself: lanebench measures the whole script; "
                   "for hyperfine's own runs, export JSON (`--export-json`) for `harness: hyperfine`"],
        ))
    return proposals, []
