"""Windows on a run — 一企一单 confirmation, land-area 公示, result 公示 — and the 公示 list
(docs/enterprise.md, "Windows" and "公示 list")."""

from __future__ import annotations

import datetime as dt
import tomllib
from functools import lru_cache
from pathlib import Path

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from pingtai.accounts.models import User
from pingtai.audit.models import AuditEvent
from pingtai.audit.services import audit_record
from pingtai.core.refusal import Refused
from pingtai.core.terms import class_name
from pingtai.evaluation.models import EnterpriseResult, EvaluationRun
from pingtai.firm.calendar import calendar, date_text
from pingtai.firm.models import PublicityWindow
from pingtai.registry.models import Platform
from pingtai.runs.models import RunStatus
from pingtai.xlsx import Column, write_table_xlsx

WINDOWS_FILE = Path(__file__).with_name("windows.toml")


@lru_cache(maxsize=1)
def window_settings() -> dict:
    return tomllib.loads(WINDOWS_FILE.read_text(encoding="utf-8"))


def setting(name: str, method_id: str = "") -> int:
    """A window length in working days (or a rule's flag, a bool) for a method: the method's
    own, else the city's."""
    data = window_settings()
    own = data.get("method", {}).get(method_id, {})
    return own.get(name, data["city"][name])


def window_text(window: PublicityWindow) -> str:
    """The window's dates as people read them; a closing day counted on a provisional year
    says so (docs/enterprise.md, "Working days")."""
    text = (
        f"{date_text(window.opens_on)}至{date_text(window.closes_on)}，"
        f"共 {window.working_days} 个工作日"
    )
    note = calendar().provisional_note(window.opens_on, window.closes_on)
    return f"{text}（{note}）" if note else text


def open_window(
    run: EvaluationRun,
    kind: str,
    *,
    user: User,
    days: int | None = None,
    opens_on: dt.date | None = None,
    request=None,
) -> PublicityWindow:
    """Open a dated window on ``run``. A result 公示 on a preview makes it the 公示稿 (status
    publicized); on a published run it is the 复核 window of the current result. The city
    administrator opens windows; a superseded run has none."""
    if not user.is_city_admin:
        raise Refused("只有市级管理员可以开启公示或确认期", code="forbidden")
    kind_label = PublicityWindow.Kind(kind).label
    days = int(days if days is not None else setting(kind, run.method_id))
    opens_on = opens_on or timezone.localdate()
    closes_on = calendar().closing_day(opens_on, days)
    with transaction.atomic():
        locked = EvaluationRun.objects.select_for_update().get(pk=run.pk)
        if locked.status == RunStatus.SUPERSEDED:
            raise Refused(f"{locked.name}已被取代，不能再{kind_label}", code="run_superseded")
        if kind == PublicityWindow.Kind.CONFIRM and locked.status != RunStatus.PREVIEW:
            raise Refused(
                "一企一单确认须在公示和发布之前进行（批次应为预览状态）", code="not_preview"
            )
        existing = PublicityWindow.objects.filter(run=locked, kind=kind).first()
        if existing is not None:
            raise Refused(
                f"{locked.name}已开启{kind_label}：{window_text(existing)}",
                code="window_exists",
            )
        try:
            with transaction.atomic():
                window = PublicityWindow.objects.create(
                    run=locked,
                    kind=kind,
                    working_days=days,
                    opens_on=opens_on,
                    closes_on=closes_on,
                    opened_by=user,
                )
        except IntegrityError:
            raise Refused(f"{locked.name}已开启{kind_label}", code="window_exists") from None
        before = locked.status
        if kind == PublicityWindow.Kind.RESULT and locked.status == RunStatus.PREVIEW:
            locked.status = RunStatus.PUBLICIZED
            locked.save(update_fields=["status"])
        audit_record(
            AuditEvent.Action.UPDATE,
            request=request,
            actor=user,
            obj=locked,
            before={"status": before},
            after={
                "status": locked.status,
                "window": kind,
                "opens_on": opens_on.isoformat(),
                "closes_on": closes_on.isoformat(),
                "working_days": days,
            },
            detail=f"开启{kind_label}：{window_text(window)}",
        )
    return window


def windows_of(run: EvaluationRun) -> QuerySet[PublicityWindow]:
    return PublicityWindow.objects.filter(run=run)


def open_result_window(run: EvaluationRun, today: dt.date | None = None):
    """The result window of ``run`` that is open today, if any."""
    window = windows_of(run).filter(kind=PublicityWindow.Kind.RESULT).first()
    return window if window is not None and window.is_open(today) else None


# --- the 公示 list: what may be shown publicly --------------------------------------------

BANDS = ((0.10, "前10%"), (0.30, "前10%–30%"), (0.70, "30%–70%"), (0.90, "70%–90%"))


def rank_band(result: EnterpriseResult) -> str:
    """Where a firm stands in its ranking group, as a band: the 公示 list shows bands, not
    ranks or the figures behind them."""
    if result.klass == "T":
        return "不参评"
    if not result.rank or not result.group_size:
        return "随出租方合并评价" if "承租企业" in result.note else "—"
    share = result.rank / result.group_size
    for limit, label in BANDS:
        if share <= limit:
            return label
    return "后10%"


PUBLICITY_HEADERS: list[Column | str] = [
    Column("序号", kind="integer"),
    Column("企业名称", kind="name"),
    "类别",
    "组内排名区间",
]


def publicity_rows(run: EvaluationRun, platform: Platform) -> list[list[object]]:
    rows = run.results.filter(platform_code=platform.code).order_by("klass", "rank", "name")
    return [[i, r.name, class_name(r.klass), rank_band(r)] for i, r in enumerate(rows, start=1)]


def publicity_title(run: EvaluationRun, platform: Platform) -> str:
    return f"{platform.name}{run.year}年度工业企业亩均效益综合评价结果公示名单"


def publicity_xlsx(run: EvaluationRun, platform: Platform) -> bytes:
    window = windows_of(run).filter(kind=PublicityWindow.Kind.RESULT).first()
    notes = [
        f"公示期：{window_text(window)}。" if window else "尚未开启公示期。",
        "对评价结果有异议的企业，请在公示期内通过本系统企业端提出，逾期视为无异议。",
    ]
    return write_table_xlsx(
        PUBLICITY_HEADERS,
        publicity_rows(run, platform),
        sheet_name="公示名单",
        title=publicity_title(run, platform),
        notes=notes,
        demo=bool(run.provenance.get("register_synthetic")),
    )
