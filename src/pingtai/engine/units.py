"""Units and exact conversion factors (one module converts units; docs/standards.md §4).

Each unit maps to a dimension and an exact factor to the dimension's base unit, which is the
unit the canonical input columns use: money 万元, land 亩, energy 吨标煤, electricity 万kWh,
mass 吨, headcount 人. 1 亩 = 10000/15 m² exactly, so factors are kept as ``Fraction``.
A compound unit is ``numerator/denominator`` with at most one slash, e.g. ``万元/亩``.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from pingtai.core.refusal import Refused

# unit -> (dimension, how many base units one of this unit is)
_SIMPLE: dict[str, tuple[str, Fraction]] = {
    "元": ("money", Fraction(1, 10_000)),
    "千元": ("money", Fraction(1, 10)),
    "万元": ("money", Fraction(1)),
    "亿元": ("money", Fraction(10_000)),
    "亩": ("area", Fraction(1)),
    "m²": ("area", Fraction(15, 10_000)),
    "m2": ("area", Fraction(15, 10_000)),
    "平方米": ("area", Fraction(15, 10_000)),
    "公顷": ("area", Fraction(15)),
    "ha": ("area", Fraction(15)),
    "km²": ("area", Fraction(1_500)),
    "km2": ("area", Fraction(1_500)),
    "平方公里": ("area", Fraction(1_500)),
    "万亩": ("area", Fraction(10_000)),
    "吨标煤": ("energy", Fraction(1)),
    "tce": ("energy", Fraction(1)),
    "千克标煤": ("energy", Fraction(1, 1_000)),
    "万吨标煤": ("energy", Fraction(10_000)),
    "kWh": ("electricity", Fraction(1, 10_000)),
    "度": ("electricity", Fraction(1, 10_000)),
    "MWh": ("electricity", Fraction(1, 10)),
    "万kWh": ("electricity", Fraction(1)),
    "万度": ("electricity", Fraction(1)),
    "亿kWh": ("electricity", Fraction(10_000)),
    "吨": ("mass", Fraction(1)),
    "t": ("mass", Fraction(1)),
    "当量吨": ("mass", Fraction(1)),
    "千克": ("mass", Fraction(1, 1_000)),
    "kg": ("mass", Fraction(1, 1_000)),
    "人": ("people", Fraction(1)),
    "人·年": ("people", Fraction(1)),
    "1": ("", Fraction(1)),
    "%": ("", Fraction(1, 100)),
    "‰": ("", Fraction(1, 1_000)),
}

BASE_UNITS = {
    "money": "万元",
    "area": "亩",
    "energy": "吨标煤",
    "electricity": "万kWh",
    "mass": "吨",
    "people": "人",
    "": "1",
}


@dataclass(frozen=True)
class Unit:
    text: str
    numerator: str  # dimension name, "" for dimensionless
    denominator: str
    factor: Fraction  # base units per one of this unit

    @property
    def dimension(self) -> tuple[str, str]:
        if self.numerator == self.denominator:
            return ("", "")
        return (self.numerator, self.denominator)


def parse(text: str) -> Unit:
    """Parse ``万元``, ``万元/亩`` or ``%``; raise ``Refused`` naming an unknown part."""
    parts = text.strip().split("/")
    if len(parts) > 2:
        raise Refused(f"单位“{text}”最多只能含一个“/”")
    known = []
    for raw in parts:
        part = raw.strip()
        if part not in _SIMPLE:
            raise Refused(f"未知单位“{part}”（可用：{'、'.join(_SIMPLE)}）")
        known.append(_SIMPLE[part])
    if len(known) == 1:
        dim, factor = known[0]
        return Unit(text, dim, "", factor)
    (ndim, nf), (ddim, df) = known
    return Unit(text, ndim, ddim, nf / df)


def factor(from_unit: str, to_unit: str) -> Fraction:
    """Exact multiplier taking a value in ``from_unit`` to ``to_unit``."""
    a, b = parse(from_unit), parse(to_unit)
    if a.dimension != b.dimension:
        raise Refused(f"单位“{from_unit}”与“{to_unit}”量纲不同，不能换算")
    return a.factor / b.factor


def to_base(unit: str) -> Fraction:
    """Multiplier from a simple unit to its dimension's base unit."""
    u = parse(unit)
    if u.denominator:
        raise Refused(f"输入列单位“{unit}”应为简单单位（不含“/”）")
    return u.factor


def ratio_factor(numerator_unit: str, denominator_unit: str, result_unit: str) -> Fraction:
    """Multiplier taking ``numerator ÷ denominator`` (in the given units) to ``result_unit``."""
    n, d, r = parse(numerator_unit), parse(denominator_unit), parse(result_unit)
    derived = Unit(
        f"{numerator_unit}/{denominator_unit}", n.numerator, d.numerator, n.factor / d.factor
    )
    if derived.dimension != r.dimension:
        raise Refused(
            f"指标单位“{result_unit}”与公式单位“{numerator_unit}/{denominator_unit}”量纲不符"
        )
    return derived.factor / r.factor
