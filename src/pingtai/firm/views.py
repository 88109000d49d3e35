"""The enterprise user's pages: its own firm only, laid out for a phone (docs/enterprise.md).
Every object is fetched through the firm's own scope; anything else is 404."""

from __future__ import annotations

from collections.abc import Sequence

from django import forms
from django.contrib import messages
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from pingtai.accounts.models import User
from pingtai.accounts.scope import AuthenticatedRequest, own_enterprise, role_required
from pingtai.core.refusal import Refused
from pingtai.entitlements.services import firm_entitlements
from pingtai.evaluation.models import EvaluationRun
from pingtai.firm import letters, objections, reminders, selectors, sheet
from pingtai.firm.evidence import MAX_BYTES, MAX_FILES
from pingtai.firm.models import Confirmation, Objection, ObjectionEvidence, PublicityWindow
from pingtai.firm.windows import window_text
from pingtai.web.downloads import attachment
from pingtai.web.forms import refuse_form, restore_form

ENTERPRISE = (User.Role.ENTERPRISE,)


class ObjectionForm(forms.Form):
    """The objection form of the firm's own page and of the platform filing on its behalf: a
    land objection names one of the firm's parcels (owned or leased) from a list, not as free
    text."""

    kind = forms.ChoiceField(label="异议类型", choices=Objection.Kind.choices)
    field = forms.ChoiceField(
        label="数据项",
        required=False,
        choices=[("", "（特殊情况可不选）")]
        + [(c, f"{f.label}（{f.unit}）") for c, f in sheet.FIELDS.items()],
    )
    parcel = forms.ChoiceField(label="涉及地块（用地面积异议时选择）", required=False)
    claimed = forms.CharField(label="企业主张的正确数值", required=False, max_length=30)
    reason = forms.CharField(
        label="理由", max_length=objections.MAX_REASON, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args, parcels: Sequence[sheet.Parcel] = (), **kwargs):
        super().__init__(*args, **kwargs)
        choice = self.fields["parcel"]
        assert isinstance(choice, forms.ChoiceField)
        choice.choices = [("", "（不涉及具体地块，或对用地总面积有异议）")] + [
            (p.parcel_id, sheet.parcel_text(p)) for p in parcels
        ]

    def clean(self) -> dict:
        # An objection to a value names the value, in words beside the list (the service's own
        # check stays for the API and the CLI).
        data = super().clean() or {}
        if data.get("kind") == Objection.Kind.VALUE and not data.get("field"):
            self.add_error("field", "请选择有异议的数据项")
        return data


def objection_form_key(run: EvaluationRun, firm) -> str:
    """Where a refused objection's entries are kept until the form is shown again
    (``refuse_form``/``restore_form``), one per run and firm."""
    return f"objection-{run.pk}-{firm.uscc}"


def file_from_form(
    request: AuthenticatedRequest, run: EvaluationRun, firm, parcels
) -> Objection | None:
    """File the posted objection form for ``firm`` — by the firm itself or by its platform on
    its behalf, the same form and service — or keep the entries and messages for the form
    shown again (``refuse_form``) and give None."""
    form = ObjectionForm(request.POST, parcels=parcels)
    files = [(f.name or "", f.read()) for f in request.FILES.getlist("evidence")[: MAX_FILES + 1]]
    if not form.is_valid():
        refuse_form(request, objection_form_key(run, firm))
        return None
    data = form.cleaned_data
    try:
        return objections.objection_file(
            run,
            firm,
            kind=data["kind"],
            field=data["field"],
            claimed=data["claimed"],
            parcel=data["parcel"],
            reason=data["reason"],
            evidence=files,
            user=request.user,
            request=request,
        )
    except Refused as refused:
        refuse_form(request, objection_form_key(run, firm), refused)
        return None


def _run_for_firm(request: AuthenticatedRequest, pk: int) -> EvaluationRun:
    """A run the firm may look at: one with a window, or shown to firms."""
    firm = own_enterprise(request.user)
    run = (
        EvaluationRun.objects.filter(pk=pk, results__enterprise=firm)
        .filter(Q(status__in=selectors.SHOWN_TO_FIRMS) | Q(windows__isnull=False))
        .distinct()
        .first()
    )
    if run is None:
        raise Http404("没有找到该评价批次，或您无权查看")
    return run


@role_required(*ENTERPRISE)
def home(request: AuthenticatedRequest) -> HttpResponse:
    firm = own_enterprise(request.user)
    runs = (
        EvaluationRun.objects.filter(results__enterprise=firm, windows__isnull=False)
        .exclude(status="superseded")
        .distinct()
        .order_by("-year", "-pk")
    )
    results = list(selectors.own_results(request.user)[:10])
    # 免申即享: what the current published result brings the firm, without applying for it.
    current = next((r.run for r in results if r.run.status == "published"), None)
    return render(
        request,
        "firm/home.html",
        {
            "firm": firm,
            "results": results,
            "entitlement_run": current,
            "entitlements": firm_entitlements(current, firm.uscc) if current else [],
            "runs": runs,
            "objections": objections.objections_for(request.user)[:20],
            "letters": [
                (r.run, letters.issued_letter(r.run, firm))
                for r in selectors.own_results(request.user)
                if letters.letter_available(r.run, firm)
            ],
        },
    )


