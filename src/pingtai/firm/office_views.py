"""The officials' pages of the enterprise side: windows, 公示 lists, objections."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
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
from pingtai.firm import windows
from pingtai.firm.models import PublicityWindow
from pingtai.web.downloads import attachment


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
