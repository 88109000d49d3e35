import pytest

from pingtai.standards import gbt4754


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("C3484", ("C", "3484")),
        ("3484", ("C", "3484")),
        ("a0111", ("A", "0111")),
        ("０１６４", ("A", "0164")),
        ("T9700", ("T", "9700")),
    ],
)
def test_codes_normalise_to_letter_and_four_digits(raw, expected):
    assert gbt4754.normalise(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("A3484", "门类应为 C"),
        ("C348", "4位"),
        ("C98AB", "4位"),
        ("9899", "不存在"),
        ("C12.5", "4位"),
    ],
)
def test_bad_codes_are_refused_with_the_reason(raw, message):
    with pytest.raises(ValueError, match=message):
        gbt4754.normalise(raw)


def test_the_twenty_sections_cover_all_97_divisions_without_overlap():
    divisions = [d for lo, hi in gbt4754.SECTIONS.values() for d in range(lo, hi + 1)]
    assert len(gbt4754.SECTIONS) == 20
    assert sorted(divisions) == list(range(1, 98))
