"""The pages' summaries (docs/dashboard.md, "Summaries"): equal to a fresh GROUP BY over the
register, refreshed by the real write paths, and the only thing the aggregate pages read."""

from __future__ import annotations

from collections import Counter, defaultdict
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Avg, Count, Sum
from django.test.utils import CaptureQueriesContext

from pingtai.cli import main
from pingtai.registry import selectors as registry
from pingtai.registry.models import County, Enterprise, EnterpriseYear, Platform
from pingtai.summaries import selectors as summaries
from pingtai.summaries.models import ClassSummary, FigureSummary

pytestmark = pytest.mark.django_db


def fresh_years() -> list[int]:
    return sorted(set(EnterpriseYear.objects.values_list("year", flat=True)))


def assert_summaries_equal_a_fresh_group_by() -> None:
    years = fresh_years()
    assert summaries.years() == years and registry.available_years() == years
    for year in years:
        assert summaries.figures_by_platform(year) == registry.figures_by_platform(year)
        rows = EnterpriseYear.objects.filter(year=year)
        by_county = {
            code: registry.figures(rows.filter(enterprise__county_id=code))
            for code in County.objects.values_list("code", flat=True)
        }
        assert summaries.figures_by_county(year) == {
            code: f for code, f in by_county.items() if f.enterprises
        }
        assert summaries.city_figures(year) == registry.figures(rows)
        rd = {
            r["enterprise__platform_id"]: (r["rd"], r["revenue"])
            for r in rows.values("enterprise__platform_id").annotate(
                rd=Sum("rd_wan"), revenue=Sum("revenue_wan")
            )
        }
        for platform, sums in summaries.by_year_and_platform()[year].items():
            rd_wan, revenue_wan = rd[platform]
            assert sums.rd_wan == Decimal(rd_wan).quantize(Decimal("0.01"))
            assert sums.revenue_wan == Decimal(revenue_wan).quantize(Decimal("0.01"))
    centres = {
        r["platform_id"]: (r["lon"], r["lat"])
        for r in Enterprise.objects.filter(lon__isnull=False, lat__isnull=False)
        .values("platform_id")
        .annotate(lon=Avg("lon"), lat=Avg("lat"))
    }
    stored = summaries.platform_centres()
    assert stored.keys() == centres.keys()
    for platform, (lon, lat) in centres.items():
        assert stored[platform] == pytest.approx((lon, lat))


def test_the_summaries_equal_a_fresh_group_by_over_the_register():
    assert FigureSummary.objects.exists()
    assert_summaries_equal_a_fresh_group_by()


def test_a_correction_in_the_admin_reaches_the_cockpit_and_the_platform_page(login):
    client = login("admin")
    year = fresh_years()[-1]
    row = EnterpriseYear.objects.filter(year=year, enterprise__platform__code="LS03").first()
    cockpit_before = client.get(f"/dashboard/?year={year}").context["c"]
    page = client.get(f"/admin/registry/enterpriseyear/{row.pk}/change/")
    data = {k: v for k, v in page.context["adminform"].form.initial.items() if v is not None}
    data["tax_wan"] = row.tax_wan + 1000
    response = client.post(f"/admin/registry/enterpriseyear/{row.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors

    cockpit = client.get(f"/dashboard/?year={year}").context["c"]
    assert cockpit.city.tax_wan == cockpit_before.city.tax_wan + 1000
    ls03 = next(r for r in cockpit.rows if r.platform.code == "LS03")
    before = next(r for r in cockpit_before.rows if r.platform.code == "LS03")
    assert ls03.figures.tax_wan == before.figures.tax_wan + 1000
    platform_page = client.get("/platforms/LS03/")
    assert dict(platform_page.context["yearly"])[year].tax_wan == ls03.figures.tax_wan
    assert f"{ls03.figures.tax_wan / 10000:,.2f}" in platform_page.content.decode()
    assert_summaries_equal_a_fresh_group_by()

    # Deleting the row takes it out of the sums as well.
    response = client.post(f"/admin/registry/enterpriseyear/{row.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    after = client.get(f"/dashboard/?year={year}").context["c"]
    assert after.city.enterprises == cockpit_before.city.enterprises - 1
    assert_summaries_equal_a_fresh_group_by()


def test_publishing_and_superseding_a_run_count_its_classes_for_the_pages(login):
    from pingtai.accounts.models import User
    from pingtai.evaluation.services import run_evaluation, run_publish

    admin = User.objects.get(username="admin")
    year = fresh_years()[-1]
    first, _ = run_evaluation(year, "lishui-mujun-default", user=admin)
    assert not ClassSummary.objects.filter(run=first).exists()  # a preview is not counted
    first = run_publish(first, user=admin)

    # A correction of one D-class firm's figures, then a new run that supersedes the first.
    firm = first.results.filter(klass="D", platform_code="LS03").first()
    row = EnterpriseYear.objects.get(enterprise__uscc=firm.uscc, year=year)
    row.tax_wan *= 50
    row.save()
    second, _ = run_evaluation(year, "lishui-mujun-default", user=admin)
    second = run_publish(second, user=admin, supersede=first.pk, reason="更正税收")

    for run in (first, second):
        counted: dict[str, Counter] = defaultdict(Counter)
        for code, klass, n in (
            run.results.values_list("platform_code", "klass").annotate(n=Count("id")).order_by()
        ):
            counted[code][klass] = n
        assert summaries.class_counts(run.pk) == {c: dict(k) for c, k in counted.items()}
    ls03 = dict(
        Counter(second.results.filter(platform_code="LS03").values_list("klass", flat=True))
    )
    assert ls03 != dict(
        Counter(first.results.filter(platform_code="LS03").values_list("klass", flat=True))
    )
    client = login("leader")
    cockpit = client.get(f"/dashboard/?year={year}").context["c"]
    assert cockpit.classes.run == second
    assert next(c for p, c, _ in cockpit.classes.by_platform if p.code == "LS03") == ls03
    page = client.get("/platforms/LS03/").context
    assert page["run"] == second
    assert dict(page["classes"]) == {k: ls03.get(k, 0) for k in "ABCDT"}


def test_the_aggregate_pages_do_not_read_every_firm(login):
    """Independent of the number of firms: the cockpit, the map's colours and the platform
    page read summaries, never the firms' yearly figures or result rows."""
    client = login("leader")
    for url in ("/dashboard/", "/dashboard/map/data.json", "/platforms/LS01/", "/platforms/"):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        read = " ".join(q["sql"] for q in queries.captured_queries)
        assert "registry_enterpriseyear" not in read, url
        assert "evaluation_enterpriseresult" not in read, url
        assert "summaries_figuresummary" in read, url


def test_rebuild_repairs_summaries_left_stale_by_a_write_outside_the_paths(capsys):
    year = fresh_years()[-1]
    EnterpriseYear.objects.filter(year=year, enterprise__platform__code="LS01").update(tax_wan=0)
    assert summaries.figures_by_platform(year) != registry.figures_by_platform(year)
    assert main(["summaries", "rebuild"]) == 0
    out = capsys.readouterr().out
    assert "已重建汇总数据" in out and "行" in out
    assert summaries.figures_by_platform(year)[Platform.objects.get(code="LS01").pk].tax_wan == 0
    assert_summaries_equal_a_fresh_group_by()
