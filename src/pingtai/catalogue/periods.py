"""Reporting-period codes: ``2025Q4`` (quarter), ``2025H1`` (half year), ``2025`` (year)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from pingtai.core.refusal import Refused

PeriodKind = Literal["quarter", "half", "year"]

_PATTERN = re.compile(r"(\d{4})(?:([QH])(\d))?")
_QUARTER_NAMES = "一二三四"
_HALF_NAMES = ("上半年", "下半年")
_MONTHS_PER = {"quarter": 3, "half": 6, "year": 12}
_COUNT_PER_YEAR = {"quarter": 4, "half": 2, "year": 1}


@dataclass(frozen=True, order=True)
class Period:
    """One reporting period; ``index`` is 1–4 for quarters, 1–2 for halves, 1 for a year."""

    year: int
    kind: PeriodKind
    index: int

    def __post_init__(self) -> None:
        if self.kind not in _COUNT_PER_YEAR:
            raise Refused(f"报告期类型“{self.kind}”无效，应为季度、半年或年度")
        if not 1 <= self.index <= _COUNT_PER_YEAR[self.kind]:
            raise Refused(f"报告期序号 {self.index} 超出范围")
        if not 1900 <= self.year <= 9998:
            raise Refused(f"报告期年份 {self.year} 超出范围")

    @property
    def code(self) -> str:
        if self.kind == "quarter":
            return f"{self.year}Q{self.index}"
        if self.kind == "half":
            return f"{self.year}H{self.index}"
        return str(self.year)

    @property
    def label(self) -> str:
        if self.kind == "quarter":
            return f"{self.year}年第{_QUARTER_NAMES[self.index - 1]}季度"
        if self.kind == "half":
            return f"{self.year}年{_HALF_NAMES[self.index - 1]}"
        return f"{self.year}年度"

    @property
    def start(self) -> date:
        return date(self.year, (self.index - 1) * _MONTHS_PER[self.kind] + 1, 1)

    @property
    def end(self) -> date:
        last_month = self.index * _MONTHS_PER[self.kind]
        if last_month == 12:
            return date(self.year, 12, 31)
        return date(self.year, last_month + 1, 1) - timedelta(days=1)

    def previous(self) -> Period:
        """The period just before this one, of the same kind."""
        if self.index > 1:
            return Period(self.year, self.kind, self.index - 1)
        return Period(self.year - 1, self.kind, _COUNT_PER_YEAR[self.kind])

    def same_period_last_year(self) -> Period:
        return Period(self.year - 1, self.kind, self.index)

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def __str__(self) -> str:
        return self.code


def parse_period(code: str) -> Period:
    """Parse ``2025Q4``, ``2025H1`` or ``2025`` (full-width digits and spaces are tolerated)."""
    text = "".join(unicodedata.normalize("NFKC", str(code)).split()).upper()
    match = _PATTERN.fullmatch(text)
    if not match:
        raise Refused(f"报告期代码“{code}”无效，应为 2025Q4（季度）、2025H1（半年）或 2025（年度）")
    year, letter, index = int(match[1]), match[2], match[3]
    if letter is None:
        return Period(year, "year", 1)
    return Period(year, "quarter" if letter == "Q" else "half", int(index))
