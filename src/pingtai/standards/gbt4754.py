"""GB/T 4754-2017 国民经济行业分类 codes: (门类 letter, 4-digit 小类) kept as text.

Only the structure is checked here (the letter must own the 大类); the full 1,382-row table
is not vendored yet because no vetted machine-readable copy is reachable (docs/standards.md §3).
The names of the 20 门类 and 97 大类 are (``gbt4754-divisions.csv``), so that industry tables
and lists can say 金属制品业 rather than a code.
"""

from __future__ import annotations

import csv
import unicodedata
from functools import cache
from pathlib import Path

# 门类 → the range of its 大类 (two-digit divisions), GB/T 4754-2017.
SECTIONS: dict[str, tuple[int, int]] = {
    "A": (1, 5),
    "B": (6, 12),
    "C": (13, 43),
    "D": (44, 46),
    "E": (47, 50),
    "F": (51, 52),
    "G": (53, 60),
    "H": (61, 62),
    "I": (63, 65),
    "J": (66, 69),
    "K": (70, 70),
    "L": (71, 72),
    "M": (73, 75),
    "N": (76, 79),
    "O": (80, 82),
    "P": (83, 83),
    "Q": (84, 85),
    "R": (86, 90),
    "S": (91, 96),
    "T": (97, 97),
}


def section_of(division: int) -> str | None:
    return next((s for s, (lo, hi) in SECTIONS.items() if lo <= division <= hi), None)


def normalise(raw: object) -> tuple[str, str]:
    """Return (letter, four digits) for "C3484", "3484" or "c 3484"; raise ValueError in Chinese."""
    text = "".join(unicodedata.normalize("NFKC", str(raw)).split()).upper()
    letter, digits = (text[0], text[1:]) if text[:1].isalpha() else ("", text)
    if len(digits) != 4 or not digits.isdigit():
        raise ValueError(f"行业代码“{raw}”应为门类字母加4位小类代码，如 C3484")
    expected = section_of(int(digits[:2]))
    if expected is None:
        raise ValueError(f"行业代码“{raw}”的大类 {digits[:2]} 不存在")
    if letter and letter != expected:
        raise ValueError(f"行业代码“{raw}”的门类应为 {expected}，而不是 {letter}")
    return expected, digits


def is_manufacturing(code: str) -> bool:
    return normalise(code)[0] == "C"


@cache
def _names() -> dict[str, str]:
    path = Path(__file__).with_name("gbt4754-divisions.csv")
    with path.open(encoding="utf-8", newline="") as f:
        return {row["code"]: row["name"] for row in csv.DictReader(f)}


def division_name(division: str | int) -> str:
    """The 大类 name of a two-digit division ("33" → 金属制品业); empty when unknown."""
    return _names().get(f"{int(division):02d}", "") if str(division).isdigit() else ""


def section_name(letter: str) -> str:
    """The 门类 name ("C" → 制造业); empty when unknown."""
    return _names().get(letter.upper(), "") if letter.isalpha() else ""


def division_of(code: str | None) -> str | None:
    """The two-digit 大类 of an industry code with or without its letter (None when absent or
    malformed)."""
    if not code:
        return None
    try:
        return normalise(code)[1][:2]
    except ValueError:
        return None
