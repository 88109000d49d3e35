"""Notices built from published runs: every figure in them comes from the frozen run.

A notice built here is a draft (no 文号, no date); ``services.issue_notice`` gives it its
number from the register and stores its files. The body names methods by their Chinese
title; identifiers, versions and hashes go into ``Notice.provenance`` (document properties).
"""

from __future__ import annotations

from collections import Counter, defaultdict

from pingtai.core.refusal import Refused
from pingtai.engine.methods import MethodError, load_method
from pingtai.evaluation.models import EvaluationRun
from pingtai.evaluation.sources import source_statement
from pingtai.registry import selectors as registry
from pingtai.registry.models import County, EnterpriseYear, Platform
from pingtai.reports import charts
from pingtai.reports.documents import NUMERALS, Chart, Notice, Section, Table
from pingtai.reports.offices import CITY_OFFICE
from pingtai.xlsx.export import Column

CLASSES = ["A", "B", "C", "D"]
RECIPIENTS = "各县（市、区）人民政府，丽水经济技术开发区管委会，各产业平台管委会，市直有关单位"
COPY_TO = "市开发区（园区）整合提升工作领导小组各成员单位。"
SYNTHETIC_NOTE = "本通报所用企业数据为按方案公布的汇总数生成的演示数据（合成），不代表任何真实企业"


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _percent_text(part: int, whole: int) -> str:
    return f"{part / whole * 100:.1f}%" if whole else "—"


def method_title(method_id: str) -> str:
    try:
        return load_method(method_id).title
    except MethodError:  # a method file no longer shipped: the notice still reads plainly
        return "评价方法"


def _run_provenance(run) -> dict[str, str]:
    """Identifiers of the frozen run, for the document properties."""
    return {
        "评价方法": f"{run.method_id} 第{run.method_version}版",
        "方法文件哈希": run.method_hash,
        "输入数据哈希": run.input_hash,
        "结果哈希": run.result_hash,
        "批次": run.name,
    }


