"""免申即享 lists: generated from the current published 亩均 result and the policy table, one
per receiving agency, issued through the reports store (file and SHA-256 kept, the same file
handed out every time after), and tracked 已生成 → 已发送 → 已确认接收 → 已执行 with who and
when (docs/industry-carbon.md, "Entitlement lists"; docs/notices.md for issued documents).

The rules live here; the pages, the API and ``pingtai entitlements`` only call them.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import polars as pl
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from pingtai.accounts.models import User
from pingtai.audit.models import AuditEvent
from pingtai.audit.services import audit_record
from pingtai.core.refusal import Refused
from pingtai.entitlements.models import EntitlementList
from pingtai.evaluation.models import EnterpriseResult, EvaluationRun
from pingtai.evaluation.runs import snapshot_frame
from pingtai.policies import Agency, PolicySet, agencies, policy_set
from pingtai.policies.entitlements import Entitlement, by_agency, entitlements, totals
from pingtai.registry.models import County, Platform
from pingtai.reports.models import IssuedDocument
from pingtai.reports.services import document_file, issue_document
from pingtai.runs.models import RunStatus
from pingtai.xlsx import Column
from pingtai.xlsx.export import Properties, Sheet, write_workbook_xlsx

Status = EntitlementList.Status
# Each step once, in this order; none can be taken back (the page asks for confirmation).
STEPS: dict[str, tuple[str, str]] = {
    "send": (Status.GENERATED, Status.SENT),
    "confirm": (Status.SENT, Status.CONFIRMED),
    "execute": (Status.CONFIRMED, Status.EXECUTED),
}
STEP_TEXT = {"send": "发送", "confirm": "确认接收", "execute": "登记执行"}
# Who reads lists: the city's staff see every list, a department user the lists of the
# agencies it confirms for (agencies.toml), every other role nothing (deny by default, docs/api.md).
CITY_READERS = (User.Role.CITY_ADMIN, User.Role.LEADER)


# --- agencies -------------------------------------------------------------------------------


def find_agency(text: str) -> Agency:
    """An agency by its code, its name or one of its other names (电力公司 for 供电公司)."""
    wanted = text.strip()
    for agency in agencies().agency:
        if wanted in (agency.code, agency.name, *agency.aliases):
            return agency
    known = "、".join(a.name for a in agencies().agency)
    raise Refused(f"没有名为“{text}”的执行单位（可用：{known}）", code="unknown_agency")


def _agency_departments(user: User) -> list[str]:
    if user.role != User.Role.DEPARTMENT or not user.department:
        return []
    return [a.code for a in agencies().agency if a.department == user.department]


def lists_for(user: User) -> QuerySet[EntitlementList]:
    # The lines are read only where they are shown (one list's page, its API detail).
    rows = EntitlementList.objects.select_related(
        "run", "document", "generated_by", "sent_by", "confirmed_by", "executed_by"
    ).defer("lines")
    if not getattr(user, "is_authenticated", False):
        return rows.none()
    if user.role in CITY_READERS:
        return rows
    if user.role == User.Role.DEPARTMENT:
        return rows.filter(agency__in=_agency_departments(user))
    return rows.none()


def may_take(user: User, lst: EntitlementList, step: str) -> bool:
    """Sending is the city administrator's; receipt and execution are confirmed by the
    agency's own department user, or recorded by the city administrator where the agency has
    no account in the system (agencies.toml without ``department``)."""
    if step == "send":
        return user.role == User.Role.CITY_ADMIN
    department = agencies().get(lst.agency).department
    if department:
        return user.role == User.Role.DEPARTMENT and user.department == department
    return user.role == User.Role.CITY_ADMIN


# --- computing the lines --------------------------------------------------------------------


def _years_in_class(run: EvaluationRun, rows: list[EnterpriseResult]) -> dict[str, int]:
    """Consecutive published years each firm has been in its present class, this one included
    (the 海宁 escalation reads it)."""
    history: dict[str, dict[int, str]] = defaultdict(dict)
    for uscc, year, klass in EnterpriseResult.objects.filter(
        run__status=RunStatus.PUBLISHED, run__year__lt=run.year, uscc__in=[r.uscc for r in rows]
    ).values_list("uscc", "run__year", "klass"):
        history[uscc][year] = klass
    streak = {}
    for r in rows:
        n, year = 1, run.year - 1
        while history[r.uscc].get(year) == r.klass:
            n, year = n + 1, year - 1
        streak[r.uscc] = n
    return streak


def result_frame(run: EvaluationRun, uscc: str | None = None) -> pl.DataFrame:
    """The table ``policies.entitlements`` reads: the run's stored classes and carbon grades,
    the basis figures from its frozen input snapshot, and the years in class."""
    rows = list(run.results.order_by("uscc") if uscc is None else run.results.filter(uscc=uscc))
    snapshot = snapshot_frame(bytes(run.input_snapshot.content))
    numeric = [c for c, t in snapshot.schema.items() if t.is_numeric()]
    basis = {r["uscc"]: r for r in snapshot.select("uscc", *numeric).iter_rows(named=True)}
    years = _years_in_class(run, rows)
    records = []
    for r in rows:
        carbon = (r.values or {}).get("_carbon") or {}
        records.append(
            {
                "uscc": r.uscc,
                "name": r.name,
                "county_code": r.county_code,
                "platform_code": r.platform_code,
                "class": r.klass,
                "carbon_grade": carbon.get("carbon_grade"),
                "carbon_band": carbon.get("carbon_band"),
                "years_in_class": years[r.uscc],
                **{c: basis.get(r.uscc, {}).get(c) for c in numeric},
            }
        )
    schema = {
        "uscc": pl.String,
        "name": pl.String,
        "county_code": pl.String,
        "platform_code": pl.String,
        "class": pl.String,
        "carbon_grade": pl.Int64,
        "carbon_band": pl.String,
        "years_in_class": pl.Int64,
        **dict.fromkeys(numeric, pl.Float64),
    }
    return pl.DataFrame(records, schema=schema)


def run_lines(run: EvaluationRun, uscc: str | None = None) -> list[Entitlement]:
    return entitlements(result_frame(run, uscc), policy_set(), run.year)


def line_record(e: Entitlement) -> dict[str, Any]:
    """One line as stored with the list and given out by the API (amounts as exact text)."""
    return {
        "uscc": e.uscc,
        "name": e.name,
        "county_code": e.county_code,
        "platform_code": e.platform_code,
        "klass": e.klass,
        "instrument": e.instrument,
        "instrument_name": e.instrument_name,
        "kind": e.kind,
        "kind_name": e.kind_name,
        "rate": str(e.rate),
        "unit": e.unit,
        "amount_wan": None if e.amount_wan is None else str(e.amount_wan),
        "basis": e.basis,
        "assumed": e.assumed,
        "table": e.table,
    }


# --- the spreadsheet ------------------------------------------------------------------------

LIST_COLUMNS = [
    Column("序号", kind="integer"),
    Column("统一社会信用代码", kind="code"),
    Column("企业名称", kind="name"),
    Column("县（市、区）", kind="name"),
    Column("所属平台", kind="name"),
    Column("评价类别", kind="text"),
    Column("政策事项", kind="text"),
    Column("类型", kind="text"),
    Column("标准", kind="auto"),
    Column("标准单位", kind="text"),
    Column("金额", "万元", kind="decimal", decimals=4),
    Column("依据", kind="text"),
    Column("标准来源", kind="text"),
]
TOTAL_COLUMNS = [
    Column("政策事项", kind="text"),
    Column("类型", kind="text"),
    Column("条目数", "条", kind="integer"),
    Column("金额合计", "万元", kind="decimal", decimals=4),
    Column("金额待核定", "条", kind="integer"),
]


def _rate(text: str) -> Decimal | str:
    try:
        return Decimal(text)
    except ArithmeticError:
        return text


def _stamp(run: EvaluationRun) -> dt.datetime:
    """The document time: the run's publication, so the same list gives the same bytes."""
    moment = run.published_at or run.created_at
    return timezone.localtime(moment).replace(tzinfo=None, microsecond=0)


