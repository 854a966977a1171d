#!/usr/bin/env python3
"""Write action.yml with its image pinned by digest: the action a release tags `vX.Y.Z-image`.

The repository's own action.yml says `image: Dockerfile`, so an action pinned to a commit,
a fork included, builds its image in every job. The release workflow pushes the image built
from that Dockerfile and then commits, on top of the release commit, an action.yml whose
`runs.image` is `docker://IMAGE@sha256:DIGEST`: a job that uses that commit pulls the image
instead of building it. Only that line changes; inputs and outputs stay identical.

    python scripts/pin_action_image.py ghcr.io/owner/lanebench@sha256:<64 hex> [--action action.yml]

Prints the rewritten action.yml on stdout. Exit 2, with one line on stderr, when the
reference is not `registry/name@sha256:<64 hex>` or action.yml is not the Dockerfile action.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

import yaml

# lower-case registry/path (as registries require), then the digest: a tag can move, a digest cannot
IMAGE_REF = re.compile(r"[a-z0-9][a-z0-9.-]*(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)+@sha256:[0-9a-f]{64}")
IMAGE_LINE = re.compile(r"^(?P<indent>[ \t]+)image:[ \t]*['\"]?Dockerfile['\"]?[ \t]*$", re.M)


class PinError(Exception):
    """The reference or the action file cannot be pinned; the message says which and why."""


def pin(action_text: str, image_ref: str) -> str:
    """`action_text` with `runs.image: Dockerfile` replaced by `docker://image_ref`."""
    if not IMAGE_REF.fullmatch(image_ref):
        raise PinError(
            f"{image_ref!r} is not an image pinned by digest: expected "
            "registry/name@sha256:<64 hex digits> (lower case), e.g. ghcr.io/owner/lanebench@sha256:…"
        )
    before = yaml.safe_load(action_text)
    runs = before.get("runs") if isinstance(before, dict) else None
    if runs != {"using": "docker", "image": "Dockerfile"}:
        raise PinError(f"action.yml's runs is {runs!r}, not the Dockerfile action (using: docker, image: Dockerfile)")
    lines = IMAGE_LINE.findall(action_text)
    if len(lines) != 1:
        raise PinError(f"expected one `image: Dockerfile` line in action.yml, found {len(lines)}")
    pinned = IMAGE_LINE.sub(lambda m: f"{m.group('indent')}image: docker://{image_ref}", action_text)
    after = yaml.safe_load(pinned)
    _same_interface(before, after)
    if after["runs"] != {"using": "docker", "image": f"docker://{image_ref}"}:
        raise PinError(f"the rewritten runs is {after['runs']!r}")
    return pinned


def _same_interface(before: dict[str, Any], after: dict[str, Any]) -> None:
    for key in before:
        if key != "runs" and before[key] != after.get(key):
            raise PinError(f"rewriting runs.image changed {key!r}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("image", help="registry/name@sha256:<digest> of the pushed image")
    parser.add_argument("--action", type=Path, default=Path("action.yml"), help="action file (default: action.yml)")
    args = parser.parse_args(argv)
    try:
        sys.stdout.write(pin(args.action.read_text(encoding="utf-8"), args.image))
    except (PinError, OSError) as exc:
        print(f"pin_action_image: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
