"""Benchmark: full validated import of a 100,000-row × 20-column enterprise file vs plain
openpyxl read-only reading of the same file, in the same run (docs/import.md, Benchmark).

    .venv/bin/python bench/import_bench.py            # 100,000 rows
    .venv/bin/python bench/import_bench.py --quick    # 5,000 rows, a smoke run
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import platform
import random
import resource
import shutil
import tempfile
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl

from pingtai.catalogue import load_catalogue
from pingtai.catalogue.catalogue import CATALOGUE_DIR
from pingtai.standards import uscc
from pingtai.xlsx import Limits, read_upload
from pingtai.xlsx.marker import DATA_SHEET, INSTRUCTIONS_SHEET, MARKER_SHEET, Marker

COLUMNS = [
    "uscc",
    "enterprise_name",
    "county_code",
    "industry_code",
    "scale",
    "land_area",
    "tax_paid",
    "electricity",
    "energy_consumption",
    "industrial_output",
    "value_added",
    "revenue",
    "employees",
    "rd_expenditure",
    "emissions",
    "tax_revenue",
    "industrial_investment",
    "trade_total",
    "foreign_capital",
    "hightech_value_added",
]
BENCH_FORM = f"""
[[form]]
code = "bench_enterprise"
name = "基准测试企业综合表"
level = "enterprise"
source = "statistics"
frequency = "year"
key = "uscc"
columns = {COLUMNS!r}
rules = [
    {{ check = "value_added <= industrial_output" }},
    {{ check = "rd_expenditure <= revenue" }},
    {{ check = "tax_paid >= 0" }},
]
"""
COUNTIES = [
    "331102",
    "331121",
    "331122",
    "331123",
    "331124",
    "331125",
    "331126",
    "331127",
    "331181",
]
INDUSTRIES = ["C3484", "C3982", "C2710", "C1830", "C3360", "C2921"]


def bench_catalogue(directory: Path):
    """The shipped catalogue plus one 20-column form: forms are data, not code."""
    shutil.copy(CATALOGUE_DIR / "indicators.toml", directory / "indicators.toml")
    text = (CATALOGUE_DIR / "forms.toml").read_text(encoding="utf-8")
    (directory / "forms.toml").write_text(text + BENCH_FORM.replace("'", '"'), encoding="utf-8")
    return load_catalogue(directory)


def money(rng: random.Random, low: float, high: float) -> Decimal:
    return Decimal(f"{rng.uniform(low, high):.2f}")


def build_file(catalogue, rows: int, seed: int = 20251231) -> tuple[bytes, dict]:
    """Write a filled template with openpyxl's streaming writer, as a producer program would."""
    rng = random.Random(seed)
    form = catalogue.form("bench_enterprise")
    marker = Marker(
        catalogue.version,
        form.code,
        catalogue.fingerprint(form),
        "2025",
        "tongji",
        "丽水市统计局",
        datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    ).signed(b"")
    wb = openpyxl.Workbook(write_only=True)
    wb.create_sheet(INSTRUCTIONS_SHEET).append(["基准测试文件"])
    ws = wb.create_sheet(DATA_SHEET)
    inds = catalogue.columns(form)
    ws.append([i.name for i in inds])
    ws.append([i.header_unit for i in inds])
    previous: dict[str, dict[str, Decimal]] = {}
    for n in range(rows):
        code = uscc.complete(f"91331100{n:09d}")
        output = money(rng, 500, 500_000)
        revenue = money(rng, 500, 600_000)
        row = [
            code,
            f"丽水测试企业{n}有限公司",
            rng.choice(COUNTIES),
            rng.choice(INDUSTRIES),
            rng.choice(["规上", "规下"]),
            money(rng, 1, 300),
            money(rng, 0, 5_000),
            money(rng, 1, 20_000),
            money(rng, 1, 50_000),
            output,
            (output * Decimal("0.25")).quantize(Decimal("0.01")),
            revenue,
            rng.randint(5, 3000),
            (revenue * Decimal("0.03")).quantize(Decimal("0.01")),
            money(rng, 0, 500),
            money(rng, 0, 5_000),
            money(rng, 0, 50_000),
            money(rng, 0, 80_000),
            money(rng, 0, 2_000),
            (output * Decimal("0.1")).quantize(Decimal("0.01")),
        ]
        ws.append(row)
        previous[code] = {"tax_paid": row[6], "industrial_output": output}
    hidden = wb.create_sheet(MARKER_SHEET)
    for pair in marker.rows():
        hidden.append(list(pair))
    hidden.sheet_state = "veryHidden"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue(), previous


def reset_peak() -> None:
    """Reset the kernel's peak-RSS counter so each stage reports its own peak (Linux)."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def peak_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def plain_openpyxl(data: bytes) -> int:
    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    cells = 0
    for row in wb[DATA_SHEET].iter_rows(values_only=True):
        cells += len(row)
    wb.close()
    return cells


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5,000 rows instead of 100,000")
    parser.add_argument("--rows", type=int, help="number of data rows")
    args = parser.parse_args()
    rows = args.rows or (5_000 if args.quick else 100_000)
    load = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        catalogue = bench_catalogue(Path(tmp))
        start = time.perf_counter()
        data, previous = build_file(catalogue, rows)
        built = time.perf_counter() - start

        reset_peak()
        start, cpu = time.perf_counter(), time.process_time()
        # 20 columns is wider than any shipped form, so the default cell cap (docs/import.md,
        # Limits) is raised for this file only; the other caps stay as shipped.
        limits = Limits(max_cells=max(Limits().max_cells, (rows + 2) * len(COLUMNS)))
        outcome = read_upload(data, catalogue, previous=previous, limits=limits)
        ours, ours_cpu = time.perf_counter() - start, time.process_time() - cpu
        ours_peak = peak_mb()
        assert outcome.ok, [str(e) for e in outcome.errors[:5]]
        assert len(outcome.rows) == rows
        rows_accepted, confirmations = len(outcome.rows), len(outcome.confirmations)
        del outcome

        reset_peak()
        start, cpu = time.perf_counter(), time.process_time()
        cells = plain_openpyxl(data)
        baseline, baseline_cpu = time.perf_counter() - start, time.process_time() - cpu
        baseline_peak = peak_mb()
    print(
        f"machine: {platform.machine()} {platform.python_implementation()} "
        f"{platform.python_version()}, {len(os.sched_getaffinity(0))} CPUs"
    )
    print(
        f"file: {rows:,} rows × {len(COLUMNS)} columns, {len(data) / 2**20:.1f} MB "
        f"(built in {built:.1f} s)"
    )
    print(f"load average before the run: {load[0]:.2f}")
    print(
        f"pingtai read_upload, full validation: {ours:6.2f} s wall, {ours_cpu:6.2f} s CPU, "
        f"peak RSS {ours_peak:5.0f} MB ({rows_accepted:,} rows accepted, "
        f"{confirmations} confirmations)"
    )
    print(
        f"plain openpyxl read-only iteration:   {baseline:6.2f} s wall, {baseline_cpu:6.2f} s CPU, "
        f"peak RSS {baseline_peak:5.0f} MB ({cells:,} cells)"
    )
    print(
        f"ratio (ours / openpyxl):              {ours / baseline:6.2f} wall, "
        f"{ours_cpu / baseline_cpu:.2f} CPU"
    )


if __name__ == "__main__":
    main()
