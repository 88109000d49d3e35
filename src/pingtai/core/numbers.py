"""The one way numbers become text for people: pages, charts, notices and exports.

Amounts are stored in 万元 (docs/data.md); a reader sees 亿元 from 1 亿 upwards, always with the
unit, thousands separators and half-up rounding (the rounding of the 统计 tables). When two
amounts are compared — a threshold and a value — both are written in one unit: use
``money_pair`` or pass ``unit=`` to ``money``. Missing values read as "—", never "None".

Django-free on purpose: the engine, the CLI and the notice writer use it as well as templates.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction

MISSING = "—"
WAN_PER_YI = Decimal(10000)
MU_PER_KM2 = Decimal(1500)

Number = Decimal | float | int | Fraction | str


def is_missing(value: object) -> bool:
    """None, the empty string Django substitutes for a missing variable, or NaN."""
    if value is None or value == "":
        return True
    return isinstance(value, float) and value != value


def to_decimal(value: Number) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, Fraction):
        return Decimal(value.numerator) / Decimal(value.denominator)
    if isinstance(value, float):
        return Decimal(repr(value))
    try:
        return Decimal(str(value).replace(",", ""))
    except InvalidOperation:
        raise ValueError(f"不是数字：{value!r}") from None


def fixed(value: Number | None, places: int = 2) -> str:
    """``12345.678`` → ``12,345.68``; negative zero prints as 0."""
    if is_missing(value):
        return MISSING
    quantum = Decimal(1).scaleb(-int(places))
    rounded = to_decimal(value).quantize(quantum, rounding=ROUND_HALF_UP)  # type: ignore[arg-type]
    if rounded.is_zero():
        rounded = rounded.copy_abs()
    return f"{rounded:,}"


def wan_to_yi(value: Number | None) -> Decimal | None:
    """万 → 亿 (exact; round only when writing)."""
    return None if is_missing(value) else to_decimal(value) / WAN_PER_YI  # type: ignore[arg-type]


def yi_for_chart(value: Number | None, places: int = 2) -> float | None:
    """A 万元 amount as a rounded 亿元 float for a chart axis labelled 亿元."""
    yi = wan_to_yi(value)
    return None if yi is None else float(yi.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP))


def _money_unit(base_unit: str, yi: bool) -> str:
    """万元 ↔ 亿元, 万元/亩 stays per 亩: only a 万-prefixed unit turns into 亿."""
    return "亿" + base_unit.removeprefix("万") if yi else base_unit


def money_unit_for(values: list[Number | None], base_unit: str = "万元") -> str:
    """The one unit for a set of amounts compared with each other: 亿 when the largest is ≥ 1 亿."""
    present = [abs(to_decimal(v)) for v in values if not is_missing(v)]  # type: ignore[arg-type]
    big = bool(present) and max(present) >= WAN_PER_YI and base_unit.startswith("万")
    return _money_unit(base_unit, big)


def money(
    value: Number | None, base_unit: str = "万元", places: int = 2, unit: str | None = None
) -> str:
    """An amount stored in ``base_unit`` (万元, 万元/亩 …) with its unit.

    Without ``unit`` it switches to 亿 at 1 亿 (``14051600`` → ``1,405.16 亿元``); with ``unit``
    (``"亿元"`` or ``"万元"``) it writes exactly that unit, for comparisons.
    """
    if is_missing(value):
        return MISSING
    if unit is None:
        unit = money_unit_for([value], base_unit)
    amount = to_decimal(value)  # type: ignore[arg-type]
    if unit.startswith("亿") and base_unit.startswith("万"):
        amount = amount / WAN_PER_YI
    return f"{fixed(amount, places)} {unit}"


def money_pair(
    left: Number | None, right: Number | None, base_unit: str = "万元", places: int = 2
) -> tuple[str, str]:
    """Two amounts to be compared, in the same unit (both 亿元 or both 万元)."""
    unit = money_unit_for([left, right], base_unit)
    return money(left, base_unit, places, unit), money(right, base_unit, places, unit)


# Units of things counted one by one: a count never shows decimals, wherever it is written.
COUNT_UNITS = frozenset({"个", "家", "人", "项", "次", "天", "名", "件", "所"})


def places_for(unit: str | None) -> int:
    """The decimals a number in ``unit`` is written with — the one place this is decided:
    counts (个/家/人/项/次 …) are whole, everything else two places."""
    return 0 if unit in COUNT_UNITS else 2


def number_in(value: Number | None, unit: str | None) -> str:
    """The number alone, for a column whose heading or neighbour cell gives ``unit``:
    ``119`` in 个 → ``119``, ``56.648`` in % → ``56.65``."""
    return fixed(value, places_for(unit))


def quantity(value: Number | None, unit: str, places: int | None = None) -> str:
    """A measure in its own unit; 万元-based money goes through ``money``; % sticks to the number."""
    if is_missing(value):
        return MISSING
    if unit.startswith("万元"):
        return money(value, unit, 2 if places is None else places)
    if places is None:
        # Areas in a sentence read as whole 亩; a data sheet keeps the two places.
        places = 0 if unit == "亩" else places_for(unit)
    text = fixed(value, places)
    return f"{text}%" if unit == "%" else f"{text} {unit}"


def percent(value: Number | None, places: int = 1) -> str:
    """A share (0.123) as ``12.3%``."""
    if is_missing(value):
        return MISSING
    return f"{fixed(to_decimal(value) * 100, places)}%"  # type: ignore[arg-type]


def signed_percent(value: Number | None, places: int = 1) -> str:
    """A change (0.05) as ``+5.0%``; 同比 columns."""
    text = percent(value, places)
    return text if text == MISSING or text.startswith("-") else f"+{text}"


def percentage_points(value: Number | None, places: int = 1) -> str:
    """A difference of two percentages, given as a share (0.03), as ``3.0 个百分点``."""
    if is_missing(value):
        return MISSING
    return f"{fixed(to_decimal(value) * 100, places)} 个百分点"  # type: ignore[arg-type]


def area_mu(value: Number | None, places: int = 0) -> str:
    """亩 with km² beside it (1 km² = 1500 亩, docs/data.md)."""
    if is_missing(value):
        return MISSING
    mu = to_decimal(value)  # type: ignore[arg-type]
    return f"{fixed(mu, places)} 亩（{fixed(mu / MU_PER_KM2, 2)} km²）"


def count(value: Number | None, unit: str = "家") -> str:
    """A whole count with its measure word: ``1,234 家``."""
    return MISSING if is_missing(value) else f"{fixed(value, 0)} {unit}"