def list_title(run: EvaluationRun, agency: Agency) -> str:
    return f"{run.year}年度亩均效益评价免申即享政策兑现名单（{agency.name}）"


def list_xlsx(run: EvaluationRun, agency: Agency, lines: list[dict[str, Any]], table: str) -> bytes:
    """The list as a spreadsheet: the lines, then the totals per instrument and per side."""
    counties = dict(County.objects.values_list("code", "name"))
    platforms = dict(Platform.objects.values_list("code", "name"))
    rows = [
        [
            i,
            ln["uscc"],
            ln["name"],
            counties.get(ln["county_code"], ln["county_code"]),
            platforms.get(ln["platform_code"], ln["platform_code"]),
            ln["klass"],
            ln["instrument_name"],
            ln["kind_name"],
            _rate(ln["rate"]),
            ln["unit"],
            None if ln["amount_wan"] is None else Decimal(ln["amount_wan"]),
            ln["basis"],
            "假设（待主管部门确认）" if ln["assumed"] else "公开文件",
        ]
        for i, ln in enumerate(lines, start=1)
    ]
    per: dict[tuple[str, str], list[Any]] = {}
    sides = {True: Decimal(0), False: Decimal(0)}
    for ln in lines:
        entry = per.setdefault((ln["instrument_name"], ln["kind_name"]), [0, Decimal(0), 0])
        entry[0] += 1
        if ln["amount_wan"] is None:
            entry[2] += ln["kind"] != "priority"
        else:
            entry[1] += Decimal(ln["amount_wan"])
            sides[ln["kind"] == "surcharge"] += Decimal(ln["amount_wan"])
    total_rows: list[list[Any]] = [[n, k, c, a, u] for (n, k), (c, a, u) in per.items()]
    total_rows += [
        ["企业应缴合计", "", None, sides[True], None],
        ["企业应享合计", "", None, sides[False], None],
    ]
    title = list_title(run, agency)
    demo = bool(run.provenance.get("register_synthetic"))
    notes = [
        f"依据：{run.name}的评价结果（已发布）；政策表：{table}。",
        "金额为空的条目由执行单位按企业实际用量或应纳税额核定；“要素配置”为档次，不计金额。",
        "标准来源为“假设”的，数额待主管部门确认后执行。",
    ]
    method = f"{run.method_id} v{run.method_version}"
    return write_workbook_xlsx(
        [
            Sheet("名单", LIST_COLUMNS, rows, title=title, notes=notes, demo=demo),
            Sheet("合计", TOTAL_COLUMNS, total_rows, title=f"{title}合计", demo=demo),
        ],
        Properties(
            title=title,
            subject="免申即享政策兑现名单",
            created=_stamp(run),
            extra={
                "评价批次": str(run.pk),
                "评价方法": method,
                "输入哈希": run.input_hash,
                "结果哈希": run.result_hash,
                "政策表": table,
                "执行单位": agency.name,
            },
        ),
    )


