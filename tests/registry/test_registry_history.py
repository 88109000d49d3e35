"""The registry answers "what did the platform system look like on date D"."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from pingtai.registry import selectors
from pingtai.registry.models import County, Enterprise, FormerZone, IntegrationEvent, Platform

pytestmark = pytest.mark.django_db


def test_counties_are_the_ten_gbt2260_units_of_lishui():
    codes = set(County.objects.values_list("code", flat=True))
    assert codes == {
        "331100",
        "331102",
        "331121",
        "331122",
        "331123",
        "331124",
        "331125",
        "331126",
        "331127",
        "331181",
    }


def test_former_zones_are_twelve_provincial_and_sixty_eight_township():
    kinds = FormerZone.objects.values_list("kind", flat=True)
    assert sum(k == FormerZone.Kind.PROVINCIAL for k in kinds) == 12
    assert sum(k == FormerZone.Kind.TOWNSHIP for k in kinds) == 68


def test_a_merged_zone_belongs_to_its_platform_only_from_the_effective_date():
    event = (
        IntegrationEvent.objects.filter(kind=IntegrationEvent.Kind.MERGED).order_by("id").first()
    )
    before = selectors.platform_system_as_of(event.effective_date - dt.timedelta(days=1))
    after = selectors.platform_system_as_of(event.effective_date)
    assert before.platform_of(event.zone.code) is None
    assert event.zone in before.independent
    assert after.platform_of(event.zone.code) == event.platform
    assert event.zone not in after.independent


def test_revoked_and_converted_zones_leave_the_system():
    for kind, bucket in (
        (IntegrationEvent.Kind.REVOKED, "revoked"),
        (IntegrationEvent.Kind.CONVERTED, "converted"),
    ):
        event = IntegrationEvent.objects.filter(kind=kind).first()
        assert event is not None, f"the default dataset has no {kind} event"
        snapshot = selectors.platform_system_as_of(event.effective_date)
        assert event.zone in getattr(snapshot, bucket)
        assert snapshot.platform_of(event.zone.code) is None


def test_before_the_plan_nothing_is_integrated_and_today_everything_is_settled():
    first = IntegrationEvent.objects.order_by("effective_date").first().effective_date
    early = selectors.platform_system_as_of(first - dt.timedelta(days=1))
    assert early.integrated_count == 0 and len(early.independent) == 80
    late = selectors.platform_system_as_of(dt.date(2030, 1, 1))
    assert late.independent == []
    assert late.integrated_count + len(late.revoked) + len(late.converted) == 80


def test_areas_are_stored_in_mu_and_shown_in_km2_exactly():
    platform = Platform.objects.get(code="LS01")
    platform.planned_area_mu = Decimal("325860")
    assert platform.planned_area_km2 == Decimal("217.24")


def test_enterprise_with_a_bad_check_character_is_refused_unless_a_reason_is_given():
    good = Enterprise.objects.select_related("platform").first()
    bad = Enterprise(
        uscc=good.uscc[:17] + ("0" if good.uscc[17] != "0" else "1"),
        name="测试企业",
        county=good.county,
        platform=good.platform,
        industry_code="C3484",
    )
    with pytest.raises(ValidationError) as err:
        bad.clean()
    assert "校验码错误" in str(err.value)
    bad.uscc_override_reason = "福建早期试点代码，经市场监管部门确认"
    bad.clean()


def test_every_loaded_enterprise_has_a_valid_code_and_is_labelled_synthetic():
    from pingtai.standards.uscc import is_valid

    codes = list(Enterprise.objects.values_list("uscc", "synthetic"))
    assert len(codes) == 3897
    assert all(is_valid(code) and synthetic for code, synthetic in codes)
