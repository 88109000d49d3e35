"""League pages: runs and rankings, scorecards, 约谈/前列名单, 进退档, pay pools, target board.

Every view checks the role and the platform scope: previews are the city administrator's
only; a platform user reads the published ranking and its own scorecard, and gets 404 for
another platform's scorecard.
"""

from __future__ import annotations

from django.conf import settings as django_settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
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
from pingtai.league import exports, followup, rules, selectors, services
from pingtai.league.board import build_board
from pingtai.league.forms import (
    CloseForm,
    DecideForm,
    MeasuresForm,
    MeetingForm,
    ObjectionDecideForm,
    ObjectionForm,
    PayPoolForm,
    ReviewForm,
    RunForm,
)
from pingtai.league.models import LeagueRun, Objection, PayPool, TierProposal
from pingtai.registry import selectors as registry_selectors
from pingtai.registry.models import Platform
from pingtai.runs import kernel
from pingtai.runs.web import PublishForm, publish_from_request, publish_panel
from pingtai.web.downloads import attachment
from pingtai.web.forms import refuse_form, restore_form
from pingtai.web.params import year_param

CITY_ROLES = (User.Role.CITY_ADMIN, User.Role.LEADER)


def _xlsx(request: HttpRequest, content: bytes, name: str, obj=None) -> HttpResponse:
    audit_record(AuditEvent.Action.EXPORT, request=request, obj=obj, detail=f"导出 {name}")
    return attachment(content, name)


@role_required(*OFFICIALS)
def index(request: AuthenticatedRequest) -> HttpResponse:
    return render(
        request,
        "league/index.html",
        {
            "runs": selectors.runs_for(request.user).select_related("created_by", "published_by"),
            "run_form": restore_form(
                request,
                "league-run",
                RunForm,
                initial={"cycle": "quarter", "period": "2024Q4", "grouping": "role"},
            )
            if request.user.is_city_admin
            else None,
            "assumptions": rules.load_rules().rules.all_assumptions,
        },
    )


@role_required(User.Role.CITY_ADMIN)
@require_POST
def run_create(request: AuthenticatedRequest) -> HttpResponse:
    form = RunForm(request.POST)
    if not form.is_valid():
        refuse_form(request, "league-run")
        return redirect("league:index")
    try:
        run = services.run_create(
            form.cleaned_data["cycle"],
            form.cleaned_data["period"],
            user=request.user,
            grouping=form.cleaned_data["grouping"],
            robustness_draws=form.cleaned_data["robustness"],
            request=request,
        )
    except Refused as refused:
        refuse_form(request, "league-run", refused)
        return redirect("league:index")
    messages.success(request, f"已生成{run.name}（预览，发布后冻结）")
    return redirect("league:run", pk=run.pk)


@role_required(*OFFICIALS)
def run_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _run_page(request, selectors.scoped_run(request.user, pk))


def _run_page(
    request: AuthenticatedRequest, run: LeagueRun, publish_form: PublishForm | None = None
) -> HttpResponse:
    interview, interview_applies = selectors.interview_list(run)
    own = request.user.platform_id if request.user.role == User.Role.PLATFORM else None
    # The run records its rule file by hash; the assumptions shown are the shipped file's, and
    # the page says so when that file has changed since the run (docs/league.md).
    loaded = rules.load_rules()
    return render(
        request,
        "league/run.html",
        {
            "run": run,
            "assumptions": loaded.rules.all_assumptions,
            "rules_changed": loaded.sha256 != run.rules_hash,
            "ranking": selectors.ranking(run),
            "interview": interview,
            "interview_applies": interview_applies,
            "top": selectors.top_list(run),
            "decisions": selectors.run_decisions(run),
            "tie_decisions": run.tie_decisions.select_related("decided_by"),
            "platform_names": dict(Platform.objects.values_list("code", "short_name")),
            "meetings": {m.platform_id: m for m in run.meetings.select_related("rectification")}
            if request.user.role in CITY_ROLES
            else {},
            "publication": publish_panel(run, request.user, publish_form),
            "publish_url": reverse("league:publish", args=[run.pk]),
            "sees_all": request.user.sees_all_platforms,
            "own_platform": own,
            "city_role": request.user.role in CITY_ROLES,
            "pay_pools": run.pay_pools.all() if request.user.role in CITY_ROLES else [],
            "pay_form": PayPoolForm() if request.user.is_city_admin and run.is_published else None,
        },
    )


