"""统一社会信用代码 (GB 32100-2015) normalisation and check-character validation.

python-stdnum is not used: it requires the first eight characters to be digits and so
rejects the standard-conforming N-, A- and Y-prefixed codes (docs/standards.md §1).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
# ISO 7064 MOD 31-3: W_i = 3^(i-1) mod 31.
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
# Positions 1-2: registration department + entity type (docs/standards.md §1).
# Each registration department with the entity-type characters it issues.
_ENTITY_TYPES = {
    "1": "1239",
    "2": "19",
    "3": "123459",
    "4": "19",
    "5": "1239",
    "6": "129",
    "7": "129",
    "8": "19",
    "9": "123",
    "A": "19",
    "N": "1239",
    "Y": "1",
}
KNOWN_PREFIXES = frozenset(
    department + kind for department, kinds in _ENTITY_TYPES.items() for kind in kinds
)
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)


@dataclass(frozen=True)
class UsccCheck:
    code: str
    valid: bool
    problem: str = ""


def normalise(raw: object) -> str:
    """NFKC, drop every kind of whitespace and zero-width character, upper-case."""
    text = unicodedata.normalize("NFKC", str(raw)).translate(_INVISIBLE)
    return "".join(text.split()).upper()


def check_character(first17: str) -> str:
    total = sum(VALUE[ch] * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def check(raw: object) -> UsccCheck:
    """Validate a code; ``problem`` is a Chinese message fit to show a user."""
    code = normalise(raw)
    if len(code) != 18:
        return UsccCheck(code, False, f"统一社会信用代码应为18位，实际为{len(code)}位")
    bad = sorted({ch for ch in code if ch not in VALUE})
    if bad:
        return UsccCheck(code, False, f"含有不允许的字符：{'、'.join(bad)}（不使用 I、O、Z、S、V）")
    if code[:2] not in KNOWN_PREFIXES:
        return UsccCheck(code, False, f"登记管理部门和机构类别代码“{code[:2]}”不在标准代码表中")
    if not code[2:8].isdigit():
        return UsccCheck(code, False, f"第3–8位应为行政区划代码（6位数字），实际为“{code[2:8]}”")
    expected = check_character(code[:17])
    if code[17] != expected:
        return UsccCheck(code, False, f"校验码错误：第18位应为“{expected}”，实际为“{code[17]}”")
    return UsccCheck(code, True)


def is_valid(raw: object) -> bool:
    return check(raw).valid


def complete(first17: str) -> str:
    """Append the check character to a 17-character body (used by data generators)."""
    body = normalise(first17)
    return body + check_character(body)
