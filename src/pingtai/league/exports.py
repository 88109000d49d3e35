"""Every league table as an xlsx file (``pingtai.xlsx.write_table_xlsx``: typed numbers,
codes as text, formula-safe). The run's method, rules and hashes go into the workbook's
properties, not into its cells."""

from __future__ import annotations

from dataclasses import replace

from pingtai.core.numbers import money
from pingtai.core.terms import plain_text
from pingtai.league import selectors
from pingtai.league.board import Board
from pingtai.league.models import LeagueRun, PayPool, PlatformResult
from pingtai.registry.selectors import holds_synthetic_data
from pingtai.xlsx import Column, Properties, write_table_xlsx

CODE = Column("平台代码", kind="code")


def _r(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def _title(run: LeagueRun, what: str) -> str:
    return f"{run.label}{what}（{run.get_status_display()}）"


def _properties(run: LeagueRun, title: str) -> Properties:
    """Where the run's identity lives: method, rules and hashes, for whoever checks."""
    return Properties(
        title=title,
        subject=f"{run.label}（{run.get_grouping_display()}）",
        description="；".join(
            [
                f"评价方法：{run.method_id} 第{run.method_version}版",
                f"规则：{run.rules_version}",
                f"输入数据哈希：{run.input_hash}",
                f"结果哈希：{run.result_hash}",
            ]
        ),
    )


def _write(run: LeagueRun, what: str, headers, rows, sheet_name: str) -> bytes:
    title = _title(run, what)
    return write_table_xlsx(
        headers,
        rows,
        sheet_name=sheet_name,
        title=title,
        demo=holds_synthetic_data(),
        properties=_properties(run, title),
    )


def ranking_xlsx(run: LeagueRun) -> bytes:
    data = selectors.ranking(run)
    # Typed as the run page prints them: every score to two decimals (a column never mixes
    # 88.8 and 79.94), ranks whole, the last-place chance as a whole percentage.
    rank = Column("", kind="integer")
    change = Column("", unit="分", kind="decimal", signed=True)
    headers = [
        "分组",
        replace(rank, header="组内排名"),
        CODE,
        Column("平台", kind="name"),
        Column("综合得分", unit="分", kind="decimal"),
        "等级",
        *[Column(c.name, unit=f"满分{c.weight:g}分", kind="decimal") for c in data.columns],
        replace(change, header="得分同比"),
        replace(rank, header="排名同比"),
        replace(change, header="得分环比"),
        replace(rank, header="排名环比"),
        replace(rank, header="排名5%分位"),
        replace(rank, header="排名中位数"),
        replace(rank, header="排名95%分位"),
        Column("末位概率", kind="percent", decimals=0),
        "稳健性提示",
    ]
    rows = []
    for g in data.groups:
        for row in g.rows:
            r = row.result
            rows.append(
                [
                    g.label,
                    r.rank,
                    r.platform_code,
                    row.platform.short_name,
                    _r(r.score),
                    r.klass,
                    *[_r(d) for d in row.directions],
                    _r(row.score_change["同比"]),
                    row.rank_change["同比"],
                    _r(row.score_change["环比"]),
                    row.rank_change["环比"],
                    r.rank_p05,
                    r.rank_median,
                    r.rank_p95,
                    r.p_last,
                    r.robust_labels,
                ]
            )
    return _write(run, "排名", headers, rows, "排名")


def lists_xlsx(run: LeagueRun) -> bytes:
    interview, applies = selectors.interview_list(run)
    top = selectors.top_list(run)
    # As the run page shows them: the platform by name (codes are internal), the score to two
    # decimals, the last-place chance as a whole percentage of a real fraction.
    headers = [
        "名单",
        "平台",
        "分组",
        "组内排名",
        Column("综合得分", unit="分", kind="decimal", decimals=2),
        Column("末位概率", kind="percent", decimals=0),
        "排名区间（5%—95%）",
        "说明",
    ]
    rows = []
    for e in interview:
        r = e.result
        rows.append(
            [
                "约谈名单" if applies else "末位预警",
                r.platform.short_name,
                r.group,
                f"{r.rank}/{r.group_size}",
                r.score,
                r.p_last,
                selectors.rank_band(r),
                f"{e.reason}；{e.robustness}",
            ]
        )
    for e in top:
        r = e.result
        rows.append(
            [
                "前列名单",
                r.platform.short_name,
                r.group,
                f"{r.rank}/{r.group_size}",
                r.score,
                r.p_last,
                selectors.rank_band(r),
                e.reason,
            ]
        )
    return _write(run, "约谈与前列名单", headers, rows, "约谈与前列名单")


def scorecard_xlsx(run: LeagueRun, result: PlatformResult) -> bytes:
    card = selectors.scorecard(run, result)
    headers = ["方向", "指标", "方向性", "单位", "权重", "指标值", "得分", "赶超所需变化（%）"]
    rows = [
        [
            line.pillar,
            line.name,
            line.direction,
            line.unit,
            _r(line.weight, 3),
            _r(line.value, 4),
            _r(line.score, 3),
        ]
        for line in card.indicators
    ]
    rows += [[c.name, "方向合计", "", "分", c.weight, None, _r(v, 3)] for c, v in card.directions]
    rows.append(["综合", "综合得分", "", "分", 100, None, _r(result.score, 3)])
    rows.append(
        [
            f"{result.platform.short_name}：{result.group}组第 {result.rank} / {result.group_size} 名，等级 {result.klass}"
        ]
    )
    for plan in card.plans:
        rows.append([f"路径：{plan.title}", plan.explanation])
        for c in plan.changes:
            rows.append(
                [
                    f"路径：{plan.title}",
                    c.name,
                    f"{c.direction}至（增加得分）",
                    c.unit,
                    _r(c.gain, 3),
                    _r(c.current, 4),
                    _r(c.required, 4),
                    _r(c.change_pct, 2),
                ]
            )
    return _write(run, f"{result.platform.short_name}评分卡", headers, rows, "平台评分卡")


def proposals_xlsx(run: LeagueRun) -> bytes:
    headers = [
        CODE,
        "平台",
        "现梯队",
        "建议梯队",
        "规则",
        "理由",
        "满足条件的年度",
        "相关年度平均得分",
        "状态",
        "审批人",
        "审批意见",
    ]
    rows = [
        [
            p.platform.code,
            p.platform.short_name,
            p.from_tier,
            p.to_tier,
            p.rule_id,
            p.reason,
            "、".join(str(y) for y in p.years),
            _r(p.mean_score),
            p.get_status_display(),
            p.decided_by.username if p.decided_by else "",
            p.note,
        ]
        for p in run.tier_proposals.select_related("platform", "decided_by")
    ]
    return _write(run, "进退档建议", headers, rows, "进退档建议")


def pay_pool_xlsx(pool: PayPool) -> bytes:
    headers = [
        CODE,
        "平台",
        Column("综合得分", unit="分", kind="decimal"),
        Column("分配额", unit="万元", kind="decimal"),
        "触及托底",
        "触及限高",
    ]
    rows = [
        [
            s.platform.code,
            s.platform.short_name,
            _r(s.score),
            s.amount_wan,
            "是" if s.at_floor else "",
            "是" if s.at_cap else "",
        ]
        for s in pool.shares.select_related("platform").order_by("platform__code")
    ]
    rows.append(
        [
            "合计",
            "",
            None,
            pool.total_wan,
            f"托底 {money(pool.floor_wan, unit='万元')}",
            f"限高 {money(pool.cap_wan, unit='万元')}",
        ]
    )
    return _write(pool.run, "绩效薪酬池分配", headers, rows, "绩效薪酬池")


def board_xlsx(board: Board) -> bytes:
    # As the targets page reads: years as years (2025, not 2,025), values to two decimals in the
    # target's unit, progress and growth rates as percentages; assumptions without the
    # maintainers' references (terms.plain_text).
    amount = Column("", kind="decimal")
    growth = Column("", kind="percent", decimals=1)
    headers: list[Column | str] = [
        "范围",
        "目标",
        "目标值",
        "单位",
        "目标年份",
        "现值年份",
        replace(amount, header="现值"),
        "基期年份",
        replace(amount, header="基期值"),
        Column("进度", kind="percent", decimals=0),
        Column("剩余年数", unit="年", kind="integer"),
        replace(growth, header="所需年均增速"),
        replace(growth, header="已实现年均增速"),
        "状态",
        "说明",
        Column("假设与口径", kind="text"),
    ]

    def year(number: int | None) -> str | None:
        return None if number is None else f"{number}年"

    def line(scope: str, a) -> list:
        t = a.target
        return [
            scope,
            t.name,
            t.goal_text,
            t.unit,
            year(t.target_year),
            year(a.year),
            a.value,
            year(a.base_year),
            a.base_value,
            a.progress,
            a.years_left,
            a.required_growth,
            a.achieved_growth,
            a.label,
            a.reason,
            "；".join(plain_text(x) for x in t.assumptions),
        ]

    rows = [line(r.platform.short_name, a) for r in board.rows for a in r.assessments]
    rows += [line("全市", a) for a in board.overall]
    assumption = board.plan.status.assumptions[0] if board.plan.status.assumptions else ""
    return write_table_xlsx(
        headers,
        rows,
        sheet_name="目标预警",
        title=f"方案目标完成情况与预警（评估年份：{board.year}年）",
        notes=[f"依据：{board.plan.document}。{plain_text(assumption)}"],
        demo=holds_synthetic_data(),
        properties=Properties(description=f"目标文件版本：{board.plan.version}"),
    )
