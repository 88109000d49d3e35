import pytest

from pingtai.standards import uscc

VALID = [
    "91350100M000100Y43",
    "91110000600037341L",
    "91110108551385082Q",
    "9144030071526726XG",
    "121200004013590816",
    "913311001484116584",
]
INVALID = [
    ("91350100M000100Y4Z", "不允许的字符"),
    ("91110000600037341N", "校验码错误"),
    ("9111000060003IOZSV", "不允许的字符"),
    ("91350211M0000XUF46", "校验码错误"),  # a real legacy code: flagged, overridable by a reason
    ("9135010", "18位"),
    ("ZZ350100M000100Y43", "不允许的字符"),
    ("98350100M000100Y4X", "登记管理部门"),
]


@pytest.mark.parametrize("code", VALID)
def test_valid_vectors_are_accepted(code):
    assert uscc.check(code).valid


@pytest.mark.parametrize(("code", "problem"), INVALID)
def test_invalid_vectors_are_rejected_with_a_reason(code, problem):
    result = uscc.check(code)
    assert not result.valid
    assert problem in result.problem


@pytest.mark.parametrize("code", VALID)
def test_every_single_character_alteration_is_rejected(code):
    altered = 0
    for position in range(18):
        for ch in uscc.ALPHABET:
            if ch == code[position]:
                continue
            mutant = code[:position] + ch + code[position + 1 :]
            assert not uscc.is_valid(mutant), mutant
            altered += 1
    assert altered == 18 * 30


def test_full_width_digits_and_ideographic_spaces_are_normalised():
    assert (
        uscc.check("\u3000９１３３１１００１４８４１１６５８４\u3000").code == "913311001484116584"
    )
    assert uscc.is_valid(" 91110108551385082q\u200b")


def test_letter_prefixed_codes_conform_to_the_standard():
    code = uscc.complete("N1331100MA2A0B1C3")
    assert code.startswith("N1") and uscc.is_valid(code)


def test_check_character_of_the_standard_example():
    assert uscc.check_character("91350100M000100Y4") == "3"
    assert uscc.WEIGHTS[:5] == (1, 3, 9, 27, 19)
