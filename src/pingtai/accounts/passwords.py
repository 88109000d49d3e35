"""Password policy for a government system (等保 身份鉴别: complexity and periodic change)."""

from __future__ import annotations

import datetime as dt
import re
import string
import tomllib
from functools import lru_cache
from pathlib import Path

from django.contrib.auth.hashers import check_password
from django.contrib.auth.password_validation import (
    CommonPasswordValidator as DjangoCommonPasswordValidator,
)
from django.contrib.auth.password_validation import MinimumLengthValidator
from django.core.exceptions import ValidationError


class ChineseMinimumLengthValidator(MinimumLengthValidator):
    """Django 5.2's zh-hans catalogue lacks this message's current wording."""

    def validate(self, password: str, user=None) -> None:
        if len(password) < self.min_length:
            raise ValidationError(
                f"密码太短，至少需要 {self.min_length} 个字符", code="password_too_short"
            )

    def get_help_text(self) -> str:
        return f"密码至少需要 {self.min_length} 个字符。"


CLASSES = (
    ("大写字母", set(string.ascii_uppercase)),
    ("小写字母", set(string.ascii_lowercase)),
    ("数字", set(string.digits)),
    ("符号", set(string.punctuation)),
)


class CharacterClassValidator:
    """At least three of: upper-case, lower-case, digits, symbols."""

    def __init__(self, min_classes: int = 3) -> None:
        self.min_classes = min_classes

    def validate(self, password: str, user=None) -> None:
        present = [name for name, chars in CLASSES if set(password) & chars]
        if len(present) < self.min_classes:
            raise ValidationError(
                f"密码须至少包含大写字母、小写字母、数字、符号中的 {self.min_classes} 类，"
                f"当前只有：{'、'.join(present) or '无'}",
                code="password_too_simple",
            )

    def get_help_text(self) -> str:
        return f"密码须至少包含大写字母、小写字母、数字、符号中的 {self.min_classes} 类。"


PINYIN_WORDS = Path(__file__).with_name("pinyin-words.toml")
# Longer numbers people put around a word (any number of up to four digits counts anyway):
# keyboard runs, repeated lucky digits, 我爱你一生一世 (5201314).
COMMON_NUMBERS = frozenset(
    {
        "12345",
        "123456",
        "1234567",
        "12345678",
        "123456789",
        "1234567890",
        "654321",
        "111111",
        "000000",
        "666666",
        "888888",
        "5201314",
    }
)
MAX_WORDS = 2
LONGEST_WORD = 24


class CommonPasswordValidator:
    """Refuse passwords an attacker tries first (ASVS 2.1.7), offline: Django's list of 20,000
    leaked passwords, and anything made of at most two common words — Django's list, pinyin
    names, places and common pinyin words (pinyin-words.toml) — joined by years, dates, short or
    common numbers and symbols: ``Password123!``, ``Zhangwei@1990``, ``Lishui-Demo-2021``.
    Case and every character that is not a letter or digit are ignored."""

    def __init__(self) -> None:
        self.passwords, self.words = _dictionaries()

    def validate(self, password: str, user=None) -> None:
        plain = re.sub(r"[^a-z0-9]", "", password.lower())
        if password.lower().strip() in self.passwords or plain in self.passwords:
            raise ValidationError(
                "该密码过于常见，请换一个不易猜到的密码", code="password_too_common"
            )
        if plain and self._predictable(plain):
            raise ValidationError(
                "密码不能只由常见单词、姓名或地名拼音加年份、日期或常见数字组成，请换一个不易猜到的密码",
                code="password_too_common",
            )

    def _predictable(self, plain: str) -> bool:
        words = 0
        for run in re.findall(r"[a-z]+|[0-9]+", plain):
            if run.isdigit():
                if not _predictable_number(run):
                    return False
                continue
            needed = self._fewest_words(run)
            if needed is None:
                return False
            words += needed
        return words <= MAX_WORDS

    def _fewest_words(self, run: str) -> int | None:
        """The fewest dictionary words that spell ``run`` exactly, or None (word break)."""
        best: list[int | None] = [0] + [None] * len(run)
        for end in range(1, len(run) + 1):
            for start in range(max(0, end - LONGEST_WORD), end):
                before = best[start]
                current = best[end]
                if (
                    before is not None
                    and run[start:end] in self.words
                    and (current is None or before + 1 < current)
                ):
                    best[end] = before + 1
        return best[-1]

    def get_help_text(self) -> str:
        return "密码不能是常见密码，也不能只由常见单词、姓名或地名拼音加年份或常见数字组成。"


def _predictable_number(digits: str) -> bool:
    """Up to four digits (any year, birthday or PIN), a full date, or a well-known number."""
    if len(digits) <= 4 or digits in COMMON_NUMBERS:
        return True
    for pattern in ("%Y%m%d", "%y%m%d", "%Y%m"):
        try:
            dt.datetime.strptime(digits, pattern)
        except ValueError:
            continue
        return True
    return False


@lru_cache(maxsize=1)
def _dictionaries() -> tuple[frozenset[str], frozenset[str]]:
    """Django's list of common passwords, and the words a predictable password is made of."""
    passwords = frozenset(DjangoCommonPasswordValidator().passwords)
    pinyin = tomllib.loads(PINYIN_WORDS.read_text(encoding="utf-8"))
    names = {s + g for s in pinyin["surnames"] for g in pinyin["given_names"]}
    words = (
        {p for p in passwords if p.isalpha() and len(p) >= 4}
        | names
        | set(pinyin["surnames"])
        | set(pinyin["given_names"])
        | set(pinyin["places"])
        | set(pinyin["words"])
    )
    return passwords, frozenset(words)


class NotCurrentPasswordValidator:
    """A new password must differ from the current one: re-setting the same password would
    restart its validity period without changing anything (等保 定期更换)."""

    def validate(self, password: str, user=None) -> None:
        current = getattr(user, "password", "")
        if current and check_password(password, current):
            raise ValidationError("新密码不能与当前密码相同", code="password_unchanged")

    def get_help_text(self) -> str:
        return "新密码不能与当前密码相同。"
