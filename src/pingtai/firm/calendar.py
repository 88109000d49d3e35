"""Working days in China: the State Council's holidays and adjusted working days per year, kept
as data (pingtai/data/holidays.toml, and years the city administrator loaded later), and the
window arithmetic of 公示 and 异议 deadlines (docs/enterprise.md, "Working days").

A year without the State Council's schedule, but with its lunar dates in the file, is
*provisional*: its days off are the statutory holidays of 《全国年节及纪念日放假办法》 and
their make-up days (补假), without 调休. Pure Python: no Django; the years loaded into the database reach this module
through ``set_loaded_years`` (registered by the firm app)."""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from pingtai.core.refusal import Refused

HOLIDAYS_FILE = Path(__file__).resolve().parent.parent / "data" / "holidays.toml"
WEEKDAYS = "一二三四五六日"
FIRST_YEAR, LAST_YEAR = 2000, 2100


@dataclass(frozen=True)
class DaysOff:
    name: str
    first: dt.date
    last: dt.date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


@dataclass(frozen=True)
class YearView:
    year: int
    source: str
    provisional: bool
    off: list[DaysOff]
    work: list[dt.date]  # weekend days declared working days (调休上班)
    working_days: int


@dataclass(frozen=True)
class Calendar:
    years: frozenset[int]
    off: dict[dt.date, str]  # day off → the holiday's name
    work: frozenset[dt.date]  # weekend days declared working days (调休上班)
    sources: dict[int, str]
    # Years computed from the statutory holidays because the State Council's schedule is not
    # yet entered; deadlines reaching them are provisional (暂算).
    provisional: frozenset[int] = frozenset()

    def _check_year(self, day: dt.date) -> None:
        if day.year not in self.years:
            known = "、".join(str(y) for y in sorted(self.years))
            raise Refused(
                f"{day.year}年的节假日安排尚未录入工作日日历（已录入：{known}年），"
                f"无法按工作日计算期限；请在国务院办公厅发布当年节假日安排后由市级管理员"
                f"用“pingtai calendar load”录入，或补入 pingtai/data/holidays.toml",
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

    def provisional_years(self, first: dt.date, last: dt.date) -> list[int]:
        """The provisional years a period from ``first`` to ``last`` reaches."""
        return [y for y in range(first.year, last.year + 1) if y in self.provisional]

    def year_view(self, year: int) -> YearView:
        """One year as people read it (the calendar page): the days off by holiday, the
        adjusted working days, whether the year is official or provisional, and its source."""
        self._check_year(dt.date(year, 1, 1))
        ranges: list[list[Any]] = []
        for day in sorted(d for d in self.off if d.year == year):
            name = self.off[day]
            if ranges and ranges[-1][0] == name and ranges[-1][2] + dt.timedelta(1) == day:
                ranges[-1][2] = day
            else:
                ranges.append([name, day, day])
        return YearView(
            year=year,
            source=self.sources[year],
            provisional=year in self.provisional,
            off=[DaysOff(name, first, last) for name, first, last in ranges],
            work=sorted(d for d in self.work if d.year == year),
            working_days=self.working_days_between(dt.date(year, 1, 1), dt.date(year, 12, 31)),
        )

    def provisional_note(self, first: dt.date, last: dt.date) -> str:
        """What a deadline computed on a provisional year says about itself, or ""."""
        years = self.provisional_years(first, last)
        if not years:
            return ""
        named = "、".join(str(y) for y in years)
        return f"截止日期按法定节假日暂算，国务院公布{named}年安排后以公布为准"


def date_text(day: dt.date) -> str:
    """2024年9月13日（星期五）: how a deadline is written to people."""
    return f"{day.year}年{day.month}月{day.day}日（星期{WEEKDAYS[day.weekday()]}）"


# --- one year's schedule: checking ---------------------------------------------------------------


def _days(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


def year_problems(entry: dict[str, Any], lunar: dict[int, dict] | None = None) -> list[str]:
    """Everything wrong with one year's schedule, in Chinese (empty when it is sound). With the
    year's lunar dates known, the statutory holidays must all be days off."""
    problems: list[str] = []
    year = entry.get("year")
    if not isinstance(year, int) or isinstance(year, bool):
        return [f"年度“{year}”不是整数"]
    if not FIRST_YEAR <= year <= LAST_YEAR:
        return [f"年度 {year} 不在 {FIRST_YEAR}—{LAST_YEAR} 年之间"]
    if not entry.get("source"):
        problems.append(f"{year}年未注明依据（国务院办公厅通知）")
    off_days: dict[dt.date, str] = {}
    holidays = entry.get("off", [])
    if not isinstance(holidays, list) or not holidays:
        problems.append(f"{year}年没有列出任何放假日")
        holidays = []
    for holiday in holidays:
        if not isinstance(holiday, dict):
            problems.append(f"{year}年放假安排“{holiday}”格式不正确")
            continue
        name, start, end = holiday.get("name"), holiday.get("from"), holiday.get("to")
        if not name:
            problems.append(f"{year}年有一段放假日未写节日名称")
        if not isinstance(start, dt.date) or not isinstance(end, dt.date) or end < start:
            problems.append(f"{year}年“{name}”的起止日期不正确")
            continue
        if start.year != year and end.year != year:
            problems.append(f"{year}年“{name}”不在该年度内")
            continue
        if (end - start).days > 15:
            problems.append(f"{year}年“{name}”放假 {(end - start).days + 1} 天，超过半个月")
            continue
        for day in _days(start, end):
            if day in off_days:
                problems.append(f"{year}年 {day} 重复列为放假日")
            off_days[day] = str(name)
    work = entry.get("work", [])
    if not isinstance(work, list):
        problems.append(f"{year}年调休上班日应为日期列表")
        work = []
    for day in work:
        if not isinstance(day, dt.date):
            problems.append(f"{year}年调休上班日“{day}”不是日期")
        elif day.year != year:
            problems.append(f"{year}年调休上班日 {day} 不在该年度内")
        elif day.weekday() < 5:
            problems.append(f"{year}年调休上班日 {day} 不是周末，无需列出")
        elif day in off_days:
            problems.append(f"{year}年 {day} 同时列为放假日和上班日")
    if lunar and year in lunar and not problems:
        for day, name in statutory_days(year, lunar[year]).items():
            if day not in off_days:
                problems.append(f"{year}年安排未将法定节假日 {day}（{name}）列为放假日")
    return problems


# --- provisional years: the statutory holidays ----------------------------------------------------


def statutory_days(year: int, lunar: dict[str, dt.date]) -> dict[dt.date, str]:
    """The statutory holidays of 《全国年节及纪念日放假办法》 (2024 revision) in ``year``:
    元旦 1 day, 春节 4 days (除夕 to 初三), 清明 1, 劳动节 2 (1–2 May), 端午 1, 中秋 1,
    国庆 3 (1–3 October). Make-up days (补假) are not included: see ``statutory_year``."""
    days = {dt.date(year, 1, 1): "元旦"}
    days.update(dict.fromkeys(_days(lunar["chuxi"], lunar["chuxi"] + dt.timedelta(3)), "春节"))
    days[lunar["qingming"]] = "清明节"
    days.update(dict.fromkeys(_days(dt.date(year, 5, 1), dt.date(year, 5, 2)), "劳动节"))
    days[lunar["duanwu"]] = "端午节"
    days[lunar["zhongqiu"]] = "中秋节"
    days.update(dict.fromkeys(_days(dt.date(year, 10, 1), dt.date(year, 10, 3)), "国庆节"))
    return days


def statutory_year(year: int, lunar: dict[str, dt.date], source: str) -> dict[str, Any]:
    """A provisional year as a schedule entry: the statutory days off, each holiday followed by
    one make-up day off (补假) for every one of its days that falls on a Saturday or Sunday —
    Article 6 of the 办法: "全体公民放假的假日，如果适逢星期六、星期日，应当在工作日补假" —
    taken on the working days right after it; no adjusted working days (调休), which only the
    State Council's schedule sets."""
    days = statutory_days(year, lunar)
    ranges: list[dict[str, Any]] = []
    for day, name in sorted(days.items()):
        last = ranges[-1] if ranges else None
        if last and last["name"] == name and last["to"] + dt.timedelta(1) == day:
            last["to"] = day
        else:
            ranges.append({"name": name, "from": day, "to": day})
    for holiday in ranges:
        owed = sum(d.weekday() >= 5 for d in _days(holiday["from"], holiday["to"]))
        while owed:
            holiday["to"] += dt.timedelta(1)
            if holiday["to"].weekday() < 5 and holiday["to"] not in days:
                owed -= 1
    return {"year": year, "source": source, "off": ranges, "work": []}


# --- the calendar: the file, loaded years, provisional years --------------------------------------


@dataclass(frozen=True)
class HolidayFile:
    years: list[dict[str, Any]]
    lunar: dict[int, dict[str, dt.date]]
    statutory_source: str


def read_holiday_file(path: Path = HOLIDAYS_FILE) -> HolidayFile:
    """Read and check the holiday file; a malformed file is refused, naming every problem."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    lunar = {}
    problems = []
    for entry in data.get("lunar", []):
        keys = ("chuxi", "qingming", "duanwu", "zhongqiu")
        if not isinstance(entry.get("year"), int) or not all(
            isinstance(entry.get(k), dt.date) and entry[k].year == entry["year"] for k in keys
        ):
            problems.append(f"农历节日日期“{entry.get('year')}”不完整或不在该年度内")
            continue
        lunar[entry["year"]] = {k: entry[k] for k in keys}
    seen: set[int] = set()
    for entry in data.get("year", []):
        year = entry.get("year")
        if year in seen:
            problems.append(f"{year}年重复录入")
        seen.add(year)
        problems += year_problems(entry)
    if problems:
        raise Refused(f"{path.name} 有误：" + "；".join(problems), code="calendar_invalid")
    source = data.get("statutory", {}).get("source", "《全国年节及纪念日放假办法》")
    return HolidayFile(list(data.get("year", [])), lunar, source)


def entry_to_json(entry: dict[str, Any]) -> dict[str, Any]:
    return {
        "year": entry["year"],
        "source": entry["source"],
        "off": [
            {"name": h["name"], "from": h["from"].isoformat(), "to": h["to"].isoformat()}
            for h in entry.get("off", [])
        ],
        "work": [d.isoformat() for d in entry.get("work", [])],
    }


def entry_from_json(data: dict[str, Any]) -> dict[str, Any]:
    day = dt.date.fromisoformat
    return {
        "year": data["year"],
        "source": data["source"],
        "off": [
            {"name": h["name"], "from": day(h["from"]), "to": day(h["to"])} for h in data["off"]
        ],
        "work": [day(d) for d in data["work"]],
    }


def build_calendar(
    official: Sequence[dict[str, Any]], lunar: dict[int, dict[str, dt.date]], source: str
) -> Calendar:
    """The official years, then a provisional year for every year with lunar dates and no
    official schedule."""
    entries = list(official)
    official_years = {e["year"] for e in entries}
    provisional = frozenset(y for y in lunar if y not in official_years)
    entries += [statutory_year(y, lunar[y], f"{source}（暂按法定节假日计算）") for y in provisional]
    off: dict[dt.date, str] = {}
    work: set[dt.date] = set()
    for entry in entries:
        for holiday in entry.get("off", []):
            for day in _days(holiday["from"], holiday["to"]):
                off[day] = holiday["name"]
        work.update(entry.get("work", []))
    return Calendar(
        years=frozenset(e["year"] for e in entries),
        off=off,
        work=frozenset(work),
        sources={e["year"]: e["source"] for e in entries},
        provisional=provisional,
    )


def load_calendar(path: Path = HOLIDAYS_FILE, loaded: Sequence[dict[str, Any]] = ()) -> Calendar:
    """The calendar of the file at ``path`` and the ``loaded`` years (schedule entries)."""
    holiday_file = read_holiday_file(path)
    return build_calendar(
        [*holiday_file.years, *loaded], holiday_file.lunar, holiday_file.statutory_source
    )


@lru_cache(maxsize=1)
def shipped_file() -> HolidayFile:
    return read_holiday_file()


# Where the years loaded after deployment come from (JSON-shaped entries); set once by the
# firm app when Django starts.
_providers: list[Callable[[], list[dict[str, Any]]]] = []


def set_loaded_years(provider: Callable[[], list[dict[str, Any]]]) -> None:
    """Register where the years loaded after deployment come from."""
    _providers[:] = [provider]


@lru_cache(maxsize=8)
def _calendar(loaded_key: str) -> Calendar:
    shipped = shipped_file()
    loaded = [entry_from_json(e) for e in json.loads(loaded_key)]
    return build_calendar([*shipped.years, *loaded], shipped.lunar, shipped.statutory_source)


def calendar() -> Calendar:
    """The working-day calendar in force: the shipped file, the years loaded since, and
    provisional years for the rest of the years whose lunar dates the file knows."""
    loaded = _providers[0]() if _providers else []
    return _calendar(json.dumps(loaded, sort_keys=True, ensure_ascii=False))
