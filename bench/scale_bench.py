"""Benchmark: province-sized data on one database (docs/benchmarks.md, "Province scale").

    DATABASE_URL=… pingtai setup-demo --firms 100000 --registry-only
    DATABASE_URL=… .venv/bin/python bench/scale_bench.py [--requests 30] [--skip-run]
        [--only map_enterprises …]

Against the database named by DATABASE_URL (SQLite or PostgreSQL), already filled by
``pingtai setup-demo --firms N``: times ``pingtai mujun run --year 2024`` (robustness off, as
by default) in its own process and publishes that run when no 2024 result is current, then
measures the server time of the cockpit, the map's two data requests and the largest
platform's page through Django's test client as the signed-in leader, against a trivial
view measured in the same run through the same middleware. On PostgreSQL the database is
analysed first (``ANALYZE``), as autovacuum does on a maintained server.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

SRC = str(Path(__file__).resolve().parents[1] / "src")


VIEWS = {
    "trivial": "/bench/trivial/",
    "cockpit": "/dashboard/",
    "map_data": "/dashboard/map/data.json?indicator=tax_per_mu",
    "map_enterprises": "/dashboard/map/enterprises.json",
    "platform": "/platforms/{biggest}/",
}


def trivial(request):
    from django.http import HttpResponse

    return HttpResponse("ok")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def timed(client, url: str, count: int) -> tuple[list[float], list[float]]:
    client.get(url)  # warm-up: templates compiled, caches filled
    wall, cpu = [], []
    for _ in range(count):
        start, start_cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
    return wall, cpu


def mujun_run() -> dict:
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pingtai.cli", "mujun", "run", "--year", "2024"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(done.stdout + done.stderr)
    return {
        "wall_s": wall,
        "cpu_s": after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime,
        "output": done.stdout,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=30, help="requests per view")
    parser.add_argument("--skip-run", action="store_true", help="do not time mujun run")
    parser.add_argument(
        "--only",
        action="append",
        choices=list(VIEWS),
        help="measure only these views (repeatable; the trivial view is always measured)",
    )
    args = parser.parse_args()

    run = None if args.skip_run else mujun_run()
    if run is not None:  # printed at once: the page measurements can take long
        print(
            f"mujun run --year 2024: {run['wall_s']:.1f} s wall, {run['cpu_s']:.1f} s CPU",
            flush=True,
        )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pingtai.settings")
    import django

    django.setup()
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import override_settings
    from django.urls import include, path

    from pingtai.accounts.models import User
    from pingtai.evaluation.models import EvaluationRun
    from pingtai.evaluation.services import run_publish
    from pingtai.registry.models import Enterprise
    from pingtai.runs.selectors import current_published

    firms = Enterprise.objects.count()
    if current_published(EvaluationRun, year=2024) is None:
        latest = EvaluationRun.objects.filter(year=2024).order_by("-pk").first()
        if latest is not None:
            admin = User.objects.get(username="admin")
            run_publish(latest, user=admin, override_reason="演示数据：规模测试")
    if connection.vendor == "postgresql":
        # Planner statistics for the freshly loaded tables, as autovacuum's analyse gives a
        # maintained server after a bulk load; a server with autovacuum off (as in CI) has
        # none and plans the map's top-N as if the year held a thousand rows.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    biggest = (
        Enterprise.objects.values("platform__code")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()["platform__code"]
    )
    module = type(sys)("scale_bench_urls")
    module.urlpatterns = [path("bench/trivial/", trivial), path("", include("pingtai.urls"))]
    sys.modules["scale_bench_urls"] = module
    views = {
        name: url.format(biggest=biggest)
        for name, url in VIEWS.items()
        if name == "trivial" or not args.only or name in args.only
    }
    load = os.getloadavg()[0]
    results, queries = {}, {}
    with override_settings(ROOT_URLCONF="scale_bench_urls"):
        client = Client()
        client.force_login(User.objects.get(username="leader"))
        for name, url in views.items():
            seen: list[str] = []

            def count(execute, sql, params, many, context, seen=seen):
                seen.append(sql)
                return execute(sql, params, many, context)

            with connection.execute_wrapper(count):
                client.get(url)
            queries[name] = len(seen)
            results[name] = timed(client, url, args.requests)
    vendor = connection.vendor
    print(
        f"# scale_bench  {vendor}  {firms:,} firms  Python {platform.python_version()}  "
        f"{len(os.sched_getaffinity(0))} CPU  load average {load:.1f} → {os.getloadavg()[0]:.1f}"
    )
    print(f"{'view':<18}{'p50 ms':>9}{'p95 ms':>9}{'CPU p50':>9}{'CPU p95':>9}{'SQL':>6}")
    for name, (wall, cpu) in results.items():
        print(
            f"{name:<18}{statistics.median(wall):>9.1f}{percentile(wall, 0.95):>9.1f}"
            f"{statistics.median(cpu):>9.1f}{percentile(cpu, 0.95):>9.1f}{queries[name]:>6}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
