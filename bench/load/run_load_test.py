"""Load test on loopback: gunicorn + PostgreSQL with the demo dataset, 50 locust users mixing
cockpit views, platform pages, template downloads, .xlsx uploads (web form and API) and
evaluation runs; then proof from the database that no accepted upload was lost or duplicated.

    .venv/bin/python bench/load/run_load_test.py                 # 50 users, 2 minutes
    .venv/bin/python bench/load/run_load_test.py --run-time 30s --users 20

Not part of the test suite. Steps: (1) drop and create the database `pingtai_load` on
127.0.0.1 (the name must start with pingtai_load; nothing else is touched), (2) `pingtai
setup-demo`, open period 2025Q4, one API token per demo user, pre-filled upload files (each
different, so every upload has its own SHA-256; values near the platform's approved reports of
last year, so no unit-slip confirmation is needed), (3) gunicorn with 4 workers on
127.0.0.1:PORT with PINGTAI_DEBUG=0 and a random PINGTAI_SECRET_KEY, (4) locust headless for
a bounded time and request count, (5) stop gunicorn, (6) compare the uploads locust saw
accepted with the SubmissionVersion rows, (7) print p50/p95/p99 and error rate, write a JSON
report, drop the database (unless --keep-db) and remove the temporary folder.

Locust lives in requirements/load.lock: `make load-test` installs it into .venv and runs this
script; otherwise give its executable with --locust or LOCUST=….
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".venv" / "bin"
PERIOD = "2025Q4"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
TARGET_P95_MS = 500
QUARTERLY = {
    "industrial_output": 1250000,
    "above_scale_output": 1100000,
    "above_scale_value_added": 260000,
    "above_scale_enterprises": 180,
    "tax_revenue": 61000,
    "industrial_investment": 95000,
    "foreign_capital": 3200,
    "trade_total": 210000,
    "major_projects_signed": 6,
    "hightech_value_added": 150000,
    "rd_expenditure": 38000,
    "rd_institutions": 41,
    "innovation_complexes": 2,
    "management_bodies": 3,
    "management_staff": 120,
    "developable_area": 15000,
}


def log(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", flush=True)


def seconds(text: str) -> int:
    match = re.fullmatch(r"(\d+)([smh]?)", text)
    if not match:
        raise SystemExit(f"bad --run-time {text!r} (use 120s, 2m, 1h)")
    return int(match[1]) * {"": 1, "s": 1, "m": 60, "h": 3600}[match[2]]


def recreate_database(server: str, name: str) -> None:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(server: str, name: str) -> None:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pingtai(env: dict[str, str], *argv: str) -> str:
    done = subprocess.run(
        [str(BIN / "pingtai"), *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"pingtai {' '.join(argv)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def baseline(code: str) -> dict[str, float]:
    """Values close to the platform's approved reports of the previous quarter or the same
    quarter last year (the demo approves 2023Q1–2024Q4), so that the unit-slip check (docs/standards.md §4.3)
    accepts the uploads without confirmation; invented values where there are none."""
    from pingtai.catalogue import parse_period
    from pingtai.reporting.services import approved_version, version_values

    period = parse_period(PERIOD)
    for reference in (period.previous().code, period.same_period_last_year().code):
        reported = version_values(approved_version("platform_quarterly", reference, code)).get(code)
        if reported:
            return {**QUARTERLY, **{k: float(v) for k, v in reported.items() if k in QUARTERLY}}
    return dict(QUARTERLY)


def prepare_files(folder: Path, per_platform: int) -> dict[str, int]:
    """Pre-filled quarterly files per platform, each with different values (distinct bytes)."""
    import openpyxl

    from pingtai.catalogue import default_catalogue
    from pingtai.reporting.models import Requirement
    from pingtai.reporting.services import requirement_template

    columns = default_catalogue().form("platform_quarterly").columns
    made = {}
    for requirement in Requirement.objects.filter(
        period__code=PERIOD, form_code="platform_quarterly"
    ).select_related("platform", "period"):
        code = requirement.platform.code
        (folder / code).mkdir(parents=True)
        book = openpyxl.load_workbook(io.BytesIO(requirement_template(requirement)))
        sheet = book["数据"]
        values = baseline(code)
        for n in range(per_platform):
            for indicator, value in values.items():
                sheet.cell(
                    row=3,
                    column=columns.index(indicator) + 1,
                    value=value + n if indicator == "tax_revenue" else value,
                )
            book.save(folder / code / f"{n}.xlsx")
        made[code] = per_platform
    return made


def wait_ready(url: str, process: subprocess.Popen, timeout: float = 90) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/accounts/login/", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise SystemExit("gunicorn did not answer within 90 s")


def stop(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of live processes (from /proc; ticks → seconds)."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def server_pids(master: int, server: str, db: str) -> dict[str, list[int]]:
    """gunicorn's master and workers, and the PostgreSQL backends serving the load database."""
    import psycopg

    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        backends = [
            row[0]
            for row in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (db,))
        ]
    return {"gunicorn": [master, *map(int, children)], "postgres": backends}


