"""Progress towards a target: how far, what growth is still needed, and a red/yellow/green status.

Growth rates are compound annual rates. The status compares the rate still required over the
remaining years with the rate achieved since the base year (or the first year with data); the
cut-off between yellow and red comes from the targets file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pingtai.targets.plan import StatusRules, Target


@dataclass(frozen=True)
class Assessment:
    target: Target
    year: int | None
    value: float | None
    base_year: int | None
    base_value: float | None
    goal: float | None
    progress: float | None
    years_left: int | None
    required_growth: float | None
    achieved_growth: float | None
    met: bool
    status: str
    label: str
    reason: str


def compound_rate(start: float | None, end: float | None, years: int) -> float | None:
    """Annual rate taking ``start`` to ``end`` in ``years``; undefined for non-positive levels."""
    if start is None or end is None or years <= 0 or start <= 0 or end <= 0:
        return None
    return (end / start) ** (1 / years) - 1


def _is_met(target: Target, value: float, goal: float) -> bool:
    return value <= goal if target.lower_is_better else value >= goal


def _progress(target: Target, value: float, base: float | None, goal: float) -> float | None:
    """Share of the way to the goal: from the base for relative targets, from zero otherwise."""
    if target.relative:
        if base is None or base == goal:
            return None
        return (value - base) / (goal - base)
    if target.lower_is_better:
        return goal / value if value > 0 else None
    return value / goal if goal else None


def _base(
    target: Target, series: Mapping[int, float | None], year: int
) -> tuple[int | None, float | None]:
    """Fixed base from the file, else the series at the base year, else the series' first year."""
    if target.base_value is not None:
        return target.base_year, target.base_value
    if target.base_year is not None:
        return target.base_year, series.get(target.base_year)
    known = sorted(y for y, v in series.items() if v is not None and y < year)
    return (known[0], series[known[0]]) if known else (None, None)


def assess(
    target: Target,
    series: Mapping[int, float | None],
    rules: StatusRules,
    as_of: int | None = None,
) -> Assessment:
    """Assess ``target`` on a yearly ``series`` of the target's metric, as of year ``as_of``."""
    known_values = {
        y: v for y, v in series.items() if v is not None and (as_of is None or y <= as_of)
    }
    known = sorted(known_values)

    def result(status: str, reason: str, **values) -> Assessment:
        fields: dict[str, Any] = {
            "year": None,
            "value": None,
            "base_year": None,
            "base_value": None,
            "goal": None,
            "progress": None,
            "years_left": None,
            "required_growth": None,
            "achieved_growth": None,
            "met": False,
        }
        fields.update(values)
        return Assessment(
            target=target, status=status, label=rules.labels[status], reason=reason, **fields
        )

    if not known:
        return result("none", "暂无数据")
    year = known[-1]
    value = float(known_values[year])
    base_year, base_value = _base(target, series, year)
    goal = target.goal_for(base_value)
    if goal is None:
        return result(
            "none", f"缺少{target.base_year}年基期数据", year=year, value=value, base_year=base_year
        )
    years_left = target.target_year - year
    achieved = (
        compound_rate(base_value, value, year - base_year)
        if base_year is not None and base_year < year
        else None
    )
    values = {
        "year": year,
        "value": value,
        "base_year": base_year,
        "base_value": base_value,
        "goal": goal,
        "progress": _progress(target, value, base_value, goal),
        "years_left": years_left,
        "achieved_growth": achieved,
    }
    if _is_met(target, value, goal):
        return result("green", "已达标", met=True, **values)
    if years_left <= 0:
        return result("red", "到期未达标", **values)
    required = compound_rate(value, goal, years_left)
    values["required_growth"] = required
    if required is None:
        return result("red", "现值不大于零，无法按增速达标", **values)
    if achieved is None:
        return result("none", "仅有一个年度的数据，无法比较增速", **values)
    gap = achieved - required if target.lower_is_better else required - achieved
    if gap <= 0:
        return result("green", "按已实现增速可如期达标", **values)
    if gap <= rules.yellow_gap:
        return result("yellow", "需加快：所需增速略高于已实现增速", **values)
    return result("red", "滞后：所需增速明显高于已实现增速", **values)
