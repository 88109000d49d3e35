"""Quota pools through the pages: demands, runs with explanations on the demo data, publication,
scope (platform users see only published runs and their own lines), exports, what-if."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import openpyxl
import pytest

from pingtai.allocation.models import AllocationRun, PoolDemand, QuotaPool
from pingtai.audit.models import AuditEvent
from pingtai.core.refusal import Refused
from pingtai.registry.models import Platform
from pingtai.registry.selectors import figures_by_platform

pytestmark = pytest.mark.django_db


def _pool(client, kind="land", year=2025, total="3000.00") -> QuotaPool:
    response = client.post("/allocation/pools/new/", {"kind": kind, "year": year, "total": total})
    assert response.status_code == 302
    return QuotaPool.objects.get(kind=kind, year=year)


def _run(client, pool, rules="land-platform-default", platform="") -> AllocationRun:
    response = client.post(
        f"/allocation/pools/{pool.pk}/runs/new/", {"rules": rules, "platform": platform}
    )
    assert response.status_code == 302, response
    run = AllocationRun.objects.filter(pool=pool).order_by("-id").first()
    assert response.url == f"/allocation/runs/{run.pk}/"
    return run


def test_platform_allocation_on_demo_data_is_exact_and_explained(login):
    admin = login("admin")
    pool = _pool(admin)
    ls02 = Platform.objects.get(code="LS02")
    login("pt_ls02").post(
        f"/allocation/pools/{pool.pk}/demand/", {"demand": "150", "major_demand": "40"}
    )
    assert PoolDemand.objects.get(pool=pool).platform == ls02
    admin = login("admin")
    run = _run(admin, pool)
    lines = {line.code: line for line in run.lines.all()}
    assert len(lines) == Platform.objects.count() == 11
    assert sum(line.amount for line in lines.values()) + run.surplus == Decimal("3000.00")
    assert run.reserve == Decimal("600.00") and run.reserve_used == Decimal("40.00")
    # LS02 asked for 150: the demand binds, 40 of it from the 重大产业项目 reserve.
    assert lines["LS02"].amount == Decimal("150.00") and lines["LS02"].binding == "申报需求"
    assert lines["LS02"].explanation[0] == {
        "rule": "reserve",
        "label": "重大产业项目预留",
        "amount": "40.0000",
    }
    for line in lines.values():
        assert Decimal("60.00") <= line.amount <= Decimal("900.00")  # floor 2 %, cap 30 %
        assert sum(Decimal(step["amount"]) for step in line.explanation) == line.amount
    # The score is the documented ratio of sums against the platform mean (2024 data).
    figures = figures_by_platform(2024)
    platforms = list(Platform.objects.order_by("code"))
    tax = {p.code: figures[p.id].tax_per_mu for p in platforms}
    va = {p.code: figures[p.id].value_added_per_mu for p in platforms}
    mean_tax, mean_va = sum(tax.values()) / 11, sum(va.values()) / 11
    expected = Decimal("0.6") * tax["LS01"] / mean_tax + Decimal("0.4") * va["LS01"] / mean_va
    assert lines["LS01"].score == expected.quantize(Decimal("0.0001"))
    assert lines["LS01"].multiplier == Decimal("1.2")  # tier T1
    page = admin.get(f"/allocation/runs/{run.pk}/").content.decode()
    assert "重大产业项目预留" in page and "基础份额（平均）" in page and "得分份额" in page
    # the run is named in words (docs/glossary.md) with its rule's title, not by a bare
    # database number or rule file key
    assert (
        f"2025年度新增建设用地指标（平台间）第{run.pk}号批次（新增建设用地指标·平台间配置" in page
    )
    assert "land-platform-default v" not in page and f"#{run.pk}" not in page
    # every amount with its unit, in the facts and in the headings of the table
    assert re.search(r"实际使用 [\d.]+ 亩；已分配 [\d.]+ 亩；结余 [\d.]+ 亩", page)
    assert "<th>保底（亩）</th>" in page and "<th>规则理想份额（亩）</th>" in page
    for listing in (admin.get("/allocation/"), admin.get(f"/allocation/pools/{pool.pk}/")):
        assert re.search(
            r"<td>[\d.]+ 亩</td><td>[\d.]+ 亩</td><td>预览</td>", listing.content.decode()
        )


def test_platform_users_see_only_published_runs_and_their_own_line(login):
    admin = login("admin")
    pool = _pool(admin, "energy", 2025, "50000")
    # platform users cannot submit a demand for another platform: the form's platform is ignored
    login("pt_ls03").post(
        f"/allocation/pools/{pool.pk}/demand/",
        {"platform": "LS01", "demand": "5000", "major_demand": "0"},
    )
    assert list(PoolDemand.objects.filter(pool=pool).values_list("platform__code", flat=True)) == [
        "LS03"
    ]
    run = _run(login("admin"), pool, "energy-platform-default")
    assert login("pt_ls03").get(f"/allocation/runs/{run.pk}/").status_code == 404
    assert login("pt_ls03").get(f"/allocation/runs/{run.pk}/export.xlsx").status_code == 404
    assert login("leader").get(f"/allocation/runs/{run.pk}/").status_code == 200
    # read-only roles cannot publish, create pools or runs
    for user in ("leader", "pt_ls03", "dept_tax"):
        client = login(user)
        assert client.post(f"/allocation/runs/{run.pk}/publish/").status_code in (403, 404)
        assert (
            client.post(
                "/allocation/pools/new/", {"kind": "funds", "year": 2025, "total": "1"}
            ).status_code
            == 403
        )
        assert (
            client.post(
                f"/allocation/pools/{pool.pk}/runs/new/", {"rules": "energy-platform-default"}
            ).status_code
            == 403
        )
    assert not run.__class__.objects.get(pk=run.pk).is_published
    assert not QuotaPool.objects.filter(kind="funds").exists()
    admin = login("admin")
    assert admin.post(f"/allocation/runs/{run.pk}/publish/", {"confirm": "on"}).status_code == 302
    run.refresh_from_db()
    assert run.is_published
    assert AuditEvent.objects.filter(action="publish", object_id=str(run.pk)).exists()
    client = login("pt_ls03")
    page = client.get(f"/allocation/runs/{run.pk}/").content.decode()
    own = Platform.objects.get(code="LS03")
    others = Platform.objects.exclude(code="LS03")
    assert own.name in page and not any(p.name in page for p in others)
    book = openpyxl.load_workbook(
        io.BytesIO(client.get(f"/allocation/runs/{run.pk}/export.xlsx").content)
    )
    rows = list(book.active.iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in rows[1:]] == ["LS03"]
    assert rows[0][8] == "配置量（吨标煤）"
    # the leader's export has all eleven lines, summing to the allocated amount
    book = openpyxl.load_workbook(
        io.BytesIO(login("leader").get(f"/allocation/runs/{run.pk}/export.xlsx").content)
    )
    amounts = [Decimal(str(r[8])) for r in list(book.active.iter_rows(min_row=3, values_only=True))]
    assert len(amounts) == 11 and sum(amounts) == run.allocated
    assert all(a == a.to_integral_value() for a in amounts)  # energy unit is 1 吨标煤
    # Each column formatted one way, as the run page prints it; the rule by its title.
    sheet = book.active
    assert str(sheet["A1"].value).startswith("2025年度用能指标平台间配置结果")
    header = [c.value for c in sheet[2]]
    formats = {
        "得分（分）": "#,##0.0000",
        "保底（吨标煤）": "#,##0.00",
        "配置量（吨标煤）": "#,##0",
    }
    for name, number_format in formats.items():
        column = header.index(name)
        assert {r[column].number_format for r in sheet.iter_rows(min_row=3, max_row=13)} == {
            number_format
        }, name
    rule = sheet.cell(row=3, column=header.index("规则") + 1).value
    assert "energy-platform-default" not in rule and "（第 " in rule
    # after publication the demands are frozen
    response = login("pt_ls03").post(
        f"/allocation/pools/{pool.pk}/demand/", {"demand": "10", "major_demand": "0"}, follow=True
    )
    assert "已发布平台间配置方案，不能再修改需求" in response.content.decode()
    assert PoolDemand.objects.get(pool=pool, platform__code="LS03").demand == Decimal("5000.00")
    # a second publication is refused unless it names the current run with a reason
    admin = login("admin")
    second = _run(admin, pool, "energy-platform-default")
    page = admin.get(f"/allocation/runs/{second.pk}/").content.decode()
    assert (
        f"已有现行结果：{run.name}" in page
        and f"第{run.pk}号批次" in page
        and "发布并取代现行结果" in page
    )
    refused = admin.post(
        f"/allocation/runs/{second.pk}/publish/", {"confirm": "on", "supersede": run.pk}
    ).content.decode()
    assert "取代现行结果必须填写更正理由" in refused
    second.refresh_from_db()
    assert not second.is_published
    admin.post(
        f"/allocation/runs/{second.pk}/publish/",
        {"confirm": "on", "supersede": run.pk, "reason": "用能指标总量经市政府调整"},
    )
    second.refresh_from_db()
    run.refresh_from_db()
    assert second.is_published and run.status == "superseded"
    assert "本批次已被更正" in admin.get(f"/allocation/runs/{run.pk}/").content.decode()


def test_demand_of_other_platform_is_invisible(login):
    admin = login("admin")
    pool = _pool(admin, "emission", 2025, "800.00")
    login("pt_ls01").post(
        f"/allocation/pools/{pool.pk}/demand/", {"demand": "77.70", "major_demand": "0"}
    )
    assert "77.70" not in login("pt_ls05").get(f"/allocation/pools/{pool.pk}/").content.decode()
    assert "77.70" in login("pt_ls01").get(f"/allocation/pools/{pool.pk}/").content.decode()


def test_what_if_compares_two_rule_sets(login, admin_user_with_published_evaluation):
    admin = login("admin")
    pool = _pool(admin, "land", 2025, "2000.00")
    query = {"rules_a": "land-platform-default", "rules_b": "land-platform-classes", "platform": ""}
    page = login("leader").get(f"/allocation/pools/{pool.pk}/compare/", query)
    assert page.status_code == 200
    rows = page.context["rows"]
    assert len(rows) == 11
    assert sum(r.amount_a for r in rows) == sum(r.amount_b for r in rows) == Decimal("2000.00")
    assert sum(r.difference for r in rows) == 0
    assert any(r.difference for r in rows)
    export = login("leader").get(
        f"/allocation/pools/{pool.pk}/compare/", {**query, "format": "xlsx"}
    )
    sheet = openpyxl.load_workbook(io.BytesIO(export.content)).active
    header = [c.value for c in sheet[2]]
    assert header[:6] == [
        "代码",
        "名称",
        "新增建设用地指标·平台间配置（亩均效益加权，演示默认）（亩）",
        "新增建设用地指标·平台间配置（按亩均评价类别，演示备选）（亩）",
        "差额（亩）",
        "差额比例（%）",
    ]
    assert login("pt_ls01").get(f"/allocation/pools/{pool.pk}/compare/", query).status_code == 403
    # two weight sets of one rule file: B weighs 亩均税收 only and drops the base share
    weights = {
        "rules_a": "land-platform-default",
        "rules_b": "land-platform-default",
        "weights_b": "亩均税收=1",
        "base_share_b": "0",
    }
    page = login("leader").get(f"/allocation/pools/{pool.pk}/compare/", weights)
    rows = page.context["rows"]
    assert "调整：基础份额 0；权重 亩均税收=1" in page.content.decode()
    assert sum(r.amount_b for r in rows) == Decimal("2000.00") and any(r.difference for r in rows)
    assert not any("基础份额" in r.explain_b for r in rows)
    bad = login("leader").get(
        f"/allocation/pools/{pool.pk}/compare/",
        {**weights, "weights_b": "人均税收=1"},
        follow=True,
    )
    assert "没有名为“人均税收”的指标，可用 亩均税收、亩均增加值" in bad.content.decode()
    missing = login("leader").get(
        f"/allocation/pools/{pool.pk}/compare/", {"rules_a": "land-platform-default"}, follow=True
    )
    assert "规则 B：这个字段是必填项。" in missing.content.decode()  # which field, away from it
    # the pool page offers the rules and the weights in words, never by their file keys
    pool_page = login("admin").get(f"/allocation/pools/{pool.pk}/").content.decode()
    assert "land-platform-default</option>" not in pool_page and "tax_per_mu" not in pool_page
    assert ">新增建设用地指标·平台间配置（亩均效益加权，演示默认）</option>" in pool_page


@pytest.fixture
def admin_user_with_published_evaluation():
    from pingtai.accounts.models import User
    from pingtai.evaluation.services import run_evaluation, run_publish

    user = User.objects.get(username="admin")
    run, _ = run_evaluation(2024, "lishui-mujun-default", user=user)
    run_publish(run, user=user)
    return user


def test_infeasible_rules_are_refused_with_named_conflicts(login, tmp_path):
    from pingtai.allocation import services

    admin = login("admin")
    pool = _pool(admin, "funds", 2025, "1000.00")
    for code in ("LS01", "LS02"):
        PoolDemand.objects.create(
            pool=pool,
            platform=Platform.objects.get(code=code),
            demand=Decimal(10),
            major_demand=0,
            submitted_by=pool.created_by,
        )
    # funds-platform-default must allocate everything: the other nine have no demand limit, fine.
    run = _run(admin, pool, "funds-platform-default")
    assert run.surplus == 0 and run.allocated == Decimal("1000.00")
    rules = tmp_path / "tight.toml"
    rules.write_text(
        (services.rulefiles.RULES_DIR / "funds-platform-default.toml")
        .read_text(encoding="utf-8")
        .replace(
            'floor_share = "0.02"', 'floor_share = "0.12"\n[bounds.recipients.LS03]\ncap = "50"'
        ),
        encoding="utf-8",
    )
    with pytest.raises(Refused) as refused:
        services.allocation_compute(pool, str(rules))
    message = str(refused.value)
    assert "保底 120万元 高于上限 50万元" in message
    assert "各单位保底之和 1100万元 超过指标总量 1000万元（超出 100万元）" in message
