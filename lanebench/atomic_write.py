"""Writing an output file whole: through a temporary file beside it and a rename.

The one way lanebench writes a file it produces (results, comparisons, bundles, reports).

Readers (a concurrent `lanebench report`, actions/upload-artifact in the next step) never
see half a file. The temporary file is created with mode 0666 and the process umask, as
`open()` would create the file itself (0644 under the usual 022): `tempfile.mkstemp`
would make it 0600, and on GitHub the container writes as root while the next step runs
as the runner user, who could then not read the results it must upload.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
_ATTEMPTS = 100


def _create_beside(path: Path) -> tuple[int, Path]:
    """A new, empty file next to `path` (same directory, so the rename is atomic)."""
    for _ in range(_ATTEMPTS):
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(tmp, _CREATE, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"{path.parent}: no free temporary name for {path.name} after "
                          f"{_ATTEMPTS} attempts")


def write_text_atomic(path: Path | str, text: str) -> Path:
    """Write `text` (UTF-8, newlines as given) to `path`, replacing it in one rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _create_beside(path)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_json_atomic(path: Path | str, data: Any) -> Path:
    """`data` as indented JSON (no NaN or infinities: JSON has none), written whole."""
    text = json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    return write_text_atomic(path, text)
