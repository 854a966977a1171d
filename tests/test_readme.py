"""The README's two commands are the ones users and CI run."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def readme_commands() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```sh\n(.+?)\n```", text)[:2]


def test_readme_starts_with_the_two_commands() -> None:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    first_block = text.index("```sh")
    assert text[:first_block].count("```") == 0, "the commands must come before any other code block"
    demo, tests = readme_commands()
    assert "pip install ." in demo and "examples/demo/.github/lanebench.yml" in demo
    assert "python -m pytest" in tests


def test_ci_runs_exactly_the_readme_test_command() -> None:
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    _, tests = readme_commands()
    assert tests in ci.splitlines()


def test_demo_config_is_valid() -> None:
    from lanebench.config import load_config

    config = load_config(REPO / "examples" / "demo" / ".github" / "lanebench.yml")
    assert len(config.benchmarks) == 4
    assert [b.instrument for b in config.benchmarks] == ["time", "auto", "time", "time"]
