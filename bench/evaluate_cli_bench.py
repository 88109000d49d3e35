"""Benchmark: the command line `pingtai evaluate` on 1,000,000 firms against the polars floor
(read the same input file and write it back) measured in the same run (docs/benchmarks.md).

    .venv/bin/python bench/evaluate_cli_bench.py                # 1,000,000 rows, CSV and Parquet
    .venv/bin/python bench/evaluate_cli_bench.py --quick        # 50,000 rows
    .venv/bin/python bench/evaluate_cli_bench.py --workdir DIR  # keep and reuse the input files

Every measurement is its own process, started from this one (which imports neither polars nor
the engine, so a child's peak memory is its own). Floor and command alternate, ``--repeat``
times; the best of each is compared, because on a shared machine the slowest runs measure the
neighbours, not the program.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

METHOD = "zj-mujun-huangyan-2022"
SRC = str(Path(__file__).resolve().parents[1] / "src")

GENERATE = """
import sys
from pingtai.engine.synthetic import enterprises
frame = enterprises(int(sys.argv[1]), seed=20241231)
frame.write_csv(sys.argv[2] + "/in.csv")
frame.write_parquet(sys.argv[2] + "/in.parquet")
"""

FLOOR = """
import sys
import polars as pl
source, target = sys.argv[1], sys.argv[2]
if source.endswith(".csv"):
    pl.read_csv(source).write_csv(target)
else:
    pl.read_parquet(source).write_parquet(target)
"""

# The floor of the command's own output: read the same input, then write a table of the result's
# shape (the command's result, loaded first and not timed) in the same format, floats with the
# result's decimals. The result has 46 columns where the input has 14, so this floor shows how
# much of the command's time is the size of what it must write (docs/benchmarks.md).
RESULT_FLOOR = """
import json, sys, time
import polars as pl
clock = lambda: (time.perf_counter(), time.process_time())
start = clock()
source, result, target = sys.argv[1], sys.argv[2], sys.argv[3]
csv = source.endswith(".csv")
table = pl.read_csv(result) if csv else pl.read_parquet(result)
loaded = clock()
(pl.read_csv(source) if csv else pl.read_parquet(source)).shape
if csv:
    table.write_csv(target, float_precision=6, line_terminator="\\n")
else:
    table.write_parquet(target, compression="snappy")
print(json.dumps({"load": [loaded[0] - start[0], loaded[1] - start[1]]}))
"""

# The same work as the command, in one process through the Python API, each phase timed on
# its own (wall and CPU of all threads): where the command's time goes, next to its total.
IN_PROCESS = """
import json, resource, sys, time
clock = lambda: (time.perf_counter(), time.process_time())
marks = [clock()]
from pingtai.engine import evaluate, load_method
from pingtai.engine.inputs import numeric_columns
from pingtai.engine.tables import read_table, write_table
method = load_method(sys.argv[1])
marks.append(clock())
held = [read_table(sys.argv[2], numeric=numeric_columns(method))]
marks.append(clock())
result = evaluate(method, held.pop())  # as in the command: the engine may drop the input
marks.append(clock())
if sys.argv[3].endswith(".csv"):
    result.write_csv(sys.argv[3])
else:
    write_table(result.table, sys.argv[3], float_precision=method.output.decimals)
