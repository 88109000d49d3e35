"""Benchmark: an enterprise-level report through the reporting path on a sized database
(docs/benchmarks.md, "Province scale").

    DATABASE_URL=… .venv/bin/python bench/reporting_import_bench.py

Against a database filled by ``pingtai setup-demo --firms N``: opens the 2025 reporting year
when it is not open, writes the statistics bureau's template (企业产值、增加值、营收、从业人员和
研发经费, 7 columns) for every registered firm with plausible figures, and times
``submission_upload`` — guard, validation, unit-slip checks, and one new version with its
facts in one transaction — as the department user would through the upload page. Then the
department submits it and the city administrator opens the review table and approves it
(``submission_transition``), which brings the approved figures into the register in the same
transaction (docs/reporting.md); the review and the approval are timed too.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import random
import time
from pathlib import Path


def peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pingtai.settings")
    import django

    django.setup()
    from pingtai.accounts.models import User
    from pingtai.registry.models import Enterprise
    from pingtai.reporting.models import Fact, ReportingPeriod, Requirement, Submission
    from pingtai.reporting.review import review_of
    from pingtai.reporting.services import (
        period_open,
        submission_upload,
        template_signing_key,
    )
    from pingtai.reporting.workflow import submission_transition
    from pingtai.xlsx.template import write_template

    admin = User.objects.get(username="admin")
    if not ReportingPeriod.objects.filter(code="2025").exists():
        period_open("2025", user=admin, deadline=dt.date(2026, 3, 31))
    requirement = Requirement.objects.get(period__code="2025", form_code="statistics_enterprise")
    rng = random.Random(2025)
    rows = []
    for uscc, name in Enterprise.objects.order_by("uscc").values_list("uscc", "name"):
        output = round(rng.uniform(500, 50_000), 2)
        revenue = round(output * rng.uniform(0.9, 1.1), 2)
        rows.append(
            {
                "uscc": uscc,
                "enterprise_name": name,
                "industrial_output": output,
                "value_added": round(output * 0.25, 2),
                "revenue": revenue,
                "employees": rng.randint(5, 2000),
                "rd_expenditure": round(revenue * 0.02, 2),
            }
        )
    buffer = io.BytesIO()
    started = time.perf_counter()
    write_template(
        requirement.form_code,
        "2025",
        scope_code=requirement.scope_code,
        scope_name=requirement.scope_name,
        prefill_rows=rows,
        out=buffer,
        signing_key=template_signing_key(),
    )
    data = buffer.getvalue()
    built = time.perf_counter() - started
    user = User.objects.get(username="dept_statistics")
    before = peak_mb()
    start, cpu = time.perf_counter(), time.process_time()
    attempt = submission_upload(requirement, user=user, data=data, filename="统计.xlsx")
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    facts = Fact.objects.filter(version=attempt.version).count() if attempt.version else 0
    print(
        f"# reporting_import_bench  {len(rows):,} rows × 7 columns, {len(data) / 2**20:.1f} MB "
        f"(built in {built:.1f} s)  load average {os.getloadavg()[0]:.1f}"
    )
    print(
        f"submission_upload: {wall:.1f} s wall, {cpu:.1f} s CPU, peak RSS {peak_mb():.0f} MB "
        f"({before:.0f} MB before); outcome {attempt.outcome}, {facts:,} facts stored; "
        f"{attempt.message}"
    )
    if attempt.version is None:
        return 1
    submission = Submission.objects.get(requirement=requirement)
    submission = submission_transition(
        submission.pk, "submit", user=user, seen_revision=submission.revision
    )
    start, cpu = time.perf_counter(), time.process_time()
    review = review_of(requirement, attempt.version)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(f"review table: {wall:.1f} s wall, {cpu:.1f} s CPU, {len(review.suspected):,} flagged")
    start, cpu = time.perf_counter(), time.process_time()
    submission_transition(
        submission.pk,
        "approve",
        user=admin,
        seen_revision=submission.revision,
        slips_checked=True,
        reason="基准测试：合成数据，已核实",
    )
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(
        f"approval (figures into the register): {wall:.1f} s wall, {cpu:.1f} s CPU, "
        f"peak RSS {peak_mb():.0f} MB"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
