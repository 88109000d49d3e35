"""League pages through real HTTP requests: rankings, scorecards, lists, proposals, pay pools,
the target board, xlsx exports, and the scope of every role."""

from __future__ import annotations

import io
import re
from decimal import Decimal
from urllib.parse import unquote

import openpyxl
import pytest

from pingtai.audit.models import AuditEvent
from pingtai.league import selectors
from pingtai.league.board import build_board
from pingtai.league.models import LeagueRun, PayPool, TierProposal
from pingtai.registry.models import Platform

pytestmark = pytest.mark.django_db


def sheet(response) -> list[tuple]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(
        io.BytesIO(b"".join(response.streaming_content) if response.streaming else response.content)
    )
    return list(book.active.iter_rows(min_row=2, values_only=True))  # row 1 is the title


def test_ranking_page_shows_groups_directions_and_changes(login, league_demo):
    run = league_demo.q4
    page = login("leader").get(f"/league/runs/{run.pk}/").content.decode()
    # the robustness check in words; the random seed only among the verification details
    assert "各项权重随机上下浮动后重算排名" in page and "种子" not in page
    for text in (
        "一心",
        "两翼",
        "三片区",
        "平台整合提升",
        "招商引资",
        "产业集聚",
        "创新发展",
        "开放合作",
        "营商环境",
        "过程（工作推进）",
        "得分环比",
        "末位预警",
        "前列名单",
        "演示数据（合成）",
        run.input_hash,
    ):
        assert text in page
    assert f"/league/runs/{league_demo.q3.pk}/" in page  # 环比 link to the previous quarter


def test_ranking_export_has_every_platform_and_direction(login, league_demo):
    rows = sheet(login("leader").get(f"/league/runs/{league_demo.y24.pk}/export.xlsx"))
    header = rows[0]
    assert header[:6] == ("分组", "组内排名", "平台代码", "平台", "综合得分（分）", "等级")
    assert "得分同比（分）" in header and "末位概率" in header
    data = [r for r in rows[1:] if r[2] and str(r[2]).startswith("LS")]
    assert sorted(r[2] for r in data) == [f"LS{i:02d}" for i in range(1, 12)]
    scores = {r.platform_code: r.score for r in league_demo.y24.results.all()}
    assert all(abs(r[4] - scores[r[2]]) < 0.006 for r in data)
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.EXPORT, object_id=str(league_demo.y24.pk)
    ).exists()


def test_ranking_export_formats_each_column_one_way_as_the_run_page(login, league_demo):
    """A column never mixes 88.8 and 79.94: scores to two decimals, the last-place chance a
    percentage (the page's 100%, not 1)."""
    response = login("leader").get(f"/league/runs/{league_demo.y24.pk}/export.xlsx")
    rows = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(min_row=2))
    header = [c.value for c in rows[0]]
    assert "平台整合提升（满分12.75分）" in header
    formats = {
        "综合得分（分）": "#,##0.00",
        "平台整合提升（满分12.75分）": "#,##0.00",
        "过程（工作推进）（满分15分）": "#,##0.00",
        "得分同比（分）": "+#,##0.00;-#,##0.00;#,##0.00",
        "末位概率": "0%",
    }
    for name, number_format in formats.items():
        column = header.index(name)
        assert {r[column].number_format for r in rows[1:]} == {number_format}, name


def test_league_workbooks_name_the_period_in_words_once(login, league_demo):
    client = login("admin")
    for path in ("export.xlsx", "lists.xlsx"):
        response = client.get(f"/league/runs/{league_demo.q4.pk}/{path}")
        name = unquote(response["Content-Disposition"])
        assert "Q4" not in name and "季度季度" not in name
        title = openpyxl.load_workbook(io.BytesIO(response.content)).active["A1"].value
        assert title.startswith("2024年第四季度比评"), title
    assert league_demo.q4.label == "2024年第四季度比评"
    assert league_demo.y24.label == "2024年度年终考核"


def test_lists_export_and_interview_page(login, league_demo):
    client = login("admin")
    page = client.get(f"/league/runs/{league_demo.y24.pk}/").content.decode()
    assert "约谈名单（年度考核位次末位）" in page and "权重扰动下末位概率" in page
    rows = sheet(client.get(f"/league/runs/{league_demo.y24.pk}/lists.xlsx"))
    kinds = [r[0] for r in rows[1:]]
    interview, _ = selectors.interview_list(league_demo.y24)
    assert kinds.count("约谈名单") == len(interview) and "前列名单" in kinds
    assert "名单依据" in page and "一心组只有 2 个平台" in page


