"""Issuing documents and the 文号 register; notices as drafts and as issued files.

Other code issues its documents through ``issue_document`` and reads them with
``issued_for``; rules live here, the web, the CLI and the API only call them
(docs/notices.md, "Issued documents").
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from django.db import IntegrityError, models, transaction
from django.db.models import QuerySet
from django.utils import timezone

from pingtai.audit.models import AuditEvent
from pingtai.audit.services import audit_record
from pingtai.core.refusal import Refused
from pingtai.reporting.models import StoredFile
from pingtai.reports import documents
from pingtai.reports.models import IssuedDocument, IssuedFile, NumberSequence
from pingtai.reports.offices import CITY_OFFICE, OFFICES, Office
from pingtai.runs.kernel import Finding

# ``issue_document(..., number=NEXT_NUMBER)`` takes the next 文号 from the register.
NEXT_NUMBER = "next"
FORMATS = ("docx", "pdf", "xlsx")
_NUMBER = re.compile(
    r"^\s*(?P<code>[^〔\[\s]+)\s*[〔\[]\s*(?P<year>\d{4})\s*[〕\]]\s*(?P<serial>\d+)\s*号\s*$"
)


@dataclass(frozen=True)
class IssueStamp:
    """What a document needs to know of its issue before it is rendered."""

    number: str  # empty for a document without 文号
    issued_on: dt.date
    issued_at: dt.datetime
    provenance: dict[str, str]  # generation time and audit chain head, for the properties


def audit_chain_head() -> str:
    """The audit chain head (sequence number and HMAC), as written into an issued document's
    properties (docs/notices.md, "Provenance"; docs/audit.md)."""
    from pingtai.audit.services import audit_chain_head as head

    return head()


def run_type(run: models.Model) -> str:
    return run._meta.label_lower


def issued_for(run: models.Model) -> QuerySet[IssuedDocument]:
    """Every document issued from ``run``, newest first."""
    return IssuedDocument.objects.filter(run_type=run_type(run), run_id=run.pk).prefetch_related(
        "files"
    )


def parse_number(text: str) -> tuple[Office, int, int]:
    match = _NUMBER.match(text)
    if match is None:
        raise Refused(
            f"文号“{text}”格式不对，应为“发文代字〔年份〕顺序号号”，如 {CITY_OFFICE.number(2025, 3)}",
            code="bad_number",
            field="number",
        )
    office = OFFICES.get(match["code"])
    if office is None:
        known = "、".join(OFFICES)
        raise Refused(
            f"文号“{text}”的发文代字“{match['code']}”不在登记簿中（可用：{known}）",
            code="unknown_office",
            field="number",
        )
    return office, int(match["year"]), int(match["serial"])


def _next_serial(office: Office, year: int) -> int:
    """The next unused serial; the counter row is locked until the transaction ends, so two
    issues at once get consecutive numbers, and it only moves forward."""
    NumberSequence.objects.get_or_create(office=office.code, year=year)
    sequence = NumberSequence.objects.select_for_update().get(office=office.code, year=year)
    serial = sequence.last + 1
    taken = set(
        IssuedDocument.objects.filter(
            office=office.code, year=year, serial__gte=serial
        ).values_list("serial", flat=True)
    )
    while serial in taken:  # numbers recorded from outside the system are skipped
        serial += 1
    sequence.last = serial
    sequence.save(update_fields=["last"])
    return serial


def _store(content: bytes) -> StoredFile:
    digest = hashlib.sha256(content).hexdigest()
    stored, _ = StoredFile.objects.get_or_create(
        sha256=digest, defaults={"content": content, "size": len(content)}
    )
    return stored


Content = bytes | Callable[[IssueStamp], Mapping[str, bytes]]


def issue_document(
    kind: str,
    run: models.Model,
    content: Content,
    fmt: str | None = None,
    *,
    user,
    number: str | None = None,
    title: str = "",
    office: Office = CITY_OFFICE,
    subject: str = "",
) -> IssuedDocument:
    """Issue one document from ``run`` and store its files.

    ``content`` is the file (``fmt`` names its format) or, for a document that prints its own
    文号, a function that renders every format from the ``IssueStamp``. ``number``: None for a
    document without 文号, ``NEXT_NUMBER`` for the next one from the register, or a number
    assigned outside the system, which is checked against the register and recorded. A run
    has at most one document of each kind and ``subject`` (e.g. the receiving agency of an
    entitlement list): issuing again returns the one already issued. Only the city
    administrator issues."""
    from pingtai.accounts.models import User

    if getattr(user, "role", None) != User.Role.CITY_ADMIN:
        raise Refused("只有市级管理员可以印发文件", code="forbidden")
    if isinstance(content, bytes):
        if fmt is None:
            raise Refused("请指明文件格式", code="format_required")
        single = {fmt: content}
    kind_label = IssuedDocument.Kind(kind).label
    with transaction.atomic():
        # One issue per run and kind at a time: the run row is the lock.
        list(type(run)._default_manager.select_for_update().filter(pk=run.pk).values_list("pk"))
        existing = issued_for(run).filter(kind=kind, subject=subject).first()
        if existing is not None:
            if number not in (None, NEXT_NUMBER) and number.strip() != existing.number:
                raise Refused(
                    f"该批次的{kind_label}已印发，文号为 {existing.number or '（无）'}，不能另编文号",
                    code="already_issued",
                    field="number",
                )
            return existing
        issued_at = timezone.now()
        issued_on = timezone.localdate(issued_at)
        serial: int | None = None
        year: int | None = None
        source = IssuedDocument.NumberSource.NONE
        if number == NEXT_NUMBER:
            year, serial = issued_on.year, _next_serial(office, issued_on.year)
            source = IssuedDocument.NumberSource.REGISTER
        elif number is not None:
            office, year, serial = parse_number(number)
            if year != issued_on.year:
                raise Refused(
                    f"文号年份应为印发年份 {issued_on.year}，而“{number}”写的是 {year}",
                    code="number_year",
                    field="number",
                )
            clash = IssuedDocument.objects.filter(
                office=office.code, year=year, serial=serial
            ).first()
            if clash is not None:
                raise Refused(
                    f"文号 {office.number(year, serial)} 已用于《{clash.title}》，不能重复使用",
                    code="number_taken",
                    field="number",
                )
            source = IssuedDocument.NumberSource.EXTERNAL
        text = office.number(year, serial) if serial is not None and year is not None else ""
        stamp = IssueStamp(
            text,
            issued_on,
            issued_at,
            {
                "印发时间": timezone.localtime(issued_at).isoformat(timespec="seconds"),
                "审计链": audit_chain_head(),
            },
        )
        files = single if isinstance(content, bytes) else dict(content(stamp))
        try:
            with transaction.atomic():
                document = IssuedDocument.objects.create(
                    kind=kind,
                    title=title or kind_label,
                    issuer=office.name,
                    office=office.code if serial is not None else "",
                    year=year,
                    serial=serial,
                    number=text,
                    number_source=source,
                    run_type=run_type(run),
                    run_id=run.pk,
                    subject=subject,
                    issued_by=user,
                    issued_at=issued_at,
                    issued_on=issued_on,
                    provenance=stamp.provenance,
                )
        except IntegrityError as clash:
            raise Refused(f"文号 {text} 已被占用，请重试", code="number_taken") from clash
        for file_format, data in files.items():
            stored = _store(data)
            IssuedFile.objects.create(
                document=document,
                format=file_format,
                file=stored,
                sha256=stored.sha256,
                size=len(data),
            )
        audit_record(
            AuditEvent.Action.PUBLISH,
            actor=user,
            obj=document,
            after={"文号": text, "格式": sorted(files), "依据批次": f"{run_type(run)}:{run.pk}"},
            detail=f"印发{kind_label}《{document.title}》{text}",
        )
    return document


def document_file(document: IssuedDocument, fmt: str) -> bytes:
    """The stored bytes of one format of an issued document, exactly as issued."""
    record = document.files.filter(format=fmt).select_related("file").first()
    if record is None:
        raise Refused(f"《{document.title}》没有{fmt}格式的文件", code="no_such_format")
    return bytes(record.file.content)


def document_findings(run: models.Model) -> list[Finding]:
    """Integrity of the run's issued documents for ``reproduce``: every stored file still has
    the SHA-256 recorded when it was issued."""
    found = []
    for document in issued_for(run):
        for record in document.files.select_related("file"):
            actual = hashlib.sha256(bytes(record.file.content)).hexdigest()
            if actual != record.sha256:
                label = f"《{document.title}》{document.number}（{record.format}）"
                found.append(Finding("", "", label, actual, record.sha256))
    return found


def mark_superseded(run: models.Model, by: models.Model, *, user, note: str = "") -> int:
    """Documents issued from a superseded run stay as issued and are marked 已更正 with
    the run that replaced it (docs/notices.md); returns how many were marked. Called when a run is superseded."""
    with transaction.atomic():
        documents_ = list(issued_for(run).select_for_update().filter(corrected_at__isnull=True))
        now = timezone.now()
        for document in documents_:
            document.corrected_at = now
            document.corrected_by_type = run_type(by)
            document.corrected_by_id = by.pk
            document.correction_note = note
            document.save(
                update_fields=[
                    "corrected_at",
                    "corrected_by_type",
                    "corrected_by_id",
                    "correction_note",
                ]
            )
            audit_record(
                AuditEvent.Action.UPDATE,
                actor=user,
                obj=document,
                after={"已更正": True, "更正后批次": f"{run_type(by)}:{by.pk}"},
                detail=f"《{document.title}》{document.number} 标记为已更正",
            )
    return len(documents_)


# --- notices --------------------------------------------------------------------------------


def notice_for(run: models.Model) -> documents.Notice:
    """The draft notice of a published 亩均 or league run."""
    from pingtai.evaluation.models import EvaluationRun
    from pingtai.league.models import LeagueRun
    from pingtai.reports.notices import league_notice, mujun_notice

    if isinstance(run, LeagueRun):
        return league_notice(run)
    if isinstance(run, EvaluationRun):
        return mujun_notice(run)
    raise Refused("只有亩均评价批次和平台考评批次有通报", code="no_notice")


def render_notice(notice: documents.Notice, fmt: str) -> bytes:
    if fmt == "docx":
        return documents.render_docx(notice)
    if fmt == "pdf":
        from pingtai.reports.pdf import render_pdf

        return render_pdf(notice)
    if fmt == "xlsx":
        return documents.render_xlsx(notice)
    raise Refused(f"不支持的格式“{fmt}”（可用：docx、pdf、xlsx）", code="bad_format")


def issue_notice(run: models.Model, *, user, number: str | None = None) -> IssuedDocument:
    """Issue a run's notice: the next 文号 from the register (or ``number``, assigned outside
    the system), then Word, PDF and Excel rendered with it and stored together."""
    draft = notice_for(run)

    def render(stamp: IssueStamp) -> dict[str, bytes]:
        notice = draft.issued(stamp.number, stamp.issued_on, stamp.provenance)
        return {fmt: render_notice(notice, fmt) for fmt in FORMATS}

    return issue_document(
        IssuedDocument.Kind.NOTICE,
        run,
        render,
        user=user,
        number=NEXT_NUMBER if number is None else number,
        title=draft.title,
    )


@dataclass(frozen=True)
class NoticeFile:
    title: str
    content: bytes
    document: IssuedDocument | None  # None: a draft


def notice_file(run: models.Model, fmt: str) -> NoticeFile:
    """The notice of a run in one format: the stored file once issued, otherwise a draft."""
    issued = issued_for(run).filter(kind=IssuedDocument.Kind.NOTICE).first()
    if issued is not None:
        return NoticeFile(issued.title, document_file(issued, fmt), issued)
    notice = notice_for(run)
    return NoticeFile(notice.title, render_notice(notice, fmt), None)
