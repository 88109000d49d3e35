"""Engine sub-commands (methods, evaluate, carbon): no Django needed."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from pingtai.cli.runner import terminal_progress
from pingtai.core import terms

if TYPE_CHECKING:
    from pingtai.engine import Regrade


def register(sub: argparse._SubParsersAction) -> None:
    """Add the engine's sub-commands to the ``pingtai`` parser."""
    p = sub.add_parser(
        "methods", help="列出内置评价方法", description="列出内置评价方法，或显示一个方法的详情"
    )
    p.add_argument("--show", metavar="ID或文件", help="显示一个方法的参数来源和假设")
    p.add_argument("--json", action="store_true", help="以 JSON 输出")
    p.add_argument("--schema", action="store_true", help="输出评价方法文件的 JSON Schema")
    p.set_defaults(func=methods)

    e = sub.add_parser(
        "evaluate",
        help="按评价方法计算得分、等级和排名",
        description="读取 .csv / .xlsx / .parquet，每个主体输出一行：指标值、单项得分、score、class、rank",
    )
    e.add_argument("input", metavar="输入文件", help=".csv、.xlsx 或 .parquet")
    e.add_argument(
        "--method", required=True, metavar="ID或文件", help="内置方法编号或 .toml 方法文件"
    )
    e.add_argument(
        "-o", "--output", metavar="输出文件", help=".csv（逐字节可复现）、.parquet 或 .xlsx"
    )
    e.add_argument("--sheet", help="Excel 工作表名（默认第一个）")
    e.add_argument(
        "--robustness",
        type=int,
        default=0,
        metavar="N",
        help="稳健性模拟次数（输出 rank_p05/rank_median/rank_p95）",
    )
    e.add_argument("--seed", type=int, default=0, help="稳健性模拟的随机种子（默认 0）")
    e.add_argument("--regrades", metavar="文件", help="手动调档表：uscc, class, reason, by")
    e.add_argument("--dry-run", action="store_true", help="只检查输入并计算，不写输出文件")
    e.add_argument(
        "--year",
        type=int,
        metavar="年度",
        help="数据年度：方法读取 co2_t 时用该年度的碳排放因子折算缺失值（默认最新年度）",
    )
    e.set_defaults(func=evaluate)

    c = sub.add_parser(
        "carbon",
        help="计算企业碳效：单位增加值碳排放、低碳/中碳/高碳、碳效值和碳效等级",
        description=(
            "读取规范列（uscc、value_added_wan；可选 co2_t、energy_tce、electricity_wan_kwh、"
            "renewable_tce、industry_code），每个企业输出 carbon_l、carbon_band、carbon_k、"
            "carbon_grade 和比较的行业组"
        ),
    )
    c.add_argument("input", metavar="输入文件", help=".csv、.xlsx 或 .parquet")
    c.add_argument(
        "-o", "--output", required=True, metavar="输出文件", help=".csv、.parquet 或 .xlsx"
    )
    c.add_argument(
        "--year",
        type=int,
        metavar="年度",
        help="数据年度：按该年度的分档阈值和电力排放因子（默认最新）",
    )
    c.add_argument("--sheet", help="Excel 工作表名（默认第一个）")
    c.set_defaults(func=carbon)


def methods(args: argparse.Namespace) -> int:
    from pingtai.engine import MethodError, list_methods, load_method
    from pingtai.engine.methods import json_schema_text

    if args.schema:
        sys.stdout.write(json_schema_text())
        return 0
    try:
        chosen = [load_method(args.show)] if args.show else list_methods()
    except MethodError as err:
        print(err, file=sys.stderr)
        return 2
    if args.json:
        data = [
            {
                "id": m.id,
                "version": m.version,
                "title": m.title,
                "effective_from": m.effective.from_.isoformat(),
                "effective_to": m.effective.to.isoformat() if m.effective.to else None,
                "source": m.source.document,
                "assumptions": [a.model_dump() for a in m.assumptions],
                "hash": m.hash,
            }
            for m in chosen
        ]
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    for m in chosen:
        period = f"{m.effective.from_} 起" + (f"至 {m.effective.to}" if m.effective.to else "")
        print(f"{m.id}  版本 {m.version}  {period}  假设参数 {len(m.assumptions)} 项")
        print(f"    {m.title}")
        if args.show:
            print(f"    依据：{m.source.document}")
            if m.source.url:
                print(f"    出处：{m.source.url}（{terms.source_status_name(m.source.status)}）")
            print(f"    分类：{'、'.join(m.segments)}")
            print(f"    方法哈希：{m.hash}")
            print("    假设（未经官方确认的参数）：")
            for a in m.assumptions:
                ref = f"[{a.ref}] " if a.ref else ""
                print(f"      - {ref}{a.key}：{a.note}")
    return 0


def _read_regrades(path: str) -> list[Regrade]:
    import polars as pl

    from pingtai.engine import Regrade
    from pingtai.engine.inputs import InputError
    from pingtai.engine.tables import read_table

    frame = read_table(path)
    missing = [c for c in ("uscc", "class", "reason") if c not in frame.columns]
    if missing:
        raise InputError([f"调档表缺少列：{'、'.join(missing)}"])
    by = frame["by"] if "by" in frame.columns else pl.Series([""] * frame.height)
    return [
        Regrade(str(u).strip().upper(), str(c).strip(), str(r or ""), str(b or ""))
        for u, c, r, b in zip(frame["uscc"], frame["class"], frame["reason"], by, strict=True)
    ]