@role_required(*ENTERPRISE)
def run_sheet(request: AuthenticatedRequest, pk: int):
    firm = own_enterprise(request.user)
    run = _run_for_firm(request, pk)
    today = timezone.localdate()
    open_windows = [w for w in PublicityWindow.objects.filter(run=run) if w.is_open(today)]
    return render(
        request,
        "firm/sheet.html",
        {
            "firm": firm,
            "run": run,
            "lines": sheet.firm_sheet(run, firm),
            "parcels": sheet.firm_parcels(firm),
            "result": run.results.filter(enterprise=firm).first()
            if run.status in selectors.SHOWN_TO_FIRMS
            else None,
            "windows": [(w, window_text(w), w.is_open(today)) for w in run.windows.all()],
            "open": bool(open_windows) and run.status != "superseded",
            "answer": Confirmation.objects.filter(run=run, enterprise=firm).first(),
            "objections": objections.objections_for_firm(run, firm),
            "form": restore_form(
                request,
                objection_form_key(run, firm),
                ObjectionForm,
                parcels=sheet.firm_parcels(firm),
            ),
            "max_mb": MAX_BYTES // 2**20,
            "max_files": MAX_FILES,
        },
    )


@role_required(*ENTERPRISE)
@require_POST
def confirm(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    firm = own_enterprise(request.user)
    run = _run_for_firm(request, pk)
    try:
        objections.confirm_sheet(run, firm, user=request.user, request=request)
    except Refused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, "已确认本企业的一企一单")
    return redirect("firm:sheet", pk=run.pk)


@role_required(*ENTERPRISE)
@require_POST
def object_(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    firm = own_enterprise(request.user)
    run = _run_for_firm(request, pk)
    obj = file_from_form(request, run, firm, sheet.firm_parcels(firm))
    if obj is None:
        return redirect("firm:sheet", pk=run.pk)
    messages.success(request, f"异议已提交，编号 {obj.number}")
    return redirect("firm:objection", number=obj.number)


def scoped_objection(request: AuthenticatedRequest, number: str) -> Objection:
    """An objection the user may see (``objections_for``), else 404 — for the firm's pages and
    the officials' alike."""
    obj = objections.objections_for(request.user).filter(number=number).first()
    if obj is None:
        raise Http404("没有找到该异议，或您无权查看")
    return obj


def objection_context(obj: Objection, base: str) -> dict:
    """What the objection page shows, for the firm (``base`` "firm": officials by role) and
    for the officials ("office")."""

    def value(number) -> str:
        return sheet.number_text(number, obj.field) if number is not None else ""

    return {
        "o": obj,
        "field_text": sheet.field_text(obj.field) if obj.field else "",
        "current": sheet.number_text(obj.current_value, obj.field) if obj.field else "",
        "claimed": value(obj.claimed_value),
        "corrected": value(obj.corrected_value),
        "department": sheet.department_label(obj.department),
        "steps": obj.steps.select_related("by"),
        "evidence": obj.evidence.all(),
        "base": base,
        "due_note": objections.due_note(obj),
    }


def evidence_item(obj: Objection, pk: int) -> ObjectionEvidence:
    """One evidence file of an objection already in scope, else 404."""
    item = obj.evidence.select_related("file").filter(pk=pk).first()
    if item is None:
        raise Http404("没有找到该文件")
    return item


def evidence_file(item: ObjectionEvidence) -> HttpResponse:
    return attachment(bytes(item.file.content), item.filename, item.content_type)


@role_required(*ENTERPRISE)
def objection(request: AuthenticatedRequest, number: str) -> HttpResponse:
    obj = scoped_objection(request, number)
    return render(request, "firm/objection.html", objection_context(obj, "firm"))


@role_required(*ENTERPRISE)
def evidence(request: AuthenticatedRequest, number: str, pk: int) -> HttpResponse:
    return evidence_file(evidence_item(scoped_objection(request, number), pk))


@role_required(*ENTERPRISE)
def letter(request: AuthenticatedRequest, pk: int, fmt: str) -> HttpResponse:
    """The firm's own issued result letter, exactly as issued."""
    firm = own_enterprise(request.user)
    run = _run_for_firm(request, pk)
    if fmt not in letters.FORMATS:
        raise Http404("没有该格式的结果告知书")
    try:
        document = letters.letter_document(run, firm)
    except Refused as refused:  # e.g. the publisher is no longer a city administrator
        messages.error(request, str(refused))
        return redirect("firm:home")
    if document is None:
        raise Http404("该批次没有本企业的结果告知书")
    content = letters.letter_bytes(document, fmt)
    types = {"pdf": "application/pdf", "docx": DOCX}
    return attachment(content, f"{letters.letter_title(run)}.{fmt}", types[fmt])


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def reminder_page(request: AuthenticatedRequest, waiting=()) -> HttpResponse:
    """The user's own reminders; opening the page marks them read. ``waiting``: the objections
    waiting for an official's step (the inbox's 待办异议), listed above them."""
    rows = list(reminders.reminders_for(request.user)[:100])
    unread = [r.pk for r in rows if r.read_at is None]
    reminders.reminders_for(request.user).filter(pk__in=unread).update(read_at=timezone.now())
    return render(
        request, "firm/reminders.html", {"rows": rows, "unread": set(unread), "waiting": waiting}
    )


@role_required(*ENTERPRISE)
def firm_reminders(request: AuthenticatedRequest) -> HttpResponse:
    own_enterprise(request.user)  # an enterprise account without its firm has no pages
    return reminder_page(request)
