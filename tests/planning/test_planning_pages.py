"""Integration planning through HTTP and the CLI on the demo data."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from urllib.parse import unquote

import openpyxl
import pytest

from pingtai.audit.models import AuditEvent
from pingtai.cli import main
from pingtai.planning.models import Agreement, ClassificationRun, Settlement
from pingtai.registry.models import (
    ChainLink,
    Enterprise,
    EnterpriseYear,
    FormerZone,
    IntegrationEvent,
    Platform,
)
from pingtai.registry.selectors import figures_by_platform, platform_system_as_of

pytestmark = pytest.mark.django_db


def sheet_rows(content: bytes) -> list[tuple]:
    """Header row and data rows of an export (row 1 is the title)."""
    return list(
        openpyxl.load_workbook(io.BytesIO(content)).active.iter_rows(min_row=2, values_only=True)
    )


def live_state() -> tuple:
    return (
        Platform.objects.count(),
        FormerZone.objects.count(),
        IntegrationEvent.objects.count(),
        Enterprise.objects.count(),
        EnterpriseYear.objects.count(),
        sorted(Platform.objects.values_list("code", "tier", "developable_area_mu")),
        sorted(Enterprise.objects.values_list("uscc", "platform_id", "former_zone_id"))[:500],
        sorted(
            EnterpriseYear.objects.filter(year=2024).values_list(
                "enterprise_id", "output_wan", "tax_wan"
            )
        )[:500],
    )


# ---------------------------------------------------------------- 并提撤转


def test_classification_is_proposed_with_reasons_then_approved_into_dated_events(login):
    admin = login("admin")
    response = admin.post("/planning/runs/new/", {"year": 2024, "as_of": "2025-01-01"})
    run = ClassificationRun.objects.latest("id")
    assert response.status_code == 302 and run.status == "draft"
    items = {i.code: i for i in run.items.all()}
    assert all(i.reasons for i in items.values())
    # 丽缙高新区 (74 亿) is below 百亿 and fits a platform nearby; it is one of the plan's 11
    # platforms, so the proposal says that it contradicts the plan.
    ls08 = items["LS08"]
    assert ls08.action == "merge" and ls08.target_platform is not None
    assert "公里" in "；".join(ls08.reasons)
    assert any("11个平台" in c for c in ls08.conflicts)
    assert items["LS01"].action == "keep" and not items["LS01"].conflicts
    # Zones stay with their registered platform unless it is proposed to leave (then flagged).
    for item in items.values():
        if item.subject == "zone" and item.action in ("merge", "upgrade"):
            stays = item.current_platform is None or item.target_platform == item.current_platform
            assert stays or item.current_platform.code == "LS08", item.code
            assert stays or any("与方案不一致" in c for c in item.conflicts), item.code
    zones = [i for i in items.values() if i.subject == "zone"]
    assert {i.action for i in zones} >= {"merge", "revoke", "convert"}
    for item in zones:
        # every township is judged on its own enterprises' sums (ratio of sums)
        rows = EnterpriseYear.objects.filter(year=2024, enterprise__former_zone=item.zone)
        assert item.enterprises == rows.count()
        assert item.tax_wan == sum((r.tax_wan for r in rows), Decimal(0))
    page = admin.get(f"/planning/runs/{run.pk}/").content.decode()
    assert "丽缙智能装备高新技术产业园区" in page and "契合度" in page and "假设" in page
    # which area the platforms' column holds, and counts with their unit
    assert "<th>可开发面积（亩）</th>" in page and "<th>企业（家）</th>" in page
    assert "<span>保留</span><b>" in page and " 项</b>" in page
    assert "主体平台（弱平台" not in page  # the table lists strong platforms too
    assert not IntegrationEvent.objects.filter(effective_date=dt.date(2025, 6, 30)).exists()

    assert "与方案不一致" in page and "11个平台" in page
    before = IntegrationEvent.objects.count()
    refused = admin.post(
        f"/planning/runs/{run.pk}/approve/",
        {"effective_date": "2025-06-30", "document": "丽整合〔2025〕1号"},
        follow=True,
    ).content.decode()
    assert "与《总体方案》不一致" in refused and IntegrationEvent.objects.count() == before
    run.refresh_from_db()
    assert run.status == "draft"
    admin.post(
        f"/planning/runs/{run.pk}/approve/",
        {
            "effective_date": "2025-06-30",
            "document": "丽整合〔2025〕1号",
            "conflict_reason": "领导小组2025年第2次会议同意丽缙高新区并入方案",
        },
    )
    run.refresh_from_db()
    created = IntegrationEvent.objects.filter(effective_date=dt.date(2025, 6, 30))
    assert run.status == "approved" and run.approved_by.username == "admin"
    assert IntegrationEvent.objects.count() == before + created.count() > 0
    assert set(created.values_list("document", flat=True)) == {"丽整合〔2025〕1号"}
    after = platform_system_as_of(dt.date(2025, 6, 30))
    ls08_zones = {
        z.code
        for c in platform_system_as_of(dt.date(2025, 6, 29)).platforms
        if c.platform.code == "LS08"
        for z in c.zones
    }
    moved = {
        z.code
        for c in after.platforms
        if c.platform.code == ls08.target_platform.code
        for z in c.zones
    }
    assert ls08_zones and {z for z in ls08_zones if not z.startswith("TZ")} <= moved
    revoked = [i.code for i in zones if i.action == "revoke"]
    assert {z.code for z in after.revoked} >= set(revoked)
    assert AuditEvent.objects.filter(
        action="approve", object_type="planning.ClassificationRun", object_id=str(run.pk)
    ).exists()
    assert (
        AuditEvent.objects.filter(action="create", object_type="registry.IntegrationEvent").count()
        >= created.count()
    )
    again = admin.post(
        f"/planning/runs/{run.pk}/approve/",
        {"effective_date": "2025-07-01", "document": "重复"},
        follow=True,
    )
    assert "已审定，不能重复审定" in again.content.decode()
    response = admin.get(f"/planning/runs/{run.pk}/export.xlsx")
    rows = sheet_rows(response.content)
    assert rows[0][12] == "建议方式" and len(rows) == 1 + run.items.count()
    # Named in words, 契合度 a percentage as on the page (30%, not 0.30).
    assert f"并提撤转建议（{run.year}年数据）" in unquote(response["Content-Disposition"])
    fits = openpyxl.load_workbook(io.BytesIO(response.content)).active["L"][2:]
    assert {c.number_format for c in fits if c.value is not None} == {"0%"}


def test_read_only_and_platform_roles_cannot_classify_or_approve(login):
    admin = login("admin")
    admin.post("/planning/runs/new/", {"year": 2024, "as_of": "2025-01-01"})
    run = ClassificationRun.objects.latest("id")
    events = IntegrationEvent.objects.count()
    for username in ("leader", "pt_ls08", "dept_tax"):
        client = login(username)
        assert (
            client.post("/planning/runs/new/", {"year": 2024, "as_of": "2025-01-01"}).status_code
            == 403
        )
        assert (
            client.post(
                f"/planning/runs/{run.pk}/approve/",
                {"effective_date": "2025-06-30", "document": "x"},
            ).status_code
            == 403
        )
    assert login("leader").get(f"/planning/runs/{run.pk}/").status_code == 200
    assert login("pt_ls08").get(f"/planning/runs/{run.pk}/").status_code == 403
    run.refresh_from_db()
    assert run.status == "draft" and IntegrationEvent.objects.count() == events
    assert ClassificationRun.objects.count() == 1


# ---------------------------------------------------------------- merger simulation


def test_merger_simulation_shows_ratios_of_sums_rank_and_targets_and_changes_nothing(login):
    client = login("leader")
    state = live_state()
    runs, audits = ClassificationRun.objects.count(), AuditEvent.objects.count()
    page = client.get("/planning/simulate/?year=2024&platform=LS07&platform=LS08").content.decode()
    figures = figures_by_platform(2024)
    ls07, ls08 = (figures[Platform.objects.get(code=c).pk] for c in ("LS07", "LS08"))
    tax_per_mu = (ls07.tax_wan + ls08.tax_wan) / (ls07.land_mu + ls08.land_mu)
    assert f"{tax_per_mu:.2f} 万元/亩" in page
    assert f"{(ls07.output_wan + ls08.output_wan) / 10000:,.2f} 亿元" in page
    assert "第 1 / 2" in page  # T2 has LS04 left besides the merged LS07+LS08
    assert "百亿产能" in page and "可开发空间" in page and "绿灯" in page
    response = client.get("/planning/simulate/export.xlsx?year=2024&platform=LS07&platform=LS08")
    rows = {r[0]: r for r in sheet_rows(response.content)}
    assert rows["实缴税金（万元）"][1] == float(ls07.tax_wan + ls08.tax_wan)
    assert rows["可开发面积（亩）"][1] == float(
        Platform.objects.get(code="LS07").developable_area_mu
        + Platform.objects.get(code="LS08").developable_area_mu
    )
    page = client.get("/planning/simulate/?year=2024&platform=LS11&zone=TZ66").content.decode()
    assert "并入园区的面积计入可开发空间" in page
    assert (
        "请至少选择两个"
        in client.get("/planning/simulate/?year=2024&platform=LS11").content.decode()
    )
    assert live_state() == state
    assert ClassificationRun.objects.count() == runs
    assert AuditEvent.objects.count() == audits + 1  # the export only
    assert (
        login("pt_ls07").get("/planning/simulate/?platform=LS07&platform=LS08").status_code == 403
    )


# ---------------------------------------------------------------- industry chains


def test_chain_map_lists_present_links_and_missing_ones_as_targets(login):
    platform = Platform.objects.get(code="LS05")
    leading = set(
        platform.leading_industries.exclude(chain=None).values_list("chain_id", flat=True)
    )
    present = set(
        Enterprise.objects.filter(platform=platform)
        .exclude(chain_link=None)
        .values_list("chain_link_id", flat=True)
    )
    missing = ChainLink.objects.filter(chain_id__in=leading).exclude(code__in=present)
    assert missing.exists()
    client = login("pt_ls05")
    page = client.get("/planning/chains/LS05/?year=2024").content.decode()
    for link in missing:
        assert link.name in page
    rows = sheet_rows(client.get("/planning/chains/LS05/export.xlsx?year=2024").content)
    by_link = {r[3]: r for r in rows[1:]}
    assert len(by_link) == ChainLink.objects.count()
    for link in missing:
        assert by_link[link.code][8] == ("补链" if link.stage == "midstream" else "延链")
        assert by_link[link.code][6] == 0
    some = next(iter(present))
    count = EnterpriseYear.objects.filter(
        year=2024, enterprise__platform=platform, enterprise__chain_link_id=some
    ).count()
    assert by_link[some][6] == count
    targets = sheet_rows(client.get("/planning/chains/targets.xlsx?year=2024").content)
    assert {r[0] for r in targets[1:]} == {"LS05"}
    assert all(r[8] for r in targets[1:])
    overview = client.get("/planning/chains/?year=2024").content.decode()
    assert "云和经开区" in overview or "浙江云和经济开发区" in overview
    assert "浙江景宁经济开发区" not in overview
    link_page = client.get(f"/planning/chains/LS05/links/{some}/?year=2024").content.decode()
    tagged = Enterprise.objects.filter(platform=platform, chain_link_id=some)
    assert all(e.uscc in link_page for e in tagged) and "演示数据（合成）" in link_page
    assert client.get("/planning/chains/LS05/links/NOPE/").status_code == 404
    for url in (
        "/planning/chains/LS06/",
        "/planning/chains/LS06/export.xlsx",
        f"/planning/chains/LS06/links/{some}/",
    ):
        assert client.get(url).status_code == 404
    city = sheet_rows(login("leader").get("/planning/chains/targets.xlsx?year=2024").content)
    assert len({r[0] for r in city[1:]}) > 1


# ---------------------------------------------------------------- benefit sharing

PARTIES = "平台 LS01 50 60 40\n县 331121 30 20 30\n乡镇 TZ09 20 20 30"


def create_agreement(client, parties: str = PARTIES, code: str = "LY-2024-01", zones: str = "TZ09"):
    return client.post(
        "/planning/agreements/new/",
        {
            "code": code,
            "title": "腊口区块共建协议",
            "kind": "zone_township",
            "start_year": 2022,
            "end_year": 2026,
            "parties": parties,
            "zones": zones,
            "enterprises": "",
            "document": "演示协议",
            "investment": "三方共同投入",
        },
        follow=True,
    )


def test_agreement_settlement_reconciles_to_the_cent_and_exports(login):
    admin = login("admin")
    create_agreement(admin)
    agreement = Agreement.objects.get(code="LY-2024-01")
    assert [p.kind for p in agreement.parties.all()] == ["platform", "county", "township"]
    admin.post("/planning/agreements/LY-2024-01/settle/", {"year": 2024, "cost_yuan": "1000000.01"})
    settlement = Settlement.objects.get(agreement=agreement, year=2024)
    taxes = EnterpriseYear.objects.filter(
        year=2024, enterprise__former_zone__code="TZ09"
    ).values_list("tax_wan", flat=True)
    assert settlement.tax_yuan == sum(taxes, Decimal(0)) * 10000
    lines = list(settlement.lines.all())
    assert sum(line.tax_yuan for line in lines) == settlement.tax_yuan
    assert sum(line.output_yuan for line in lines) == settlement.output_yuan
    assert sum(line.cost_yuan for line in lines) == Decimal("1000000.01")
    for line, share in zip(lines, (50, 30, 20), strict=True):
        assert abs(line.tax_yuan - settlement.tax_yuan * share / 100) < Decimal("0.01")
    rows = sheet_rows(admin.get("/planning/agreements/LY-2024-01/settlements/2024.xlsx").content)
    assert rows[0][7] == "分得税收（元）" and rows[-1][3] == "合计"
    assert Decimal(str(rows[-1][7])) == settlement.tax_yuan
    assert sum(Decimal(str(r[7])) for r in rows[1:-1]) == settlement.tax_yuan
    again = admin.post(
        "/planning/agreements/LY-2024-01/settle/", {"year": 2024, "cost_yuan": "0"}, follow=True
    )
    assert "已有 2024 年度结算" in again.content.decode()
    outside = admin.post(
        "/planning/agreements/LY-2024-01/settle/", {"year": 2021, "cost_yuan": "0"}, follow=True
    )
    assert "不在协议期限" in outside.content.decode()
    assert (
        AuditEvent.objects.filter(object_type="planning.Settlement", action="create").count() == 1
    )


@pytest.mark.parametrize(
    "parties, message",
    [
        ("平台 LS01 50 60 40\n县 331121 49.99 40 60", "税收分成比例合计应为 100%，现为 99.99%"),
        ("平台 LS01 50 60 40\n县 331121 50 40", "五项"),
        ("平台 LS01 100 100 100", "至少需要两个参与方"),
        ("平台 LS99 50 50 50\n县 331121 50 50 50", "“LS99”不存在"),
        ("村 LS01 50 50 50\n县 331121 50 50 50", "类型“村”无效"),
    ],
)
def test_bad_agreements_are_refused(login, parties, message):
    page = create_agreement(login("admin"), parties).content.decode()
    assert message in page
    assert not Agreement.objects.exists()


def test_parties_by_name_and_a_refused_agreement_keeps_every_entry(login):
    admin = login("admin")
    refused = create_agreement(admin, "平台 丽水经开区 50 50 50\n县 莲都区 40 50 50")
    page = refused.content.decode()
    assert "税收分成比例合计应为 100%" in page and not Agreement.objects.exists()
    # The form comes back filled in, the message beside the field it concerns.
    assert 'value="LY-2024-01"' in page and "腊口区块共建协议" in page
    assert "平台 丽水经开区 50 50 50" in page and "三方共同投入" in page
    assert 'value="TZ09" selected' in page
    message = page.rindex("税收分成比例合计应为 100%")
    assert page.index('name="investment"') < message < page.index('name="parties"')
    accepted = create_agreement(admin, "平台 丽水经开区 60 70 50\n县 莲都区 40 30 50")
    assert accepted.status_code == 200 and Agreement.objects.filter(code="LY-2024-01").exists()
    parties = Agreement.objects.get(code="LY-2024-01").parties.all()
    assert {p.platform.code if p.platform else p.county.code for p in parties} == {"LS01", "331102"}


def test_agreements_are_visible_to_their_parties_only(login):
    create_agreement(login("admin"))
    create_agreement(
        login("admin"), "片区 LS01-SG 50 50 50\n平台 LS04 50 50 50", code="FD-01", zones="TZ10"
    )
    overlap = create_agreement(
        login("admin"), "平台 LS04 50 50 50\n县 331121 50 50 50", code="DUP", zones="TZ10 TZ11"
    )
    assert (
        "已由协议 FD-01 覆盖" in overlap.content.decode()
        and not Agreement.objects.filter(code="DUP").exists()
    )
    login("admin").post("/planning/agreements/LY-2024-01/settle/", {"year": 2024, "cost_yuan": "0"})
    own = login("pt_ls01")
    assert own.get("/planning/agreements/LY-2024-01/").status_code == 200
    assert own.get("/planning/agreements/LY-2024-01/settlements/2024.xlsx").status_code == 200
    assert own.get("/planning/agreements/FD-01/").status_code == 200  # through its functional zone
    listing = own.get("/planning/agreements/").content.decode()
    assert "LY-2024-01" in listing and "FD-01" in listing
    assert (
        own.post(
            "/planning/agreements/LY-2024-01/settle/", {"year": 2025, "cost_yuan": "0"}
        ).status_code
        == 403
    )
    assert own.post("/planning/agreements/new/", {"code": "X"}).status_code == 403
    other = login("pt_ls02")
    for url in (
        "/planning/agreements/LY-2024-01/",
        "/planning/agreements/LY-2024-01/settlements/2024.xlsx",
        "/planning/agreements/FD-01/",
    ):
        assert other.get(url).status_code == 404, url
    assert "LY-2024-01" not in other.get("/planning/agreements/").content.decode()
    assert login("pt_ls04").get("/planning/agreements/LY-2024-01/").status_code == 404
    assert login("dept_tax").get("/planning/agreements/LY-2024-01/").status_code == 404
    assert login("leader").get("/planning/agreements/LY-2024-01/").status_code == 200
    assert (
        login("leader").post("/planning/agreements/LY-2024-01/settle/", {"year": 2025}).status_code
        == 403
    )
    assert Settlement.objects.count() == 1


# ---------------------------------------------------------------- CLI


def test_cli_runs_every_planning_job(tmp_path, capsys):
    out = tmp_path / "classify.xlsx"
    assert (
        main(["planning", "classify", "--year", "2024", "--as-of", "2025-01-01", "--out", str(out)])
        == 0
    )
    run = ClassificationRun.objects.latest("id")
    assert len(sheet_rows(out.read_bytes())) == 1 + run.items.count()
    assert "[并] LS08" in capsys.readouterr().out
    approve = [
        "planning",
        "approve",
        "--run",
        str(run.pk),
        "--effective-date",
        "2025-06-30",
        "--document",
        "丽整合〔2025〕2号",
    ]
    assert main(approve) == 1  # proposals that contradict the plan need the decision
    assert "与《总体方案》不一致" in capsys.readouterr().err
    assert not IntegrationEvent.objects.filter(document="丽整合〔2025〕2号").exists()
    assert main([*approve, "--conflict-reason", "领导小组会议同意"]) == 0
    assert IntegrationEvent.objects.filter(document="丽整合〔2025〕2号").exists()
    assert (
        main(
            [
                "planning",
                "approve",
                "--run",
                str(run.pk),
                "--effective-date",
                "2025-06-30",
                "--document",
                "再次",
            ]
        )
        == 1
    )
    assert main(["planning", "classify", "--year", "1999"]) == 1
    strict = tmp_path / "strict.toml"
    from pingtai.planning.rules import DEFAULT_RULES

    strict.write_text(
        DEFAULT_RULES.read_text(encoding="utf-8").replace(
            'weak_below_output_wan = "1000000"', 'weak_below_output_wan = "2000000"'
        ),
        encoding="utf-8",
    )
    assert main(["planning", "classify", "--year", "2024", "--rules", str(strict)]) == 0
    stricter = ClassificationRun.objects.latest("id")
    assert (
        stricter.items.filter(subject="platform").exclude(action="keep").count()
        > run.items.filter(subject="platform").exclude(action="keep").count()
    )
    strict.write_text("id = 1", encoding="utf-8")
    assert main(["planning", "classify", "--year", "2024", "--rules", str(strict)]) == 1
    assert main(["planning", "classify", "--year", "2024", "--user", "leader"]) == 2

    state = live_state()
    assert (
        main(
            [
                "planning",
                "simulate",
                "--platform",
                "LS06",
                "--platform",
                "LS03",
                "--year",
                "2024",
                "--out",
                str(tmp_path / "sim.xlsx"),
            ]
        )
        == 0
    )
    assert "第三梯队：产值第" in capsys.readouterr().out
    assert live_state() == state
    assert main(["planning", "simulate", "--platform", "LS06", "--year", "2024"]) == 1

    assert (
        main(
            [
                "planning",
                "chains",
                "--year",
                "2024",
                "--platform",
                "LS11",
                "--out",
                str(tmp_path / "c.xlsx"),
            ]
        )
        == 0
    )
    assert "招商方向" in capsys.readouterr().out
    assert main(["planning", "chains", "--year", "2024", "--platform", "LS99"]) == 2

    spec = tmp_path / "agreement.toml"
    spec.write_text(
        """
