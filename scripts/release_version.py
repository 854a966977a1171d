#!/usr/bin/env python3
"""The version a release tag names, checked against the one in the source.

`lanebench/__init__.py` holds the version (`__version__`), read by the build backend into
the package metadata and printed by `lanebench --version`. A release commit sets it to
X.Y.Z and is tagged vX.Y.Z; between releases it says X.Y.Z.devN, so a build from any other
commit does not claim to be a release.

    python scripts/release_version.py v1.2.0      # prints 1.2.0, or exits 2 saying why not

Read with `ast`, not imported: importing the package would need its dependencies.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from pathlib import Path

INIT = Path(__file__).resolve().parents[1] / "lanebench" / "__init__.py"
RELEASE = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+")


def source_version(init: Path = INIT) -> str:
    """The string assigned to `__version__` in `init`."""
    for node in ast.parse(init.read_text(encoding="utf-8")).body:
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "__version__" for t in node.targets)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            return node.value.value
    raise ValueError(f"{init}: no `__version__ = \"...\"` assignment")


def release_version(tag: str, init: Path = INIT) -> str:
    """The X.Y.Z of tag vX.Y.Z when the source says X.Y.Z; ValueError saying what differs."""
    if not (tag.startswith("v") and RELEASE.fullmatch(tag[1:])):
        raise ValueError(f"tag {tag!r} is not a release tag: expected vX.Y.Z, e.g. v1.2.0")
    version = source_version(init)
    if version != tag[1:]:
        raise ValueError(
            f"tag {tag} but {init.name} says __version__ = {version!r}: set it to "
            f"{tag[1:]!r} in the commit you tag, or tag v{version} if that is a release"
        )
    return version


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tag", help="the release tag, vX.Y.Z")
    args = parser.parse_args(argv)
    try:
        print(release_version(args.tag))
    except (ValueError, OSError) as exc:
        print(f"release_version: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
