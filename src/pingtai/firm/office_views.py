"""The officials' pages of the enterprise side: windows, 公示 lists, objections."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from pingtai.accounts.models import User
from pingtai.accounts.scope import (
    OFFICIALS,
    AuthenticatedRequest,
    platforms_for,
    role_required,
    scoped_platform,
)
from pingtai.audit.models import AuditEvent
from pingtai.audit.services import audit_record
from pingtai.core.refusal import Refused
from pingtai.evaluation.models import EvaluationRun
from pingtai.firm import letters, objections, sheet, windows
from pingtai.firm.calendar import calendar, date_text
from pingtai.firm.evidence import MAX_BYTES, MAX_FILES
from pingtai.firm.models import Objection, PublicityWindow
from pingtai.firm.views import (
    DOCX,
    ObjectionForm,
    evidence_file,
    evidence_item,
    file_from_form,
    objection_context,
    objection_form_key,
    reminder_page,
    scoped_objection,
)
from pingtai.registry.models import Enterprise
from pingtai.web.downloads import attachment
from pingtai.web.forms import restore_form


class WindowForm(forms.Form):
    kind = forms.ChoiceField(label="类别", choices=PublicityWindow.Kind.choices)
    days = forms.IntegerField(label="期限（工作日）", min_value=1, max_value=60, required=False)


@role_required(*OFFICIALS)
def index(request: AuthenticatedRequest) -> HttpResponse:
    runs = EvaluationRun.objects.exclude(status="superseded").order_by("-year", "-pk")[:20]
    return render(
        request,
        "firm/office_index.html",
        {
            "windows": PublicityWindow.objects.select_related("run", "opened_by")[:50],
            "runs": runs,
            "platforms": platforms_for(request.user).order_by("code"),
            "form": WindowForm() if request.user.is_city_admin else None,
        },
    )


@role_required(*OFFICIALS)
def working_calendar(request: AuthenticatedRequest) -> HttpResponse:
    """The working-day calendar every deadline is counted on (docs/enterprise.md, "Working
    days"), one year at a time, read-only: the same calendar the services use."""
    cal = calendar()
    years = sorted(cal.years)
    today = timezone.localdate()
    raw = request.GET.get("year", "")
    year = int(raw) if raw.isdigit() and int(raw) in cal.years else None
    if year is None:
        year = today.year if today.year in cal.years else years[-1]
    view = cal.year_view(year)
    return render(
        request,
        "firm/calendar.html",
        {
            "view": view,
            "years": years,
            "off": [(d, date_text(d.first), date_text(d.last)) for d in view.off],
            "work": [date_text(d) for d in view.work],
        },
    )


@role_required(User.Role.CITY_ADMIN)
@require_POST
def window_open(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(EvaluationRun, pk=pk)
    form = WindowForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请检查类别和期限")
        return redirect("publicity:index")
    try:
        window = windows.open_window(
            run,
            form.cleaned_data["kind"],
            user=request.user,
            days=form.cleaned_data["days"],
            request=request,
        )
    except Refused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, f"已开启{window}：{windows.window_text(window)}")
    return redirect("publicity:index")


def _list_context(request: AuthenticatedRequest, pk: int, code: str):
    platform = scoped_platform(request.user, code)
    run = get_object_or_404(EvaluationRun.objects.exclude(status="superseded"), pk=pk)
    return run, platform


@role_required(*OFFICIALS)
def publicity_list(request: AuthenticatedRequest, pk: int, code: str) -> HttpResponse:
    run, platform = _list_context(request, pk, code)
    window = windows.windows_of(run).filter(kind=PublicityWindow.Kind.RESULT).first()
    return render(
        request,
        "firm/publicity_list.html",
        {
            "run": run,
            "platform": platform,
            "title": windows.publicity_title(run, platform),
            "window": window,
            "window_text": windows.window_text(window) if window else "",
            "rows": windows.publicity_rows(run, platform),
        },
    )


@role_required(*OFFICIALS)
def publicity_list_xlsx(request: AuthenticatedRequest, pk: int, code: str) -> HttpResponse:
    run, platform = _list_context(request, pk, code)
    content = windows.publicity_xlsx(run, platform)
    audit_record(
        AuditEvent.Action.EXPORT, request=request, obj=run, detail=f"导出公示名单 {platform.code}"
    )
    return attachment(content, f"{windows.publicity_title(run, platform)}.xlsx")


# --- objections and confirmations (officials) -------------------------------------------------


class DecisionForm(forms.Form):
    action = forms.ChoiceField(
        choices=[
            ("receive", "受理"),
            ("return", "退回"),
            ("accept", "采纳"),
            ("reject", "不予采纳"),
        ]
    )
    reason = forms.CharField(required=False, max_length=2000)
    value = forms.CharField(required=False, max_length=30)


@role_required(*OFFICIALS)
def objection_list(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(EvaluationRun, pk=pk)
    rows = objections.objections_for(request.user).filter(run=run).order_by("number")
    return render(
        request,
        "firm/office_objections.html",
        {
            "run": run,
            "rows": [(o, sheet.field_text(o.field) if o.field else "—") for o in rows],
        },
    )


@role_required(*OFFICIALS)
def objection_detail(request: AuthenticatedRequest, number: str) -> HttpResponse:
    obj = scoped_objection(request, number)
    user = request.user
    platform_step = obj.stage == Objection.Stage.PLATFORM and (
        user.is_city_admin
        or (
            user.role == User.Role.PLATFORM
            and user.platform_id == obj.enterprise.platform_id
            and obj.filed_by_id != user.pk  # four eyes: the filer does not review its own
        )
    )
    return render(
        request,
        "firm/office_objection.html",
        {
            **objection_context(obj, "office"),
            "can_route": platform_step,
            "own_filing": obj.stage == Objection.Stage.PLATFORM and obj.filed_by_id == user.pk,
            "can_decide": obj.is_open and objections.can_decide(user, obj),
        },
    )


@role_required(User.Role.CITY_ADMIN, User.Role.PLATFORM, User.Role.DEPARTMENT)
@require_POST
def objection_act(request: AuthenticatedRequest, number: str) -> HttpResponse:
    obj = scoped_objection(request, number)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请选择办理事项")
        return redirect("publicity:objection", number=number)
    action, reason = form.cleaned_data["action"], form.cleaned_data["reason"]
    try:
        if action == "receive":
            objections.objection_receive(obj, user=request.user, note=reason, request=request)
        elif action == "return":
            objections.objection_return(obj, user=request.user, reason=reason, request=request)
        else:
            objections.objection_decide(
                obj,
                accept=action == "accept",
                reason=reason,
                value=form.cleaned_data["value"],
                user=request.user,
                request=request,
            )
    except Refused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, "已办理")
    return redirect("publicity:objection", number=number)


@role_required(*OFFICIALS)
def objection_evidence(request: AuthenticatedRequest, number: str, pk: int) -> HttpResponse:
    obj = scoped_objection(request, number)
    item = evidence_item(obj, pk)
    audit_record(
        AuditEvent.Action.DOWNLOAD, request=request, obj=obj, detail=f"下载证明材料 {item.filename}"
    )
    return evidence_file(item)


@role_required(*OFFICIALS)
def confirmations(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Confirmation status per platform (city roles, departments) or per firm of the own
    platform (platform users)."""
    run = get_object_or_404(EvaluationRun, pk=pk)
    return render(
        request,
        "firm/office_confirmations.html",
        {"run": run, **objections.confirmation_overview(run, request.user)},
    )


@role_required(*OFFICIALS)
def office_reminders(request: AuthenticatedRequest) -> HttpResponse:
    from pingtai.reporting.inbox import inbox

    waiting = [
        link for box in inbox(request.user) if box.code == "objections" for link in box.links
    ]
    return reminder_page(request, waiting)


@role_required(User.Role.CITY_ADMIN)
@require_POST
def letters_issue(request: AuthenticatedRequest, pk: int, code: str) -> HttpResponse:
    """Issue the result letters of one platform's firms (each stored as issued)."""
    run = get_object_or_404(EvaluationRun, pk=pk)
    platform = scoped_platform(request.user, code)
    try:
        issued = letters.issue_letters(run, user=request.user, firms=platform.enterprises.all())
    except Refused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, f"已印发{platform.name}企业的结果告知书 {len(issued)} 份")
    return redirect("publicity:list", pk=pk, code=code)


@role_required(User.Role.PLATFORM)
def objection_on_behalf(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """A platform user files an objection on behalf of one of its own firms in the run: find
    the firm (name or code), then the same form and service as the firm's own page."""
    run = get_object_or_404(EvaluationRun.objects.exclude(status="superseded"), pk=pk)
    if request.user.platform_id is None:
        raise Http404("您的账号未绑定平台")
    own = run.results.filter(enterprise__platform_id=request.user.platform_id)
    q = request.GET.get("q", "").strip()[:60]
    found = own.filter(Q(name__icontains=q) | Q(uscc__icontains=q.upper())) if q else own
    code = (request.POST.get("firm") or request.GET.get("firm") or "").strip().upper()[:18]
    firm: Enterprise | None = None
    if code:
        chosen = own.filter(uscc=code).select_related("enterprise").first()
        if chosen is None:
            raise Http404("没有找到该企业，或它不属于本平台")
        firm = chosen.enterprise
    parcels = sheet.firm_parcels(firm) if firm else []
    if request.method == "POST" and firm is not None:
        # A refusal sends the page back with every entry kept (files excepted) and each message
        # beside its field, the firm still chosen (``refuse_form``).
        again = redirect(
            f"{reverse('publicity:file', args=[run.pk])}?{urlencode({'q': q, 'firm': firm.uscc})}"
        )
        obj = file_from_form(request, run, firm, parcels)
        if obj is None:
            return again
        messages.success(request, f"已代{firm.name}提出异议，编号 {obj.number}")
        return redirect("publicity:objection", number=obj.number)
    form = (
        restore_form(request, objection_form_key(run, firm), ObjectionForm, parcels=parcels)
        if firm
        else ObjectionForm(parcels=parcels)
    )
    listed = list(found.order_by("name").values_list("uscc", "name")[:50])
    if firm is not None and firm.uscc not in {uscc for uscc, _ in listed}:
        # The chooser always shows the firm the form below is for.
        listed.insert(0, (firm.uscc, firm.name))
    return render(
        request,
        "firm/office_file.html",
        {
            "run": run,
            "q": q,
            "found": listed,
            "more": found.count() > 50,
            "firm": firm,
            "parcels": parcels,
            "form": form,
            "max_mb": MAX_BYTES // 2**20,
            "max_files": MAX_FILES,
        },
    )


@role_required(*OFFICIALS)
def letter(request: AuthenticatedRequest, pk: int, uscc: str, fmt: str) -> HttpResponse:
    """A firm's result letter from its portrait, for the officials who may see its result —
    the same stored file the firm downloads (made on first download, docs/enterprise.md)."""
    from pingtai.evaluation.selectors import results_for

    run = get_object_or_404(EvaluationRun, pk=pk)
    result = results_for(request.user, run).filter(uscc=uscc).select_related("enterprise").first()
    if result is None or fmt not in letters.FORMATS:
        raise Http404("没有找到该企业的评价结果，或您无权查看")
    try:
        document = letters.letter_document(run, result.enterprise)
    except Refused as refused:
        messages.error(request, str(refused))
        return redirect("evaluation:portrait", pk=run.pk, uscc=uscc)
    if document is None:
        raise Http404("该批次没有该企业的结果告知书")
    audit_record(
        AuditEvent.Action.DOWNLOAD,
        request=request,
        obj=document,
        detail=f"下载{document.title}（{fmt.upper()}）",
    )
    types = {"pdf": "application/pdf", "docx": DOCX}
    content = letters.letter_bytes(document, fmt)
    return attachment(content, f"{letters.letter_title(run)}（{result.name}）.{fmt}", types[fmt])
