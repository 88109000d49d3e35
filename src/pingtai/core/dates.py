"""The one way a calendar day is written to people: 2026年12月12日 (no zero padding, no ISO
form on pages or in documents; docs/glossary.md)."""

from __future__ import annotations

import datetime as dt

MISSING = "—"
# Beijing time, in which documents are dated and stamped (China has no daylight saving).
CHINA_TIME = dt.timezone(dt.timedelta(hours=8))


def day_text(value: dt.date | None) -> str:
    if value is None:
        return MISSING
    return f"{value.year}年{value.month}月{value.day}日"
