"""A harness output file as read from disk: its text, and its JSON when it is JSON.

Reading is separate from parsing so that format detection and every reader see the same
bytes (pyperf writes `.json.gz` too) and every I/O or syntax failure is one HarnessError
line naming the file.
"""

from __future__ import annotations

import gzip
import json
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lanebench.harness.model import HarnessError

_GZIP_MAGIC = b"\x1f\x8b"


@dataclass
class Document:
    source: str
    text: str
    _json: Any = field(default=None, repr=False)
    _json_error: str | None = field(default=None, repr=False)
    _parsed: bool = field(default=False, repr=False)

    @classmethod
    def from_path(cls, path: Path | str) -> Document:
        p = Path(path)
        try:
            raw = p.read_bytes()
        except FileNotFoundError:
            raise HarnessError(f"{p}: harness output file not found") from None
        except IsADirectoryError:
            raise HarnessError(f"{p}: is a directory, not a harness output file") from None
        except OSError as exc:
            raise HarnessError(f"{p}: cannot read harness output: {exc.strerror or exc}") from None
        if raw.startswith(_GZIP_MAGIC):
            try:
                raw = gzip.decompress(raw)
            except (OSError, EOFError, zlib.error) as exc:
                raise HarnessError(f"{p}: gzip-compressed file is damaged: {exc}") from None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise HarnessError(f"{p}: not UTF-8 text (byte {exc.start})") from None
        return cls(str(p), text)

    @property
    def json(self) -> Any:
        """The parsed JSON, or None when the text is not JSON (see `json_error`)."""
        if not self._parsed:
            self._parsed = True
            try:
                self._json = json.loads(self.text) if self.text.strip() else None
                if self._json is None:
                    self._json_error = "the file is empty"
            except json.JSONDecodeError as exc:
                self._json_error = f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        return self._json

    @property
    def json_error(self) -> str | None:
        _ = self.json
        return self._json_error

    def require_json(self, harness: str) -> Any:
        data = self.json
        if data is None:
            hint = None
            if self.text.strip() and self.text.rstrip()[-1:] not in "}]":
                hint = "the run that wrote it may have been cut short"
            raise HarnessError(f"{self.source}: {harness} output: {self.json_error}", hint=hint)
        return data
