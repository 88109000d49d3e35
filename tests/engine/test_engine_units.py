from fractions import Fraction

import pytest

from pingtai.core.refusal import Refused
from pingtai.engine import units


def test_mu_is_exactly_ten_thousand_fifteenths_of_a_square_metre():
    assert units.factor("亩", "m²") == Fraction(10000, 15)
    assert units.factor("公顷", "亩") == 15
    assert units.factor("km²", "亩") == 1500
    assert units.factor("万亩", "km²") == Fraction(10000, 1500)


def test_money_and_electricity_conversions():
    assert units.factor("亿元", "万元") == 10000
    assert units.factor("元", "万元") == Fraction(1, 10000)
    assert units.factor("kWh", "万kWh") == Fraction(1, 10000)
    assert units.factor("万吨标煤", "吨标煤") == 10000


def test_compound_units_convert_exactly():
    assert units.factor("元/kWh", "万元/万kWh") == 1
    assert units.factor("万元/公顷", "万元/亩") == Fraction(1, 15)
    assert units.ratio_factor("万元", "万元", "%") == 100
    assert units.ratio_factor("元", "m²", "万元/亩") == Fraction(10000, 15) / 10000


def test_it_rejects_unknown_units_and_mismatched_dimensions():
    with pytest.raises(Refused, match="未知单位"):
        units.parse("斤")
    with pytest.raises(Refused, match="量纲不同"):
        units.factor("万元", "亩")
    with pytest.raises(Refused, match="量纲不符"):
        units.ratio_factor("万元", "亩", "万元/人")
    with pytest.raises(Refused, match="最多只能含一个"):
        units.parse("万元/亩/年")