@role_required(User.Role.CITY_ADMIN)
@require_POST
def run_publish(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(LeagueRun, pk=pk)
    published, form = publish_from_request(request, run)
    if published:
        return redirect("league:run", pk=pk)
    return _run_page(request, run, form)


@role_required(*OFFICIALS)
def run_export(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    run = selectors.scoped_run(request.user, pk)
    return _xlsx(
        request,
        exports.ranking_xlsx(run),
        f"{run.label}排名.xlsx",
        run,
    )


@role_required(*OFFICIALS)
def lists_export(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    run = selectors.scoped_run(request.user, pk)
    return _xlsx(request, exports.lists_xlsx(run), f"{run.label}约谈与前列名单.xlsx", run)


def _scoped_result(request: AuthenticatedRequest, pk: int, code: str):
    run = selectors.scoped_run(request.user, pk)
    platform = scoped_platform(request.user, code)
    result = run.results.select_related("platform").filter(platform=platform).first()
    if result is None:
        raise Http404("该批次没有这个平台的结果")
    return run, result


@role_required(*OFFICIALS)
def scorecard(request: AuthenticatedRequest, pk: int, code: str) -> HttpResponse:
    run, result = _scoped_result(request, pk, code)
    return render(
        request, "league/scorecard.html", {"run": run, "card": selectors.scorecard(run, result)}
    )


@role_required(*OFFICIALS)
def scorecard_export(request: AuthenticatedRequest, pk: int, code: str) -> HttpResponse:
    run, result = _scoped_result(request, pk, code)
    return _xlsx(
        request,
        exports.scorecard_xlsx(run, result),
        f"{run.label}{result.platform.short_name}评分卡.xlsx",
        run,
    )


@role_required(*CITY_ROLES)
def proposals(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    run = selectors.scoped_run(request.user, pk)
    if request.method == "POST":
        if not request.user.is_city_admin:
            raise PermissionDenied("只有市级管理员可以生成进退档建议")
        try:
            made = services.proposals_make(run, user=request.user, request=request)
        except Refused as refused:
            messages.error(request, str(refused))
        else:
            messages.success(request, f"已生成 {len(made)} 条进退档建议，待审批")
        return redirect("league:proposals", pk=pk)
    loaded = rules.load_rules().rules
    return render(
        request,
        "league/proposals.html",
        {
            "run": run,
            "proposals": run.tier_proposals.select_related("platform", "decided_by"),
            "derived_flags": [
                f for proposal in run.tier_proposals.all() for f in kernel.open_flags(proposal)
            ],
            "tiers": loaded.tiers,
            "decide_form": DecideForm() if request.user.is_city_admin else None,
            "can_make": request.user.is_city_admin
            and run.cycle == LeagueRun.Cycle.YEAR
            and run.is_published,
        },
    )


@role_required(*CITY_ROLES)
def proposals_export(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    run = selectors.scoped_run(request.user, pk)
    return _xlsx(request, exports.proposals_xlsx(run), f"{run.label}进退档建议.xlsx", run)


@role_required(User.Role.CITY_ADMIN)
@require_POST
def proposal_decide(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    proposal = get_object_or_404(TierProposal, pk=pk)
    form = DecideForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请选择批准或不批准")
        return redirect("league:proposals", pk=proposal.run_id)
    try:
        services.proposal_decide(
            proposal,
            user=request.user,
            approve=form.cleaned_data["decision"] == "approve",
            note=form.cleaned_data["note"],
            request=request,
        )
    except Refused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, "已审批")
    return redirect("league:proposals", pk=proposal.run_id)


@role_required(User.Role.CITY_ADMIN)
@require_POST
def tie_decide(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Record which of the tied platforms take a contested place (docs/league.md, "Lists")."""
    run = get_object_or_404(LeagueRun, pk=pk)
    try:
        decision = services.tie_decide(
            run,
            request.POST.get("place", ""),
            request.POST.getlist("platforms"),
            user=request.user,
            reason=request.POST.get("reason", ""),
            request=request,
        )
    except Refused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, f"并列位次“{decision.place}”已决定并记录")
    return redirect("league:run", pk=run.pk)


@role_required(User.Role.CITY_ADMIN)
@require_POST
def pay_pool_create(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(LeagueRun, pk=pk)
    form = PayPoolForm(request.POST)
    try:
        if not form.is_valid():
            raise Refused("请填写薪酬池总额")
        pool = services.pay_pool_create(
            run,
            services.parse_amount(form.cleaned_data["total"]),
            user=request.user,
            note=form.cleaned_data["note"],
            request=request,
        )
    except Refused as refused:
        messages.error(request, str(refused))
        return redirect("league:run", pk=pk)
    return redirect("league:pay_pool", pk=pool.pk)


@role_required(*CITY_ROLES)
def pay_pool(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    pool = get_object_or_404(PayPool.objects.select_related("run", "created_by"), pk=pk)
    shares = list(pool.shares.select_related("platform").order_by("-amount_wan", "platform__code"))
    return render(
        request,
        "league/pay_pool.html",
        {
            "pool": pool,
            "shares": shares,
            "total_check": sum(s.amount_wan for s in shares),
            "derived_flags": kernel.open_flags(pool),
            "rule": rules.load_rules().rules.pay_pool,
        },
    )


@role_required(*CITY_ROLES)
def pay_pool_export(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    pool = get_object_or_404(PayPool, pk=pk)
    return _xlsx(request, exports.pay_pool_xlsx(pool), f"{pool.run.label}绩效薪酬池分配.xlsx", pool)


def _board(request: AuthenticatedRequest):
    board = build_board(year_param(request, registry_selectors.available_years()))
    visible = set(platforms_for(request.user).values_list("pk", flat=True))
    board.rows = [r for r in board.rows if r.platform.pk in visible]
    names = {r.platform.short_name for r in board.rows} | {"全市"}
    board.warnings = [w for w in board.warnings if w[0] in names]
    return board


@role_required(*OFFICIALS)
def targets(request: AuthenticatedRequest) -> HttpResponse:
    return render(request, "league/targets.html", {"board": _board(request)})


@role_required(*OFFICIALS)
def targets_export(request: AuthenticatedRequest) -> HttpResponse:
    board = _board(request)
    return _xlsx(request, exports.board_xlsx(board), f"{board.year}年目标预警.xlsx")


# --- 约谈、整改、异议 -----------------------------------------------------------------------

FOLLOW_UP_ROLES = (User.Role.CITY_ADMIN, User.Role.LEADER, User.Role.PLATFORM)


@role_required(*FOLLOW_UP_ROLES)
def follow_up(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    return render(
        request,
        "league/follow_up.html",
        {
            "rectifications": followup.rectifications_for(user).order_by(
                "meeting__rectify_by", "meeting__platform__code"
            ),
            "objections": followup.objections_for(user),
            "open_runs": followup.open_objection_runs(user),
            "objection_form": ObjectionForm() if user.role == User.Role.PLATFORM else None,
            "decide_form": ObjectionDecideForm() if user.is_city_admin else None,
            "is_admin": user.is_city_admin,
        },
    )


@role_required(User.Role.CITY_ADMIN)
def meeting_new(request: AuthenticatedRequest, pk: int, code: str) -> HttpResponse:
    run = get_object_or_404(LeagueRun, pk=pk)
    platform = get_object_or_404(Platform, code=code)
    form = MeetingForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["minutes"]
        if upload.size > django_settings.PINGTAI_MAX_UPLOAD_BYTES:
            form.add_error("minutes", "纪要文件超过上传大小上限")
        else:
            try:
                meeting = followup.meeting_record(
                    run,
                    platform,
                    user=request.user,
                    held_on=form.cleaned_data["held_on"],
                    attendees=form.cleaned_data["attendees"],
                    minutes=upload.read(),
                    minutes_name=upload.name,
                    rectify_by=form.cleaned_data["rectify_by"],
                    request=request,
                )
            except Refused as refused:
                if refused.field in form.fields:
                    form.add_error(refused.field, refused.message)
                else:
                    messages.error(request, refused.message)
            else:
                messages.success(
                    request,
                    f"已记录与{platform.short_name}的约谈；整改措施报送期限 {meeting.rectify_by}",
                )
                return redirect("league:rectification", pk=meeting.rectification.pk)
    default_deadline = followup.default_rectify_by(run) if run.is_published else None
    return render(
        request,
        "league/meeting_new.html",
        {"run": run, "platform": platform, "form": form, "default_deadline": default_deadline},
    )


@role_required(*FOLLOW_UP_ROLES)
def meeting_minutes(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    meeting = get_object_or_404(
        followup.meetings_for(request.user).select_related("minutes"), pk=pk
    )
    audit_record(
        AuditEvent.Action.DOWNLOAD, request=request, obj=meeting, detail=meeting.minutes_name
    )
    return attachment(bytes(meeting.minutes.content), meeting.minutes_name, meeting.minutes_type)


@role_required(*FOLLOW_UP_ROLES)
def rectification(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    rect = get_object_or_404(followup.rectifications_for(request.user), pk=pk)
    user = request.user
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "submit":
                measures = MeasuresForm(request.POST)
                if not measures.is_valid():
                    raise Refused("请填写整改措施")
                followup.rectification_submit(
                    rect, user=user, measures=measures.cleaned_data["measures"], request=request
                )
                messages.success(request, "整改措施已报送，等待市级审核")
            elif action == "review":
                review = ReviewForm(request.POST)
                if not review.is_valid():
                    raise Refused("请选择同意或退回")
                followup.rectification_review(
                    rect,
                    user=user,
                    accept=review.cleaned_data["decision"] == "accept",
                    note=review.cleaned_data["note"],
                    request=request,
                )
                messages.success(request, "已审核")
            elif action == "close":
                closing = CloseForm(request.POST)
                if not closing.is_valid():
                    raise Refused("销号必须写明整改完成情况")
                followup.rectification_close(
                    rect, user=user, note=closing.cleaned_data["note"], request=request
                )
                messages.success(request, "已销号")
            else:
                raise Refused("未知的操作")
        except Refused as refused:
            messages.error(request, refused.message)
        return redirect("league:rectification", pk=pk)
    rect.refresh_from_db()
    own = user.role == User.Role.PLATFORM and user.platform_id == rect.meeting.platform_id
    return render(
        request,
        "league/rectification.html",
        {
            "rect": rect,
            "meeting": rect.meeting,
            "measures_form": MeasuresForm(initial={"measures": rect.measures})
            if own and rect.status in ("awaiting", "returned")
            else None,
            "review_form": ReviewForm()
            if user.is_city_admin and rect.status == "submitted"
            else None,
            "close_form": CloseForm() if user.is_city_admin and rect.status == "accepted" else None,
        },
    )


@role_required(User.Role.PLATFORM)
@require_POST
def objection_new(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    run = selectors.scoped_run(request.user, pk)
    form = ObjectionForm(request.POST)
    try:
        if not form.is_valid():
            raise Refused("请写明异议内容及依据")
        followup.objection_file(
            run, user=request.user, text=form.cleaned_data["text"], request=request
        )
    except Refused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, "异议已提交，等待市级管理员处理")
    return redirect("league:follow_up")


@role_required(User.Role.CITY_ADMIN)
@require_POST
def objection_decide(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    objection = get_object_or_404(Objection, pk=pk)
    form = ObjectionDecideForm(request.POST)
    try:
        if not form.is_valid():
            raise Refused("请选择处理结果并写明理由")
        followup.objection_decide(
            objection,
            user=request.user,
            uphold=form.cleaned_data["decision"] == "uphold",
            reason=form.cleaned_data["reason"],
            request=request,
        )
    except Refused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, "异议已处理")
    return redirect("league:follow_up")