def mujun_notice(run: EvaluationRun) -> Notice:
    """亩均效益综合评价结果通报 for a published enterprise evaluation run (a draft)."""
    if not run.is_published:
        raise Refused("只能根据已发布的评价批次生成通报", code="run_not_published")
    results = run.results.all()
    counties = dict(County.objects.values_list("code", "name"))
    platforms = {p.code: p for p in Platform.objects.all()}
    by_county: dict[str, Counter] = defaultdict(Counter)
    by_platform: dict[str, Counter] = defaultdict(Counter)
    for county, platform, klass in results.values_list("county_code", "platform_code", "klass"):
        by_county[county][klass] += 1
        by_platform[platform][klass] += 1
    total = Counter(results.values_list("klass", flat=True))
    graded = sum(total[k] for k in CLASSES)
    county_codes = sorted(by_county)
    overview = (
        f"{run.year}年度全市共有{graded:,}家工业企业参加亩均效益综合评价，其中A类（优先发展类）"
        f"{total['A']:,}家、占{_percent_text(total['A'], graded)}，B类（提升发展类）{total['B']:,}家，"
        f"C类（调控帮扶类）{total['C']:,}家，D类（倒逼整治类）{total['D']:,}家、占"
        f"{_percent_text(total['D'], graded)}；另有{total['T']:,}家企业因用地不足、无用地或属豁免情形"
        "列为T类（不参评），不参加评价。"
    )
    method = (
        f"评价采用《{method_title(run.method_id)}》，所用数据：{source_statement(run.provenance)}；"
        "按同一方法和数据重算，结果一致。"
    )
    county_rows = []
    for c in county_codes:
        graded_here = sum(by_county[c][k] for k in CLASSES)
        county_rows.append(
            [
                counties.get(c, c),
                *[by_county[c][k] for k in CLASSES],
                by_county[c]["T"],
                graded_here,
                _share(by_county[c]["A"], graded_here),
            ]
        )
    chart = charts.stacked_class_bars(
        [counties.get(c, c) for c in county_codes],
        {k: [by_county[c][k] for c in county_codes] for k in CLASSES},
    )
    figures = registry.figures_by_platform(run.year)
    platform_rows = []
    for code in sorted(by_platform):
        p, f = platforms[code], figures.get(platforms[code].id)
        platform_rows.append(
            [
                p.name,
                sum(by_platform[code][k] for k in CLASSES),
                *[by_platform[code][k] for k in CLASSES],
                f.tax_per_mu if f else None,
                f.value_added_per_mu if f else None,
            ]
        )
    tax_chart = charts.bars(
        [platforms[c].short_name for c in sorted(by_platform)],
        [float(figures[platforms[c].id].tax_per_mu or 0) for c in sorted(by_platform)],
        "万元/亩",
        reference=float(
            registry.figures(EnterpriseYear.objects.filter(year=run.year)).tax_per_mu or 0
        ),
        reference_label="全市平均（总量之比）",
    )
    d_results = list(results.filter(klass="D").order_by("county_code", "score", "uscc"))
    # The 说明 column is printed only when some D-class firm has a remark.
    remarks = any(r.note for r in d_results)
    d_rows = [
        [
            i,
            counties.get(r.county_code, r.county_code),
            platforms[r.platform_code].short_name,
            r.uscc,
            r.name,
            r.score,
            *([r.note] if remarks else []),
        ]
        for i, r in enumerate(d_results, start=1)
    ]
    sections = [
        Section(
            "总体情况",
            [overview, method],
            [
                Table(
                    "表1 各县（市、区）评价结果",
                    [
                        Column("县（市、区）", kind="name", key=True),
                        *[Column(f"{k}类", unit="家", kind="integer") for k in CLASSES],
                        Column("T类不参评", unit="家", kind="integer"),
                        Column("参评合计", unit="家", kind="integer"),
                        Column("A类占比", kind="percent", decimals=1),
                    ],
                    county_rows,
                )
            ],
            [Chart("图1 各县（市、区）评价类别分布", chart)],
        ),
        Section(
            "各平台情况",
            [
                "各平台亩均税收、亩均增加值均按平台内企业税收、增加值合计除以用地面积合计计算（总量之比）。"
            ],
            [
                Table(
                    "表2 各平台评价结果与亩均效益",
                    [
                        Column("平台", kind="name", key=True),
                        Column("参评企业", unit="家", kind="integer"),
                        *[Column(f"{k}类", unit="家", kind="integer") for k in CLASSES],
                        Column("亩均税收", unit="万元/亩", kind="decimal"),
                        Column("亩均增加值", unit="万元/亩", kind="decimal"),
                    ],
                    platform_rows,
                )
            ],
            [Chart("图2 各平台亩均税收", tax_chart)],
        ),
        Section(
            "D类企业名单",
            [
                (
                    "以下企业评为D类（倒逼整治类），按规定实行差别化电价、用能和排污指标从严控制等政策，"
                    "所在平台应逐一制定整治提升方案，对连续评为D类的企业研究低效用地退出措施。"
                )
            ],
            [
                Table(
                    "表3 D类（倒逼整治类）企业名单",
                    [
                        Column("序号", kind="integer", key=True),
                        Column("县（市、区）", kind="name"),
                        Column("平台", kind="name"),
                        Column("统一社会信用代码", kind="code"),
                        Column("企业名称", kind="name", key=True),
                        Column("综合得分", unit="分", kind="decimal"),
                        *([Column("说明", kind="text")] if remarks else []),
                    ],
                    d_rows,
                )
            ],
        ),
        Section(
            "工作要求",
            [
                "各平台要对照评价结果，落实资源要素差别化配置政策，推动A类企业扩大投资、C类和D类企业整治提升。",
                "各县（市、区）和各平台对评价结果有异议的，应在通报印发之日起10个工作日内书面提出，并附相关依据。",
            ],
        ),
    ]
    demo = bool(run.provenance.get("register_synthetic"))
    return Notice(
        issuer=CITY_OFFICE.name,
        title=f"关于{run.year}年度全市工业企业亩均效益综合评价结果的通报",
        recipients=RECIPIENTS,
        sections=sections,
        as_of=run.published_at or run.created_at,
        copy_to=COPY_TO,
        annotation=SYNTHETIC_NOTE if demo else "",
        demo=demo,
        provenance=_run_provenance(run),
    )


