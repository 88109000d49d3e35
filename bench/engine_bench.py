"""Evaluation-engine benchmark (docs/benchmarks.md): `make bench`, or `make bench-quick`.

Synthetic enterprises (labelled synthetic; pingtai.engine.synthetic) are written as five
department source tables (统计/registry, 自然资源 land, 税务 tax, 电力 power, 生态环境 emissions),
each shuffled independently, as Parquet. Each phase then runs in a fresh Python process so
that its wall time and peak resident memory (getrusage ru_maxrss) are its own:

- io_floor: polars reads the five tables, joins them by USCC and writes the joined table —
  the I/O floor, a plain read + write with no evaluation;
- engine: the same read and join, then pingtai.engine.evaluate (benchmarks per county,
  scores, classes, ranks, hashes), then writing the result table;
- pandas_rowwise: a straightforward pandas implementation of the same method (row-wise
  `apply` for indicators and scores, groupby for benchmarks and ranks) — the baseline;
- robustness: evaluate with N Monte Carlo draws on a smaller table.

The pandas baseline's scores, classes and ranks are checked against the engine's. All ratios
are of figures measured in the same run, on the same machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd
    import polars as pl

    from pingtai.engine.methods import Method

HERE = Path(__file__).resolve()
METHOD_ID = "lishui-mujun-default"
SOURCES = ("registry", "land", "tax", "power", "environment")


def bench_method() -> Method:
    """The Lishui default with every benchmark computed per county."""
    from importlib import resources

    from pingtai.engine.methods import parse_method

    raw = tomllib.loads(
        (resources.files("pingtai.methods") / f"{METHOD_ID}.toml").read_text(encoding="utf-8")
    )
    for seg in raw["segments"].values():
        for item in seg.get("indicators", []):
            item["scoring"]["benchmark"]["by"] = ["county_code"]
    raw["id"] = "bench-lishui-by-county"
    return parse_method(raw, "bench")


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


# ---------------------------------------------------------------- phases (child processes)


def phase_generate(d: Path, rows: int, seed: int) -> dict:
    import numpy as np
    import polars as pl

    from pingtai.engine.synthetic import enterprises

    t = time.perf_counter()
    df = enterprises(rows, seed=seed)
    rng = np.random.default_rng(seed + 1)
    parts = {
        "registry": df.select(
            "uscc",
            "name",
            "county_code",
            "platform_code",
            "segment",
            "value_added_wan",
            "revenue_wan",
            "energy_tce",
            "employees",
            "rd_wan",
        ),
        "land": df.select("uscc", "land_mu"),
        "tax": df.select("uscc", "tax_wan"),
        "power": df.select("uscc", "electricity_wan_kwh"),
        "environment": df.select("uscc", "emission_t").filter(pl.col("emission_t").is_not_null()),
    }
    for name, part in parts.items():
        part[rng.permutation(part.height)].write_parquet(d / f"{name}.parquet")
    return {"seconds": time.perf_counter() - t}


def _read_join(d: Path) -> pl.DataFrame:
    import polars as pl

    frames = {n: pl.read_parquet(d / f"{n}.parquet") for n in SOURCES}
    joined = frames["registry"]
    for n in SOURCES[1:]:
        joined = joined.join(frames[n], on="uscc", how="left")
    return joined


def phase_io_floor(d: Path) -> dict:
    t = time.perf_counter()
    joined = _read_join(d)
    joined.write_parquet(d / "io_floor.out.parquet")
    return {"seconds": time.perf_counter() - t, "rows": joined.height}


def phase_engine(d: Path) -> dict:
    from pingtai.engine import evaluate

    method = bench_method()
    t = time.perf_counter()
    joined = _read_join(d)
    t_eval, c_eval = time.perf_counter(), time.process_time()
    result = evaluate(method, joined)
    eval_seconds = time.perf_counter() - t_eval
    eval_cpu = time.process_time() - c_eval
    result.table.write_parquet(d / "engine.out.parquet")
    total = time.perf_counter() - t
    return {
        "seconds": total,
        "evaluate_seconds": eval_seconds,
        "evaluate_cpu_seconds": eval_cpu,
        "rows": result.table.height,
        "input_hash": result.input_hash,
    }


def phase_pandas(d: Path) -> dict:
    import numpy as np
    import pandas as pd
    import polars as pl

    t = time.perf_counter()
    # No pyarrow in the environment: read with polars, hand the columns to pandas.
    tables = {
        n: pd.DataFrame(
            {c: s.to_numpy() for c, s in pl.read_parquet(d / f"{n}.parquet").to_dict().items()}
        )
        for n in SOURCES
    }
    df = tables["registry"]
    for n in SOURCES[1:]:
        df = df.merge(tables[n], on="uscc", how="left")
    result = pandas_rowwise(df, np, pd)
    pl.from_dict({c: result[c].to_numpy() for c in result.columns}).write_parquet(
        d / "pandas.out.parquet"
    )
    return {"seconds": time.perf_counter() - t, "rows": len(result)}


def pandas_rowwise(df: pd.DataFrame, np: ModuleType, pd: ModuleType) -> pd.DataFrame:
    """The bench method written the obvious way: one Python call per row."""

    def segment_of(r: pd.Series) -> str:
        if pd.isna(r.land_mu) or r.land_mu <= 0:
            return "无用地"
        if r.segment == "规下" and r.land_mu < 3:
            return "规下不足3亩"
        return r.segment

    def ratio(a: float, b: float) -> float:
        if pd.isna(a) or pd.isna(b) or b == 0:
            return np.nan
        return a / b

    def indicators(r: pd.Series) -> pd.Series:
        return pd.Series(
            {
                "tax_per_mu": ratio(r.tax_wan, r.land_mu),
                "va_per_mu": ratio(r.value_added_wan, r.land_mu),
                "va_per_energy": ratio(r.value_added_wan, r.energy_tce),
                "va_per_emission": ratio(r.value_added_wan, r.emission_t),
                "labour_productivity": ratio(r.value_added_wan, r.employees),
                "rd_share": ratio(r.rd_wan, r.revenue_wan) * 100,
            }
        )

    num_den = {
        "tax_per_mu": ("tax_wan", "land_mu", 1.0),
        "va_per_mu": ("value_added_wan", "land_mu", 1.0),
        "va_per_energy": ("value_added_wan", "energy_tce", 1.0),
        "va_per_emission": ("value_added_wan", "emission_t", 1.0),
        "labour_productivity": ("value_added_wan", "employees", 1.0),
        "rd_share": ("rd_wan", "revenue_wan", 100.0),
    }
    spec = {
        "规上": {
            "tax_per_mu": 30,
            "va_per_mu": 20,
            "va_per_energy": 20,
            "va_per_emission": 10,
            "labour_productivity": 10,
            "rd_share": 10,
        },
        "规下": {"tax_per_mu": 100},
    }
    exclude_if_missing = {"规上": ("tax_per_mu", "va_per_mu"), "规下": ("tax_per_mu",)}
    shares = {"规上": (0.274, 0.567, 0.143), "规下": (0.15, 0.75, 0.05)}

    df["seg"] = df.apply(segment_of, axis=1)
    df = pd.concat([df, df.apply(indicators, axis=1)], axis=1)
    df["score"] = np.nan
    df["class"] = None
    df.loc[~df.seg.isin(spec), "class"] = "T"
    df["rank"] = np.nan
    for seg, weights in spec.items():
        part = df[df.seg == seg]
        part = part[part[list(exclude_if_missing[seg])].notna().all(axis=1)].copy()
        for ind in weights:
            num, den, f = num_den[ind]
            valid = part[ind].notna()
            sums = part[valid].groupby("county_code")[[num, den]].sum()
            bench = sums[num] / sums[den] * f
            part["b_" + ind] = part["county_code"].map(bench)

        def score_row(r: pd.Series, weights: dict[str, int] = weights) -> float:
            total = 0.0
            for ind, w in weights.items():
                n = np.nan if pd.isna(r[ind]) else min(max(r[ind] / r["b_" + ind], 0.0), 1.5)
                total += w * (n if not pd.isna(n) else r["fill_" + ind])
            return total

        for ind in weights:
            n = (part[ind] / part["b_" + ind]).clip(0.0, 1.5)
            part["fill_" + ind] = n.mean() if ind == "va_per_emission" else 0.0
        part["score"] = part.apply(score_row, axis=1)
        part = part.sort_values(["score", "tax_per_mu", "uscc"], ascending=[False, False, True])
        m = len(part)
        bounds = [int(np.floor(c * m + 0.5)) for c in np.cumsum(shares[seg])]
        pos = np.arange(m)
        part["class"] = np.select(
            [pos < bounds[0], pos < bounds[1], pos < bounds[2]], ["A", "B", "C"], "D"
        )
        part["rank"] = part.groupby("county_code")["score"].rank(method="min", ascending=False)
        df.loc[part.index, ["score", "class", "rank"]] = part[["score", "class", "rank"]]
    return df[["uscc", "seg", "score", "class", "rank"]]


def phase_robustness(d: Path, rows: int, draws: int, seed: int) -> dict:
    from pingtai.engine import evaluate
    from pingtai.engine.synthetic import enterprises

    frame = enterprises(rows, seed=seed)
    method = bench_method()
    t = time.perf_counter()
    evaluate(method, frame)
    base_seconds = time.perf_counter() - t
    t = time.perf_counter()
    result = evaluate(method, frame, robustness_draws=draws, seed=seed)
    seconds = time.perf_counter() - t
    scored = result.table.filter(result.table["score"].is_not_null()).height
    return {
        "seconds": seconds,
        "base_seconds": base_seconds,
        "rows": rows,
        "scored": scored,
        "draws": draws,
        "flagged": int(result.table["robust_flag"].is_not_null().sum()),
    }


def phase_check(d: Path) -> dict:
    import numpy as np
    import polars as pl

    e = pl.read_parquet(d / "engine.out.parquet").select("uscc", "score", "class", "rank", "group")
    p = pl.read_parquet(d / "pandas.out.parquet").rename(
        {"score": "p_score", "class": "p_class", "rank": "p_rank"}
    )
    j = e.join(p, on="uscc", how="inner")
    # Scores exactly equal to another's in the same group, in either implementation: the two
    # add the weighted terms in a different order, so one may see a tie where the other sees
    # a difference in the last bit, and the shared rank then differs.
    j = j.with_columns(
        (
            pl.struct("group", "score").is_duplicated()
            | pl.struct("group", "p_score").is_duplicated()
        ).alias("tied")
    )
    s, ps = j["score"].to_numpy().astype(float), j["p_score"].to_numpy().astype(float)
    both = ~np.isnan(s) & ~np.isnan(ps)
    rank_diff = j["rank"].cast(pl.Float64).fill_null(-1) != j["p_rank"].fill_nan(None).fill_null(-1)
    return {
        "rows_compared": j.height,
        "max_abs_score_diff": float(np.max(np.abs(s[both] - ps[both]))) if both.any() else 0.0,
        "class_mismatches": int((j["class"].fill_null("-") != j["p_class"].fill_null("-")).sum()),
        "rank_mismatches": int(rank_diff.sum()),
        "rank_mismatches_not_tied": int((rank_diff & ~j["tied"]).sum()),
    }


def child(args: argparse.Namespace) -> None:
    d = Path(args.dir)
    fn = {
        "baseline": lambda: (
            __import__("polars"),
            __import__("numpy"),
            __import__("pingtai.engine"),
            {},
        )[-1],
        "generate": lambda: phase_generate(d, args.rows, args.seed),
        "io_floor": lambda: phase_io_floor(d),
        "engine": lambda: phase_engine(d),
        "pandas_rowwise": lambda: phase_pandas(d),
        "robustness": lambda: phase_robustness(d, args.robust_rows, args.draws, args.seed),
        "check": lambda: phase_check(d),
    }[args.phase]
    cpu0 = time.process_time()
    out = fn()
    out["cpu_seconds"] = time.process_time() - cpu0  # all threads; includes the phase's imports
    out["peak_mb"] = peak_mb()
    print(json.dumps(out))


# ---------------------------------------------------------------- driver


def run_phase(name: str, d: Path, args: argparse.Namespace) -> dict:
    cmd = [
        sys.executable,
        str(HERE),
        "--phase",
        name,
        "--dir",
        str(d),
        "--rows",
        str(args.rows),
        "--robust-rows",
        str(args.robust_rows),
        "--draws",
        str(args.draws),
        "--seed",
        str(args.seed),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"阶段 {name} 失败")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def measure(d: Path, args: argparse.Namespace) -> dict:
    report: dict = {
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "load_average_at_start": os.getloadavg(),
        },
        "rows": args.rows,
        "robust_rows": args.robust_rows,
        "draws": args.draws,
        "seed": args.seed,
    }
    if all((d / f"{n}.parquet").exists() for n in SOURCES) and args.workdir:
        print(f"沿用 {d} 中已生成的来源表", flush=True)
    else:
        print(f"生成 {args.rows:,} 家合成企业（5 张来源表）…", flush=True)
        report["generate"] = run_phase("generate", d, args)
    report["baseline"] = run_phase("baseline", d, args)
    for name in args.phases.split(","):
        print(f"运行 {name} …", flush=True)
        runs = [
            run_phase(name, d, args) for _ in range(args.repeat if name != "pandas_rowwise" else 1)
        ]
        report[name] = min(runs, key=lambda r: r["seconds"])
        print(
            f"  {report[name]['seconds']:.2f} s，峰值 {report[name]['peak_mb']:.0f} MB", flush=True
        )
    if "pandas_rowwise" in report and "engine" in report:
        report["check"] = run_phase("check", d, args)
    report["machine"]["load_average_at_end"] = os.getloadavg()
    return report


def main() -> None:
    ap = argparse.ArgumentParser(description="评价引擎基准测试")
    ap.add_argument("--quick", action="store_true", help="小规模冒烟测试（2 万家企业）")
    ap.add_argument("--rows", type=int, default=None)
    ap.add_argument("--robust-rows", type=int, default=None)
    ap.add_argument("--draws", type=int, default=None)
    ap.add_argument("--seed", type=int, default=2021)
    ap.add_argument("--repeat", type=int, default=1, help="重复次数（取最短时间）")
    ap.add_argument("--json", metavar="PATH", help="把结果写成 JSON")
    ap.add_argument(
        "--workdir", metavar="DIR", help="保留生成的来源表和输出的目录（默认临时目录，结束后删除）"
    )
    ap.add_argument(
        "--phases",
        default="io_floor,engine,pandas_rowwise,robustness",
        help="要运行的阶段（逗号分隔；省略 pandas_rowwise 时不计算比值）",
    )
    ap.add_argument("--phase", help=argparse.SUPPRESS)
    ap.add_argument("--dir", help=argparse.SUPPRESS)
    args = ap.parse_args()
    args.rows = args.rows or (20_000 if args.quick else 1_000_000)
    args.robust_rows = args.robust_rows or (5_000 if args.quick else 100_000)
    args.draws = args.draws or (50 if args.quick else 1_000)
    if args.phase:
        child(args)
        return
    if args.workdir:
        Path(args.workdir).mkdir(parents=True, exist_ok=True)
        report = measure(Path(args.workdir), args)
    else:
        with tempfile.TemporaryDirectory(prefix="pingtai-bench-") as tmp:
            report = measure(Path(tmp), args)
    m = report["machine"]
    print(
        f"企业数 {args.rows:,}；Python {m['python']}，{m['cpus']} 核；"
        f"负载 {m['load_average_at_start'][0]:.1f} → {m['load_average_at_end'][0]:.1f}"
    )
    print(f"{'阶段':<16}{'墙钟时间 s':>12}{'CPU 时间 s':>12}{'峰值内存 MB':>14}")
    print(f"{'导入基线':<14}{'':>12}{'':>12}{report['baseline']['peak_mb']:>14.0f}")
    for label, key in (
        ("I/O 下限", "io_floor"),
        ("引擎（全流程）", "engine"),
        ("pandas 逐行", "pandas_rowwise"),
    ):
        if key in report:
            r = report[key]
            print(f"{label:<14}{r['seconds']:>12.2f}{r['cpu_seconds']:>12.2f}{r['peak_mb']:>14.0f}")
    if "engine" in report:
        e = report["engine"]
        print(
            f"  其中 evaluate()：墙钟 {e['evaluate_seconds']:.2f} s，CPU {e['evaluate_cpu_seconds']:.2f} s"
        )
    if "robustness" in report:
        rob = report["robustness"]
        print(
            f"稳健性 {rob['draws']} 次 × {rob['rows']:,} 家：墙钟 {rob['seconds']:.2f} s，CPU {rob['cpu_seconds']:.2f} s，"
            f"峰值 {rob['peak_mb']:.0f} MB（单次评价 {rob['base_seconds']:.2f} s，标记 {rob['flagged']} 家）"
        )
    if "check" in report:
        eng, io, pdr = report["engine"], report["io_floor"], report["pandas_rowwise"]
        report["ratios"] = {
            "pandas_rowwise_over_engine": pdr["seconds"] / eng["seconds"],
            "pandas_rowwise_over_engine_cpu": pdr["cpu_seconds"] / eng["cpu_seconds"],
            "engine_over_io_floor": eng["seconds"] / io["seconds"],
            "engine_over_io_floor_cpu": eng["cpu_seconds"] / io["cpu_seconds"],
        }
        r = report["ratios"]
        print(
            f"pandas 逐行 ÷ 引擎 = {r['pandas_rowwise_over_engine']:.1f}×（CPU {r['pandas_rowwise_over_engine_cpu']:.1f}×）；"
            f"引擎 ÷ I/O 下限 = {r['engine_over_io_floor']:.1f}×（CPU {r['engine_over_io_floor_cpu']:.1f}×）"
        )
        c = report["check"]
        print(
            f"与 pandas 结果核对：{c['rows_compared']:,} 行，最大得分差 {c['max_abs_score_diff']:.2e}，"
            f"等级不一致 {c['class_mismatches']}，排名不一致 {c['rank_mismatches']}"
            f"（其中非同分 {c['rank_mismatches_not_tied']}）"
        )
    if args.json:
        Path(args.json).write_text(
            json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )


if __name__ == "__main__":
    main()
