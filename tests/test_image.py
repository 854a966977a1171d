"""The built image's own entrypoint, run as GitHub runs it: the token scan of test_action.py
(test_no_process_a_benchmark_can_read_holds_a_token) with the image's Python, lanebench and
entrypoint instead of the checkout's.

Opt-in: it needs the image built and mounted, with /proc, /dev and /tmp bound into it
(docs/container.md, "Measuring inside the image"), named by LANEBENCH_IMAGE_ROOT, and root
with setpriv (the entrypoint starts with the capabilities `docker run` grants, then chroots
into the image). Skipped without them.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.github_fake.process import RemoteFakeGitHub
from tests.test_action import AS_DOCKER_STARTS_IT, ROOT, assert_no_token_found, run_token_scan

pytest_plugins = ["tests.github_fake.fixtures"]
pytestmark = pytest.mark.slow  # runs the image's entrypoint and a benchmark as real processes

IMAGE_ROOT = os.environ.get("LANEBENCH_IMAGE_ROOT", "")
IMAGE_PATH = "/opt/lanebench/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@pytest.fixture
def image_root(tmp_path: Path) -> Path:
    if not IMAGE_ROOT:
        pytest.skip("set LANEBENCH_IMAGE_ROOT to a mounted image (docs/container.md)")
    root = Path(IMAGE_ROOT)
    if not (root / "entrypoint.py").is_file():
        pytest.fail(f"LANEBENCH_IMAGE_ROOT={root} holds no /entrypoint.py: not a mounted lanebench image")
    if not (root / str(tmp_path).lstrip("/")).is_dir():
        pytest.fail(f"{tmp_path} is not seen inside {root}: bind /tmp into the image (mount --bind /tmp {root}/tmp)")
    if os.geteuid() != 0 or shutil.which("setpriv") is None or shutil.which("chroot") is None:
        pytest.skip("needs root, setpriv and chroot")
    return root


def test_the_image_entrypoint_leaves_no_token_a_benchmark_can_read(fake_github_process: RemoteFakeGitHub,
                                                                   tmp_path: Path, image_root: Path) -> None:
    # setpriv (Docker's capabilities) -> this script -> chroot into the image -> its entrypoint;
    # the arguments run_action gives (the checkout's Python and entrypoint) are not used
    into_image = tmp_path / "into-image"
    into_image.write_text(f"#!/bin/sh\nexec chroot {image_root} /usr/bin/env -u PYTHONPATH PATH={IMAGE_PATH} "
                          "/opt/lanebench/bin/python /entrypoint.py\n", encoding="utf-8")
    into_image.chmod(0o755)
    scanner = Path(shutil.copy(ROOT / "tests" / "proc_scan.py", tmp_path / "proc_scan.py"))
    # the image's Python runs the scanner; the entrypoint the scan finds is the image's
    assert_no_token_found(run_token_scan(fake_github_process, tmp_path, (*AS_DOCKER_STARTS_IT, str(into_image)),
                                         "python", scanner))
