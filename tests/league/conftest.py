"""League fixtures: the demo platform reports (entered through the reporting workflow) and a
few published runs, made once for the whole tests/league directory inside a transaction that
is rolled back at the end, so other test directories never see them."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.db import transaction

DRAWS = 300
# The quarters the runs below read (with their year-earlier quarters); 2023Q1 and 2024Q1 are
# left out to keep the suite fast.
QUARTERS = ["2023Q2", "2023Q3", "2023Q4", "2024Q2", "2024Q3", "2024Q4"]


@dataclass
class LeagueDemo:
    quarters: list[str]
    report: object
    q3: object  # 2024Q3 quarter, published
    q4: object  # 2024Q4 quarter, published
    y23: object  # 2023 year-end, published
    y24: object  # 2024 year-end, published
    h1: object  # 2024H1 mid-year, size bands, preview only


@pytest.fixture(scope="package")
def league_demo(django_db_setup, django_db_blocker) -> LeagueDemo:
    from pingtai.accounts.models import User
    from pingtai.league.demo import load_demo
    from pingtai.league.services import run_create, run_publish

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            admin = User.objects.get(username="admin")
            report = load_demo(admin=admin, quarters=QUARTERS)

            def published(cycle: str, period: str):
                return run_publish(
                    run_create(cycle, period, user=admin, robustness_draws=DRAWS), user=admin
                )

            demo = LeagueDemo(
                quarters=QUARTERS,
                report=report,
                q3=published("quarter", "2024Q3"),
                q4=published("quarter", "2024Q4"),
                y23=published("year", "2023"),
                y24=published("year", "2024"),
                h1=run_create(
                    "half", "2024H1", user=admin, grouping="size", robustness_draws=DRAWS
                ),
            )
            yield demo
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
