"""Loading a year's State Council holiday schedule after deployment (``pingtai calendar load``),
and recomputing the deadlines that were counted on that year while it was provisional
(docs/enterprise.md, "Working days")."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import tomllib
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from pingtai.accounts.models import User
from pingtai.audit.models import AuditEvent
from pingtai.audit.services import audit_record
from pingtai.core.refusal import Refused
from pingtai.firm.calendar import (
    Calendar,
    calendar,
    date_text,
    entry_to_json,
    shipped_file,
    year_problems,
)
from pingtai.firm.models import HolidayYear, Objection, PublicityWindow
from pingtai.firm.objections import step_days

MAX_BYTES = 2**20
OFF_WORDS = {"放假", "休息", "休"}
WORK_WORDS = {"上班", "调休上班", "班"}


def loaded_entries() -> list[dict[str, Any]]:
    """The loaded years as JSON-shaped schedule entries (the calendar's provider)."""
    return [row.data for row in HolidayYear.objects.order_by("year")]


@dataclass
class LoadOutcome:
    year: int
    source: str
    changed: list[str] = field(default_factory=list)  # recomputed deadlines, in Chinese


# --- reading a file ------------------------------------------------------------------------------


def _as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value or "").strip().replace("/", "-").replace(".", "-")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def _read_xlsx(content: bytes, source: str) -> dict[str, Any]:
    """One sheet: a header row with 日期, 安排 (放假 or 上班) and 节日名称, then one row per
    day; consecutive days off with the same name form one range."""
    import python_calamine

    from pingtai.xlsx.guard import inspect

    inspect(content)  # zip bombs, encryption, macros … refused before anything is read
    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(content))
        rows = book.get_sheet_by_index(0).to_python()
    except Exception:  # any reader error: the workbook cannot be read
        raise Refused("文件已损坏，无法作为 Excel 工作簿读取", code="calendar_invalid") from None
    header_at = next(
        (i for i, row in enumerate(rows[:10]) if any(str(c).strip() == "日期" for c in row)), None
    )
    if header_at is None:
        raise Refused(
            "Excel 文件须有表头“日期”“安排”“节日名称”（安排填“放假”或“上班”）",
            code="calendar_invalid",
        )
    header = [str(c).strip() for c in rows[header_at]]
    col = {name: header.index(name) for name in ("日期", "安排", "节日名称") if name in header}
    if len(col) < 3:
        raise Refused(
            "Excel 文件须有表头“日期”“安排”“节日名称”（安排填“放假”或“上班”）",
            code="calendar_invalid",
        )
    problems: list[str] = []
    off: list[dict[str, Any]] = []
    work: list[dt.date] = []
    for number, row in enumerate(rows[header_at + 1 :], start=header_at + 2):
        cells = [
            row[i] if i < len(row) else "" for i in (col["日期"], col["安排"], col["节日名称"])
        ]
        if all(str(c).strip() == "" for c in cells):
            continue
        day, kind, name = _as_date(cells[0]), str(cells[1]).strip(), str(cells[2]).strip()
        if day is None:
            problems.append(f"第 {number} 行的日期“{cells[0]}”无法识别")
        elif kind in OFF_WORDS:
            last = off[-1] if off else None
            if last and last["name"] == name and last["to"] + dt.timedelta(1) == day:
                last["to"] = day
            else:
                off.append({"name": name, "from": day, "to": day})
        elif kind in WORK_WORDS:
            work.append(day)
        else:
            problems.append(f"第 {number} 行的安排“{kind}”应为“放假”或“上班”")
    if problems:
        raise Refused("；".join(problems), code="calendar_invalid")
    years = {h["from"].year for h in off} | {d.year for d in work}
    if len(years) != 1:
        raise Refused(
            "一个文件只录入一个年度的安排" if years else "文件中没有任何放假日",
            code="calendar_invalid",
        )
    return {"year": years.pop(), "source": source, "off": off, "work": work}


def read_schedule(content: bytes, filename: str, source: str = "") -> dict[str, Any]:
    """The one year a TOML or .xlsx file holds, as a schedule entry (not yet checked)."""
    if not content:
        raise Refused("文件是空的", code="calendar_invalid")
    if len(content) > MAX_BYTES:
        raise Refused("节假日安排文件超过 1 MB，不像是一个年度的安排", code="calendar_invalid")
    if content.startswith(b"PK\x03\x04"):
        if not filename.lower().endswith(".xlsx"):
            raise Refused("Excel 文件的扩展名应为 .xlsx", code="calendar_invalid")
        if not source.strip():
            raise Refused(
                "请写明依据（国务院办公厅通知的名称和日期），如 --source “国务院办公厅关于"
                "2027年部分节假日安排的通知（2026年11月…日）”",
                code="calendar_invalid",
            )
        return _read_xlsx(content, source.strip())
    try:
        data = tomllib.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise Refused(
            f"文件既不是 Excel（.xlsx）也不是格式正确的 TOML 文件：{exc}", code="calendar_invalid"
        ) from None
    years = data.get("year", [])
    if not isinstance(years, list) or len(years) != 1 or not isinstance(years[0], dict):
        raise Refused(
            "TOML 文件须且只须有一个 [[year]] 段（一个年度的安排）", code="calendar_invalid"
        )
    entry = dict(years[0])
    if source.strip():
        entry["source"] = source.strip()
    return entry


