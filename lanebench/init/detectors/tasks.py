"""Task runners' benchmark entries: package.json scripts, tox environments, nox sessions."""

from __future__ import annotations

import configparser
import json
import posixpath
import re

from lanebench.init.detectors._common import python_paths, slug
from lanebench.init.model import Finding, Location, Proposal
from lanebench.init.project import Project, PythonPackage

BENCH_NAME = re.compile(r"^bench(mark)?s?([:_.-][A-Za-z0-9:_.-]*)?$", re.IGNORECASE)
NOX_SESSION = re.compile(
    r"@nox\.session(?:\([^)]*\))?\s*\n\s*def\s+(\w+)\s*\(", re.M
)
NOX_NAMED = re.compile(r"@nox\.session\([^)]*name\s*=\s*[\"']([^\"']+)[\"']")


def detect_npm(project: Project, package: PythonPackage | None) -> tuple[list[Proposal], list[Finding]]:
    proposals = []
    for manifest in project.matching(r"(^|/)package\.json$"):
        try:
            data = json.loads(project.text(manifest) or "")
        except ValueError:
            continue
        scripts = data.get("scripts") if isinstance(data, dict) else None
        if not isinstance(scripts, dict):
            continue
        folder = posixpath.dirname(manifest) or "."
        prefix = "" if folder == "." else folder + "/"
        runner = "pnpm" if project.exists(f"{prefix}pnpm-lock.yaml") else (
            "yarn" if project.exists(f"{prefix}yarn.lock") else "npm")
        sources = [f"{prefix}{d}/**" for d in ("src", "lib") if any(
            f.startswith(f"{prefix}{d}/") for f in project.files)]
        for name, body in scripts.items():
            if not BENCH_NAME.match(str(name)):
                continue
            proposals.append(Proposal(
                name=slug(f"{runner}-{name}"),
                found=f"package.json script `{name}`",
                where=[Location(manifest, project.line_of(manifest, f'"{name}"'))],
                command=[runner, "run", "--silent", str(name)] if runner == "npm"
                else [runner, "run", str(name)],
                cwd=folder,
                detector="package.json",
                paths=[*sources, manifest] if sources else [],
                needs=[runner],
                notes=[f"script: {str(body)[:160]}"]
                + ([] if sources else ["no src/ or lib/ folder: every change affects it"]),
            ))
    return proposals, []


def detect_tox(project: Project, package: PythonPackage | None) -> tuple[list[Proposal], list[Finding]]:
    proposals = []
    text = project.text("tox.ini")
    if text is not None:
        parser = configparser.ConfigParser(interpolation=None, strict=False)
        try:
            parser.read_string(text)
        except configparser.Error:
            parser = configparser.ConfigParser()
        for section in parser.sections():
            if not section.startswith("testenv:"):
                continue
            env = section.split(":", 1)[1].strip()
            if not BENCH_NAME.match(env):
                continue
            commands = parser.get(section, "commands", fallback="").strip()
            proposal = Proposal(
                name=slug(f"tox-{env}"),
                found=f"tox environment `{env}`",
                where=[Location("tox.ini", project.line_of("tox.ini", f"[{section}]"))],
                command=["tox", "-q", "-e", env],
                detector="tox",
                paths=python_paths(package, ["tox.ini"]),
                needs=["tox"],
                notes=[f"commands: {' '.join(commands.split())[:160]}",
                       "tox builds and installs the package on every run: that time is measured "
                       "too; running the environment's commands directly measures less noise"],
            )
            missing = _missing_scripts(project, commands)
            if missing:
                proposal.notes.append(f"{', '.join(missing)} named in its commands does not exist here")
            proposals.append(proposal)
    return proposals, []


def detect_nox(project: Project, package: PythonPackage | None) -> tuple[list[Proposal], list[Finding]]:
    text = project.text("noxfile.py")
    if text is None:
        return [], []
    names = set(NOX_NAMED.findall(text))
    names |= {m.group(1) for m in NOX_SESSION.finditer(text)}
    proposals = []
    for name in sorted(names):
        if not BENCH_NAME.match(name):
            continue
        proposals.append(Proposal(
            name=slug(f"nox-{name}"),
            found=f"nox session `{name}`",
            where=[Location("noxfile.py", project.line_of("noxfile.py", name))],
            command=["nox", "-s", name, "--reuse-existing-virtualenvs"],
            detector="nox",
            paths=python_paths(package, ["noxfile.py"]),
            needs=["nox"],
            notes=["nox installs the package on every run: that time is measured too"],
        ))
    return proposals, []


def _missing_scripts(project: Project, commands: str) -> list[str]:
    words = re.findall(r"[\w./-]+\.(?:py|sh)\b", commands)
    return [w for w in dict.fromkeys(words) if not project.exists(w)]
