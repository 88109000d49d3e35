"""评价结果告知书: one letter per firm from a published run, in the notice format (GB/T 9704
layout through pingtai.reports), issued by the city administrator and stored as issued; the
firm downloads its own (docs/enterprise.md, "Result letters")."""

from __future__ import annotations

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from pingtai.accounts.models import User
from pingtai.audit.models import AuditEvent
from pingtai.audit.services import audit_record
from pingtai.core.numbers import fixed, number_in
from pingtai.core.refusal import Refused
from pingtai.engine.methods import MethodError, load_method
from pingtai.evaluation.models import EnterpriseResult, EvaluationRun
from pingtai.evaluation.sources import source_statement
from pingtai.firm.models import Objection, PublicityWindow
from pingtai.firm.objections import objections_for_firm
from pingtai.firm.sheet import field_text, firm_sheet
from pingtai.firm.windows import rank_band, window_text
from pingtai.registry.models import Enterprise
from pingtai.reports.documents import Notice, Section, Table
from pingtai.reports.models import IssuedDocument
from pingtai.reports.notices import SYNTHETIC_NOTE, _run_provenance, method_title
from pingtai.reports.offices import CITY_OFFICE
from pingtai.reports.services import document_file, issue_document, issued_for, render_notice
from pingtai.xlsx import Column

CLASS_WORDS = {
    "A": "A类（优先发展类）",
    "B": "B类（提升发展类）",
    "C": "C类（调控帮扶类）",
    "D": "D类（倒逼整治类）",
    "T": "T类（不参评）",
}
FORMATS = ("pdf", "docx")


def letter_title(run: EvaluationRun) -> str:
    return f"{run.year}年度工业企业亩均效益综合评价结果告知书"


def letter_for(run: EvaluationRun, result: EnterpriseResult) -> Notice:
    """The letter of one firm (a draft until issued): its class and standing, the figures the
    evaluation used with their departments, its objections and their outcome, and how to
    object."""
    if run.status not in (EvaluationRun.Status.PUBLISHED, EvaluationRun.Status.SUPERSEDED):
        raise Refused("只能根据已发布的评价批次出具结果告知书", code="run_not_published")
    firm = result.enterprise
    klass = CLASS_WORDS.get(result.klass, f"{result.klass}类")
    standing = (
        f"综合得分{result.score:.2f}分{score_scale(run, result)}，"
        f"在同组{result.group_size}家企业中排名第{result.rank}位（{rank_band(result)}）。"
        if result.score is not None and result.rank and result.group_size
        else ""
    )
    paragraphs = [
        f"根据{run.year}年度工业企业亩均效益综合评价结果，贵企业被评为{klass}。{standing}",
        (
            f"评价采用《{method_title(run.method_id)}》，"
            f"所用数据：{source_statement(run.provenance)}。本企业各项数据及其来源见下表。"
        ),
    ]
    if result.note:
        paragraphs.append(f"说明：{result.note}")
    lines = firm_sheet(run, firm)
    data = Table(
        "表1 评价所用数据",
        [
            Column("数据项", kind="name", key=True),
            Column("数值", kind="text"),
            Column("提供部门", kind="name"),
            Column("来源", kind="text"),
        ],
        [
            [
                f"{x.field.label}（{x.field.unit}）",
                # The unit is in the 数据项 cell: 用地面积（亩） | 17.87, not 17.87 亩.
                number_in(x.value, x.field.unit) if x.value is not None else "（空）",
                x.department,
                x.source,
            ]
            for x in lines
        ],
    )
    sections = [Section("评价结果", paragraphs, [data])]
    as_of = run.published_at or run.created_at
    objections = list(objections_for_firm(run, firm).filter(filed_at__lte=as_of).order_by("number"))
    if run.supersedes_id:
        objections += list(
            Objection.objects.filter(applied_in=run, enterprise=firm).exclude(
                pk__in=[o.pk for o in objections]
            )
        )
    if objections:
        sections.append(
            Section(
                "异议处理情况",
                [],
                [
                    Table(
                        "表2 本企业提出的异议",
                        [
                            Column("编号", kind="code", key=True),
                            Column("数据项", kind="name"),
                            Column("处理结果", kind="name"),
                            Column("答复理由", kind="text"),
                        ],
                        [
                            [
                                o.number,
                                field_text(o.field) if o.field else o.get_kind_display(),
                                *_outcome_at(o, as_of),
                            ]
                            for o in objections
                        ],
                    )
                ],
            )
        )
    sections.append(
        Section(
            "有关事项",
            [
                (
                    "贵企业可登录本系统企业端查看各项数据及其来源。对评价结果有异议的，"
                    f"请在{_objection_window(run, as_of)}内通过企业端提出，并附证明材料；"
                    "逾期视为无异议。"
                ),
                "评价结果作为资源要素差别化配置的依据，请贵企业对照各项指标，加快转型升级、提高亩均效益。",
            ],
        )
    )
    demo = bool(run.provenance.get("register_synthetic"))
    return Notice(
        issuer=CITY_OFFICE.name,
        title=letter_title(run),
        recipients=firm.name,
        sections=sections,
        as_of=run.published_at or run.created_at,
        # The note is written for a 通报; this document calls itself 告知书.
        annotation=SYNTHETIC_NOTE.replace("本通报", "本告知书") if demo else "",
        demo=demo,
        provenance={**_run_provenance(run), "企业": firm.uscc},
        kind="告知书",
    )


