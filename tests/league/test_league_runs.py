"""Runs over several periods of the demo dataset: inputs only from approved reports, frozen and
reproducible runs, corrections making new runs, groups, lists, proposals and pay pools."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from itertools import pairwise

import polars as pl
import pytest
from django.db.models import Sum

from pingtai.accounts.models import User
from pingtai.audit.models import AuditEvent
from pingtai.core.refusal import Refused
from pingtai.league import inputs, selectors, services
from pingtai.league.demo import fill_template, load_demo
from pingtai.league.models import LeagueRun, PayPool, TierProposal
from pingtai.registry.models import EnterpriseYear, Platform
from pingtai.reporting.models import ReportingPeriod, Submission
from pingtai.reporting.services import (
    approved_version,
    requirement_template,
    submission_upload,
    version_values,
)
from pingtai.reporting.workflow import submission_transition

pytestmark = pytest.mark.django_db


def admin() -> User:
    return User.objects.get(username="admin")


def test_demo_reports_went_through_the_workflow_and_are_locked(league_demo):
    assert league_demo.report.uploaded == 66 and league_demo.report.periods_opened == 6
    assert league_demo.report.periods_closed == 6
    assert not ReportingPeriod.objects.filter(
        code__in=league_demo.quarters, status=ReportingPeriod.Status.OPEN
    ).exists()
    subs = Submission.objects.filter(
        requirement__form_code="platform_quarterly",
        requirement__period__code__in=["2023Q2", "2024Q4"],
    )
    assert subs.count() == 22
    for sub in subs.select_related("approved_version", "requirement__platform"):
        assert sub.status == Submission.Status.LOCKED
        version = sub.approved_version
        assert version.approved_by.username == "admin"
        assert version.uploaded_by.username == f"pt_{sub.requirement.platform.code.lower()}"
        assert version.filename.endswith("（演示数据）.xlsx")
    assert AuditEvent.objects.filter(action=AuditEvent.Action.LOCK).count() >= 66


def test_demo_loader_is_idempotent(league_demo):
    again = load_demo(admin=admin(), quarters=league_demo.quarters)
    assert (again.uploaded, again.periods_opened, again.skipped) == (0, 0, 66)


def test_year_end_reports_equal_the_enterprise_totals(league_demo):
    for platform in Platform.objects.all():
        values = version_values(approved_version("platform_quarterly", "2024Q4", platform.code))[
            platform.code
        ]
        rows = EnterpriseYear.objects.filter(year=2024, enterprise__platform=platform)
        sums = rows.aggregate(output=Sum("output_wan"), tax=Sum("tax_wan"), rd=Sum("rd_wan"))
        assert values["industrial_output"] == Decimal(sums["output"]).quantize(Decimal("0.01"))
        assert values["rd_expenditure"] == Decimal(sums["rd"]).quantize(Decimal("0.01"))
        assert values["above_scale_output"] <= values["industrial_output"]
        assert (
            values["hightech_value_added"]
            <= values["above_scale_value_added"]
            <= values["above_scale_output"]
        )
        h1 = version_values(approved_version("platform_quarterly", "2024Q2", platform.code))[
            platform.code
        ]
        assert (
            Decimal("0.45")
            < h1["industrial_output"] / values["industrial_output"]
            < Decimal("0.53")
        )


def test_runs_cover_several_periods_with_their_own_methods(league_demo):
    runs = [league_demo.q3, league_demo.q4, league_demo.y23, league_demo.y24, league_demo.h1]
    assert [r.method_id for r in runs] == ["lishui-platform-quarter"] * 2 + [
        "lishui-platform-annual"
    ] * 2 + ["lishui-platform-midyear"]
    for run in runs:
        assert run.results.count() == 11
        assert len(run.provenance["reported"]) == 11
        assert {c.id: c.weight for c in selectors.direction_columns(run)}["process"] == {
            "lishui-platform-quarter": 40,
            "lishui-platform-annual": 15,
            "lishui-platform-midyear": 30,
        }[run.method_id]
        for r in run.results.all():
            assert r.score == pytest.approx(sum(r.directions.values()))
            assert 0 <= r.score <= 100
    assert (
        league_demo.q4.provenance["data_period"] == "2024Q4"
        and league_demo.q4.provenance["enterprise_year"] == 2023
    )
    assert league_demo.y24.provenance["enterprise_year"] == 2024
    assert league_demo.h1.provenance["data_period"] == "2024Q2"
    # Quarterly scores differ between periods: the reports differ.
    q3 = dict(league_demo.q3.results.values_list("platform_code", "score"))
    q4 = dict(league_demo.q4.results.values_list("platform_code", "score"))
    assert q3 != q4


def test_snapshot_holds_approved_values_and_enterprise_ratios(league_demo):
    run = league_demo.y24
    frame = inputs.snapshot_frame(bytes(run.input_snapshot.content))
    ls01 = frame.filter(pl.col("platform_code") == "LS01").row(0, named=True)
    values = version_values(approved_version("platform_quarterly", "2024Q4", "LS01"))["LS01"]
    assert ls01["trade_total"] == float(values["trade_total"])
    assert ls01["trade_total_ly"] == float(
        version_values(approved_version("platform_quarterly", "2023Q4", "LS01"))["LS01"][
            "trade_total"
        ]
    )
    fig = EnterpriseYear.objects.filter(year=2024, enterprise__platform__code="LS01").aggregate(
        tax=Sum("tax_wan"), land=Sum("land_mu")
    )
    result = run.results.get(platform_code="LS01")
    assert result.values["tax_per_mu"]["value"] == pytest.approx(
        float(fig["tax"]) / float(fig["land"]), rel=1e-9
    )
    assert ls01["league_group"] == "一心"


def test_growth_is_missing_without_last_year_and_scored_at_the_average(league_demo):
    scores = {r.platform_code: r.values["output_growth"] for r in league_demo.y23.results.all()}
    assert all(v["value"] is None for v in scores.values())
    assert len({round(v["score"], 9) for v in scores.values()}) == 1
    grown = {r.values["output_growth"]["value"] for r in league_demo.y24.results.all()}
    assert None not in grown and len(grown) > 5


def test_a_published_run_reproduces_and_refuses_a_second_publication(league_demo):
    run = league_demo.y24
    assert services.run_reproduces(run)
    with pytest.raises(Refused, match="已发布"):
        services.run_publish(run, user=admin())


def test_groups_rank_within_themselves(league_demo):
    ranking = selectors.ranking(league_demo.q4)
    assert [g.label for g in ranking.groups] == ["一心", "两翼", "三片区"]
    assert [len(g.rows) for g in ranking.groups] == [2, 3, 6]
    for g in ranking.groups:
        scores = [row.result.score for row in g.rows]
        assert scores == sorted(scores, reverse=True)
        assert [row.result.rank_order for row in g.rows] == list(range(1, len(g.rows) + 1))
    size = selectors.ranking(league_demo.h1)
    assert size.groups[0].label == "300亿元以上"
    assert sum(len(g.rows) for g in size.groups) == 11


def test_changes_against_the_previous_quarter_and_the_previous_year(league_demo):
    ranking = selectors.ranking(league_demo.q4)
    assert ranking.comparators["环比"] == league_demo.q3 and ranking.comparators["同比"] is None
    previous = dict(league_demo.q3.results.values_list("platform_code", "score"))
    for g in ranking.groups:
        for row in g.rows:
            assert row.score_change["环比"] == pytest.approx(
                row.result.score - previous[row.result.platform_code]
            )
    yearly = selectors.ranking(league_demo.y24)
    assert yearly.comparators["同比"] == league_demo.y23 and yearly.comparators["环比"] is None


def test_interview_list_is_the_last_of_each_group_with_its_robustness(league_demo):
    entries, applies = selectors.interview_list(league_demo.y24)
    assert applies
    results = list(league_demo.y24.results.all())
    sizes = {r.group: r.group_size for r in results}
    # 一心 has two platforms: its second is not 约谈 by being second of two (league-v1.toml).
    assert sizes["一心"] == 2
    large = {g for g, n in sizes.items() if n >= 3}
    lowest = {g: min(r.score for r in results if r.group == g) for g in large}
    listed = {e.result.platform_code for e in entries}
    expected = {r.platform_code for r in results if r.group in large and r.score == lowest[r.group]}
    city_last = min(r.score for r in results)
    expected |= {r.platform_code for r in results if sizes[r.group] < 3 and r.score == city_last}
    assert listed == expected
    for e in entries:
        assert e.result.is_last
        assert e.result.p_last is not None and 0 <= e.result.p_last <= 1
        assert e.robustness.startswith("末位稳健" if e.result.p_last >= 0.8 else "末位不稳健")
    quarterly, applies_quarterly = selectors.interview_list(league_demo.q4)
    assert not applies_quarterly and "一心" not in {e.result.group for e in quarterly}
    assert any("一心组只有 2 个平台" in b for b in selectors.run_decisions(league_demo.q4).basis)


def test_no_run_puts_a_platform_on_both_lists_or_a_weak_grade_in_front(league_demo):
    for run in (league_demo.q3, league_demo.q4, league_demo.y23, league_demo.y24, league_demo.h1):
        bottom = {e.result.platform_code for e in selectors.interview_list(run)[0]}
        top = selectors.top_list(run)
        assert not bottom & {e.result.platform_code for e in top}, run
        assert all(e.result.klass in ("优秀", "良好") for e in top), run
        ranks = sorted(run.results.values_list("score", "overall_rank"), reverse=True)
        for (s1, r1), (s2, r2) in pairwise(ranks):
            assert (r1 == r2) if s1 == s2 else (r2 > r1)


def test_top_list_has_group_winners_overall_top_and_a_national_candidate(league_demo):
    run = league_demo.y24
    entries = selectors.top_list(run)
    listed = {e.result.platform_code for e in entries}
    bottom = {e.result.platform_code for e in selectors.interview_list(run)[0]}
    eligible = run.results.filter(klass__in=["优秀", "良好"]).exclude(platform_code__in=bottom)
    winners = {r.platform_code for r in eligible.filter(rank=1, group_size__gte=2)}
    assert winners <= listed
    assert {r.platform_code for r in eligible.filter(overall_rank__lte=3)} <= listed
    national = [e for e in entries if "国家级" in e.reason]
    assert len(national) == 1 and national[0].result.platform.level != Platform.Level.NATIONAL
    # Group winners graded below 良好 are named with the rule that leaves them off, not
    # silently dropped.
    for r in run.results.filter(rank=1).exclude(klass__in=["优秀", "良好"]):
        assert any(r.platform.short_name in n for n in selectors.run_decisions(run).notes)


def test_correction_after_publication_makes_a_new_run_and_leaves_the_published_one(league_demo):
    published = league_demo.q4
    before_hash = published.result_hash
    before_scores = dict(published.results.values_list("platform_code", "score"))
    snapshot = bytes(published.input_snapshot.content)
    # LS11 corrects its locked 2024Q4 report: trade doubles.
    sub = Submission.objects.select_related("requirement__platform", "requirement__period").get(
        requirement__form_code="platform_quarterly",
        requirement__period__code="2024Q4",
        requirement__platform__code="LS11",
    )
    old = version_values(sub.approved_version)["LS11"]
    corrected = dict(old.items())
    corrected["trade_total"] = old["trade_total"] * 2
    data = fill_template(requirement_template(sub.requirement), corrected)
    attempt = submission_upload(
        sub.requirement,
        user=User.objects.get(username="pt_ls11"),
        data=data,
        filename="更正.xlsx",
        reason="海关数据更正",
    )
    if attempt.outcome == "confirm":
        from pingtai.reporting.services import attempt_confirm

        attempt = attempt_confirm(
            attempt,
            user=User.objects.get(username="pt_ls11"),
            confirmed=[c["id"] for c in attempt.confirmations],
        )
    assert attempt.outcome == "accepted"
    sub.refresh_from_db()
    submission_transition(sub.pk, "approve", user=admin(), seen_revision=sub.revision)
    published.refresh_from_db()
    assert (
        published.result_hash == before_hash and bytes(published.input_snapshot.content) == snapshot
    )
    assert dict(published.results.values_list("platform_code", "score")) == before_scores
    assert services.run_reproduces(published)
    correction = services.run_create("quarter", "2024Q4", user=admin(), robustness_draws=50)
    with pytest.raises(Refused, match=f"已有现行结果.*--supersede {published.pk}"):
        services.run_publish(correction, user=admin())
    with pytest.raises(Refused, match="更正理由"):
        services.run_publish(correction, user=admin(), supersede=published)
    new = services.run_publish(
        correction, user=admin(), supersede=published, reason="云和经开区更正 2024Q4 外贸总额"
    )
    published.refresh_from_db()
    assert new.supersede_reason == "云和经开区更正 2024Q4 外贸总额"
    assert any(d["entity"] == "LS11" for d in new.supersede_diff)
    assert published.status == LeagueRun.Status.SUPERSEDED and new.supersedes == published
    assert new.input_hash != published.input_hash
    assert new.results.get(platform_code="LS11").values["trade_total"]["value"] == pytest.approx(
        2 * published.results.get(platform_code="LS11").values["trade_total"]["value"]
    )
    assert dict(published.results.values_list("platform_code", "score")) == before_scores


def test_unapproved_reports_are_not_read(league_demo):
    # A draft correction of LS02's 2024Q3 report changes nothing until it is approved.
    sub = Submission.objects.select_related("requirement").get(
        requirement__form_code="platform_quarterly",
        requirement__period__code="2024Q3",
        requirement__platform__code="LS02",
    )
    values = version_values(sub.approved_version)["LS02"]
    changed = {**values, "major_projects_signed": values["major_projects_signed"] + 40}
    submission_upload(
        sub.requirement,
        user=User.objects.get(username="pt_ls02"),
        data=fill_template(requirement_template(sub.requirement), changed),
        filename="草稿.xlsx",
        reason="补报项目",
    )
    run = services.run_create("quarter", "2024Q3", user=admin(), robustness_draws=0)
    assert run.input_hash == league_demo.q3.input_hash


def test_task_completion_from_supervision_enters_the_process_score(league_demo):
    from pingtai.supervision.models import Task

    ls05 = Platform.objects.get(code="LS05")
    Task.objects.create(
        platform=ls05,
        title="标准厂房二期",
        owner="管委会",
        start_date=dt.date(2024, 1, 1),
        deadline=dt.date(2024, 6, 30),
        completed_on=None,
    )
    run = services.run_create("year", "2024", user=admin(), robustness_draws=0)
    values = {r.platform_code: r.values["task_completion"]["value"] for r in run.results.all()}
    assert values["LS05"] < 100
    assert values["LS05"] == min(values.values())


def test_on_time_rate_counts_late_first_uploads(league_demo):
    rates = inputs.ontime_rates(inputs.cycle_period("year", "2024"))
    assert set(rates) == {p.code for p in Platform.objects.all()}
    assert min(rates.values()) < 100 and max(rates.values()) == 100


def test_refusals(league_demo):
    with pytest.raises(Refused, match="期别 2024Q4 与周期不符"):
        services.run_create("year", "2024Q4", user=admin())
    with pytest.raises(Refused, match="只针对上半年"):
        services.run_create("half", "2024H2", user=admin())
    with pytest.raises(Refused, match="没有任何审核通过的平台季报"):
        services.run_create("quarter", "2022Q4", user=admin())
    with pytest.raises(Refused, match="已发布的批次"):
        services.pay_pool_create(league_demo.h1, Decimal("100"), user=admin())
    with pytest.raises(Refused, match="年终考核"):
        services.proposals_make(league_demo.q4, user=admin())


def test_proposals_need_approval_and_approval_changes_the_tier_with_an_audit_entry(league_demo):
    made = services.proposals_make(league_demo.y24, user=admin())
    assert made and all(p.status == TierProposal.Status.PROPOSED for p in made)
    tiers_before = dict(Platform.objects.values_list("code", "tier"))
    assert all(tiers_before[p.platform.code] == p.from_tier for p in made)
    with pytest.raises(Refused, match="已生成"):
        services.proposals_make(league_demo.y24, user=admin())
    first = made[0]
    with pytest.raises(Refused, match="市级管理员"):
        services.proposal_decide(first, user=User.objects.get(username="leader"), approve=True)
    services.proposal_decide(first, user=admin(), approve=True, note="同意")
    platform = Platform.objects.get(pk=first.platform_id)
    assert platform.tier == first.to_tier
    entry = AuditEvent.objects.filter(
        action=AuditEvent.Action.UPDATE, object_repr=str(platform)
    ).first()
    assert entry.before == {"tier": first.from_tier} and entry.after == {"tier": first.to_tier}
    if len(made) > 1:
        with pytest.raises(Refused, match="必须填写意见"):
            services.proposal_decide(made[1], user=admin(), approve=False)
        services.proposal_decide(made[1], user=admin(), approve=False, note="暂缓")
        assert Platform.objects.get(pk=made[1].platform_id).tier == made[1].from_tier


def test_pay_pool_from_a_published_run_adds_up_exactly(league_demo):
    pool = services.pay_pool_create(
        league_demo.y24, Decimal("1234.57"), user=admin(), note="2024 年度"
    )
    shares = list(pool.shares.all())
    assert len(shares) == 11
    assert sum(s.amount_wan for s in shares) == Decimal("1234.57")
    assert all(pool.floor_wan <= s.amount_wan <= pool.cap_wan for s in shares)
    best = max(shares, key=lambda s: s.score)
    worst = min(shares, key=lambda s: s.score)
    assert best.amount_wan > worst.amount_wan
    assert PayPool.objects.filter(run=league_demo.y24).count() == 1


def test_year_without_prior_year_reports_scores_growth_as_the_method_says(league_demo):
    # 2023 is the first year of reports: nobody has a 2022 figure, so no growth can be
    # measured. The method file says "average score, not penalised" — never 0.
    run = league_demo.y23
    growth = ("investment_growth", "output_growth", "trade_growth", "enterprise_growth")
    for r in run.results.all():
        for ind in growth:
            assert r.values[ind]["value"] is None
            assert r.values[ind]["score"] > 0, (r.platform_code, ind)
    text = "\n".join(run.warnings)
    assert "“工业投资增速”缺少数据" in text and "不扣分" in text
    assert "LS0" not in text  # platforms are named, not coded
    page_warnings = run.warnings
    assert any("全部参评主体均无此数据" in w for w in page_warnings)


def test_a_preview_with_missing_reports_warns_and_lets_no_list_order_decide(league_demo):
    # Ten of eleven platforms have no approved 2024Q3 report (rolled back after the test).
    keep = "LS01"
    Submission.objects.filter(
        requirement__form_code="platform_quarterly", requirement__period__code="2024Q3"
    ).exclude(requirement__platform__code=keep).update(
        approved_version=None, status=Submission.Status.SUBMITTED
    )
    run = services.run_create("quarter", "2024Q3", user=admin(), robustness_draws=0)
    missing = Platform.objects.exclude(code=keep)
    warning = next(w for w in run.warnings if "未审核通过季报的平台" in w)
    assert all(p.short_name in warning for p in missing)
    found = selectors.run_decisions(run)
    scores = dict(run.results.values_list("platform_code", "score"))
    for entry in [*found.interview, *found.top]:
        tied = [c for c, s in scores.items() if s == scores[entry.code] and c != entry.code]
        # A place shared with another platform is never settled by list order.
        if tied and entry.pending is False:
            same_group = run.results.get(platform_code=entry.code).group
            assert not run.results.filter(platform_code__in=tied, group=same_group).exists()
        if entry.code != keep:
            name = Platform.objects.get(code=entry.code).short_name
            assert any(name in w and "没有审核通过的季报" in w for w in found.warnings)
    # Publishing it is refused without an override reason (the publish gate).
    with pytest.raises(Refused, match="10 项报送尚未审核通过"):
        services.run_publish(run, user=admin(), supersede=league_demo.q3, reason="更正")
