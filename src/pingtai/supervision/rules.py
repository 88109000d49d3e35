"""Schedule arithmetic for the battle map (no Django): expected progress, overdue, slow, rates.

The rules file ``rules.toml`` beside this module holds the thresholds; every one of them is an
assumption because the plan does not define "进展缓慢".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from pingtai.core.datafiles import load_toml

DEFAULT_RULES = Path(__file__).with_name("rules.toml")


class SupervisionRules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    version: str
    title: str
    source: str
    slow_margin_pct: Decimal = Field(ge=0, le=100)
    backdate_days: int = Field(ge=0, le=366)
    assumed: bool = True
    note: str = ""


def load_rules(path: Path | str = DEFAULT_RULES) -> SupervisionRules:
    return load_toml(Path(path), SupervisionRules, what="督办规则文件")


def expected_progress(start: dt.date, deadline: dt.date, on: dt.date) -> Decimal:
    """Percent of the work a linear schedule would have done by ``on`` (0–100)."""
    if on <= start:
        return Decimal(0)
    if on >= deadline:
        return Decimal(100)
    return (Decimal((on - start).days) * 100 / Decimal((deadline - start).days)).quantize(
        Decimal("0.1")
    )


def is_overdue(deadline: dt.date, completed_on: dt.date | None, on: dt.date) -> bool:
    """Past its deadline on ``on`` and not completed by then."""
    return deadline < on and (completed_on is None or completed_on > on)


def is_slow(
    start: dt.date,
    deadline: dt.date,
    progress: int,
    completed_on: dt.date | None,
    on: dt.date,
    margin_pct: Decimal,
) -> bool:
    """Running (started, not yet due, not completed) and behind the linear schedule by more
    than the margin; overdue tasks are reported as overdue instead."""
    if completed_on is not None and completed_on <= on:
        return False
    if not start < on <= deadline:
        return False
    return expected_progress(start, deadline, on) - Decimal(progress) > margin_pct


def period_bounds(year: int, quarter: int | None = None) -> tuple[dt.date, dt.date]:
    """First and last day of a year or of one of its quarters."""
    if quarter is None:
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    if quarter not in (1, 2, 3, 4):
        raise ValueError("季度应为 1–4")
    first = dt.date(year, 3 * quarter - 2, 1)
    last = dt.date(year + 1, 1, 1) if quarter == 4 else dt.date(year, 3 * quarter + 1, 1)
    return first, last - dt.timedelta(days=1)


@dataclass(frozen=True)
class Due:
    deadline: dt.date
    completed_on: dt.date | None


def completion_rate(due: Iterable[Due]) -> float:
    """Share of due tasks completed on or before their deadline; nothing due counts as 1.0."""
    rows = list(due)
    if not rows:
        return 1.0
    on_time = sum(1 for r in rows if r.completed_on is not None and r.completed_on <= r.deadline)
    return on_time / len(rows)