def test_lists_export_reads_as_the_page_names_scores_and_percentages(login, league_demo):
    """The lists workbook shows what the run page shows: platforms by name (no internal code
    column), 综合得分 to two decimals, 末位概率 a real fraction printed as a whole percentage."""
    run = league_demo.y24
    response = login("admin").get(f"/league/runs/{run.pk}/lists.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    rows = list(book.active.iter_rows(min_row=2))
    header = [c.value for c in rows[0]]
    assert "平台代码" not in header and "平台" in header
    score, chance = header.index("综合得分（分）"), header.index("末位概率")
    interview, _ = selectors.interview_list(run)
    by_name = {e.result.platform.short_name: e.result for e in interview}
    platform = header.index("平台")
    data = [r for r in rows[1:] if r[platform].value in by_name]
    assert data
    for r in data:
        result = by_name[r[platform].value]
        assert r[score].number_format == "#,##0.00" and r[score].value == result.score
        assert r[chance].number_format == "0%" and r[chance].value == result.p_last
    for r in rows[1:]:
        assert not (isinstance(r[1].value, str) and re.fullmatch(r"LS\d\d", r[1].value))


def test_run_page_lists_the_rule_assumptions_it_refers_to(login, league_demo):
    """The facts table points to the rule file's assumptions below; the section is there and
    lists every assumption of the rule file."""
    from django.utils.html import escape

    from pingtai.core.terms import plain_text
    from pingtai.league.rules import load_rules

    page = login("leader").get(f"/league/runs/{league_demo.q4.pk}/").content.decode()
    assert "见下方“规则假设”" in page
    section = page.split('<h2 id="assumptions">规则假设</h2>', 1)[1]
    assumptions = load_rules().rules.all_assumptions
    assert assumptions and all(escape(plain_text(a)) in section for a in assumptions)
    assert "规则文件已更新" not in section  # the demo run used the shipped file


def test_scorecard_and_its_export(login, league_demo):
    client = login("pt_ls03")
    page = client.get(f"/league/runs/{league_demo.y24.pk}/platforms/LS03/").content.decode()
    assert "龙泉" in page and "亩均税收" in page and "报送及时率" in page and "历次已发布" in page
    # the 亩均 figures come from an earlier year than the cockpit's: the card says which
    year = league_demo.y24.provenance["enterprise_year"]
    assert f"企业年度数据（亩均税收、亩均增加值等）{year} 年" in page
    rows = sheet(client.get(f"/league/runs/{league_demo.y24.pk}/platforms/LS03/export.xlsx"))
    assert rows[0] == (
        "方向",
        "指标",
        "方向性",
        "单位",
        "权重",
        "指标值",
        "得分",
        "赶超所需变化（%）",
    )
    total = next(r for r in rows if r[1] == "综合得分")
    assert total[6] == pytest.approx(
        league_demo.y24.results.get(platform_code="LS03").score, abs=0.001
    )


def test_scorecard_writes_counts_whole_and_the_last_place_chance_as_a_percentage(
    login, league_demo
):
    page = (
        login("leader").get(f"/league/runs/{league_demo.y24.pk}/platforms/LS01/").content.decode()
    )
    # 指标明细: value cell followed by its unit cell.
    cells = re.findall(r"<td>([^<]*)</td><td>(个|家|人|项|次)</td>", page)
    assert cells, "评分卡没有计数类指标"
    for value, unit in cells:
        assert "." not in value, (value, unit)
    assert re.search(r"末位概率 \d+%", page), page
    assert not re.search(r"末位概率 \d\.\d{3}", page)


def test_scorecard_shows_what_it_takes_to_pass_the_platform_above(login, league_demo):
    run = league_demo.y24
    client = login("admin")
    reachable = 0
    for result in run.results.select_related("platform"):
        page = client.get(f"/league/runs/{run.pk}/platforms/{result.platform_code}/")
        text = page.content.decode()
        assert "单项无法达到" not in text
        plans, headroom = selectors.catch_up_plans(run, result)
        gains = sorted((g for _, g in headroom), reverse=True)
        titles = [p.title for p in plans]
        if result.rank == 1:
            assert not any(t.startswith("追上组内") for t in titles)
        else:
            assert any(t.startswith("追上组内") for t in titles)
        for plan in plans:
            assert plan.title in text and plan.explanation.split("；")[0] in text
            gap = plan.goal - result.score
            if plan.reachable:
                reachable += 1
                k = len(plan.changes)
                # The fewest indicators: k−1 of the largest possible gains fall short.
                assert sum(gains[: k - 1]) < gap - 1e-9 and sum(gains[:k]) >= gap - 1e-6
                assert abs(sum(c.gain for c in plan.changes) - gap) < 1e-3
                for c in plan.changes:
                    assert c.name in text
            else:
                assert "没有可行的路径" in plan.explanation and sum(gains) < gap
    assert reachable > 0


def test_platform_user_sees_own_scorecard_published_ranking_and_nothing_unpublished(
    login, league_demo
):
    client = login("pt_ls03")
    published, preview = league_demo.y24, league_demo.h1
    assert client.get(f"/league/runs/{published.pk}/").status_code == 200
    assert client.get(f"/league/runs/{published.pk}/export.xlsx").status_code == 200
    assert client.get(f"/league/runs/{published.pk}/platforms/LS03/").status_code == 200
    for url in (
        f"/league/runs/{published.pk}/platforms/LS04/",
        f"/league/runs/{published.pk}/platforms/LS04/export.xlsx",
        f"/league/runs/{preview.pk}/",
        f"/league/runs/{preview.pk}/export.xlsx",
        f"/league/runs/{preview.pk}/lists.xlsx",
        f"/league/runs/{preview.pk}/platforms/LS03/",
        f"/league/runs/{preview.pk}/platforms/LS03/export.xlsx",
    ):
        assert client.get(url).status_code == 404, url
    index = client.get("/league/").content.decode()
    assert f"/league/runs/{published.pk}/" in index and f"/league/runs/{preview.pk}/" not in index
    # Other platforms' names appear in the published ranking, but not as scorecard links.
    page = client.get(f"/league/runs/{published.pk}/").content.decode()
    assert f"/league/runs/{published.pk}/platforms/LS03/" in page
    assert f"/league/runs/{published.pk}/platforms/LS04/" not in page


def test_platform_and_department_users_cannot_reach_proposals_or_pay_pools(login, league_demo):
    pool_pk = _pool(login, league_demo)
    # the pool named by its amount and its run, never by a database number
    page = login("leader").get(f"/league/pay-pools/{pool_pk}/").content.decode()
    assert (
        f"#{pool_pk}" not in page and f'依据 <a href="/league/runs/{league_demo.y24.pk}/">' in page
    )
    for user in ("pt_ls01", "dept_tax"):
        client = login(user)
        for url in (
            f"/league/runs/{league_demo.y24.pk}/proposals/",
            f"/league/pay-pools/{pool_pk}/",
            f"/league/pay-pools/{pool_pk}/export.xlsx",
            f"/league/runs/{league_demo.y24.pk}/proposals/export.xlsx",
        ):
            assert client.get(url).status_code == 403, (user, url)


def _pool(login, league_demo) -> int:
    response = login("admin").post(
        f"/league/runs/{league_demo.y24.pk}/pay-pools/new/",
        {"total": "2,000.05", "note": "2024 年度绩效"},
    )
    assert response.status_code == 302
    return PayPool.objects.latest("pk").pk


def test_pay_pool_page_and_export_add_up(login, league_demo):
    pk = _pool(login, league_demo)
    client = login("leader")
    page = client.get(f"/league/pay-pools/{pk}/").content.decode()
    assert "2000.05" in page and "托底" in page
    response = client.get(f"/league/pay-pools/{pk}/export.xlsx")
    assert "绩效薪酬池分配.xlsx" in unquote(response["Content-Disposition"])
    rows = sheet(response)
    amounts = [Decimal(str(r[3])) for r in rows[1:] if r[0] and str(r[0]).startswith("LS")]
    assert len(amounts) == 11 and sum(amounts) == Decimal("2000.05")
    total = next(r for r in rows if r[0] == "合计")
    assert total[4].startswith("托底 ") and total[4].endswith(" 万元"), total


def test_read_only_roles_cannot_change_anything(login, league_demo):
    preview = league_demo.h1
    for user in ("leader", "pt_ls01", "dept_statistics"):
        client = login(user)
        assert (
            client.post(
                "/league/runs/new/",
                {"cycle": "year", "period": "2024", "grouping": "role", "robustness": 0},
            ).status_code
            == 403
        )
        assert client.post(f"/league/runs/{preview.pk}/publish/").status_code == 403
        assert (
            client.post(
                f"/league/runs/{league_demo.y24.pk}/pay-pools/new/", {"total": "10"}
            ).status_code
            == 403
        )
    assert login("leader").post(f"/league/runs/{league_demo.y24.pk}/proposals/").status_code == 403
    preview.refresh_from_db()
    assert preview.status == LeagueRun.Status.PREVIEW
    assert not TierProposal.objects.exists() and not PayPool.objects.exists()


def test_admin_creates_and_publishes_a_run_through_the_pages(login, league_demo):
    client = login("admin")
    response = client.post(
        "/league/runs/new/",
        {"cycle": "quarter", "period": "2024q2", "grouping": "size", "robustness": 100},
    )
    run = LeagueRun.objects.latest("pk")
    assert response.status_code == 302 and response["Location"] == f"/league/runs/{run.pk}/"
    assert (run.cycle, run.period_code, run.grouping, run.status) == (
        "quarter",
        "2024Q2",
        "size",
        "preview",
    )
    assert "确认发布（发布后不可更改）" in client.get(f"/league/runs/{run.pk}/").content.decode()
    client.post(f"/league/runs/{run.pk}/publish/", {"confirm": "on"})
    run.refresh_from_db()
    assert run.status == LeagueRun.Status.PUBLISHED and run.published_by.username == "admin"
    refused = client.post(
        "/league/runs/new/",
        {"cycle": "half", "period": "2024", "grouping": "role", "robustness": 0},
        follow=True,
    )
    assert "与周期不符" in refused.content.decode()


def test_admin_makes_and_approves_proposals_through_the_pages(login, league_demo):
    client = login("admin")
    client.post(f"/league/runs/{league_demo.y24.pk}/proposals/")
    proposals = list(TierProposal.objects.filter(run=league_demo.y24))
    assert proposals
    page = client.get(f"/league/runs/{league_demo.y24.pk}/proposals/").content.decode()
    assert "建议升档" in page or "建议降档" in page
    target = proposals[0]
    client.post(f"/league/proposals/{target.pk}/decide/", {"decision": "approve", "note": "同意"})
    assert Platform.objects.get(pk=target.platform_id).tier == target.to_tier
    rows = sheet(client.get(f"/league/runs/{league_demo.y24.pk}/proposals/export.xlsx"))
    assert any(r[8] == "已批准" for r in rows[1:])


def test_target_board_with_warnings_and_scope(login, league_demo):
    client = login("leader")
    page = client.get("/league/targets/?year=2024").content.decode()
    for text in (
        "亩均增加值",
        "亩均税收",
        "高新技术产业增加值占比",
        "研发投入强度",
        "平台产能翻番",
        "可开发空间",
        "南北两翼产能",
        "市本级平台千亿级",
        "管理机构数量缩减60%",
        "管理人员数量缩减30%",
        "投资强度倍增",
        "产业创新服务综合体全覆盖",
        "红灯",
        "所需年均增速",
    ):
        assert text in page, text
    board = build_board(2024)
    assert board.red + board.yellow == len(board.warnings) > 0
    assert f"预警：红灯 {board.red} 项，黄灯 {board.yellow} 项" in page
    rows = sheet(client.get("/league/targets/export.xlsx?year=2024"))
    assert rows[0][:3] == ("范围", "目标", "目标值")
    scopes = {r[0] for r in rows[1:] if r[1]}
    assert len(scopes) == 12  # 11 platforms + 全市
    header = rows[0]
    value = header.index("现值")
    high_tech = [r for r in rows[1:] if r[1] == "高新技术产业增加值占比"]
    assert len(high_tech) == 11 and all(
        r[value] is not None and 0 < r[value] < 100 for r in high_tech
    )
    # Years read as years, rates as percentages, no references to the maintainers' notes.
    assert all(re.fullmatch(r"\d{4}年", r[header.index("目标年份")]) for r in rows[1:] if r[1])
    cells = [c for r in rows for c in r if isinstance(c, str)]
    assert not any("methods.md" in c or "U-22" in c for c in cells)
    own = sheet(login("pt_ls02").get("/league/targets/export.xlsx?year=2024"))
    assert {r[0] for r in own[1:] if r[1]} == {"莲都经开区", "全市"}


def test_cockpit_reads_report_only_targets_from_the_approved_year_end_reports(login, league_demo):
    """High-tech share, innovation complexes and investment intensity come only from the
    approved Q4 platform reports — the figures the scorecard shows — on the cockpit as well."""
    from django.urls import reverse

    page = login("leader").get("/dashboard/").content.decode()
    detail = page[page.index("平台目标预警（明细）") :]
    detail = detail[: detail.index("</table>")]
    names = re.findall(r"<th title=\"[^\"]*\">([^<]+)<br>", detail)
    link = reverse("platform_detail", args=["LS01"])
    row = detail[detail.index(f'href="{link}"') :]
    row = row[: row.index("</tr>")]
    cells = dict(
        zip(names, re.findall(r"<td title=\"([^\"]*)\">(.*?)</td>", row, re.S), strict=True)
    )
    for name in ("高新技术产业增加值占比", "产业创新服务综合体全覆盖", "投资强度倍增"):
        reason, cell = cells[name]
        assert re.search(r"<small>[^<]*\d", cell), (name, reason, cell)
        assert reason, name
    # The two levels are assessed; the doubling has no 2020 report to double and says so.
    assert "暂无数据" not in cells["高新技术产业增加值占比"][1]
    assert "暂无数据" not in cells["产业创新服务综合体全覆盖"][1]
    assert "2020年基期" in cells["投资强度倍增"][0]
