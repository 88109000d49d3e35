"""xlsx exports of planning results (through pingtai.xlsx, formula-safe)."""

from __future__ import annotations

from decimal import Decimal

from pingtai.planning.models import ClassificationRun, Settlement
from pingtai.planning.rules import LinkStatus
from pingtai.planning.selectors import Simulation
from pingtai.registry.models import Platform
from pingtai.xlsx import write_table_xlsx


def _ratio(value: Decimal | None) -> float | None:
    return None if value is None else float(value.quantize(Decimal("0.01")))


def classification_xlsx(run: ClassificationRun) -> bytes:
    headers = [
        "对象类型",
        "代码",
        "名称",
        "所在县",
        "现属平台",
        "面积（亩）",
        "入园企业数",
        "企业用地（亩）",
        "工业总产值（万元）",
        "实缴税金（万元）",
        "亩均税收（万元/亩）",
        "主导产业契合度",
        "建议方式",
        "去向平台",
        "理由",
        "生成的整合事件",
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
        ]
        for i in run.items.select_related("county", "current_platform", "target_platform")
    ]
    return write_table_xlsx(headers, rows, sheet_name=f"并提撤转（{run.year}年数据）")


def simulation_xlsx(sim: Simulation) -> bytes:
    t = sim.totals
    rows = [
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
        ["竞争梯队", sim.tier or "", "取成员中最高梯队"],
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
        ["项目", "模拟值", "说明"], rows, sheet_name="合并模拟（不改变现有数据）"
    )


def chain_xlsx(rows: list[tuple[Platform, list[LinkStatus]]], *, targets_only: bool) -> bytes:
    headers = [
        "平台代码",
        "平台",
        "产业链",
        "环节代码",
        "环节",
        "位置",
        "企业数",
        "工业总产值（万元）",
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
    return write_table_xlsx(
        headers, out, sheet_name="建链补链延链强链招商清单" if targets_only else "产业链图谱"
    )


def settlement_xlsx(settlement: Settlement) -> bytes:
    a = settlement.agreement
    headers = [
        "协议编号",
        "协议名称",
        "结算年度",
        "参与方类型",
        "参与方代码",
        "参与方",
        "税收分成（%）",
        "分得税收（元）",
        "统计归属（%）",
        "归属产值（元）",
        "成本分担（%）",
        "分担投入（元）",
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
    return write_table_xlsx(headers, rows, sheet_name=f"{settlement.year}年度结算单")