def evaluate(args: argparse.Namespace) -> int:
    from concurrent.futures import ThreadPoolExecutor

    import polars as pl

    from pingtai.engine import InputError, MethodError, load_method
    from pingtai.engine import evaluate as run
    from pingtai.engine.inputs import numeric_columns
    from pingtai.engine.tables import read_table, write_table

    if not args.output and not args.dry_run:
        print("请用 -o 指定输出文件，或用 --dry-run 只做检查", file=sys.stderr)
        return 2
    if args.output and Path(args.output).suffix.lower() not in (".csv", ".parquet", ".xlsx"):
        print(
            f"不支持的输出类型“{Path(args.output).suffix}”（可用：.csv、.parquet、.xlsx）",
            file=sys.stderr,
        )
        return 2
    if args.robustness < 0:
        print("--robustness 不能为负数", file=sys.stderr)
        return 2
    try:
        method = load_method(args.method)
    except MethodError as err:
        print(err, file=sys.stderr)
        return 2
    # Columns the method parses as numbers are read as numbers (docs/benchmarks.md, command line).
    numeric = numeric_columns(method)
    try:
        regrades = _read_regrades(args.regrades) if args.regrades else None
        # The table is not bound to a name here: the engine drops it once checked and sorted.
        result = run(
            method,
            read_table(args.input, args.sheet, numeric=numeric),
            robustness_draws=args.robustness,
            seed=args.seed,
            progress=terminal_progress if args.robustness else None,
            regrades=regrades,
            year=args.year,
        )
    except InputError as err:
        print(f"{Path(args.input).name}：{err}", file=sys.stderr)
        return 1
    table = result.table
    print(
        f"评价方法：{result.method_id} 版本 {result.method_version}（方法哈希 {result.method_hash[:16]}…）"
    )
    print(f"输入：{table.height} 个主体（输入哈希 {result.input_hash[:16]}…）")
    counts = table.group_by(["segment", "class"]).len().sort(["segment", "class"], nulls_last=True)
    for seg in method.segments:
        part = counts.filter(pl.col("segment") == seg)
        if part.height:
            text = "，".join(
                f"{c or '未评'} {n}" for c, n in zip(part["class"], part["len"], strict=True)
            )
            print(f"  {seg}：{text}")
    for w in result.warnings:
        print(f"提示：{w}", file=sys.stderr)
    if method.assumptions:
        print(
            f"注意：本方法有 {len(method.assumptions)} 项参数是假设（pingtai methods --show {method.id} 查看）"
        )
    if args.dry_run:
        print("检查通过（--dry-run，未写文件）")
        return 0
    if Path(args.output).suffix.lower() == ".csv":
        result.write_csv(args.output)  # one serialisation; the hash is read back from the file
    else:
        # The result hash is that of the canonical CSV, made in pieces and hashed on a second
        # thread while this one writes the file (both let go of the interpreter lock).
        with ThreadPoolExecutor(max_workers=1) as pool:
            digest = pool.submit(lambda: result.result_hash)
            write_table(table, args.output, float_precision=method.output.decimals)
            digest.result()
    print(f"已写入 {args.output}（结果哈希 {result.result_hash}）")
    return 0


def carbon(args: argparse.Namespace) -> int:
    from pingtai.engine.carbon import BANDS, CSV_DECIMALS, carbon_efficiency
    from pingtai.engine.inputs import InputError
    from pingtai.engine.tables import read_table, write_table

    suffix = Path(args.output).suffix.lower()
    if suffix not in (".csv", ".parquet", ".xlsx"):
        print(f"不支持的输出类型“{suffix}”（可用：.csv、.parquet、.xlsx）", file=sys.stderr)
        return 2
    try:
        result = carbon_efficiency(read_table(args.input, args.sheet), args.year)
    except InputError as err:
        print(f"{Path(args.input).name}：{err}", file=sys.stderr)
        return 1
    table, f = result.table, result.factors
    print(
        f"碳效：{table.height} 家企业；电力排放因子 {f.grid.kg_per_kwh} 千克CO₂/千瓦时（{f.grid.year}年），"
        f"分档 低碳 ≤ {f.bands.low_max}、中碳 ≤ {f.bands.mid_max} 吨/万元（{f.bands.from_year}年起）"
    )
    for column, label, values in (
        ("carbon_band", "分档", [*BANDS, None]),
        ("carbon_grade", "碳效等级", [1, 2, 3, 4, 5, None]),
    ):
        counts = dict(table[column].value_counts().iter_rows())
        text = "，".join(f"{v or '未评'} {counts[v]}" for v in values if counts.get(v))
        print(f"  {label}：{text}")
    for w in result.warnings:
        print(f"提示：{w}", file=sys.stderr)
    write_table(table, args.output, float_precision=CSV_DECIMALS)
    print(f"已写入 {args.output}")
    return 0
