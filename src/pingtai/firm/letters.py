"""评价结果告知书: one letter per firm from a published run, in the notice format (GB/T 9704
layout through pingtai.reports), issued by the city administrator and stored as issued; the
firm downloads its own (docs/enterprise.md, "Result letters")."""

from __future__ import annotations

from django.db.models import QuerySet

from pingtai.core.refusal import Refused
from pingtai.evaluation.models import EnterpriseResult, EvaluationRun
from pingtai.firm.models import Objection
from pingtai.firm.objections import objections_for_firm
from pingtai.firm.sheet import field_text, firm_sheet, number_text
from pingtai.firm.windows import rank_band
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
        f"综合得分{result.score:.2f}分，在同组{result.group_size}家企业中排名第{result.rank}位"
        f"（{rank_band(result)}）。"
        if result.score is not None and result.rank and result.group_size
        else ""
    )
    paragraphs = [
        f"根据{run.year}年度工业企业亩均效益综合评价结果，贵企业被评为{klass}。{standing}",
        f"评价采用《{method_title(run.method_id)}》，所用数据为经审核的各部门报送数据，见下表。",
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
                number_text(x.value, x.field.code) if x.value is not None else "（空）",
                x.department,
                x.source,
            ]
            for x in lines
        ],
    )
    sections = [Section("评价结果", paragraphs, [data])]
    objections = list(objections_for_firm(run, firm).order_by("number"))
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
                                o.get_status_display(),
                                o.decision_reason or "—",
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
                    "请在公示期内通过企业端提出，并附证明材料；逾期视为无异议。"
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
        annotation=SYNTHETIC_NOTE if demo else "",
        demo=demo,
        provenance={**_run_provenance(run), "企业": firm.uscc},
        kind="告知书",
    )


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
            letter = letter_for(run, result).issued(stamp.number, stamp.issued_on, stamp.provenance)
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


def letter_bytes(document: IssuedDocument, fmt: str) -> bytes:
    return document_file(document, fmt)
