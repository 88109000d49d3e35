"""Working days in China: the State Council's holidays and adjusted working days per year, kept
as data (pingtai/data/holidays.toml), and the window arithmetic of 公示 and 异议 deadlines
(docs/enterprise.md, "Working days"). Pure Python: no Django."""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pingtai.core.refusal import Refused

HOLIDAYS_FILE = Path(__file__).resolve().parent.parent / "data" / "holidays.toml"
WEEKDAYS = "一二三四五六日"


@dataclass(frozen=True)
class Calendar:
    years: frozenset[int]
    off: dict[dt.date, str]  # day off → the holiday's name
    work: frozenset[dt.date]  # weekend days declared working days (调休上班)
    sources: dict[int, str]

    def _check_year(self, day: dt.date) -> None:
        if day.year not in self.years:
            known = "、".join(str(y) for y in sorted(self.years))
            raise Refused(
                f"{day.year}年的节假日安排尚未录入工作日日历（已录入：{known}年），"
                f"无法按工作日计算期限；请在国务院办公厅发布当年节假日安排后补入 "
                f"pingtai/data/holidays.toml",
                code="calendar_year_missing",
            )

    def is_working_day(self, day: dt.date) -> bool:
        self._check_year(day)
        if day in self.work:
            return True
        if day in self.off:
            return False
        return day.weekday() < 5

    def closing_day(self, opens_on: dt.date, working_days: int) -> dt.date:
        """The last day of a window of ``working_days`` working days opening on ``opens_on``:
        the opening day counts when it is a working day; otherwise counting starts with the
        next working day (a notice posted on a Saturday runs from Monday)."""
        if working_days < 1:
            raise Refused("期限须至少为 1 个工作日", code="bad_days", field="days")
        day, counted = opens_on, 0
        while True:
            if self.is_working_day(day):
                counted += 1
                if counted == working_days:
                    return day
            day += dt.timedelta(days=1)

    def working_days_between(self, first: dt.date, last: dt.date) -> int:
        """Working days from ``first`` to ``last``, both included (0 when ``last`` < ``first``)."""
        count, day = 0, first
        while day <= last:
            count += self.is_working_day(day)
            day += dt.timedelta(days=1)
        return count


def date_text(day: dt.date) -> str:
    """2024年9月13日（星期五）: how a deadline is written to people."""
    return f"{day.year}年{day.month}月{day.day}日（星期{WEEKDAYS[day.weekday()]}）"


def _problems(data: dict) -> list[str]:
    problems = []
    seen: set[int] = set()
    for entry in data.get("year", []):
        year = entry.get("year")
        if not isinstance(year, int):
            problems.append(f"年度“{year}”不是整数")
            continue
        if year in seen:
            problems.append(f"{year}年重复录入")
        seen.add(year)
        if not entry.get("source"):
            problems.append(f"{year}年未注明依据（国务院办公厅通知）")
        off_days: set[dt.date] = set()
        for holiday in entry.get("off", []):
            start, end = holiday.get("from"), holiday.get("to")
            if not isinstance(start, dt.date) or not isinstance(end, dt.date) or end < start:
                problems.append(f"{year}年“{holiday.get('name')}”的起止日期不正确")
                continue
            if start.year != year and end.year != year:
                problems.append(f"{year}年“{holiday.get('name')}”不在该年度内")
            day = start
            while day <= end:
                off_days.add(day)
                day += dt.timedelta(days=1)
        for day in entry.get("work", []):
            if not isinstance(day, dt.date):
                problems.append(f"{year}年调休上班日“{day}”不是日期")
            elif day.weekday() < 5:
                problems.append(f"{year}年调休上班日 {day} 不是周末，无需列出")
            elif day in off_days:
                problems.append(f"{year}年 {day} 同时列为放假日和上班日")
    return problems


def load_calendar(path: Path = HOLIDAYS_FILE) -> Calendar:
    """Read and check the holiday file; a malformed file is refused, naming every problem."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    problems = _problems(data)
    if problems:
        raise Refused(f"{path.name} 有误：" + "；".join(problems), code="calendar_invalid")
    off: dict[dt.date, str] = {}
    work: set[dt.date] = set()
    for entry in data.get("year", []):
        for holiday in entry.get("off", []):
            day = holiday["from"]
            while day <= holiday["to"]:
                off[day] = holiday["name"]
                day += dt.timedelta(days=1)
        work.update(entry.get("work", []))
    return Calendar(
        years=frozenset(e["year"] for e in data.get("year", [])),
        off=off,
        work=frozenset(work),
        sources={e["year"]: e["source"] for e in data.get("year", [])},
    )


@lru_cache(maxsize=1)
def calendar() -> Calendar:
    return load_calendar()
