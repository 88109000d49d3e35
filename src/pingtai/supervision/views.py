"""Battle-map pages: overview, a platform's map, task detail with progress, alerts, exports."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
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
from pingtai.supervision import exports, selectors, services
from pingtai.supervision.forms import MilestoneDoneForm, MilestoneForm, ProgressForm, TaskForm
from pingtai.supervision.rules import load_rules
from pingtai.web.downloads import attachment
from pingtai.web.forms import refuse_form, restore_form


def _on(request: HttpRequest) -> dt.date:
    try:
        return dt.date.fromisoformat(request.GET.get("on", ""))
    except ValueError:
        return timezone.localdate()


@role_required(*OFFICIALS)
def index(request: AuthenticatedRequest) -> HttpResponse:
    if request.user.role == User.Role.PLATFORM and request.user.platform is not None:
        return redirect("supervision:platform", code=request.user.platform.code)
    on, rules = _on(request), load_rules()
    return render(
        request,
        "supervision/index.html",
        {
            "on": on,
            "rules": rules,
            "rows": selectors.overview(request.user, on, rules),
        },
    )


@role_required(*OFFICIALS)
def platform_map(request: AuthenticatedRequest, code: str) -> HttpResponse:
    platform = scoped_platform(request.user, code)
    on, rules = _on(request), load_rules()
    tasks = list(platform.battle_tasks.prefetch_related("milestones"))
    flags = {a.task.pk: a for a in selectors.alerts(platform.battle_tasks.all(), on, rules)}
    rows = [(t, flags.get(t.pk)) for t in tasks]
    return render(
        request,
        "supervision/platform.html",
        {
            "platform": platform,
            "on": on,
            "rules": rules,
            "rows": rows,
            "form": restore_form(request, f"task-{platform.code}", TaskForm)
            if services.can_edit_tasks(request.user, platform)
            else None,
        },
    )


@role_required(*OFFICIALS)
@require_POST
def task_create(request: AuthenticatedRequest, code: str) -> HttpResponse:
    platform = scoped_platform(request.user, code)
    form = TaskForm(request.POST)
    if not form.is_valid():
        refuse_form(request, f"task-{platform.code}")
        return redirect("supervision:platform", code=code)
    try:
        task = services.task_create(
            platform=platform, user=request.user, request=request, **form.cleaned_data
        )
    except Refused as refused:
        refuse_form(request, f"task-{platform.code}", refused)
        return redirect("supervision:platform", code=code)
    messages.success(request, f"已新增任务：{task.title}")
    return redirect("supervision:task", pk=task.pk)


@role_required(*OFFICIALS)
def task_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    task = selectors.scoped_task(request.user, pk)
    on, rules = _on(request), load_rules()
    flag = next(
        iter(selectors.alerts(selectors.tasks_for(request.user).filter(pk=pk), on, rules)), None
    )
    reporter = services.can_report(request.user, task)
    return render(
        request,
        "supervision/task.html",
        {
            "task": task,
            "flag": flag,
            "on": on,
            "can_confirm": request.user.is_city_admin and not task.confirmed,
            "milestones": task.milestones.all(),
            "updates": task.updates.select_related("reported_by"),
            "progress_form": restore_form(
                request,
                f"progress-{task.pk}",
                ProgressForm,
                initial={"progress": task.progress, "as_of": timezone.localdate()},
            )
            if reporter
            else None,
            "milestone_form": restore_form(request, f"milestone-{task.pk}", MilestoneForm)
            if services.can_edit_tasks(request.user, task.platform)
            else None,
            "done_form": restore_form(
                request,
                f"done-{task.pk}",
                MilestoneDoneForm,
                initial={"done_on": timezone.localdate()},
            )
            if reporter
            else None,
        },
    )


@role_required(*OFFICIALS)
@require_POST
def task_progress(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    task = selectors.scoped_task(request.user, pk)
    form = ProgressForm(request.POST)
    if not form.is_valid():
        refuse_form(request, f"progress-{pk}")
        return redirect("supervision:task", pk=pk)
    try:
        services.task_report_progress(task, user=request.user, request=request, **form.cleaned_data)
        messages.success(request, "进度已更新")
    except Refused as refused:
        refuse_form(request, f"progress-{pk}", refused)
    return redirect("supervision:task", pk=pk)


@role_required(*OFFICIALS)
@require_POST
def task_confirm(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    task = selectors.scoped_task(request.user, pk)
    try:
        services.task_confirm(task, user=request.user, request=request)
        messages.success(request, "已确认，该任务计入按期完成率")
    except Refused as refused:
        messages.error(request, str(refused))
    return redirect("supervision:task", pk=pk)


@role_required(*OFFICIALS)
@require_POST
def milestone_add(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    task = selectors.scoped_task(request.user, pk)
    form = MilestoneForm(request.POST)
    if not form.is_valid():
        refuse_form(request, f"milestone-{pk}")
        return redirect("supervision:task", pk=pk)
    try:
        services.milestone_add(task, user=request.user, request=request, **form.cleaned_data)
        messages.success(request, "已新增节点")
    except Refused as refused:
        refuse_form(request, f"milestone-{pk}", refused)
    return redirect("supervision:task", pk=pk)


@role_required(*OFFICIALS)
@require_POST
def milestone_done(request: AuthenticatedRequest, pk: int, mid: int) -> HttpResponse:
    task = selectors.scoped_task(request.user, pk)
    milestone = task.milestones.filter(pk=mid).first()
    if milestone is None:
        raise Http404("没有找到该节点")
    form = MilestoneDoneForm(request.POST)
    if not form.is_valid():
        refuse_form(request, f"done-{pk}")
        return redirect("supervision:task", pk=pk)
    try:
        services.milestone_complete(
            milestone, user=request.user, request=request, **form.cleaned_data
        )
        messages.success(request, "节点已确认完成")
    except Refused as refused:
        refuse_form(request, f"done-{pk}", refused)
    return redirect("supervision:task", pk=pk)


@role_required(*OFFICIALS)
def alert_list(request: AuthenticatedRequest) -> HttpResponse:
    on, rules = _on(request), load_rules()
    return render(
        request,
        "supervision/alerts.html",
        {
            "on": on,
            "rules": rules,
            "alerts": selectors.alerts(selectors.tasks_for(request.user), on, rules),
        },
    )


@role_required(*OFFICIALS)
def alert_export(request: AuthenticatedRequest) -> HttpResponse:
    on, rules = _on(request), load_rules()
    found = selectors.alerts(selectors.tasks_for(request.user), on, rules)
    audit_record(AuditEvent.Action.EXPORT, request=request, detail=f"导出作战图预警清单（{on}）")
    return attachment(exports.alerts_xlsx(found, on), f"{exports.alerts_title(on)}.xlsx")


@role_required(*OFFICIALS)
def platform_export(request: AuthenticatedRequest, code: str) -> HttpResponse:
    platform = scoped_platform(request.user, code)
    on, rules = _on(request), load_rules()
    audit_record(
        AuditEvent.Action.EXPORT, request=request, obj=platform, detail=f"导出作战图（{on}）"
    )
    return attachment(
        exports.battle_map_xlsx(platform, on, rules),
        f"{exports.battle_map_title(platform, on)}.xlsx",
    )


@role_required(*OFFICIALS)
def completion(request: AuthenticatedRequest) -> HttpResponse:
    today = timezone.localdate()
    try:
        year = int(request.GET.get("year", today.year))
        quarter = int(request.GET["quarter"]) if request.GET.get("quarter") else None
        rates = selectors.task_completion_rates(year, quarter)
    except ValueError:
        raise Http404("年度或季度无效") from None
    visible = {p.code: p for p in platforms_for(request.user)}
    return render(
        request,
        "supervision/completion.html",
        {
            "year": year,
            "quarter": quarter,
            "quarters": (1, 2, 3, 4),
            "rows": [(visible[c], r) for c, r in rates.items() if c in visible],
        },
    )
