"""The docs say what the code does: action.yml's inputs and outputs, the runtime that reads
them, the custom-image copy of the action, the bundle's refusals, and quoted messages."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from lanebench.bundle import REFUSALS

REPO = Path(__file__).resolve().parents[1]
ACTION_DOC = REPO / "docs" / "action.md"
FORK_DOC = REPO / "docs" / "fork-safe.md"
WORKFLOWS_DOC = REPO / "docs" / "workflows.md"
CODE_SPAN = re.compile(r"`([^`]+)`")


def action() -> dict[str, Any]:
    return yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))


def section(text: str, heading: str) -> str:
    """The text under `heading` up to the next heading of the same or a higher level."""
    level = heading.split(" ")[0]
    start = text.index(heading + "\n") + len(heading) + 1
    rest = text[start:]
    match = re.search(rf"^#{{1,{len(level)}}} ", rest, re.M)
    return rest[: match.start()] if match else rest


def table(markdown: str) -> list[list[str]]:
    """Rows of the first Markdown table in `markdown`, header and rule dropped."""
    lines = [ln for ln in markdown.splitlines() if ln.startswith("|")]
    rows = [[c.strip() for c in ln.strip().strip("|").split("|")] for ln in lines]
    return rows[2:]


def unquote(cell: str) -> str:
    match = re.fullmatch(r"`([^`]*)`", cell)
    assert match, f"expected a `code` cell, got {cell!r}"
    value = match.group(1)
    return "" if value == '""' else value


README = REPO / "README.md"


@pytest.mark.parametrize("doc", [ACTION_DOC, README], ids=["docs/action.md", "README.md"])
def test_inputs_table_lists_exactly_the_inputs_with_their_defaults(doc: Path) -> None:
    rows = table(section(doc.read_text(encoding="utf-8"), "## Inputs"))
    documented = {unquote(r[0]): unquote(r[1]) for r in rows}
    declared = {name: str(spec.get("default", "")) for name, spec in action()["inputs"].items()}
    assert documented == declared
    assert [unquote(r[0]) for r in rows] == list(action()["inputs"])  # same order as action.yml


@pytest.mark.parametrize("doc", [ACTION_DOC, README], ids=["docs/action.md", "README.md"])
def test_outputs_table_lists_exactly_the_outputs(doc: Path) -> None:
    rows = table(section(doc.read_text(encoding="utf-8"), "## Outputs"))
    assert [unquote(r[0]) for r in rows] == list(action()["outputs"])


def _reads_in_from_environ() -> dict[str, ast.Call]:
    """Input names `ActionInputs.from_environ` reads, with the call that reads each."""
    tree = ast.parse((REPO / "lanebench" / "action_runtime.py").read_text(encoding="utf-8"))
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "ActionInputs")
    method = next(n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "from_environ")
    reads: dict[str, ast.Call] = {}
    for node in ast.walk(method):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("input_value", "choice", "positive_int")
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
        ):
            reads[node.args[1].value] = node
    return reads


def test_every_input_is_read_by_the_runtime_with_the_same_default() -> None:
    reads = _reads_in_from_environ()
    assert set(reads) == set(action()["inputs"])
    for name, call in reads.items():
        declared = str(action()["inputs"][name].get("default", ""))
        if "${{" in declared or call.func.id == "positive_int":  # GitHub fills these in
            continue
        default_arg = call.args[-1] if len(call.args) >= 3 else None
        in_code = default_arg.value if isinstance(default_arg, ast.Constant) else ""
        assert in_code == declared, f"{name}: action.yml says {declared!r}, the code {in_code!r}"


def test_custom_image_action_declares_the_same_interface() -> None:
    custom = yaml.safe_load((REPO / "examples" / "custom-image" / "action.yml").read_text(encoding="utf-8"))
    assert custom["inputs"] == action()["inputs"]
    assert custom["outputs"] == action()["outputs"]
    assert custom["runs"] == {"using": "docker", "image": "Dockerfile"}


def test_fork_safe_doc_lists_every_refusal() -> None:
    rows = table(section(FORK_DOC.read_text(encoding="utf-8"), "## What is checked"))
    assert [unquote(r[0]) for r in rows] == list(REFUSALS)


def test_workflows_doc_links_every_example() -> None:
    text = WORKFLOWS_DOC.read_text(encoding="utf-8")
    for path in sorted((REPO / "examples" / "workflows").glob("*.yml")):
        assert f"(../examples/workflows/{path.name})" in text, path.name
    assert "(../examples/custom-image/)" in text


def _string_constants() -> list[str]:
    """Every string literal in the package, f-strings' literal parts included (adjacent
    literals arrive joined, as Python joins them)."""
    out: list[str] = []
    for path in (REPO / "lanebench").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        out.extend(
            n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
        )
    return out


def _message_spans(bullet: str) -> list[str]:
    """The code spans that quote the message: those before the first `: ` outside code."""
    spans: list[str] = []
    in_code = False
    current = ""
    for i, ch in enumerate(bullet):
        if ch == "`":
            if in_code:
                spans.append(current)
                current = ""
            in_code = not in_code
        elif in_code:
            current += ch
        elif bullet.startswith(": ", i):
            break
    return spans


def _bullets(markdown: str) -> list[str]:
    bullets: list[str] = []
    for line in markdown.splitlines():
        if line.startswith("- "):
            bullets.append(line[2:])
        elif line.startswith("  ") and bullets:
            bullets[-1] += " " + line.strip()
    return bullets


def test_quoted_messages_exist_in_the_code() -> None:
    constants = _string_constants()
    bullets = _bullets(section(ACTION_DOC.read_text(encoding="utf-8"), "### Messages from lanebench"))
    assert len(bullets) >= 10
    for bullet in bullets:
        spans = _message_spans(bullet)
        chunks = [c.strip() for span in spans for c in span.split("…") if len(c.strip()) >= 12]
        assert chunks, f"no quotable message in: {bullet[:80]}"
        for chunk in chunks:
            assert any(chunk in s for s in constants), f"not in the code: {chunk!r}"