# --- issuing and delivery -------------------------------------------------------------------


def _publishable(run: EvaluationRun) -> None:
    if run.status == RunStatus.SUPERSEDED:
        newer = EvaluationRun.objects.filter(supersedes=run).first()
        by = newer.name if newer else "新批次"
        raise Refused(
            f"{run.name}已被{by}更正取代，不能再据此生成免申即享名单；"
            "请依据现行结果生成（已印发的名单保留原件，标记为依据已更正）",
            code="superseded",
        )
    if run.status != RunStatus.PUBLISHED:
        raise Refused(
            f"{run.name}状态为“{run.get_status_display()}”：只有已发布的现行评价结果才能生成免申即享名单",
            code="not_published",
        )


@dataclass(frozen=True)
class Generated:
    record: EntitlementList
    created: bool  # False: the list had been generated before; the stored one is returned


def generate(run: EvaluationRun, agency_text: str, *, user: User, request: Any = None) -> Generated:
    """Generate (issue) the list of one agency from a published run, or return the one issued
    before. Only the city administrator generates (the reports store admits only it)."""
    agency = find_agency(agency_text)
    if user.role != User.Role.CITY_ADMIN:
        raise Refused("只有市级管理员可以生成免申即享名单", code="forbidden")
    existing = EntitlementList.objects.filter(run=run, agency=agency.code).first()
    if existing is not None:
        return Generated(existing, False)
    run = EvaluationRun.objects.get(pk=run.pk)  # its status as stored now, not as passed in
    _publishable(run)
    policies: PolicySet = policy_set()
    if not any(i.agency == agency.code for t in policies.tables for i in t.instruments):
        raise Refused(f"政策表中没有由{agency.name}执行的政策，无需生成名单", code="no_policy")
    lines = by_agency(run_lines(run)).get(agency.code, [])
    sums = totals(lines)
    records = [line_record(e) for e in lines]
    table = policies.table_for(run.year).label
    content = list_xlsx(run, agency, records, table)
    with transaction.atomic():
        document = issue_document(
            IssuedDocument.Kind.ENTITLEMENT,
            run,
            content,
            "xlsx",
            user=user,
            title=list_title(run, agency),
            subject=agency.code,
        )
        record = EntitlementList.objects.create(
            run=run,
            agency=agency.code,
            agency_name=agency.name,
            document=document,
            policy_table=f"{policies.title} {policies.version}：{table}",
            firms=len({e.uscc for e in lines}),
            line_count=len(lines),
            obligations_wan=sums.grand.get(True, Decimal(0)),
            entitlements_wan=sums.grand.get(False, Decimal(0)),
            uncomputed=sums.uncomputed,
            lines=records,
            generated_by=user,
            generated_at=document.issued_at,
        )
        audit_record(
            AuditEvent.Action.CREATE,
            request=request,
            actor=user,
            obj=record,
            after={"执行单位": agency.name, "条目数": len(lines), "批次": run.pk},
            detail=f"生成{record}",
        )
    return Generated(record, True)


