"""一企一单 answers and objections (异议): filing within a window, routing platform →
data-owning department → city administrator with a deadline per step, decisions with reasons
(docs/enterprise.md, "Objections")."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from pingtai.accounts.models import User
from pingtai.audit.models import AuditEvent
from pingtai.audit.services import audit_record
from pingtai.core.refusal import Refused
from pingtai.evaluation.models import EvaluationRun
from pingtai.firm.calendar import calendar, date_text
from pingtai.firm.evidence import MAX_FILES, Evidence, check_all
from pingtai.firm.models import (
    Confirmation,
    Objection,
    ObjectionEvidence,
    ObjectionStep,
    PublicityWindow,
)
from pingtai.firm.sheet import (
    FIELDS,
    department_label,
    department_of,
    field_text,
    firm_parcels,
    number_text,
    parse_value,
    snapshot_row,
)
from pingtai.firm.windows import setting
from pingtai.objection import lifecycle
from pingtai.registry.models import Enterprise
from pingtai.reporting.services import store_file
from pingtai.runs.models import RunStatus

KIND_WORDS = {
    "数值错误": Objection.Kind.VALUE,
    "评价数值错误": Objection.Kind.VALUE,
    "value": Objection.Kind.VALUE,
    "特殊情况": Objection.Kind.SPECIAL,
    "special": Objection.Kind.SPECIAL,
}
MAX_REASON = 2000


# --- scope -----------------------------------------------------------------------------------


def objections_for(user: User) -> QuerySet[Objection]:
    """Deny by default (docs/api.md): the city roles see every objection, a platform user its
    own firms', a department user those whose data it owns, an enterprise user its own firm's;
    any other role none."""
    rows = Objection.objects.select_related("run", "enterprise", "filed_by", "decided_by")
    if not user.is_authenticated:
        return rows.none()
    if user.role in (User.Role.CITY_ADMIN, User.Role.LEADER):
        return rows
    if user.role == User.Role.PLATFORM and user.platform_id:
        return rows.filter(enterprise__platform_id=user.platform_id)
    if user.role == User.Role.DEPARTMENT and user.department:
        return rows.filter(department=user.department)
    if user.role == User.Role.ENTERPRISE and user.enterprise_id:
        return rows.filter(enterprise_id=user.enterprise_id)
    return rows.none()


def _today(today: dt.date | None) -> dt.date:
    return today or timezone.localdate()


# The setting that holds how many working days each routed step takes (docs/enterprise.md,
# "Objections"); the run's method may set its own.
STEP_SETTINGS: dict[str, str] = {
    Objection.Stage.PLATFORM: "platform_step",
    Objection.Stage.DEPARTMENT: "department_step",
    Objection.Stage.CITY: "city_step",
}


def step_days(run: EvaluationRun, stage: str) -> int:
    """How many working days the step at ``stage`` takes for an objection to ``run``."""
    return int(setting(STEP_SETTINGS[stage], run.method_id))


def _step_due(run: EvaluationRun, stage: str, today: dt.date) -> dt.date:
    return lifecycle.step_due(today, step_days(run, stage))


def due_note(obj: Objection) -> str:
    """“（截止日期按法定节假日暂算…）” when the step's deadline falls in a provisional year of
    the calendar (docs/enterprise.md, "Working days"), else ""."""
    if obj.due_on is None:
        return ""
    note = calendar().provisional_note(obj.due_on, obj.due_on)
    return f"（{note}）" if note else ""


def _record(obj: Objection, user: User, action: str, note: str = "", request=None) -> None:
    ObjectionStep.objects.create(
        objection=obj,
        by=user,
        action=action,
        status=obj.status,
        stage=obj.stage,
        due_on=obj.due_on,
        note=note,
    )
    audit_record(
        AuditEvent.Action.UPDATE if action != "提出异议" else AuditEvent.Action.CREATE,
        request=request,
        actor=user,
        obj=obj,
        after={
            "number": obj.number,
            "status": obj.status,
            "stage": obj.stage,
            "due_on": obj.due_on.isoformat() if obj.due_on else None,
        },
        detail=f"异议 {obj.number}：{action}{'：' + note if note else ''}",
    )


# --- windows ---------------------------------------------------------------------------------


def objection_window(run: EvaluationRun, today: dt.date) -> PublicityWindow:
    """The window of ``run`` open today for objections, or ``Refused`` naming the closing date
    (逾期视为无异议) or saying that no window was opened."""
    windows = list(PublicityWindow.objects.filter(run=run).order_by("closes_on"))
    open_now = [w for w in windows if w.is_open(today)]
    if open_now:
        return open_now[-1]
    if not windows:
        raise Refused(
            f"{run.name}未开启公示或确认期，不能提出异议",
            code="no_window",
        )
    started = [w for w in windows if w.opens_on <= today]
    if not started:
        first = min(windows, key=lambda w: w.opens_on)
        raise Refused(
            f"{first.get_kind_display()}自{date_text(first.opens_on)}开始，届时方可提出异议",
            code="window_not_open",
        )
    last = max(started, key=lambda w: w.closes_on)
    raise Refused(
        f"{last.get_kind_display()}已于{date_text(last.closes_on)}截止，逾期提出的异议不予受理"
        "（逾期视为无异议）",
        code="window_closed",
    )


# --- filing ----------------------------------------------------------------------------------


def _check_filer(user: User, enterprise: Enterprise) -> None:
    if user.role == User.Role.ENTERPRISE and user.enterprise_id == enterprise.pk:
        return
    if user.role == User.Role.PLATFORM and user.platform_id == enterprise.platform_id:
        return
    raise Refused("只有企业本身或其所在平台（代为提出）可以提出异议", code="forbidden")


def _next_number(year: int) -> str:
    prefix = f"{year}-"
    numbers = Objection.objects.filter(number__startswith=prefix).values_list("number", flat=True)
    last = max((int(n.removeprefix(prefix)) for n in numbers), default=0)
    return f"{prefix}{last + 1:04d}"


def objection_file(
    run: EvaluationRun,
    enterprise: Enterprise,
    *,
    kind: str,
    reason: str,
    user: User,
    field: str = "",
    claimed: str | Decimal | None = None,
    parcel: str = "",
    evidence: list[tuple[str, bytes]] | None = None,
    today: dt.date | None = None,
    request=None,
) -> Objection:
    """File an objection within an open window of ``run``; every check happens before anything
    is stored, so a refused objection leaves nothing behind."""
    _check_filer(user, enterprise)
    today = _today(today)
    kind_value = KIND_WORDS.get(str(kind).strip())
    if kind_value is None:
        raise Refused("异议类型只能是“数值错误”或“特殊情况”", code="bad_kind", field="kind")
    if run.status == RunStatus.SUPERSEDED:
        raise Refused(f"{run.name}已被取代，请对现行结果提出异议", code="run_superseded")
    window = objection_window(run, today)
    if not run.results.filter(enterprise=enterprise).exists():
        raise Refused(f"{enterprise.name}不在本批次的评价范围内", code="not_evaluated")
    reason = (reason or "").strip()
    if not reason:
        raise Refused("请写明异议理由", code="reason_required", field="reason")
    if len(reason) > MAX_REASON:
        raise Refused(f"异议理由请在 {MAX_REASON} 字以内", code="reason_too_long", field="reason")
    field = (field or "").strip()
    current = claimed_value = None
    department = ""
    if kind_value == Objection.Kind.VALUE:
        if not field:
            raise Refused("请选择有异议的数据项", code="field_required", field="field")
        if field not in FIELDS:
            names = "、".join(f.label for f in FIELDS.values())
            raise Refused(
                f"所选数据项不在一企一单中，可选：{names}", code="bad_field", field="field"
            )
        if window.kind == PublicityWindow.Kind.LAND and field != "land_mu":
            raise Refused("用地面积公示期内只能对用地面积提出异议", code="land_only", field="field")
        if claimed in (None, ""):
            raise Refused("请填写企业主张的正确数值", code="claimed_required", field="claimed")
        claimed_value = parse_value(str(claimed))
        row = snapshot_row(run, enterprise.uscc) or {}
        if row.get(field) is not None:
            current = Decimal(str(row[field])).quantize(Decimal("0.000001"))
        if current is not None and current == claimed_value:
            raise Refused(
                f"主张的数值与批次中的{field_text(field)}相同（{number_text(current, field)}）",
                code="same_value",
                field="claimed",
            )
        department = department_of(field)
    elif field and field not in FIELDS:
        raise Refused("所选数据项不在一企一单中，请从列表中选择", code="bad_field", field="field")
    parcel = (parcel or "").strip()
    if parcel:
        if field != "land_mu":
            raise Refused("只有对用地面积的异议可以指明地块", code="bad_parcel", field="parcel")
        if parcel not in {p.parcel_id for p in firm_parcels(enterprise)}:
            raise Refused(
                f"地块 {parcel} 不是{enterprise.name}使用的地块（自有或租用）",
                code="bad_parcel",
                field="parcel",
            )
    files: list[Evidence] = check_all(list(evidence or []))
    with transaction.atomic():
        open_same = (
            objections_for_firm(run, enterprise)
            .filter(field=field)
            .exclude(stage=Objection.Stage.DONE)
        )
        pending = open_same.first() if kind_value == Objection.Kind.VALUE else None
        if pending is not None:
            raise Refused(
                f"{enterprise.name}对{field_text(field)}的异议 {pending.number} "
                "尚在办理中，请等待答复",
                code="duplicate",
            )
        for attempt in range(5):
            try:
                with transaction.atomic():
                    obj = Objection.objects.create(
                        number=_next_number(run.year),
                        run=run,
                        enterprise=enterprise,
                        kind=kind_value,
                        field=field,
                        parcel=parcel,
                        current_value=current,
                        claimed_value=claimed_value,
                        reason=reason,
                        department=department,
                        due_on=_step_due(run, Objection.Stage.PLATFORM, today),
                        filed_by=user,
                    )
                break
            except IntegrityError:
                if attempt == 4:
                    raise Refused("异议编号冲突，请重试", code="number_clash") from None
        _store_evidence(obj, files, user)
        Confirmation.objects.get_or_create(
            run=run,
            enterprise=enterprise,
            defaults={"status": Confirmation.Status.DISPUTED, "by": user},
        )
        on_behalf = "（平台代为提出）" if user.role == User.Role.PLATFORM else ""
        _record(obj, user, "提出异议", f"{obj.get_kind_display()}{on_behalf}", request)
    return obj


def _store_evidence(obj: Objection, files: list[Evidence], user: User) -> None:
    """Checked files, each stored once under its SHA-256 and recorded with the objection."""
    for item in files:
        stored = store_file(item.content)
        ObjectionEvidence.objects.create(
            objection=obj,
            file=stored,
            filename=item.filename,
            content_type=item.content_type,
            sha256=stored.sha256,
            size=len(item.content),
            uploaded_by=user,
        )


def objection_add_evidence(
    obj: Objection, evidence: list[tuple[str, bytes]], *, user: User, request=None
) -> Objection:
    """More evidence for an objection still being handled, by the firm or its platform: the
    same checks as when filing; at most ``MAX_FILES`` files in all; a file already attached is
    refused. Nothing is stored unless every file passes."""
    _check_filer(user, obj.enterprise)
    files = check_all(list(evidence))
    with transaction.atomic():
        obj = _lock(obj)
        lifecycle.check_open(obj.status, number=obj.number, doing="补充证明材料")
        attached = {e.sha256: e.filename for e in obj.evidence.all()}
        if len(attached) + len(files) > MAX_FILES:
            raise Refused(
                f"每件异议的证明材料最多 {MAX_FILES} 个文件，已有 {len(attached)} 个",
                code="evidence_too_many",
            )
        for item in files:
            digest = hashlib.sha256(item.content).hexdigest()
            if digest in attached:
                raise Refused(
                    f"“{item.filename}”与已上传的“{attached[digest]}”内容相同", code="duplicate"
                )
        _store_evidence(obj, files, user)
        names = "、".join(f"“{item.filename}”" for item in files)
        _record(obj, user, "补充证明材料", names, request)
    return obj


def objections_for_firm(run: EvaluationRun, enterprise: Enterprise) -> QuerySet[Objection]:
    return Objection.objects.filter(run=run, enterprise=enterprise)


# --- routing and decisions -------------------------------------------------------------------


def _lock(obj: Objection) -> Objection:
    return Objection.objects.select_for_update().select_related("run", "enterprise").get(pk=obj.pk)


def objection_receive(
    obj: Objection, *, user: User, note: str = "", today: dt.date | None = None, request=None
) -> Objection:
    """The platform (or the city administrator) accepts the objection for examination and
    passes it to the department that owns the data (a 特殊情况 goes to the city)."""
    today = _today(today)
    with transaction.atomic():
        obj = _lock(obj)
        _check_platform(user, obj)
        lifecycle.check_step(obj.status, Objection.Status.RECEIVED, number=obj.number)
        obj.stage = Objection.Stage.DEPARTMENT if obj.department else Objection.Stage.CITY
        obj.status = Objection.Status.RECEIVED
        obj.due_on = _step_due(obj.run, obj.stage, today)
        obj.save(update_fields=["stage", "status", "due_on"])
        to = department_label(obj.department)
        _record(obj, user, f"受理并转{to}", note.strip(), request)
    return obj


def objection_return(obj: Objection, *, user: User, reason: str, request=None) -> Objection:
    """The platform returns an objection it cannot pass on (e.g. no evidence), with a reason
    the firm sees; the firm may file again while the window is open."""
    if not reason.strip():
        raise Refused("退回须说明理由", code="reason_required", field="reason")
    with transaction.atomic():
        obj = _lock(obj)
        _check_platform(user, obj)
        lifecycle.check_step(obj.status, Objection.Status.RETURNED, number=obj.number)
        obj.status, obj.stage, obj.due_on = (
            Objection.Status.RETURNED,
            Objection.Stage.DONE,
            None,
        )
        obj.decision_reason = reason.strip()
        obj.save(update_fields=["status", "stage", "due_on", "decision_reason"])
        _record(obj, user, "退回", reason.strip(), request)
    return obj


def _check_platform(user: User, obj: Objection) -> None:
    # Four eyes (docs/enterprise.md, "Objections"): a platform user who filed on the firm's
    # behalf does not also review what it filed; another user of the platform or the city
    # administrator does.
    if user.role == User.Role.PLATFORM and obj.filed_by_id == user.pk:
        raise Refused(
            f"异议 {obj.number} 是您代企业提出的，平台初核须由本平台其他用户或市级管理员办理",
            code="own_filing",
        )
    if user.role == User.Role.CITY_ADMIN:
        return
    if user.role == User.Role.PLATFORM and user.platform_id == obj.enterprise.platform_id:
        return
    raise Refused("只有企业所在平台或市级管理员可以初核异议", code="forbidden")


def can_decide(user: User, obj: Objection) -> bool:
    if user.role == User.Role.CITY_ADMIN:
        return True
    return (
        user.role == User.Role.DEPARTMENT
        and bool(obj.department)
        and user.department == obj.department
    )


def objection_decide(
    obj: Objection,
    *,
    accept: bool,
    reason: str,
    user: User,
    value: str | Decimal | None = None,
    request=None,
) -> Objection:
    """The data-owning department (or the city administrator) accepts — with the corrected
    value, the firm's claim unless another is given — or rejects, with a reason in either case.
    The decider is recorded: the run that uses the correction must be published by someone
    else (four eyes, docs/runs.md)."""
    reason = (reason or "").strip()
    if not reason:
        raise Refused("答复须说明理由", code="reason_required", field="reason")
    with transaction.atomic():
        obj = _lock(obj)
        if not can_decide(user, obj):
            owner = department_label(obj.department)
            raise Refused(f"异议 {obj.number} 由{owner}或市级管理员答复", code="forbidden")
        lifecycle.check_step(obj.status, lifecycle.outcome(accept), number=obj.number)
        corrected = None
        if accept and obj.kind == Objection.Kind.VALUE:
            corrected = parse_value(str(value)) if value not in (None, "") else obj.claimed_value
        obj.status = lifecycle.outcome(accept)
        obj.stage, obj.due_on = Objection.Stage.DONE, None
        obj.decided_by, obj.decided_at = user, timezone.now()
        obj.decision_reason, obj.corrected_value = reason, corrected
        obj.save(
            update_fields=[
                "status",
                "stage",
                "due_on",
                "decided_by",
                "decided_at",
                "decision_reason",
                "corrected_value",
            ]
        )
        action = "采纳" if accept else "不予采纳"
        if corrected is not None:
            action += f"，更正为 {number_text(corrected, obj.field)}"
        _record(obj, user, action, reason, request)
    return obj


# --- 一企一单 answers ---------------------------------------------------------------------------


def confirm_sheet(
    run: EvaluationRun, enterprise: Enterprise, *, user: User, today=None, request=None
) -> Confirmation:
    """The firm confirms its 一企一单 within the window."""
    if not (user.role == User.Role.ENTERPRISE and user.enterprise_id == enterprise.pk):
        raise Refused("只有企业本身可以确认一企一单", code="forbidden")
    objection_window(run, _today(today))
    with transaction.atomic():
        answer, created = Confirmation.objects.get_or_create(
            run=run,
            enterprise=enterprise,
            defaults={"status": Confirmation.Status.CONFIRMED, "by": user},
        )
        if not created:
            raise Refused(f"本企业已答复：{answer.get_status_display()}", code="already_answered")
        audit_record(
            AuditEvent.Action.UPDATE,
            request=request,
            actor=user,
            obj=answer,
            detail=f"{enterprise.name}确认{run.year}年度一企一单（{run.name}）",
        )
    return answer


def accepted_corrections(year: int) -> list[Objection]:
    """Upheld value objections to runs of ``year`` not yet applied in a later run, oldest
    first; a re-grade freezes them into its inputs."""
    return list(
        Objection.objects.filter(
            run__year=year,
            kind=Objection.Kind.VALUE,
            status=Objection.Status.UPHELD,
            corrected_value__isnull=False,
        )
        .select_related("enterprise", "decided_by")
        .order_by("decided_at", "pk")
    )


def confirmation_overview(run: EvaluationRun, user: User) -> dict:
    """Answers to the 一企一单 per platform (city roles and departments) and per firm (the
    platform's own users): confirmed, deemed confirmed, disputed, not yet answered."""
    from collections import Counter

    from pingtai.accounts.scope import platforms_for

    platforms = {p.code: p for p in platforms_for(user)}
    results = run.results.filter(platform_code__in=platforms).values_list(
        "enterprise_id", "platform_code", "name", "uscc"
    )
    answers = dict(Confirmation.objects.filter(run=run).values_list("enterprise_id", "status"))
    counts: dict[str, Counter] = {}
    firms = []
    for enterprise_id, code, name, uscc in results:
        status = answers.get(enterprise_id, "")
        counts.setdefault(code, Counter())[status] += 1
        if user.role == User.Role.PLATFORM:
            label = Confirmation.Status(status).label if status else "未答复"
            firms.append((uscc, name, label))
    table = [
        (
            platforms[code].name,
            sum(c.values()),
            c[Confirmation.Status.CONFIRMED],
            c[Confirmation.Status.DEEMED],
            c[Confirmation.Status.DISPUTED],
            c[""],
        )
        for code, c in sorted(counts.items())
    ]
    return {"table": table, "firms": sorted(firms)}