def read_stats(path: Path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def verify_uploads(upload_log: Path) -> dict:
    """Compare the uploads locust saw accepted with the database, user by user and file by file."""
    from pingtai.reporting.models import Submission, SubmissionVersion, UploadAttempt

    records = (
        [json.loads(line) for line in upload_log.read_text(encoding="utf-8").splitlines()]
        if upload_log.exists()
        else []
    )
    versions = list(
        SubmissionVersion.objects.filter(
            submission__requirement__period__code=PERIOD
        ).select_related("file", "uploaded_by", "submission", "attempt")
    )
    attempts = {
        a.pk: a
        for a in UploadAttempt.objects.filter(requirement__period__code=PERIOD).select_related(
            "version__file"
        )
    }
    problems: list[str] = []

    locust_per_user = Counter(r["user"] for r in records)
    db_per_user = Counter(v.uploaded_by.username for v in versions)
    if locust_per_user != db_per_user:
        problems.append(
            f"uploads per user differ: locust {dict(locust_per_user)} database {dict(db_per_user)}"
        )
    recorded_attempts = Counter(r["attempt"] for r in records)
    problems += [f"attempt {a} recorded {n} times" for a, n in recorded_attempts.items() if n > 1]
    for r in records:
        attempt = attempts.get(r["attempt"])
        if attempt is None or attempt.version is None or attempt.outcome != "accepted":
            problems.append(
                f"lost: {r['user']} upload {r['attempt']} ({r['channel']}) has no accepted version"
            )
        elif attempt.version.file.sha256 != r["sha256"]:
            problems.append(
                f"attempt {r['attempt']}: stored file {attempt.version.file.sha256} ≠ sent {r['sha256']}"
            )
    unrecorded = [
        v.pk
        for v in versions
        if getattr(v, "attempt", None) is None or v.attempt.pk not in recorded_attempts
    ]
    if unrecorded:
        problems.append(f"versions with no upload seen by locust (duplicates?): {unrecorded[:20]}")
    numbers: dict[int, list[int]] = defaultdict(list)
    for v in versions:
        numbers[v.submission_id].append(v.number)
        if hashlib.sha256(bytes(v.file.content)).hexdigest() != v.file.sha256 or v.file.size != len(
            v.file.content
        ):
            problems.append(f"version {v.pk}: stored bytes do not match their SHA-256")
    for submission_id, found in numbers.items():
        if sorted(found) != list(range(1, len(found) + 1)):
            problems.append(
                f"submission {submission_id}: version numbers {sorted(found)} are not 1..n"
            )
    for submission in Submission.objects.filter(pk__in=numbers).select_related("latest_version"):
        if submission.latest_version.number != max(numbers[submission.pk]):
            problems.append(
                f"submission {submission.pk}: latest_version is not the highest version"
            )
    other_outcomes = Counter(a.outcome for a in attempts.values() if a.outcome != "accepted")
    return {
        "accepted_uploads_seen_by_locust": len(records),
        "submission_versions_in_database": len(versions),
        "per_user": {
            u: {"locust": locust_per_user[u], "database": db_per_user[u]}
            for u in sorted(set(locust_per_user) | set(db_per_user))
        },
        "by_channel": dict(Counter(r["channel"] for r in records)),
        "submissions_touched": len(numbers),
        "max_version_number": max((max(n) for n in numbers.values()), default=0),
        "attempts_not_accepted": dict(other_outcomes),
        "problems": problems,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="pingtai load test on loopback (gunicorn + PostgreSQL + locust)"
    )
    parser.add_argument(
        "--server",
        default="postgresql://postgres@127.0.0.1:5432",
        help="PostgreSQL server URL without database (loopback only)",
    )
    parser.add_argument("--db", default="pingtai_load")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=5)
    parser.add_argument("--run-time", default="2m")
    parser.add_argument("--max-requests", type=int, default=20000)
    parser.add_argument("--files-per-platform", type=int, default=100)
    parser.add_argument(
        "--locust",
        default=os.environ.get("LOCUST") or shutil.which("locust") or str(BIN / "locust"),
    )
    parser.add_argument("--json-out", type=Path, help="write the report here as JSON")
    parser.add_argument("--keep-db", action="store_true", help="keep the database for inspection")
    args = parser.parse_args(argv)

    if urlsplit(args.server).hostname not in LOOPBACK:
        raise SystemExit(
            "the load test runs on loopback only (--server must be 127.0.0.1/localhost)"
        )
    if not re.fullmatch(r"pingtai_load[a-z0-9_]*", args.db):
        raise SystemExit("--db must start with pingtai_load (it is dropped and re-created)")
    if not Path(args.locust).exists():
        raise SystemExit(f"locust not found at {args.locust}: pass --locust or LOCUST=…")
    run_seconds = seconds(args.run_time)

    work = Path(tempfile.mkdtemp(prefix="pingtai-load-"))
    database_url = f"{args.server}/{args.db}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "PINGTAI_DEBUG": "0",
        "PINGTAI_SECRET_KEY": secrets.token_urlsafe(64),
        "PINGTAI_VAR_DIR": str(work / "var"),
        "PINGTAI_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "PINGTAI_DB_CONN_MAX_AGE": "60",
    }
    server: subprocess.Popen | None = None
    report: dict = {}
    load_before = os.getloadavg()
    try:
        log(f"database {args.db}: drop and create")
        recreate_database(args.server, args.db)
        log("setup-demo (migrate, demo dataset, demo users)")
        pingtai(env, "setup-demo")
        pingtai(env, "open-period", PERIOD, "--deadline", "2026-01-20")
        tokens = {}
        for user in ["admin", "leader", *[f"pt_ls{i:02d}" for i in range(1, 12)]]:
            out = pingtai(
                env, "api-token", "create", "--user", user, "--name", "压力测试", "--days", "1"
            )
            tokens[user] = re.search(r"^(pt_\S+)$", out, re.M).group(1)
        (work / "tokens.json").write_text(json.dumps(tokens))

        os.environ.update(
            {
                k: env[k]
                for k in ("DATABASE_URL", "PINGTAI_SECRET_KEY", "PINGTAI_VAR_DIR", "PINGTAI_DEBUG")
            }
        )
        sys.path.insert(0, str(ROOT / "src"))
        from pingtai.cli.site_commands import setup_django

        setup_django()
        from django.db import connections

        from pingtai.accounts.services import DEMO_PASSWORD

        log(f"pre-filling {args.files_per_platform} distinct upload files per platform")
        prepare_files(work / "files", args.files_per_platform)
        connections.close_all()

        url = f"http://127.0.0.1:{args.port}"
        log(f"gunicorn -w {args.workers} on {url}")
        server = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "pingtai.wsgi",
                "-w",
                str(args.workers),
                "-b",
                f"127.0.0.1:{args.port}",
                "--timeout",
                "120",
                "--log-level",
                "warning",
                "--error-logfile",
                str(work / "gunicorn.log"),
            ],
            env=env,
            cwd=work,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_ready(url, server)

        log(
            f"locust: {args.users} users, spawn {args.spawn_rate}/s, {args.run_time}, ≤ {args.max_requests} requests"
        )
        locust_env = {
            **os.environ,
            "LOAD_TOKENS": str(work / "tokens.json"),
            "LOAD_FILES": str(work / "files"),
            "LOAD_UPLOAD_LOG": str(work / "uploads.jsonl"),
            "LOAD_PERIOD": PERIOD,
            "LOAD_MAX_REQUESTS": str(args.max_requests),
            "LOAD_PASSWORD": DEMO_PASSWORD,
        }
        started = time.monotonic()
        cpu_before = {
            k: cpu_seconds(v) for k, v in server_pids(server.pid, args.server, args.db).items()
        }
        subprocess.run(
            [
                args.locust,
                "-f",
                str(ROOT / "bench/load/locustfile.py"),
                "--headless",
                "-u",
                str(args.users),
                "-r",
                str(args.spawn_rate),
                "--run-time",
                args.run_time,
                "--host",
                url,
                "--csv",
                str(work / "stats"),
                "--only-summary",
                "--stop-timeout",
                "30",
                "--loglevel",
                "WARNING",
                "--exit-code-on-error",
                "0",
            ],
            env=locust_env,
            timeout=run_seconds + 300,
            check=False,
            start_new_session=True,
        )
        elapsed = time.monotonic() - started
        # Backends that came and went during the run are not counted (connections persist for
        # 60 s, so few do): the PostgreSQL figure is a lower bound.
        cpu_used = {
            k: round(cpu_seconds(v) - cpu_before.get(k, 0.0), 1)
            for k, v in server_pids(server.pid, args.server, args.db).items()
        }
        stop(server)
        server = None

        rows = read_stats(work / "stats_stats.csv")
        total = next(r for r in rows if r["Name"] == "Aggregated")
        requests, failures = int(total["Request Count"]), int(total["Failure Count"])
        per_endpoint = [
            {
                "name": f"{r['Type']} {r['Name']}",
                "requests": int(r["Request Count"]),
                "failures": int(r["Failure Count"]),
                "p50_ms": r["50%"],
                "p95_ms": r["95%"],
                "p99_ms": r["99%"],
                "max_ms": round(float(r["Max Response Time"])),
            }
            for r in rows
            if r["Name"] != "Aggregated"
        ]
        log("verifying uploads against the database")
        verification = verify_uploads(work / "uploads.jsonl")
        p95 = float(total["95%"])
        report = {
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": {
                "cpus": os.cpu_count(),
                "load_average_before": load_before,
                "load_average_after": os.getloadavg(),
            },
            "settings": {
                "users": args.users,
                "spawn_rate": args.spawn_rate,
                "run_time": args.run_time,
                "max_requests": args.max_requests,
                "gunicorn_workers": args.workers,
                "database": "PostgreSQL (loopback)",
                "wall_seconds": round(elapsed, 1),
            },
            "requests": requests,
            "failures": failures,
            "error_rate": failures / requests if requests else None,
            "requests_per_second": float(total["Requests/s"]),
            "p50_ms": float(total["50%"]),
            "p95_ms": p95,
            "p99_ms": float(total["99%"]),
            "max_ms": round(float(total["Max Response Time"])),
            "server_cpu_seconds": cpu_used,
            "server_cpu_ms_per_request": round(1000 * sum(cpu_used.values()) / requests, 1)
            if requests
            else None,
            "per_endpoint": per_endpoint,
            "uploads": verification,
            "targets_met": {
                "zero_errors": failures == 0,
                "p95_le_500ms": p95 <= TARGET_P95_MS,
                "no_upload_lost_or_duplicated": not verification["problems"],
            },
        }
        failures_csv = work / "stats_failures.csv"
        if failures_csv.exists():
            report["failure_kinds"] = read_stats(failures_csv)[:20]
        gunicorn_log = (
            (work / "gunicorn.log").read_text(errors="replace")
            if (work / "gunicorn.log").exists()
            else ""
        )
        report["gunicorn_errors"] = gunicorn_log.count("[ERROR]")
    finally:
        stop(server)
        if not args.keep_db:
            try:
                from django.db import connections

                connections.close_all()
            except Exception:  # Django may not have been set up yet
                pass
            drop_database(args.server, args.db)
        shutil.rmtree(work, ignore_errors=True)

    print(json.dumps(report, ensure_ascii=False, indent=2))
    if args.json_out:
        args.json_out.write_text(json.dumps(report, ensure_ascii=False, indent=2))
    print(
        f"\nrequests {report['requests']}, failures {report['failures']} "
        f"(error rate {report['error_rate']:.4%}), p50 {report['p50_ms']:.0f} ms, p95 {report['p95_ms']:.0f} ms, "
        f"p99 {report['p99_ms']:.0f} ms; uploads: locust {report['uploads']['accepted_uploads_seen_by_locust']}, "
        f"database {report['uploads']['submission_versions_in_database']}, "
        f"problems {len(report['uploads']['problems'])}"
    )
    return 0 if all(report["targets_met"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