def list_file(record: EntitlementList) -> bytes:
    """The issued spreadsheet, exactly as stored."""
    return document_file(record.document, "xlsx")


def advance(
    record: EntitlementList, step: str, *, user: User, note: str = "", request: Any = None
) -> EntitlementList:
    """Take one delivery step; each is taken once, in order, and cannot be undone."""
    if step not in STEPS:
        raise Refused(f"未知的操作“{step}”", code="bad_step")
    before, after = STEPS[step]
    note = note.strip()[:300]
    if not may_take(user, record, step):
        who = (
            "市级管理员"
            if step == "send"
            else f"{record.agency_name}的部门用户"
            if agencies().get(record.agency).department
            else "市级管理员（代执行单位登记）"
        )
        raise Refused(f"只有{who}可以{STEP_TEXT[step]}该名单", code="forbidden")
    if step != "send" and user.role == User.Role.CITY_ADMIN and not note:
        raise Refused(
            f"代{record.agency_name}登记时请写明依据（如回执、来函或经办人）",
            code="note_required",
            field="note",
        )
    with transaction.atomic():
        record = EntitlementList.objects.select_for_update().get(pk=record.pk)
        if record.status != before:
            raise Refused(
                f"名单当前状态为“{record.get_status_display()}”，不能{STEP_TEXT[step]}",
                code="wrong_state",
            )
        if step == "send" and record.run.status == RunStatus.SUPERSEDED:
            raise Refused(
                "名单依据的评价结果已被更正，不能再发送；请依据现行结果生成新的名单",
                code="superseded",
            )
        now = timezone.now()
        prefix = {"send": "sent", "confirm": "confirmed", "execute": "executed"}[step]
        setattr(record, f"{prefix}_by", user)
        setattr(record, f"{prefix}_at", now)
        setattr(record, f"{prefix}_note", note)
        record.status = after
        record.save(update_fields=["status", f"{prefix}_by", f"{prefix}_at", f"{prefix}_note"])
        audit_record(
            AuditEvent.Action.UPDATE,
            request=request,
            actor=user,
            obj=record,
            before={"status": before},
            after={"status": after, "note": note},
            detail=f"{record}：{STEP_TEXT[step]}",
        )
    return record


# --- reading --------------------------------------------------------------------------------


def firm_entitlements(run: EvaluationRun, uscc: str) -> list[dict[str, Any]]:
    """One firm's lines under a run, each with its agency and, where that agency's list has
    been generated, how far its delivery has got (for the firm's portrait)."""
    lists = {r.agency: r for r in EntitlementList.objects.filter(run=run).defer("lines")}
    try:
        lines = run_lines(run, uscc)
    except Refused:  # no policy table covers the run's year (e.g. before 2021): nothing applies
        return []
    out = []
    for e in lines:
        record = lists.get(e.agency)
        out.append({**line_record(e), "agency_name": e.agency_name, "list": record})
    return out


def affected_recipients(old: EvaluationRun, new: EvaluationRun, record: EntitlementList):
    """Firms whose lines under the list's agency differ between the old run (as issued) and the
    superseding run: who gains, loses or gets a different amount or level."""

    def key(ln: dict[str, Any]) -> tuple[str, str, str | None]:
        return (ln["instrument"], ln["rate"], ln["amount_wan"])

    issued: dict[str, set] = defaultdict(set)
    names = {}
    for ln in record.lines:
        issued[ln["uscc"]].add(key(ln))
        names[ln["uscc"]] = ln["name"]
    now: dict[str, set] = defaultdict(set)
    for e in by_agency(run_lines(new)).get(record.agency, []):
        now[e.uscc].add(key(line_record(e)))
        names.setdefault(e.uscc, e.name)
    return {u: names[u] for u in set(issued) | set(now) if issued.get(u) != now.get(u)}


def flag_superseded(old: EvaluationRun, new: EvaluationRun, *, user: Any, request: Any) -> None:
    """D1: lists issued from a superseded run stay as issued (their document is marked 已更正
    by the kernel) and are flagged 依据已更正 with the firms whose entitlements change."""
    from pingtai.runs import kernel

    for record in EntitlementList.objects.filter(run=old):
        kernel.flag_derived(
            old, new, record, affected_recipients(old, new, record), user=user, request=request
        )