# --- loading --------------------------------------------------------------------------------------


def _recompute(before: Calendar, after: Calendar, year: int, user: User, request) -> list[str]:
    """Deadlines counted while ``year`` was provisional, counted again on the official year:
    the windows not yet settled and the open objections' step deadlines (each from the day of
    its last step). Each change is audited."""

    def recount(
        row: PublicityWindow | Objection, field: str, start: dt.date, days: int, what: str
    ) -> str:
        """The deadline ``field`` of ``row`` (``what`` in words), ``days`` working days from
        ``start``, counted again if it reached the year; the change as people read it, or ""
        if none."""
        old: dt.date = getattr(row, field)
        if year not in before.provisional_years(start, old):
            return ""
        new = after.closing_day(start, days)
        if new == old:
            return ""
        setattr(row, field, new)
        row.save(update_fields=[field])
        text = f"{what}由{date_text(old)}改为{date_text(new)}"
        audit_record(
            AuditEvent.Action.UPDATE,
            request=request,
            actor=user,
            obj=row,
            before={field: old.isoformat()},
            after={field: new.isoformat()},
            detail=f"按国务院公布的{year}年节假日安排重算：{text}",
        )
        return text

    windows = PublicityWindow.objects.filter(settled_at__isnull=True).select_related("run")
    changed = [recount(w, "closes_on", w.opens_on, w.working_days, f"{w}截止日") for w in windows]
    objections = (
        Objection.objects.exclude(stage=Objection.Stage.DONE)
        .filter(due_on__isnull=False)
        .select_related("run")
    )
    for obj in objections:
        last = obj.steps.order_by("-at", "-pk").first()
        start = timezone.localdate(last.at if last else obj.filed_at)
        days = step_days(obj.run, obj.stage)
        changed.append(recount(obj, "due_on", start, days, f"异议 {obj.number} 本环节期限"))
    return [text for text in changed if text]


def calendar_load(
    content: bytes, filename: str, *, user: User, source: str = "", request=None
) -> LoadOutcome:
    """Check and store one year's official schedule, then recompute the deadlines that were
    provisional on it. Everything is checked first; a refused file changes nothing."""
    if not user.is_city_admin:
        raise Refused("只有市级管理员可以录入节假日安排", code="forbidden")
    entry = read_schedule(content, filename, source)
    shipped = shipped_file()
    year = entry.get("year")
    if isinstance(year, int) and any(e["year"] == year for e in shipped.years):
        raise Refused(
            f"{year}年的节假日安排已随系统提供（{shipped_file_source(year)}），无需录入",
            code="calendar_year_exists",
        )
    problems = year_problems(entry, shipped.lunar)
    if problems:
        raise Refused("节假日安排有误：" + "；".join(problems), code="calendar_invalid")
    year = int(entry["year"])  # year_problems checked it is an integer
    with transaction.atomic():
        existing = HolidayYear.objects.select_for_update().filter(year=year).first()
        if existing is not None:
            raise Refused(
                f"{year}年的节假日安排已于{date_text(timezone.localdate(existing.loaded_at))}"
                f"由{existing.loaded_by}录入（{existing.source}）",
                code="calendar_year_exists",
            )
        before = calendar()
        data = entry_to_json(entry)
        row = HolidayYear.objects.create(
            year=year,
            source=entry["source"],
            data=data,
            filename=filename[-120:],
            sha256=hashlib.sha256(content).hexdigest(),
            loaded_by=user,
        )
        after = calendar()
        assert year in after.years and year not in after.provisional
        days_off = sum((h["to"] - h["from"]).days + 1 for h in entry["off"])
        audit_record(
            AuditEvent.Action.CREATE,
            request=request,
            actor=user,
            obj=row,
            after=data,
            detail=(
                f"录入{year}年节假日安排（{entry['source']}）：放假 {days_off} 天，"
                f"调休上班 {len(entry['work'])} 天"
            ),
        )
        changed = _recompute(before, after, year, user, request)
    return LoadOutcome(year, entry["source"], changed)


def shipped_file_source(year: int) -> str:
    return next(e["source"] for e in shipped_file().years if e["year"] == year)


@dataclass(frozen=True)
class YearView:
    year: int
    source: str
    provisional: bool
    loaded: HolidayYear | None
    off: list[tuple[str, dt.date, dt.date]]
    work: list[dt.date]
    working_days: int


def calendar_year(year: int) -> YearView:
    """One year of the calendar in force, for ``pingtai calendar show``."""
    cal = calendar()
    if year not in cal.years:
        cal.is_working_day(dt.date(year, 1, 1))  # refused, naming how to add the year
    days = sorted(d for d in cal.off if d.year == year)
    ranges: list[list[Any]] = []
    for day in days:
        if ranges and ranges[-1][0] == cal.off[day] and ranges[-1][2] + dt.timedelta(1) == day:
            ranges[-1][2] = day
        else:
            ranges.append([cal.off[day], day, day])
    return YearView(
        year=year,
        source=cal.sources[year],
        provisional=year in cal.provisional,
        loaded=HolidayYear.objects.filter(year=year).select_related("loaded_by").first(),
        off=[(name, first, last) for name, first, last in ranges],
        work=sorted(d for d in cal.work if d.year == year),
        working_days=cal.working_days_between(dt.date(year, 1, 1), dt.date(year, 12, 31)),
    )
