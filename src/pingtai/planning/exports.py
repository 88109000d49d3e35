"""xlsx exports of planning results (through pingtai.xlsx: typed numbers, codes as text,
formula-safe, labelled 演示数据（合成） while the register is synthetic)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from pingtai.core import terms
from pingtai.planning.models import ClassificationRun, Settlement
from pingtai.planning.rules import LinkStatus
from pingtai.planning.selectors import Simulation
from pingtai.registry.models import Platform
from pingtai.registry.selectors import holds_synthetic_data
from pingtai.xlsx import Column, write_table_xlsx

MU = Column("", unit="亩", kind="decimal")
WAN = Column("", unit="万元", kind="decimal")


def _ratio(value: Decimal | None) -> float | None:
    return None if value is None else float(value.quantize(Decimal("0.01")))


def classification_xlsx(run: ClassificationRun) -> bytes:
    headers: list[Column | str] = [
        "对象类型",
        Column("代码", kind="code"),
        Column("名称", kind="name"),
        "所在县",
        "现属平台",
        replace(MU, header="面积"),
        Column("入园企业数", unit="家", kind="integer"),
        replace(MU, header="企业用地"),
        replace(WAN, header="工业总产值"),
        replace(WAN, header="实缴税金"),
        Column("亩均税收", unit="万元/亩", kind="decimal"),
        Column("主导产业契合度", kind="percent", decimals=0),  # as the page: 30%
        "建议方式",
        "去向平台",
        Column("理由", kind="text"),
        Column("生成的整合事件", kind="code"),
        Column("与方案不一致或待定事项", kind="text"),
    ]
    rows = [
        [
            i.get_subject_display(),
            i.code,
            i.name,
            i.county.name,
            i.current_platform.short_name if i.current_platform else "",
            i.area_mu,
            i.enterprises,
            i.land_mu,
            i.output_wan,
            i.tax_wan,
            _ratio(i.tax_per_mu),
            None if i.fit is None else float(i.fit),
            i.get_action_display(),
            i.target_platform.short_name if i.target_platform else "",
            "；".join(i.reasons),
            " ".join(map(str, i.event_ids)),
            "；".join(i.conflicts),
        ]
        for i in run.items.select_related("county", "current_platform", "target_platform")
    ]
    return write_table_xlsx(
        headers,
        rows,
        sheet_name=f"并提撤转（{run.year}年数据）",
        title=f"开发区（园区）并提撤转建议（{run.year}年数据）",
        demo=holds_synthetic_data(),
    )


def simulation_xlsx(sim: Simulation) -> bytes:
    t = sim.totals
    rows: list[list[Any]] = [
        [
            "合并成员",
            "、".join([p.short_name for p in sim.platforms] + [z.name for z in sim.zones]),
            "",
        ],
        ["数据年度", sim.year, ""],
        ["入园企业（家）", t.enterprises, ""],
        ["企业用地（亩）", t.land_mu, ""],
        ["可开发面积（亩）", sim.developable_mu, ""],
        ["工业总产值（万元）", t.output_wan, ""],
        ["工业增加值（万元）", t.value_added_wan, ""],
        ["实缴税金（万元）", t.tax_wan, ""],
        ["亩均税收（万元/亩）", _ratio(t.tax_per_mu), "合计税金÷合计用地"],
        ["亩均增加值（万元/亩）", _ratio(t.value_added_per_mu), "合计增加值÷合计用地"],
        ["竞争梯队", terms.tier_name(sim.tier) if sim.tier else "", "取成员中最高梯队"],
        ["梯队内产值排名", f"{sim.rank_output[0]}/{sim.rank_output[1]}", ""],
        ["梯队内亩均税收排名", f"{sim.rank_tax_per_mu[0] or '—'}/{sim.rank_tax_per_mu[1]}", ""],
        *[
            [
                f"目标：{line.name}（{line.goal_text}）",
                line.label,
                f"完成度 {line.progress * 100:.1f}%；{line.reason}"
                if line.progress is not None
                else line.reason,
            ]
            for line in sim.targets
        ],
        *[["说明", note, ""] for note in sim.notes],
    ]
    return write_table_xlsx(
        ["项目", "模拟值", "说明"],
        rows,
        sheet_name="合并模拟（不改变现有数据）",
        title=f"平台合并模拟（{sim.year}年数据，不改变现有数据）",
        demo=holds_synthetic_data(),
    )


def chain_xlsx(rows: list[tuple[Platform, list[LinkStatus]]], *, targets_only: bool) -> bytes:
    headers: list[Column | str] = [
        Column("平台代码", kind="code"),
        "平台",
        "产业链",
        Column("环节代码", kind="code"),
        "环节",
        "位置",
        Column("企业数", unit="家", kind="integer"),
        replace(WAN, header="工业总产值"),
        "招商方向",
    ]
    stage = {"upstream": "上游", "midstream": "中游", "downstream": "下游"}
    out = [
        [
            p.code,
            p.short_name,
            s.link.chain_name,
            s.link.code,
            s.link.name,
            stage[s.link.stage],
            s.enterprises,
            s.output_wan,
            s.action,
        ]
        for p, statuses in rows
        for s in statuses
        if s.action or not targets_only
    ]
    name = "建链补链延链强链招商清单" if targets_only else "产业链图谱"
    return write_table_xlsx(headers, out, sheet_name=name, demo=holds_synthetic_data())


def settlement_xlsx(settlement: Settlement) -> bytes:
    a = settlement.agreement
    share = Column("", unit="%", kind="decimal")
    yuan = Column("", unit="元", kind="decimal")
    headers: list[Column | str] = [
        Column("协议编号", kind="code"),
        "协议名称",
        Column("结算年度", kind="code"),
        "参与方类型",
        Column("参与方代码", kind="code"),
        "参与方",
        replace(share, header="税收分成"),
        replace(yuan, header="分得税收"),
        replace(share, header="统计归属"),
        replace(yuan, header="归属产值"),
        replace(share, header="成本分担"),
        replace(yuan, header="分担投入"),
    ]
    lines = list(
        settlement.lines.select_related(
            "party__platform", "party__sub_zone", "party__county", "party__zone"
        )
    )
    rows = [
        [
            a.code,
            a.title,
            settlement.year,
            line.party.get_kind_display(),
            line.party.ref_code,
            line.party.name,
            line.tax_share,
            line.tax_yuan,
            line.stats_share,
            line.output_yuan,
            line.cost_share,
            line.cost_yuan,
        ]
        for line in lines
    ]
    rows.append(
        [
            a.code,
            a.title,
            settlement.year,
            "合计",
            "",
            f"覆盖企业 {settlement.enterprise_count} 家",
            sum((line.tax_share for line in lines), Decimal(0)),
            settlement.tax_yuan,
            sum((line.stats_share for line in lines), Decimal(0)),
            settlement.output_yuan,
            sum((line.cost_share for line in lines), Decimal(0)),
            settlement.cost_yuan,
        ]
    )
    return write_table_xlsx(
        headers,
        rows,
        sheet_name=f"{settlement.year}年度结算单",
        title=f"《{a.title}》{settlement.year}年度结算单",
        demo=holds_synthetic_data(),
    )