code = "CLI-01"
title = "命令行协议"
kind = "enclave"
start_year = 2023
end_year = 2025
zones = ["TZ09"]
parties = [
  { kind = "platform", code = "LS01", tax_share = "33.33", stats_share = "50", cost_share = "50" },
  { kind = "platform", code = "LS04", tax_share = "33.33", stats_share = "25", cost_share = "25" },
  { kind = "county", code = "331121", tax_share = "33.34", stats_share = "25", cost_share = "25" },
]
""",
        encoding="utf-8",
    )
    assert main(["planning", "agreement", "--file", str(spec)]) == 0
    statement = tmp_path / "s.xlsx"
    assert (
        main(
            [
                "planning",
                "settle",
                "--agreement",
                "CLI-01",
                "--year",
                "2024",
                "--cost",
                "100.01",
                "--out",
                str(statement),
            ]
        )
        == 0
    )
    rows = sheet_rows(statement.read_bytes())
    assert sum(Decimal(str(r[7])) for r in rows[1:-1]) == Decimal(str(rows[-1][7]))
    assert sum(Decimal(str(r[11])) for r in rows[1:-1]) == Decimal("100.01")
    assert main(["planning", "settle", "--agreement", "CLI-01", "--year", "2024"]) == 1
    assert main(["planning", "settle", "--agreement", "NOPE", "--year", "2024"]) == 2


def test_admin_adjusts_a_proposal_with_a_reason_before_approval(login):
    admin = login("admin")
    assert "生成分类建议" in admin.get("/planning/").content.decode()
    admin.post("/planning/runs/new/", {"year": 2024, "as_of": "2025-01-01"})
    run = ClassificationRun.objects.latest("id")
    item = run.items.filter(subject="zone", action="merge").first()
    url = f"/planning/runs/{run.pk}/items/{item.pk}/adjust/"
    assert (
        login("leader").post(url, {"action": "convert", "target": "", "reason": "x"}).status_code
        == 403
    )
    admin = login("admin")  # the fixture logs the one test client in as someone else
    refused = admin.post(url, {"action": "merge", "target": "", "reason": "缺去向"}, follow=True)
    assert "须指定去向平台" in refused.content.decode()
    admin.post(url, {"action": "convert", "target": "", "reason": "地块已列入生态红线"})
    item.refresh_from_db()
    assert item.action == "convert" and item.target_platform is None
    assert "理由：地块已列入生态红线" in item.reasons[-1]
    assert AuditEvent.objects.filter(
        object_type="planning.ClassificationItem", object_id=str(item.pk), action="update"
    ).exists()
    admin.post(
        f"/planning/runs/{run.pk}/approve/",
        {
            "effective_date": "2025-06-30",
            "document": "丽整合〔2025〕3号",
            "conflict_reason": "领导小组审定同意",
        },
    )
    event = IntegrationEvent.objects.get(zone=item.zone, effective_date=dt.date(2025, 6, 30))
    assert event.kind == "converted" and event.platform is None
    late = admin.post(url, {"action": "revoke", "target": "", "reason": "晚了"}, follow=True)
    assert "已审定，不能再调整" in late.content.decode()


def test_a_zone_kept_by_the_administrator_follows_its_platforms_merger(login):
    admin = login("admin")
    admin.post("/planning/runs/new/", {"year": 2024, "as_of": "2025-01-01"})
    run = ClassificationRun.objects.latest("id")
    item = run.items.get(subject="zone", current_platform__code="LS08", code="TZ24")
    admin.post(
        f"/planning/runs/{run.pk}/items/{item.pk}/adjust/",
        {"action": "keep", "target": "", "reason": "随平台整体并入"},
    )
    ls08 = run.items.get(code="LS08")
    self_merge = admin.post(
        f"/planning/runs/{run.pk}/items/{ls08.pk}/adjust/",
        {"action": "merge", "target": "LS08", "reason": "x"},
        follow=True,
    )
    assert "平台不能并入自身" in self_merge.content.decode()
    admin.post(
        f"/planning/runs/{run.pk}/approve/",
        {
            "effective_date": "2025-06-30",
            "document": "丽整合〔2025〕4号",
            "conflict_reason": "领导小组审定同意",
        },
    )
    event = IntegrationEvent.objects.get(zone=item.zone, effective_date=dt.date(2025, 6, 30))
    assert (event.kind, event.platform.code) == ("merged", ls08.target_platform.code)


def test_a_flag_goes_when_the_zone_is_set_back_to_its_registered_platform(login):
    admin = login("admin")
    admin.post("/planning/runs/new/", {"year": 2024, "as_of": "2025-01-01"})
    run = ClassificationRun.objects.latest("id")
    ls08 = run.items.get(code="LS08")
    moved = run.items.get(subject="zone", code="TZ24")
    assert moved.current_platform.code == "LS08" and moved.target_platform.code != "LS08"
    assert "归属丽缙高新区" in moved.conflicts[0]
    admin.post(
        f"/planning/runs/{run.pk}/items/{moved.pk}/adjust/",
        {"action": "merge", "target": "LS08", "reason": "保持方案确定的归属"},
    )
    moved.refresh_from_db()
    assert moved.conflicts == []
    admin.post(
        f"/planning/runs/{run.pk}/items/{ls08.pk}/adjust/",
        {"action": "upgrade", "target": "LS08", "reason": "按方案保留并提升"},
    )
    ls08.refresh_from_db()
    assert ls08.conflicts == []


def test_demo_agreements_load_idempotently_and_settle(capsys, login):
    assert main(["planning", "load-demo"]) == 0
    assert main(["planning", "load-demo"]) == 0
    assert "新登记 0 份，已存在 2 份" in capsys.readouterr().out
    demo = Agreement.objects.get(code="DEMO-LK")
    assert "演示" in demo.title and [p.name for p in demo.parties.all()] == [
        "腊口片",
        "青田县",
        "腊口镇工业功能区",
    ]
    assert main(["planning", "settle", "--agreement", "DEMO-LK", "--year", "2024"]) == 0
    assert "DEMO-LK" in login("pt_ls01").get("/planning/agreements/").content.decode()
    assert main(["planning", "load-demo", "--user", "leader"]) == 2


def test_agreement_files_with_bad_numbers_or_kinds_are_refused(tmp_path, capsys):
    spec = tmp_path / "bad.toml"
    base = """code = "BAD"\ntitle = "x"\nkind = "enclave"\nstart_year = 2023\nend_year = 2025\nzones = ["TZ09"]\n"""
    for parties, message in [
        (
            '{ kind = "platform", code = "LS01", tax_share = "NaN", stats_share = "50", cost_share = "50" }',
            "不是数字",
        ),
        (
            '{ kind = "village", code = "LS01", tax_share = "50", stats_share = "50", cost_share = "50" }',
            "类型应为",
        ),
        ('{ kind = "platform", code = "LS01", tax_share = "50" }', "缺少字段"),
    ]:
        spec.write_text(base + f"parties = [{parties}]\n", encoding="utf-8")
        assert main(["planning", "agreement", "--file", str(spec)]) == 1
        assert message in capsys.readouterr().err
    spec.write_text("code = ", encoding="utf-8")
    assert main(["planning", "agreement", "--file", str(spec)]) == 1
    assert not Agreement.objects.filter(code="BAD").exists()
