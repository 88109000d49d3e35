"""The optional ``industry_code`` input column: GB/T 4754-2017 小类 codes, checked and split
into the levels a method may group on (docs/engine.md "Industry groups").

A code is accepted with or without its 门类 letter (``C1713`` or ``1713``); the letter is
derived from the 大类 and, when given, must match it (standards/gbt4754.py holds the table of
门类 ranges). The level columns carry the letter so that their values read on their own:
``industry_section`` = ``C``, ``industry_2`` = ``C17``, ``industry_3`` = ``C171``,
``industry_4`` = ``C1713``. An empty cell means "industry unknown": the firm is compared at the
grouping's fallback levels only.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from pingtai.standards import gbt4754

COLUMN = "industry_code"
# 大类 00–99 → its 门类 letter ("" where no 门类 owns the 大类).
_SECTION_OF = [gbt4754.section_of(d) or "" for d in range(100)]


def split(raw: pl.Series) -> tuple[dict[str, pl.Series], np.ndarray, list[str]]:
    """Level columns for ``raw`` codes, a mask of non-empty invalid codes, and a message for
    each invalid code (in row order)."""
    text = raw.cast(pl.String).str.normalize("NFKC").str.replace_all(r"\s+", "")
    text = text.str.to_uppercase()
    text = pl.select(pl.when(text == "").then(None).otherwise(text)).to_series()
    parts = text.str.extract_groups(r"^([A-Z]?)(\d{4})$")
    letter = parts.struct.field("1")
    digits = parts.struct.field("2")
    section = (
        digits.str.slice(0, 2)
        .cast(pl.Int64)
        .replace_strict(list(range(100)), _SECTION_OF, default=None, return_dtype=pl.String)
    )
    ok = (
        digits.is_not_null()
        & (section != "")
        & ((letter == "") | (letter == section) | letter.is_null())
    ).fill_null(False)
    bad = (text.is_not_null() & ~ok).to_numpy()
    keep = pl.select(pl.when(ok).then(section).otherwise(None)).to_series()
    levels = {
        COLUMN: keep + digits,
        "industry_section": keep,
        "industry_2": keep + digits.str.slice(0, 2),
        "industry_3": keep + digits.str.slice(0, 3),
        "industry_4": keep + digits,
    }
    messages = []
    for value in raw.filter(pl.Series(bad)).to_list():
        try:
            gbt4754.normalise(value)
            messages.append(f"行业代码“{value}”无效")
        except ValueError as e:
            messages.append(str(e))
    return {k: v.alias(k) for k, v in levels.items()}, bad, messages


def empty(height: int) -> dict[str, pl.Series]:
    """Level columns for an input without ``industry_code``: every firm's industry unknown."""
    names = [COLUMN, "industry_section", "industry_2", "industry_3", "industry_4"]
    return {n: pl.Series(n, [None] * height, dtype=pl.String) for n in names}
