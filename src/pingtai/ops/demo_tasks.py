"""Demo work in progress, so that every role finds something to do on first login and no
module page is empty after ``pingtai setup-demo`` (docs/deployment.md, "The demo").

Everything goes through the services a person would use, is audited like their work, and is
idempotent: a step that finds its result already there does nothing.

- an open quarter (the one after the demo's reported quarters) and the annual period, with
  deadlines a few days ahead: every platform and department has a report due (即将逾期);
- 丽水经开区's quarterly report uploaded with 税收收入 entered in 千元 instead of 万元 (×10
  against the same quarter last year): the uploader confirmed it, so the city administrator
  finds it in 待审核 highlighted as a suspected slip; 龙泉经开区's report returned with a reason,
  so that platform finds it in 已退回;
- a 2025 land quota pool with every platform's demand and a computed (not published)
  allocation; project proposals, two checked against the admission rules and one waiting;
- the benefit-sharing agreements of the planning module, settled for the data year;
- a 并提撤转 classification batch left for decision: its proposals that depart from the plan
  are what the leader finds in 待领导小组审定.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from pingtai.accounts.models import User
from pingtai.core.dates import day_text
from pingtai.core.refusal import Refused
from pingtai.registry.models import Enterprise, Platform

DUE_IN_DAYS = 5
SLIP_PLATFORM, RETURNED_PLATFORM = "LS01", "LS03"
RETURN_REASON = "研发经费支出与统计部门核定数不符，请核实后重新上传"
LAND_POOL_MU = Decimal(3000)


@dataclass
class DemoTasks:
    lines: list[str] = field(default_factory=list)

    def say(self, text: str) -> None:
        self.lines.append(text)


def load_demo_tasks(admin: User) -> DemoTasks:
    report = DemoTasks()
    for step in (_reporting, _allocation, _agreements, _planning):
        try:
            step(admin, report)
        except Refused as refused:  # shown, never hidden: the demo says what it could not do
            report.say(f"未完成：{refused}")
    return report


# ---------------------------------------------------------------- reporting


def _next_quarter() -> str:
    from pingtai.catalogue import parse_period
    from pingtai.reporting.models import ReportingPeriod

    latest = (
        ReportingPeriod.objects.filter(kind=ReportingPeriod.Kind.QUARTER)
        .order_by("-ends_on")
        .first()
    )
    if latest is None:
        return "2025Q1"
    period = parse_period(latest.code)
    return f"{period.year + 1}Q1" if period.index == 4 else f"{period.year}Q{period.index + 1}"


def _reporting(admin: User, report: DemoTasks) -> None:
    from pingtai.catalogue import parse_period
    from pingtai.reporting.models import ReportingPeriod
    from pingtai.reporting.services import period_open

    open_quarter = ReportingPeriod.objects.filter(
        status=ReportingPeriod.Status.OPEN, kind=ReportingPeriod.Kind.QUARTER
    ).first()
    if open_quarter is not None:
        _quarterly_examples(open_quarter.code, admin, report)
        return
    quarter = parse_period(_next_quarter())
    today = timezone.localdate()
    for period in (quarter, parse_period(str(quarter.year))):
        if ReportingPeriod.objects.filter(code=period.code).exists():
            continue
        opened = period_open(
            period.code,
            user=admin,
            deadline=max(today + dt.timedelta(days=DUE_IN_DAYS), period.end),
        )
        deadline = opened.requirements.values_list("deadline", flat=True).first()
        report.say(f"已开启{period.label}填报，截止 {day_text(deadline)}。")
    _quarterly_examples(quarter.code, admin, report)


def _last_year_values(platform: Platform, code: str) -> dict[str, Decimal]:
    from pingtai.catalogue import parse_period
    from pingtai.reporting.services import approved_version, version_values

    last_year = parse_period(code).same_period_last_year().code
    values = version_values(approved_version("platform_quarterly", last_year, platform.code))
    return values.get(platform.code, {})


def _quarterly_examples(code: str, admin: User, report: DemoTasks) -> None:
    from pingtai.league.demo import fill_template
    from pingtai.reporting.models import Requirement, Submission, UploadAttempt
    from pingtai.reporting.services import attempt_confirm, requirement_template, submission_upload
    from pingtai.reporting.workflow import submission_transition

    for platform_code, slip in ((SLIP_PLATFORM, True), (RETURNED_PLATFORM, False)):
        requirement = Requirement.objects.filter(
            period__code=code, form_code="platform_quarterly", platform__code=platform_code
        ).first()
        if requirement is None or requirement.submission.latest_version_id is not None:
            continue
        platform = requirement.platform
        if platform is None:  # a platform form always names its platform
            continue
        base = _last_year_values(platform, code)
        if not base:
            report.say(f"{platform.short_name}无上年同期数据，未生成示例报表。")
            continue
        values: dict[str, object] = {
            k: (v * Decimal("1.06")).quantize(Decimal("0.01")) for k, v in base.items()
        }
        for count in ("above_scale_enterprises", "major_projects_signed", "rd_institutions"):
            if count in base:
                values[count] = int(base[count])
        for stock in ("management_bodies", "management_staff", "innovation_complexes"):
            if stock in base:
                values[stock] = int(base[stock])
        if "developable_area" in base:
            values["developable_area"] = base["developable_area"]
        if slip:  # 千元 typed into a 万元 column
            values["tax_revenue"] = (base["tax_revenue"] * 10).quantize(Decimal(1))
        officer = User.objects.filter(platform=platform, role=User.Role.PLATFORM).first()
        if officer is None:
            raise Refused(f"{platform.short_name}没有平台用户，无法生成演示报表")
        data = fill_template(requirement_template(requirement), values)
        name = f"{code}-{platform_code}-平台季报（演示数据）.xlsx"
        attempt = submission_upload(requirement, user=officer, data=data, filename=name)
        if attempt.outcome == UploadAttempt.Outcome.NEEDS_CONFIRMATION:
            attempt = attempt_confirm(
                attempt, user=officer, confirmed=[c["id"] for c in attempt.confirmations]
            )
        if attempt.outcome != UploadAttempt.Outcome.ACCEPTED:
            details = "；".join(e["text"] for e in attempt.errors) or attempt.message
            raise Refused(f"演示报表上传未成功：{details}")
        sub = Submission.objects.get(requirement=requirement)
        sub = submission_transition(sub.pk, "submit", user=officer, seen_revision=sub.revision)
        if not slip:
            submission_transition(
                sub.pk, "return", user=admin, seen_revision=sub.revision, reason=RETURN_REASON
            )
            report.say(f"{platform.short_name}的季报已提交并被退回（演示）。")
        else:
            report.say(
                f"{platform.short_name}的季报已提交待审核，其中税收收入疑似按“千元”填报（演示）。"
            )


# ---------------------------------------------------------------- 要素配置, 项目准入


def _allocation(admin: User, report: DemoTasks) -> None:
    from pingtai.allocation import services
    from pingtai.allocation.models import ProjectProposal, QuotaPool

    year = 2025
    pool = QuotaPool.objects.filter(kind="land", year=year).first()
    if pool is None:
        pool = services.pool_create(
            "land", year, LAND_POOL_MU, user=admin, note="演示数据：年度新增建设用地指标"
        )
        for platform in Platform.objects.order_by("code"):
            officer = User.objects.filter(platform=platform, role=User.Role.PLATFORM).first()
            area = platform.developable_area_mu or Decimal(2000)
            demand = max(Decimal(50), (area * Decimal("0.06")).quantize(Decimal(10)))
            services.demand_submit(
                pool,
                platform,
                demand,
                (demand * Decimal("0.4")).quantize(Decimal(10)),
                user=officer or admin,
                note="演示数据",
            )
        report.say(f"已建立{year}年度用地指标池（{LAND_POOL_MU} 亩）及各平台需求。")
    if not pool.runs.exists():
        run = services.allocation_run(pool, "land-platform-default", user=admin)
        report.say(f"已计算平台间用地配置方案（{run.name}，未发布）。")
    if not ProjectProposal.objects.exists():
        for code, name, intensity, check in (
            ("LS01", "精密部件智能制造项目（演示）", Decimal(400), True),
            ("LS04", "阀门铸造技改项目（演示）", Decimal(120), True),
            ("LS07", "汽摩配件扩产项目（演示）", Decimal(350), False),
        ):
            platform = Platform.objects.get(code=code)
            firm = (
                Enterprise.objects.filter(platform=platform, years__year=2024)
                .order_by("uscc")
                .first()
            )
            officer = User.objects.filter(platform=platform, role=User.Role.PLATFORM).first()
            land = Decimal(50)
            proposal = services.proposal_create(
                {
                    "name": name,
                    "applicant": firm.name if firm is not None else "演示投资主体",
                    "enterprise": firm,
                    "year": year,
                    "proposal_date": dt.date(year, 2, 1),
                    "location_zone": None,
                    "land_source": "new",
                    "land_use": "industrial",
                    "land_mu": land,
                    "floor_area_ratio": Decimal("1.5"),
                    "investment_wan": land * intensity,
                    "expected_output_wan": land * intensity * 2,
                    "expected_value_added_wan": land * intensity / 2,
                    "expected_tax_wan": land * intensity / 10,
                    "energy_tce": Decimal(2000),
                    "emission_t": Decimal(50),
                    "funds_wan": Decimal(0),
                    "industry_code": "3484",
                    "major": code == "LS01",
                },
                platform=platform,
                user=officer or admin,
            )
            if check:
                services.admission_check(proposal, user=admin)
        report.say("已登记项目准入申报 3 项（2 项已审查，1 项待审查）。")


# ---------------------------------------------------------------- 利益共享, 并提撤转


def _agreements(admin: User, report: DemoTasks) -> None:
    from pingtai.planning.models import Agreement, Settlement
    from pingtai.planning.services import agreements_load_demo, settlement_create
    from pingtai.registry.selectors import available_years

    created, _ = agreements_load_demo(user=admin)
    if created:
        report.say(f"已登记利益共享协议 {created} 份。")
    years = available_years()
    if not years or Settlement.objects.exists():
        return
    for agreement in Agreement.objects.order_by("code"):
        if agreement.start_year <= years[-1] <= agreement.end_year:
            settlement_create(
                agreement, year=years[-1], cost_yuan=Decimal("1000000.00"), user=admin
            )
            report.say(f"已按{years[-1]}年数据结算协议 {agreement.code}。")


def _planning(admin: User, report: DemoTasks) -> None:
    from pingtai.planning.models import ClassificationRun
    from pingtai.planning.services import classification_create
    from pingtai.registry.selectors import available_years

    years = available_years()
    if not years or ClassificationRun.objects.exists():
        return
    run = classification_create(year=years[-1], as_of=timezone.localdate(), user=admin)
    flagged = sum(1 for i in run.items.select_related("current_platform") if i.conflicts)
    report.say(
        f"已生成并提撤转分类建议（{run.name}，待审定；{flagged} 项与方案不一致，待领导小组研究）。"
    )
