"""Questions on a terminal, each with a default that Enter (or `--yes`) takes."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TextIO


class Prompter:
    """Asks on `out`, reads answers from `inp`; with `assume_yes` asks nothing and
    takes every default."""

    def __init__(self, *, assume_yes: bool, inp: TextIO | None = None, out: TextIO | None = None) -> None:
        self.assume_yes = assume_yes
        self.inp = inp or sys.stdin
        self.out = out or sys.stdout

    def _read(self, prompt: str) -> str:
        self.out.write(prompt)
        self.out.flush()
        line = self.inp.readline()
        if not line:  # end of input: the default, as on a terminal whose input closed
            self.out.write("\n")
            return ""
        return line.strip()

    def yes_no(self, question: str, default: bool) -> bool:
        if self.assume_yes:
            return default
        hint = "[Y/n]" if default else "[y/N]"
        while True:
            answer = self._read(f"{question} {hint} ").lower()
            if not answer:
                return default
            if answer in ("y", "yes"):
                return True
            if answer in ("n", "no"):
                return False
            self.out.write("  please answer y or n\n")

    def choose(self, question: str, options: Sequence[tuple[str, str, str | None]], default: str) -> str:
        """One of `options` (key, label, reason it cannot be chosen or None), by number or key."""
        if self.assume_yes:
            return default
        self.out.write(f"{question}\n")
        for number, (key, label, reason) in enumerate(options, 1):
            mark = "*" if key == default else " "
            suffix = f"  (not available: {reason})" if reason else ""
            self.out.write(f" {mark}{number}) {label}{suffix}\n")
        keys = [key for key, _, _ in options]
        while True:
            answer = self._read(f"choice [{keys.index(default) + 1}]: ")
            if not answer:
                return default
            picked = keys[int(answer) - 1] if answer.isdigit() and 0 < int(answer) <= len(keys) else (
                answer if answer in keys else None)
            if picked is None:
                self.out.write(f"  answer 1 to {len(keys)}\n")
                continue
            reason = next(r for k, _, r in options if k == picked)
            if reason:
                self.out.write(f"  not available: {reason}\n")
                continue
            return picked

    def text(self, question: str, default: str) -> str:
        if self.assume_yes:
            return default
        answer = self._read(f"{question} [{default}]: ")
        return answer or default