def league_notice(run) -> Notice:
    """季度比评 / 年中督查 / 年终考核通报 for a published platform league run (plan §五(三):
    通报点评), with the 约谈 list and its robustness, the top list and overdue battle-map tasks;
    a draft."""
    from pingtai.league import rules as league_rules
    from pingtai.league import selectors as league
    from pingtai.supervision.selectors import overdue_tasks

    if not run.is_published:
        raise Refused("只能根据已发布的考评批次生成通报", code="run_not_published")
    kind = run.get_cycle_display()
    ranking = league.ranking(run)
    columns = ranking.columns
    results = [row.result for group in ranking.groups for row in group.rows]
    overview = (
        f"根据《丽水市开发区（园区）整合提升总体方案》“过程+结果”量化考核要求，对全市{len(results)}个"
        f"重大产业平台开展{run.label}。按{run.get_grouping_display()}分组排名，"
        f"评价方法为《{method_title(run.method_id)}》。"
    )
    change_kind = "环比" if run.cycle == run.Cycle.QUARTER else "同比"
    tables: list[Table] = []
    for group in ranking.groups:
        rows = []
        for row in group.rows:
            rows.append(
                [
                    row.result.rank,
                    row.platform.short_name,
                    row.result.score,
                    *row.directions,
                    row.score_change.get(change_kind),
                ]
            )
        tables.append(
            Table(
                f"表{len(tables) + 1} {group.label}组排名",
                [
                    Column("名次", kind="integer", key=True),
                    Column("平台", kind="name", key=True),
                    Column("综合得分", unit="分", kind="decimal"),
                    *[Column(c.name, unit="分", kind="decimal") for c in columns],
                    Column(f"得分{change_kind}", unit="分", kind="decimal", signed=True),
                ],
                rows,
            )
        )
    ordered = sorted(results, key=lambda r: (r.overall_rank, r.platform_code))
    score_chart = charts.bars(
        [r.platform.short_name for r in ordered],
        [r.score for r in ordered],
        "分",
    )
    interviews, applies = league.interview_list(run)
    interview_rows = [
        [
            e.result.platform.name,
            e.reason,
            e.result.score,
            league.rank_band(e.result),
            e.robustness,
        ]
        for e in interviews
    ]
    interview_text = (
        "按规定对年度考核位次末位的平台实行约谈制度。下列平台列入约谈名单；末位是否稳健（在权重合理变动下仍为末位）一并列出，"
        "供领导小组决定时参考。"
        if applies
        else "下列平台本期位次靠后，予以通报提醒；年终考核仍为末位的，按规定实行约谈。末位稳健性一并列出。"
    )
    top = league.top_list(run)
    # The rules that made the lists, and what a tie left open, go into the notice with them
    # (docs/league.md, "Lists").
    found = league.run_decisions(run)
    # Each rule is a paragraph of its own (it names its list: "约谈名单：…"). A rule applied that
    # changed a list is stated as the rule in a 说明 paragraph; only a tie the leading group's
    # office decided says so (in the rule's wording), and a tie still open is named as open.
    basis_text = [
        "名单依据如下，同分的平台并列同一名次。",
        *[
            f"（{NUMERALS[i] if i < len(NUMERALS) else i + 1}）{line}。"
            for i, line in enumerate(found.basis)
        ],
    ]
    explained = [*found.notes, *found.cautions]
    open_text = [f"说明：{'。'.join(explained)}。"] if explained else []
    if found.open_ties:
        names = {r.platform_code: r.platform.name for r in results}
        open_text.append(
            "以下并列位次在本通报印发时尚未决定，名单中标为“并列，待决定”："
            + "；".join(
                f"{t.question}，{'、'.join(names.get(c, c) for c in t.candidates)}得分相同"
                for t in found.open_ties
            )
            + "。"
        )
    follow_up = league_rules.load_rules().rules.follow_up
    on = run.published_at.date() if run.published_at else run.created_at.date()
    overdue = overdue_tasks(on)
    overdue_rows = [
        [t.platform.name, t.title, t.owner, t.deadline, t.progress / 100] for t in overdue
    ]
    sections = [
        Section("总体情况", [overview], [], [Chart("图1 各平台综合得分", score_chart)]),
        Section(
            "分组排名",
            ["各方向得分按评价方法所列指标计算，平台亩均指标为平台内企业合计之比。"],
            tables,
        ),
        Section(
            "约谈与提醒名单" if applies else "末位提醒",
            [interview_text, *basis_text, *open_text],
            [
                Table(
                    f"表{len(tables) + 1} 末位平台",
                    [
                        Column("平台", kind="name", key=True),
                        Column("位次", kind="name"),
                        Column("综合得分", unit="分", kind="decimal"),
                        Column("排名区间（5%—95%）", kind="name"),
                        Column("稳健性", kind="text"),
                    ],
                    interview_rows,
                )
            ],
        ),
        Section(
            "表扬与资源要素支持名单",
            ["对综合考核名列前茅的平台给予资源要素重点支持，并优先推荐申报国家级开发区。"],
            [
                Table(
                    f"表{len(tables) + 2} 名列前茅的平台",
                    [
                        Column("平台", kind="name", key=True),
                        Column("综合得分", unit="分", kind="decimal"),
                        Column("理由", kind="text"),
                    ],
                    [[e.result.platform.name, e.result.score, e.reason] for e in top],
                )
            ],
        ),
        Section(
            "作战图推进情况",
            [
                f"截至{on.year}年{on.month}月{on.day}日，各平台作战图中逾期未完成的任务共{len(overdue)}项，请责任单位抓紧推进。"
            ],
            [
                Table(
                    f"表{len(tables) + 3} 逾期未完成任务",
                    [
                        Column("平台", kind="name", key=True),
                        Column("任务", kind="text"),
                        Column("责任单位", kind="name"),
                        Column("截止日期", kind="date"),
                        Column("进度", kind="percent", decimals=0),
                    ],
                    overdue_rows,
                )
            ]
            if overdue_rows
            else [],
        ),
        Section(
            "工作要求",
            [
                f"各平台要对照通报查找差距，排名靠后的平台应于{follow_up.rectification_days}日内向领导小组办公室报送整改措施。",
                f"各平台对评价结果有异议的，应在通报印发之日起{follow_up.objection_working_days}个工作日内通过系统书面提出，并附相关依据。",
                "对工作进展缓慢、推进不力的，按规定予以问责。",
            ],
        ),
    ]
    demo = registry.holds_synthetic_data()
    return Notice(
        issuer=CITY_OFFICE.name,
        title=f"关于{run.period_label}全市重大产业平台{kind}情况的通报",
        recipients=RECIPIENTS,
        sections=sections,
        as_of=run.published_at or run.created_at,
        copy_to=COPY_TO,
        annotation=SYNTHETIC_NOTE if demo else "",
        demo=demo,
        provenance={
            **_run_provenance(run),
            "规则版本": run.rules_version,
            "规则文件哈希": run.rules_hash,
        },
    )