marks.append(clock())
digest = result.result_hash
marks.append(clock())
names = ["imports", "read", "evaluate", "write", "hash"]
print(json.dumps({
    "phases": {n: [b[0] - a[0], b[1] - a[1]] for n, a, b in zip(names, marks, marks[1:])},
    "result_hash": digest,
}))
"""


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}


def run(argv: list[str]) -> dict:
    """Run one child; return its wall time, CPU time (all threads) and peak RSS."""
    start = time.perf_counter()
    child = subprocess.Popen(argv, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    out = child.stdout.read().decode() if child.stdout else ""
    err = child.stderr.read().decode() if child.stderr else ""
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{out}\n{err}")
    return {
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "peak_mb": usage.ru_maxrss / 1024,
        "stdout": out,
    }


def measure(workdir: Path, suffix: str, repeat: int) -> dict:
    source = workdir / f"in{suffix}"
    floor_out = workdir / f"floor{suffix}"
    cli_out = workdir / f"result{suffix}"
    floors, clis = [], []
    inside = run([sys.executable, "-c", IN_PROCESS, METHOD, str(source), str(cli_out)])
    for _ in range(repeat):
        floors.append(run([sys.executable, "-c", FLOOR, str(source), str(floor_out)]))
        clis.append(
            run(
                [
                    sys.executable,
                    "-m",
                    "pingtai.cli",
                    "evaluate",
                    "--method",
                    METHOD,
                    str(source),
                    "-o",
                    str(cli_out),
                ]
            )
        )
    result_floors = []
    for _ in range(repeat):
        child = run([sys.executable, "-c", RESULT_FLOOR, str(source), str(cli_out), str(floor_out)])
        load_wall, load_cpu = json.loads(child["stdout"])["load"]
        result_floors.append(
            {"wall_s": child["wall_s"] - load_wall, "cpu_s": child["cpu_s"] - load_cpu}
        )
    floor = min(floors, key=lambda r: r["wall_s"])
    cli = min(clis, key=lambda r: r["wall_s"])
    result_floor = min(result_floors, key=lambda r: r["wall_s"])
    return {
        "format": suffix,
        "floor": {k: v for k, v in floor.items() if k != "stdout"},
        "cli": {k: v for k, v in cli.items() if k != "stdout"},
        "cli_peak_mb_max": max(r["peak_mb"] for r in clis),
        "in_process": {
            **{k: v for k, v in inside.items() if k != "stdout"},
            **json.loads(inside["stdout"]),
        },
        "result_floor": result_floor,
        "ratio_result_wall": cli["wall_s"] / result_floor["wall_s"],
        "ratio_wall": cli["wall_s"] / floor["wall_s"],
        "ratio_cpu": cli["cpu_s"] / floor["cpu_s"],
        "result_hashes": sorted(
            {r["stdout"].rsplit("结果哈希 ", 1)[-1].strip("）\n") for r in clis}
            | {json.loads(inside["stdout"])["result_hash"]}
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="50,000 rows, one repeat")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", help="keep the generated inputs here and reuse them")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    rows, repeat = (50_000, 1) if args.quick else (args.rows, args.repeat)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(args.workdir or tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        marker = workdir / f"rows-{rows}"
        if not marker.exists():
            run([sys.executable, "-c", GENERATE, str(rows), str(workdir)])
            marker.touch()
        load = os.getloadavg()[0]
        report = [measure(workdir, suffix, repeat) for suffix in (".csv", ".parquet")]
        load_after = os.getloadavg()[0]
    print(
        f"machine: {platform.machine()} {platform.python_implementation()} "
        f"{platform.python_version()}, {os.cpu_count()} CPUs; load average {load:.1f} → "
        f"{load_after:.1f}; {rows:,} firms, method {METHOD}, best of {repeat}"
    )
    print(f"{'':28s}{'wall s':>9s}{'CPU s':>9s}{'peak MB':>9s}")
    for r in report:
        name = r["format"].lstrip(".").upper()
        for label, part in (
            (f"polars floor, {name}", r["floor"]),
            (f"pingtai evaluate, {name}", r["cli"]),
        ):
            print(f"{label:28s}{part['wall_s']:9.2f}{part['cpu_s']:9.2f}{part['peak_mb']:9.0f}")
        inside = r["in_process"]
        print(
            f"{'same work in-process':28s}{inside['wall_s']:9.2f}{inside['cpu_s']:9.2f}"
            f"{inside['peak_mb']:9.0f}"
        )
        for phase, (wall, cpu) in inside["phases"].items():
            print(f"{'  ' + phase:28s}{wall:9.2f}{cpu:9.2f}")
        print(
            f"{'ratio (command ÷ floor)':28s}{r['ratio_wall']:9.2f}{r['ratio_cpu']:9.2f}"
            f"   result hash {', '.join(h[:16] for h in r['result_hashes'])}"
        )
        floor = r["result_floor"]
        print(
            f"{'result-shaped floor ³':28s}{floor['wall_s']:9.2f}{floor['cpu_s']:9.2f}\n"
            f"{'ratio (command ÷ it)':28s}{r['ratio_result_wall']:9.2f}"
        )
    print(
        "³ read the same input, write a table of the result's shape (46 columns) in the same "
        "format; a whole process, less the untimed loading of the result"
    )
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
