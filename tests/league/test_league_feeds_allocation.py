"""The year-end assessment feeds the allocation of land (plan §四(十): 要素支持政策与考评结果
直接挂钩): a rule file with score.source = "league" scores platforms by their published result."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pingtai.accounts.models import User
from pingtai.allocation.services import allocation_prepare, pool_create

pytestmark = pytest.mark.django_db


def test_land_is_scored_by_the_published_year_end_assessment(league_demo):
    pool = pool_create("land", 2025, Decimal("3000.00"), user=User.objects.get(username="admin"))
    prepared = allocation_prepare(pool, "land-platform-league")
    run = league_demo.y24
    published = {r.platform_code: r.score for r in run.results.all()}
    assert {r.code: float(r.score) for r in prepared.recipients} == pytest.approx(
        published, abs=1e-4
    )
    assert f"2024年度年终考核（一心两翼三片区）第{run.pk}号批次" in prepared.score_basis
    best = max(published, key=published.get)
    worst = min(published, key=published.get)
    by_code = {r.code: r for r in prepared.recipients}
    assert by_code[best].score > by_code[worst].score


def test_without_a_published_assessment_the_rule_is_refused():
    from pingtai.core.refusal import Refused

    pool = pool_create("land", 2031, Decimal("100.00"), user=User.objects.get(username="admin"))
    with pytest.raises(Refused, match="没有 2030 年度已发布的年终考核"):
        allocation_prepare(pool, "land-platform-league")