def score_scale(run: EvaluationRun, result: EnterpriseResult) -> str:
    """What the score is out of, as the run's method file defines it for the firm's segment
    (docs/methods.md): with the benchmark ratio a firm at every benchmark has the sum of the
    weights and one above it more, up to each indicator's cap — so a score above 100 is no
    error; 加减分 (adjustments) come on top. "" when the method file is no longer shipped."""
    try:
        method = load_method(run.method_id)
    except MethodError:
        return ""
    segment = method.segments.get(result.segment)
    if segment is None or not segment.indicators:
        return ""
    items = segment.indicators
    weights = [i.weight for i in items]
    fixed = segment.weighting.kind == "fixed" and all(w is not None for w in weights)
    base = sum(w for w in weights if w is not None) if fixed else segment.weighting.total
    if all(i.scoring.kind == "benchmark_ratio" for i in items):
        text = f"各项指标均达到基准值时为{score_text(base)}分"
        if fixed and all(i.cap for i in items):
            top = sum((i.weight or 0) * (i.cap or 0) for i in items)
            text += f"，高于基准的按比例加分，满分{score_text(top)}分"
    else:
        text = f"各项指标权重合计{score_text(base)}分"
    if any(not a.segments or result.segment in a.segments for a in method.adjustments):
        text += "，另含加减分"
    return f"（{text}）"


def score_text(value: float) -> str:
    """Points as written in the method file: whole points without decimals."""
    return fixed(value, 0 if float(value).is_integer() else 2)


def _objection_window(run: EvaluationRun, as_of) -> str:
    """The window in which the firm may object, with its dates (and the provisional-calendar
    note), as it stood at publication — so the letter says the same whenever it is made."""
    windows = list(PublicityWindow.objects.filter(run=run, opened_at__lte=as_of))
    if not windows:
        return "公示期（起止日期另行通知）"
    kinds: list[str] = [
        PublicityWindow.Kind.RESULT,
        PublicityWindow.Kind.CONFIRM,
        PublicityWindow.Kind.LAND,
    ]
    window = min(windows, key=lambda w: (kinds.index(w.kind), -w.closes_on.toordinal()))
    return f"{window.get_kind_display()}期（{window_text(window)}）"


def _outcome_at(obj: Objection, moment) -> tuple[str, str]:
    """An objection's status and answer as they stood at ``moment`` (the publication), so
    that a letter made later says what it would have said then."""
    step = obj.steps.filter(at__lte=moment).order_by("-at", "-pk").first()
    status = step.get_status_display() if step else obj.get_status_display()
    decided = obj.decided_at is not None and obj.decided_at <= moment
    return str(status), (obj.decision_reason or "—") if decided else "—"


def issue_letters(
    run: EvaluationRun, *, user, firms: QuerySet[Enterprise] | None = None
) -> list[IssuedDocument]:
    """Issue the letters of ``firms`` (every firm of the run when None); a letter already
    issued is returned as it is."""
    results = run.results.select_related("enterprise").order_by("uscc")
    if firms is not None:
        results = results.filter(enterprise__in=firms)
    issued = []
    for result in results:

        def render(stamp, result=result) -> dict[str, bytes]:
            # Dated the day of publication, with the publication's provenance, not the day it
            # is made: a letter made on first download reads as one made at publication.
            published = timezone.localtime(run.published_at)
            letter = letter_for(run, result).issued(
                stamp.number,
                published.date(),
                {"发布时间": published.isoformat(timespec="seconds")},
            )
            return {fmt: render_notice(letter, fmt) for fmt in FORMATS}

        issued.append(
            issue_document(
                IssuedDocument.Kind.LETTER,
                run,
                render,
                user=user,
                number=None,
                title=f"{letter_title(run)}（{result.name}）",
                subject=result.uscc,
            )
        )
    return issued


def issued_letter(run: EvaluationRun, enterprise: Enterprise) -> IssuedDocument | None:
    return issued_for(run).filter(kind=IssuedDocument.Kind.LETTER, subject=enterprise.uscc).first()


def letter_available(run: EvaluationRun, enterprise: Enterprise) -> bool:
    """Whether the firm can download a letter of ``run``: any letter already issued, and the
    letter of every firm in the current published result (made on first download)."""
    if issued_letter(run, enterprise) is not None:
        return True
    return (
        run.status == EvaluationRun.Status.PUBLISHED
        and run.results.filter(enterprise=enterprise).exists()
    )


def letter_document(run: EvaluationRun, enterprise: Enterprise) -> IssuedDocument | None:
    """The firm's letter of ``run``: the stored one, or — for a firm of the current published
    result — issued now in the name of the person who published the run and stored, so every
    later download is the same file. None when the firm has no letter of ``run``."""
    document = issued_letter(run, enterprise)
    if document is not None or not letter_available(run, enterprise):
        return document
    firms = Enterprise.objects.filter(pk=enterprise.pk)
    return issue_letters(run, user=run.published_by, firms=firms)[0]


def letters_published(run: EvaluationRun, *, user, request=None) -> int:
    """The post-publication step of a 亩均 run (the run kernel's ``on_published``): every
    firm's letter becomes available on its start page, and the firm's accounts are told.
    Letters are made on first download — rendering one per firm at publication would hold the
    publishing transaction for minutes. Returns the number of firms."""
    from pingtai.firm.reminders import remind

    firms = run.results.count()
    accounts = User.objects.filter(
        role=User.Role.ENTERPRISE,
        is_active=True,
        enterprise__in=run.results.values("enterprise"),
    )
    for account in accounts:
        remind(
            account,
            f"letter:{run.pk}",
            f"{letter_title(run)}已可下载（首页“评价结果告知书”）",
            reverse("firm:home"),
        )
    audit_record(
        AuditEvent.Action.UPDATE,
        request=request,
        actor=user,
        obj=run,
        detail=f"{letter_title(run)}可供 {firms} 家企业下载（首次下载时生成并存档）",
    )
    return firms


def letter_bytes(document: IssuedDocument, fmt: str) -> bytes:
    return document_file(document, fmt)
