"""The release: the tag names the source's version, the image-pinned action keeps the action's
interface, and the release workflow builds the same Dockerfile with least privilege and
pinned actions."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

import lanebench
from scripts.pin_action_image import PinError, pin
from scripts.release_version import release_version, source_version

REPO = Path(__file__).resolve().parents[1]
ACTION = REPO / "action.yml"
WORKFLOWS = REPO / ".github" / "workflows"
DIGEST = "sha256:" + "0123456789abcdef" * 4
REF = f"ghcr.io/octo-org/lanebench@{DIGEST}"
USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s*(\S+)(.*)$")
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


def load_workflow(name: str) -> dict[str, Any]:
    data = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    if True in data:  # YAML 1.1 reads the key `on` as a boolean
        data["on"] = data.pop(True)
    return data


def run_script(name: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(REPO / "scripts" / name), *args], cwd=REPO,
                          capture_output=True, text=True, timeout=60)


# --- the image-pinned action ---------------------------------------------------------------


def test_pinned_action_keeps_every_input_and_output_and_pulls_the_digest() -> None:
    original = ACTION.read_text(encoding="utf-8")
    pinned = pin(original, REF)
    before, after = yaml.safe_load(original), yaml.safe_load(pinned)
    assert after["inputs"] == before["inputs"]
    assert after["outputs"] == before["outputs"]
    assert {k: v for k, v in after.items() if k != "runs"} == {k: v for k, v in before.items() if k != "runs"}
    assert after["runs"] == {"using": "docker", "image": f"docker://{REF}"}
    changed = [(a, b) for a, b in zip(original.splitlines(), pinned.splitlines(), strict=True) if a != b]
    assert changed == [("  image: Dockerfile", f"  image: docker://{REF}")]


def test_pin_script_writes_the_pinned_action_on_stdout() -> None:
    proc = run_script("pin_action_image.py", REF)
    assert proc.returncode == 0, proc.stderr
    assert yaml.safe_load(proc.stdout)["runs"]["image"] == f"docker://{REF}"
    assert ACTION.read_text(encoding="utf-8").count("image: Dockerfile") == 1  # the file is untouched


@pytest.mark.parametrize("ref", [
    "ghcr.io/octo-org/lanebench:1.2.0",                      # a tag moves; a digest does not
    "ghcr.io/octo-org/lanebench@sha256:abc",                 # not a whole digest
    f"ghcr.io/Octo-Org/lanebench@{DIGEST}",                  # registries want lower case
    f"lanebench@{DIGEST}",                                   # no registry
    f"docker://ghcr.io/octo-org/lanebench@{DIGEST}",         # the scheme is the script's to add
])
def test_pin_refuses_what_is_not_an_image_pinned_by_digest(ref: str) -> None:
    with pytest.raises(PinError, match="not an image pinned by digest"):
        pin(ACTION.read_text(encoding="utf-8"), ref)
    proc = run_script("pin_action_image.py", ref)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("pin_action_image: error: ")


def test_pin_refuses_an_action_that_is_not_the_dockerfile_action() -> None:
    pinned = pin(ACTION.read_text(encoding="utf-8"), REF)
    with pytest.raises(PinError, match="not the Dockerfile action"):
        pin(pinned, REF.replace("0123", "4567"))


# --- the version a release tag names -------------------------------------------------------


def test_source_version_is_the_version_the_package_reports() -> None:
    assert source_version() == lanebench.__version__


def write_init(tmp_path: Path, version: str) -> Path:
    init = tmp_path / "__init__.py"
    init.write_text(f'"""doc"""\n\n__version__ = "{version}"\n', encoding="utf-8")
    return init


def test_release_tag_must_name_the_source_version(tmp_path: Path) -> None:
    init = write_init(tmp_path, "1.2.0")
    assert release_version("v1.2.0", init) == "1.2.0"
    with pytest.raises(ValueError, match=r"tag v1\.3\.0 but __init__\.py says __version__ = '1\.2\.0'"):
        release_version("v1.3.0", init)
    dev = write_init(tmp_path, "1.3.0.dev0")
    with pytest.raises(ValueError, match="set it to '1.3.0' in the commit you tag"):
        release_version("v1.3.0", dev)


@pytest.mark.parametrize("tag", ["1.2.0", "v1.2", "v1.2.0-image", "v1.2.0rc1", "release-1.2.0"])
def test_only_vX_Y_Z_tags_are_releases(tmp_path: Path, tag: str) -> None:
    with pytest.raises(ValueError, match="is not a release tag"):
        release_version(tag, write_init(tmp_path, "1.2.0"))


def test_version_script_exits_2_with_one_line_on_a_mismatch() -> None:
    proc = run_script("release_version.py", "v999.0.0")
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "v999.0.0" in proc.stderr


# --- the release workflow ------------------------------------------------------------------


def test_release_runs_on_version_tags_but_not_on_the_image_tags_it_makes() -> None:
    wf = load_workflow("release.yml")
    assert wf["on"] == {"push": {"tags": ["v*", "!v*-image"]}}
    text = (WORKFLOWS / "release.yml").read_text(encoding="utf-8")
    assert 'ref="refs/tags/$TAG-image"' in text


def test_release_builds_the_action_dockerfile_with_provenance_and_sbom() -> None:
    wf = load_workflow("release.yml")
    build = next(s for s in wf["jobs"]["image"]["steps"] if str(s.get("uses", "")).startswith("docker/build-push-action@"))
    args = build["with"]
    assert (args["context"], args["file"]) == (".", "Dockerfile")
    assert args["provenance"] == "mode=max" and args["sbom"] is True and args["push"] is True
    assert args["build-args"] == "PRECOMPILE=imports"
    assert "ARG PRECOMPILE=spawner" in (REPO / "Dockerfile").read_text(encoding="utf-8")
    assert "cache-from" not in args  # a release builds from nothing


def test_release_jobs_hold_only_the_permissions_they_use() -> None:
    for name in ("release.yml", "pypi.yml"):
        wf = load_workflow(name)
        assert wf["permissions"] == {}, name
    expected = {
        ("release.yml", "package"): {"contents": "read"},
        ("release.yml", "image"): {"contents": "read", "packages": "write", "id-token": "write"},
        ("release.yml", "publish"): {"contents": "write", "id-token": "write"},
        ("pypi.yml", "upload"): {"contents": "read", "id-token": "write"},
    }
    found = {(name, job_id): job.get("permissions")
             for name in ("release.yml", "pypi.yml") for job_id, job in load_workflow(name)["jobs"].items()}
    assert found == expected


@pytest.mark.parametrize("name", ["release.yml", "pypi.yml"])
def test_release_actions_are_pinned_by_full_sha_with_a_version_comment(name: str) -> None:
    lines = [USES_LINE.match(ln) for ln in (WORKFLOWS / name).read_text(encoding="utf-8").splitlines()]
    pins = [m.groups() for m in lines if m]
    assert pins
    for ref, rest in pins:
        assert PINNED.match(ref), ref
        assert re.match(r"\s+# v\d+\.\d+\.\d+$", rest), f"no `# vX.Y.Z` comment: {ref}{rest}"


def test_release_checkouts_keep_no_credentials() -> None:
    for name in ("release.yml", "pypi.yml"):
        for job in load_workflow(name)["jobs"].values():
            for step in job["steps"]:
                if str(step.get("uses", "")).startswith("actions/checkout@"):
                    assert step["with"]["persist-credentials"] is False
