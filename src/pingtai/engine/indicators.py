"""Indicators as formulas over source fields (docs/methods.md §2.2).

Source fields arrive already converted to their dimension's base unit (``units.BASE_UNITS``);
an indicator's value is then converted exactly to the unit the method declares for it.
Missing values are NaN throughout.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pingtai.engine import units
from pingtai.engine.methods import FieldSpec, Indicator


@dataclass(frozen=True)
class IndicatorValues:
    value: np.ndarray  # float64, NaN = missing
    numerator: np.ndarray | None  # the summed numerator, kept for ratio-of-sums benchmarks
    denominator: np.ndarray | None
    factor: float  # unit factor applied to numerator ÷ denominator


def _base_unit(spec: FieldSpec) -> str:
    return units.BASE_UNITS[units.parse(spec.unit).numerator]


def _sum(names: list[str], data: dict[str, np.ndarray]) -> np.ndarray:
    # A sum with any missing term is missing: a partial total would understate the firm.
    total = data[names[0]].copy()
    for name in names[1:]:
        total += data[name]
    return total


def deducted(target: np.ndarray, source: np.ndarray) -> np.ndarray:
    """The amount a deduction takes off ``target``: ``source``, at most the target itself (the
    net never goes below 0); an empty source deducts nothing; a missing target stays missing.

    The plan's 清洁能源抵扣能耗 (丽政办发〔2021〕46号 §四(七)): clean energy is taken off a firm's
    energy consumption where the method says so (``deduct = { energy_tce = "renewable_tce" }``).
    """
    return np.minimum(np.nan_to_num(source, nan=0.0).clip(min=0.0), target)


def compute(
    ind: Indicator, data: dict[str, np.ndarray], specs: dict[str, FieldSpec]
) -> IndicatorValues:
    """Evaluate one indicator on whole columns; apply its deductions, zero-denominator and
    negative rules."""
    if ind.deduct:
        data = {**data}
        for target, source in ind.deduct.items():
            data[target] = data[target] - deducted(data[target], data[source])
    f = ind.formula
    num = den = None
    factor = 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        if f.kind in ("ratio", "share"):
            num = _sum(f.numerator, data)
            den = _sum(f.denominator, data)
            factor = float(
                units.ratio_factor(
                    _base_unit(specs[f.numerator[0]]), _base_unit(specs[f.denominator[0]]), ind.unit
                )
            )
            value = num / den * factor
        elif f.kind == "growth":
            num = data[f.current] - data[f.previous]
            den = data[f.previous]
            factor = float(units.factor("1", ind.unit))
            value = num / den * factor
        else:
            names = f.inputs()
            factor = float(units.factor(_base_unit(specs[names[0]]), ind.unit))
            value = _sum(names, data) * factor
    if den is not None:
        zero = den == 0
        value = np.where(zero, 0.0 if ind.zero_denominator == "zero" else np.nan, value)
    if ind.negative != "keep":
        value = np.where(value < 0, 0.0 if ind.negative == "zero" else np.nan, value)
    return IndicatorValues(value, num, den, factor)
