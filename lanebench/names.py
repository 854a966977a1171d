"""What a name shown in reports may hold: benchmark names in configs, results files and bundles.

Names end up in terminals, Markdown comments, check runs and HTML, many times per
benchmark. A name must be short, must not start or end with white space, must hold at
least one visible character, and must hold no character that renders as nothing or moves
other text: control characters (newlines, terminal escapes), format characters
(bidirectional overrides, zero-width joiners), line and paragraph separators, surrogates,
private-use and unassigned code points, and the letters that Unicode lists as default
ignorable although they are letters (the Hangul fillers), or that render blank.
"""

from __future__ import annotations

import unicodedata

MAX_NAME_LENGTH = 200

# Control, format, line/paragraph separator, surrogate, private use, unassigned.
HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})
# Letters and symbols that render as blank space: the Hangul fillers (Lo, and
# Default_Ignorable_Code_Point in Unicode's DerivedCoreProperties) and the blank
# braille pattern (So).
BLANK_CHARACTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
# A character is visible when it is a letter, number, punctuation or symbol that is not
# blank; marks (accents, variation selectors) only decorate a character before them.
VISIBLE_CATEGORY_CLASSES = frozenset("LNPS")


def has_hidden_characters(text: str) -> bool:
    """True when `text` holds a character that renders as nothing or reorders text."""
    return any(
        unicodedata.category(ch) in HIDDEN_CATEGORIES or ch in BLANK_CHARACTERS for ch in text
    )


def has_visible_character(text: str) -> bool:
    return any(
        unicodedata.category(ch)[0] in VISIBLE_CATEGORY_CLASSES and ch not in BLANK_CHARACTERS
        for ch in text
    )


def name_problem(name: str, max_length: int = MAX_NAME_LENGTH) -> str | None:
    """Why `name` is unfit to be shown as a name, or None when it is fine.

    The length is checked first, so that a huge name costs nothing more than its length.
    """
    if len(name) > max_length:
        return f"is {len(name)} characters long (limit {max_length})"
    if not name.strip():
        return "is empty"
    if has_hidden_characters(name):
        return "holds control or invisible formatting characters"
    if name != name.strip():
        return "starts or ends with white space"
    if not has_visible_character(name):
        return "has no visible character"
    return None


def shown_names(names: list[str], limit: int = 10) -> str:
    """Names for a one-line message: the first `limit`, then how many more there are."""
    shown = ", ".join(name[:60] for name in names[:limit])
    return shown if len(names) <= limit else f"{shown} and {len(names) - limit} more"
