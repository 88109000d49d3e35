"""Benchmark: time to render the 亩均 results notice (13 pages, 146 D-class firms, two charts)
as PDF, Word and Excel, the first time in a process and afterwards (docs/notices.md, "PDF").

    .venv/bin/python bench/notice_bench.py              # 20 renders per format
    .venv/bin/python bench/notice_bench.py --renders 5

A fresh SQLite database in a temporary directory is migrated, loaded with the demo dataset,
and one 2024 evaluation run is published. The first PDF includes indexing the fonts and
reading their metrics; every later one reuses them, as a long-running server does. Every PDF
must be byte-identical to the first (same notice, same bytes). Target: PDF p95 ≤ 1 s after
the first.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime

TARGET_P95_S = 1.0


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def timed(render, count: int) -> tuple[list[float], list[float], set[bytes]]:
    wall, cpu, outputs = [], [], set()
    for _ in range(count):
        start, start_cpu = time.perf_counter(), time.process_time()
        outputs.add(render())
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return wall, cpu, outputs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--renders", type=int, default=20, help="renders per format (≥ 5)")
    args = parser.parse_args()
    if args.renders < 5:
        parser.error("--renders must be at least 5")

    work = tempfile.mkdtemp(prefix="pingtai-notice-bench-")
    os.environ["PINGTAI_VAR_DIR"] = work
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pingtai.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from pingtai.accounts.models import User
    from pingtai.accounts.services import accounts_ensure_demo_users
    from pingtai.data.lishui.generator import build_dataset
    from pingtai.evaluation.services import run_evaluation, run_publish
    from pingtai.registry.services import registry_load_dataset
    from pingtai.reports import documents
    from pingtai.reports.notices import mujun_notice
    from pingtai.reports.pdf import render_pdf

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    registry_load_dataset(build_dataset())
    accounts_ensure_demo_users()
    admin = User.objects.get(username="admin")
    run, _ = run_evaluation(2024, "lishui-mujun-default", user=admin)
    run = run_publish(run, user=admin)
    print(
        f"建库、载入演示数据并发布评价批次：{time.perf_counter() - started:.1f} s", file=sys.stderr
    )

    load = os.getloadavg()
    start, start_cpu = time.perf_counter(), time.process_time()
    notice = mujun_notice(run)
    build = (time.perf_counter() - start, time.process_time() - start_cpu)
    start, start_cpu = time.perf_counter(), time.process_time()
    first = render_pdf(notice)
    first_pdf = (time.perf_counter() - start, time.process_time() - start_cpu)
    results = {
        "pdf": timed(lambda: render_pdf(notice), args.renders),
        "docx": timed(lambda: documents.render_docx(notice), args.renders),
        "xlsx": timed(lambda: documents.render_xlsx(notice), args.renders),
    }
    stable = results["pdf"][2] == {first}

    print(
        f"# notice_bench  {datetime.now(UTC):%Y-%m-%d %H:%M} UTC  "
        f"Python {platform.python_version()}  {platform.machine()}  "
        f"{len(os.sched_getaffinity(0))} CPU  load average before the run {load[0]:.2f}"
    )
    print(f"通报：{notice.title}；PDF {len(first):,} 字节")
    print(f"汇总通报数据（查询、两幅图）：{build[0]:.2f} s（CPU {build[1]:.2f} s）")
    print(f"第一次 PDF（含字体索引与字宽）：{first_pdf[0]:.2f} s（CPU {first_pdf[1]:.2f} s）")
    print(f"{'格式':<8}{'次数':>6}{'p50 s':>9}{'p95 s':>9}{'max s':>9}{'CPU p50':>9}{'CPU p95':>9}")
    for name, (wall, cpu, _) in results.items():
        print(
            f"{name:<8}{len(wall):>6}{statistics.median(wall):>9.3f}{percentile(wall, 0.95):>9.3f}"
            f"{max(wall):>9.3f}{statistics.median(cpu):>9.3f}{percentile(cpu, 0.95):>9.3f}"
        )
    p95 = percentile(results["pdf"][0], 0.95)
    verdict = "达标" if p95 <= TARGET_P95_S and stable else "未达标"
    print(
        f"PDF p95 = {p95:.3f} s（目标 ≤ {TARGET_P95_S:.0f} s）；"
        f"{'每次输出字节相同' if stable else '输出字节不一致'}：{verdict}"
    )
    shutil.rmtree(work, ignore_errors=True)
    return 0 if verdict == "达标" else 1


if __name__ == "__main__":
    raise SystemExit(main())
