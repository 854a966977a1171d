"""The Actions runtime layer: inputs, event, outputs file format, summary limit, masking."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from lanebench.action_runtime import (
    SUMMARY_LIMIT,
    ActionContext,
    ActionInputs,
    Workflow,
    input_value,
)
from lanebench.errors import ConfigError


def test_inputs_read_hyphenated_and_underscored_names() -> None:
    assert input_value({"INPUT_GITHUB-TOKEN": "t1"}, "github-token") == "t1"
    assert input_value({"INPUT_GITHUB_TOKEN": "t2"}, "github-token") == "t2"
    assert input_value({"INPUT_CHECK-NAME": "  "}, "check-name", "lanebench") == "lanebench"


def test_inputs_defaults_and_validation() -> None:
    inputs = ActionInputs.from_environ({})
    assert inputs.mode == "auto" and inputs.comment == "always"
    assert inputs.fail_on is None and inputs.comparison == ""  # the lane's settings decide
    assert inputs.baseline_artifact == "lanebench-baseline"
    with pytest.raises(ConfigError, match="input fail-on: expected one of critical, warning, never, got 'sometimes'"):
        ActionInputs.from_environ({"INPUT_FAIL-ON": "sometimes"})
    with pytest.raises(ConfigError, match="input iterations: expected a positive integer"):
        ActionInputs.from_environ({"INPUT_ITERATIONS": "ten"})


def test_context_reads_event_file(tmp_path: Path) -> None:
    event = {
        "pull_request": {
            "number": 7,
            "head": {"sha": "abc", "repo": {"full_name": "fork/repo"}},
            "labels": [{"name": "lanebench:heavy"}],
        },
        "repository": {"default_branch": "trunk"},
    }
    (tmp_path / "event.json").write_text(json.dumps(event))
    ctx = ActionContext.from_environ(
        {
            "GITHUB_EVENT_NAME": "pull_request",
            "GITHUB_EVENT_PATH": str(tmp_path / "event.json"),
            "GITHUB_REPOSITORY": "owner/repo",
            "GITHUB_RUN_ID": "42",
            "GITHUB_SERVER_URL": "https://ghe.example",
        }
    )
    assert ctx.pr_number == 7 and ctx.pr_head_sha == "abc"
    assert ctx.pr_labels == ["lanebench:heavy"]
    assert ctx.default_branch == "trunk"
    assert ctx.is_fork_pr
    assert ctx.run_url == "https://ghe.example/owner/repo/actions/runs/42"


def test_context_outside_actions_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="not running inside GitHub Actions"):
        ActionContext.from_environ({})


def _ctx(tmp_path: Path) -> ActionContext:
    return ActionContext.from_environ(
        {
            "GITHUB_EVENT_NAME": "push",
            "GITHUB_REPOSITORY": "o/r",
            "GITHUB_OUTPUT": str(tmp_path / "out"),
            "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"),
        }
    )


def test_outputs_use_delimiters_so_multiline_values_survive(tmp_path: Path) -> None:
    wf = Workflow(_ctx(tmp_path), io.StringIO())
    wf.set_output("lane", "standard")
    wf.set_output("status", "line1\nline2")
    text = (tmp_path / "out").read_text()
    blocks = text.split("\n")
    assert blocks[0].startswith("lane<<lanebench_") and blocks[1] == "standard"
    assert "line1\nline2" in text


def test_summary_refuses_to_pass_one_mebibyte(tmp_path: Path) -> None:
    out = io.StringIO()
    wf = Workflow(_ctx(tmp_path), out)
    assert wf.append_summary("a" * (SUMMARY_LIMIT - 10))
    assert not wf.append_summary("b" * 100)
    assert (tmp_path / "summary").stat().st_size == SUMMARY_LIMIT - 10
    assert "::warning::job summary would exceed" in out.getvalue()


def test_workflow_commands_escape_newlines_and_mask() -> None:
    out = io.StringIO()
    wf = Workflow(None, out)
    wf.mask("s3cr3t")
    wf.error("bad\nthing 100%", title="a:b")
    lines = out.getvalue().splitlines()
    assert lines[0] == "::add-mask::s3cr3t"
    assert lines[1] == "::error title=a%3Ab::bad%0Athing 100%25"


def test_environment_without_secrets_drops_tokens() -> None:
    from lanebench.secrets import without_secrets

    env = without_secrets({"GITHUB_TOKEN": "x", "INPUT_GITHUB-TOKEN": "y", "PATH": "/bin"})
    assert env == {"PATH": "/bin"}
