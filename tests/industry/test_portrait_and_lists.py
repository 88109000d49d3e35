"""行业排名, 本行业A类企业数, the previous year's class and the industry and county benchmarks on
the portrait; 领跑者 lists per industry for the city and per platform (page and spreadsheet);
the class distribution per GB/T 4754 大类 — read through the Django client from real published
runs and checked against the stored results."""

from __future__ import annotations

import io
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal

import openpyxl
import pytest

from pingtai.evaluation.models import EnterpriseResult
from pingtai.standards.gbt4754 import division_name

pytestmark = pytest.mark.django_db


def _fixed(value: float, places: int = 2) -> str:
    return f"{Decimal(value).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP):,}"


def _division(r: EnterpriseResult) -> str:
    return (r.values.get("_industry_code") or r.enterprise.industry_code)[1:3]


def test_portrait_shows_rank_in_industry_a_count_previous_class_and_both_benchmarks(runs, login):
    earlier, current = runs
    results = list(current.results.filter(segment="规上").select_related("enterprise"))
    firm = next(
        r
        for r in results
        if r.values["_groups"]["rank"]["level"] == "行业大类"
        and earlier.results.filter(uscc=r.uscc).exists()
        and r.rank
        and r.rank > 1
    )
    members = [r for r in results if _division(r) == _division(firm)]
    rank = firm.values["_groups"]["rank"]
    # The stored figures are the industry's, checked by hand against the run's rows.
    assert rank["size"] == len(members)
    assert rank["top_count"] == sum(r.klass == "A" for r in members)
    previous = earlier.results.get(uscc=firm.uscc)

    text = (
        login("admin")
        .get(f"/evaluation/runs/{current.pk}/enterprises/{firm.uscc}/")
        .content.decode()
    )
    name = division_name(_division(firm))
    assert f"行业排名（{name}）" in text
    assert f"第 <b>{rank['rank']}</b> 名 / {rank['size']} 家" in text
    assert f"<span>本行业A类企业数</span><b>{rank['top_count']}</b> 家" in text
    assert f"上年类别（2023年度）</span><b>{previous.klass}</b> 类" in text
    tax = firm.values["tax_per_mu"]
    assert _fixed(tax["bench"]) in text and _fixed(tax["ref"]["county"]) in text
    assert "本行业基准值" in text and "本县基准值" in text and "万元/亩" in text
    assert "规上|" not in text  # groups in words, not as codes


def test_portrait_of_a_default_method_run_places_the_firm_among_its_industry(runs, login):
    earlier, _ = runs
    results = list(earlier.results.filter(segment="规上").select_related("enterprise"))
    firm = max((r for r in results if r.score is not None), key=lambda r: (r.score < 60, r.score))
    same = [r for r in results if _division(r) == _division(firm)]
    scored = [r for r in same if r.score is not None]
    expected = 1 + sum(r.score > firm.score for r in scored)
    text = (
        login("admin")
        .get(f"/evaluation/runs/{earlier.pk}/enterprises/{firm.uscc}/")
        .content.decode()
    )
    assert f"第 <b>{expected}</b> 名 / {len(scored)} 家" in text
    assert f"<b>{sum(r.klass == 'A' for r in same)}</b> 家" in text
    assert "2022年度）</span><b>—</b>（无已发布结果）" in text
    # The industry and county benchmarks were stored with the run from the industry method on
    # the same frozen inputs; the portrait shows them without evaluating anything.
    assert "仅供对照" in text
    industry_tax, county_tax = firm.values["_reference"]["indicators"]["tax_per_mu"]
    assert industry_tax > 0 and county_tax > 0
    assert _fixed(industry_tax) in text and _fixed(county_tax) in text
    assert firm.values["_reference"]["bench_group"]["level"].startswith(("行业", "县", "全部"))


def test_leader_lists_per_industry_for_the_city_and_a_platform_with_export(runs, login):
    _, current = runs
    admin = login("admin")
    text = admin.get(f"/evaluation/runs/{current.pk}/leaders/").content.decode()
    results = list(current.results.filter(segment="规上").select_related("enterprise"))
    by_division: dict[str, list[EnterpriseResult]] = {}
    for r in results:
        if r.score is not None and r.klass != "T":
            by_division.setdefault(_division(r), []).append(r)
    division, members = max(by_division.items(), key=lambda kv: len(kv[1]))
    best = max(members, key=lambda r: r.score)
    assert division_name(division) in text and best.name in text

    export = admin.get(f"/evaluation/runs/{current.pk}/leaders.xlsx")
    assert export.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(export.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert "领跑者名单（全市，各行业前 5 名）" in rows[0][0]
    header = list(rows[1])
    assert "综合得分（分）" in header and "行业参评企业数（家）" in header
    listed = [r for r in rows[2:] if r[0] == division_name(division) and r[1] == "规上"]
    assert len(listed) >= min(5, len(members))
    assert listed[0][header.index("统一社会信用代码")] == best.uscc
    assert listed[0][header.index("行业参评企业数（家）")] == len(members)

    # One platform: its own firms only, three per industry; another platform's user sees none.
    platform = best.platform_code
    own = admin.get(f"/evaluation/runs/{current.pk}/leaders/?platform={platform}").content.decode()
    others = current.results.exclude(platform_code=platform).filter(klass="A")
    assert best.name in own and not any(r.name in own for r in others[:50])
    outsider = "pt_ls02" if platform != "LS02" else "pt_ls01"
    foreign = login(outsider).get(f"/evaluation/runs/{current.pk}/leaders/?platform={platform}")
    assert foreign.status_code == 200 and best.name not in foreign.content.decode()


def test_class_distribution_per_industry_uses_the_standard_names(runs, login):
    _, current = runs
    text = login("leader").get(f"/evaluation/runs/{current.pk}/industries/").content.decode()
    results = list(current.results.select_related("enterprise"))
    counts = Counter((_division(r), r.klass) for r in results)
    divisions = {d for d, _ in counts}
    for d in divisions:
        assert division_name(d) in text
    d = max(divisions, key=lambda x: sum(n for (dd, _), n in counts.items() if dd == x))
    row = text.split(f"<td>{division_name(d)}</td>", 1)[1].split("</tr>", 1)[0]
    cells = [c.split("</td>")[0] for c in row.split("<td>")[1:]]
    expected = [str(counts[(d, k)]) for k in "ABCDT"]
    assert cells[:5] == expected
    assert cells[5] == str(sum(counts[(d, k)] for k in "ABCDT"))
    graded = sum(counts[(d, k)] for k in "ABCD")
    assert cells[6] == f"{100 * counts[(d, 'A')] / graded:.1f}%"
    assert "A 类（家）" in text and "合计（家）" in text
