"""Cell parsers, row rules and unit-slip checks; every problem becomes an ``Issue`` in Chinese.

Parsers follow docs/standards.md §5: one explicit parser per type, NFKC and space removal only for
numbers and codes (never names), unit words rejected rather than guessed, Decimal never float.
"""

from __future__ import annotations

import re
import statistics
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from itertools import repeat
from typing import cast

from pingtai.catalogue import Indicator
from pingtai.catalogue.catalogue import Value
from pingtai.core import terms
from pingtai.standards import gbt4754, uscc

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_NUMBER = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?")
_UNIT_WORDS = re.compile(r"[万亿元亩千百吨度%‰个人户米顷]")
# Excel keeps 15 significant digits; a cached formula result such as 0.30000000000000004 is the
# 0.3 the user sees, and formatting to 15 digits recovers exactly that (never binary noise).
EXCEL_DIGITS = ".15g"
_NUMBER_HINT = "只填阿拉伯数字（可带小数点和千分位逗号），单位见表头第2行"


VALUE_EXCERPT = 50
MESSAGE_EXCERPT = 300


def excerpt(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, with “…” when something was cut."""
    return text if len(text) <= limit else text[:limit] + "…"


@dataclass(frozen=True)
class Issue:
    """One problem in an upload, located to the cell where possible."""

    sheet: str
    cell: str
    column: str
    value: str
    rule: str
    message: str
    hint: str = ""

    def __post_init__(self) -> None:
        # Every refused attempt stores its issues; a cell's text is shown as an excerpt so a
        # file of long cells cannot make each stored issue as large as the cell.
        object.__setattr__(self, "value", excerpt(self.value, VALUE_EXCERPT))
        object.__setattr__(self, "message", excerpt(self.message, MESSAGE_EXCERPT))

    def __str__(self) -> str:
        where = f"{self.sheet}!{self.cell}" if self.cell else (self.sheet or "文件")
        value = f"，填写值“{self.value}”" if self.value else ""
        hint = f"（{self.hint}）" if self.hint else ""
        column = f"【{self.column}】" if self.column else ""
        return f"{where}{column}{value}：{self.message}{hint}（{terms.issue_rule_name(self.rule)}）"


@dataclass(frozen=True)
class Confirmation:
    """A probable unit slip or jump the uploader must confirm before the data is accepted."""

    id: str
    sheet: str
    cell: str
    column: str
    key: str
    indicator: str
    value: Decimal
    reference: Decimal
    basis: str  # previous | last_year | peers
    factor: Decimal | None
    message: str


class CellError(Exception):
    """A cell value that fails its parser; carries the rule code, message and hint."""

    def __init__(self, rule: str, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.rule, self.message, self.hint = rule, message, hint


def cell_text(value: object) -> str:
    """The text of a cell as the uploader typed it, for messages and the import record."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return (
            str(int(value))
            if value.is_integer() and abs(value) < 1e15
            else format(value, EXCEL_DIGITS)
        )
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


def _squeeze(text: str) -> str:
    """NFKC, then drop every whitespace and zero-width character (numbers and codes only)."""
    return "".join(unicodedata.normalize("NFKC", text).translate(_INVISIBLE).split())


def _reject_non_scalar(value: object) -> None:
    if isinstance(value, bool):
        raise CellError("type", "单元格是逻辑值（TRUE/FALSE），不是数字或文本", "请直接填写内容")
    if isinstance(value, datetime | date | time | timedelta):
        raise CellError(
            "type", "单元格是日期或时间格式", "请把单元格格式改为“常规”或“文本”后重新填写"
        )


def parse_decimal(value: object) -> Decimal | None:
    """Parse a numeric cell to Decimal; ``None`` when empty. Raise ``CellError``."""
    if value is None or value == "":
        return None
    _reject_non_scalar(value)
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise CellError("number", "不是有效数字", _NUMBER_HINT)
        return Decimal(format(value, EXCEL_DIGITS))
    text = _squeeze(str(value))
    if not text:
        return None
    unit = _UNIT_WORDS.search(text)
    if unit:
        raise CellError(
            "unit_word",
            f"数值中不得含有单位或文字“{unit[0]}”",
            "请换算为表头所示单位后只填数字，例如“12.5万元”在万元列中填 12.5",
        )
    if not _NUMBER.fullmatch(text):
        raise CellError("number", "不是有效数字", _NUMBER_HINT)
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation:
        raise CellError("number", "不是有效数字", _NUMBER_HINT) from None


def parse_code_text(value: object) -> str | None:
    """Normalise a code cell to text; a number Excel has rounded is an error, not a guess."""
    if value is None or value == "":
        return None
    _reject_non_scalar(value)
    if isinstance(value, float):
        if not value.is_integer() or abs(value) >= 1e15:
            raise CellError(
                "code_as_number",
                "代码被 Excel 当作数字保存，已丢失精度",
                "请把该列单元格格式设为“文本”后重新输入完整代码",
            )
        value = int(value)
    return _squeeze(str(value)).upper() or None


def _bounds(ind: Indicator, number: Decimal) -> None:
    if ind.min is not None and number < ind.min:
        raise CellError("min", f"不能小于 {ind.min}", ind.range_text())
    if ind.max is not None and number > ind.max:
        raise CellError(
            "max",
            f"不能大于 {ind.max}{ind.unit}",
            f"{ind.range_text()}；请确认单位为{ind.unit}" if ind.unit else ind.range_text(),
        )


def make_parser(
    ind: Indicator, overrides: frozenset[str], overridden: set[str]
) -> Callable[[object], Value | None]:
    """Return the converter for one column; it raises ``CellError`` with a Chinese message."""
    if ind.dtype == "decimal":
        places = ind.decimals or 0

        def parse(value: object) -> Value | None:
            number = parse_decimal(value)
            if number is None:
                return None
            exponent = number.as_tuple().exponent
            if isinstance(exponent, int) and -exponent > places:
                raise CellError(
                    "decimals", f"小数位数超过{places}位", f"请保留不超过{places}位小数"
                )
            _bounds(ind, number)
            return number

        return parse

    if ind.dtype == "int":

        def parse(value: object) -> Value | None:
            number = parse_decimal(value)
            if number is None:
                return None
            if number != number.to_integral_value():
                raise CellError("integer", "应为整数", "请填写整数")
            _bounds(ind, number)
            return int(number)

        return parse

    if ind.dtype == "text":

        def parse(value: object) -> Value | None:
            if value is None or value == "":
                return None
            _reject_non_scalar(value)
            text = cell_text(value).strip()
            if ind.max_length is not None and len(text) > ind.max_length:
                raise CellError("length", f"长度超过{ind.max_length}个字", "请缩短内容")
            return text or None

        return parse

    def parse_code(value: object) -> Value | None:
        code = parse_code_text(value)
        if code is None:
            return None
        if ind.format == "uscc":
            result = uscc.check(code)
            if result.valid:
                return result.code
            if code in overrides and _checksum_only(code):
                overridden.add(code)
                return code
            raise CellError(
                "uscc",
                result.problem,
                "请核对营业执照；若为校验码不符的早期历史代码，请联系市领导小组办公室登记例外",
            )
        if ind.format == "gbt4754":
            try:
                letter, digits = gbt4754.normalise(code)
            except ValueError as exc:
                raise CellError(
                    "gbt4754", str(exc), "请按文本填写4位小类代码，保留前导零"
                ) from None
            return letter + digits
        if ind.choices and code not in ind.choices:
            raise CellError("choice", f"只能填写：{'、'.join(ind.choices)}", "请从下拉列表中选择")
        if ind.max_length is not None and len(code) > ind.max_length:
            raise CellError("length", f"长度超过{ind.max_length}个字符", "请核对代码")
        return code

    return parse_code


# A clean cell converted by the fast path: (value, raw text); None sends the cell to the parser.
_Hit = tuple[Value | None, str]


def _fast_path(ind: Indicator) -> Callable[[object], _Hit | None]:
    """A converter for the common, clean cell that returns None for anything else.

    It only short-cuts values the full parser would accept unchanged, so the full parser stays
    the single source of every error message; it exists because a 100,000-row file has two
    million cells (docs/import.md, Benchmark).
    """
    low, high = ind.min, ind.max
    if ind.dtype == "decimal":
        places = ind.decimals or 0

        def fast(value: object) -> _Hit | None:
            if type(value) is not float:
                return None
            text = format(value, EXCEL_DIGITS)
            if "e" in text or "n" in text:
                return None
            if "." in text and len(text) - text.find(".") - 1 > places:
                return None
            number = Decimal(text)
            if (low is not None and number < low) or (high is not None and number > high):
                return None
            return number, text

        return fast
    if ind.dtype == "int":

        def fast(value: object) -> _Hit | None:
            if type(value) is not float or not value.is_integer() or abs(value) >= 2**53:
                return None
            number = int(value)
            if (low is not None and number < low) or (high is not None and number > high):
                return None
            return number, str(number)

        return fast
    if ind.dtype == "text":

        def fast(value: object) -> _Hit | None:
            if type(value) is not str:
                return None
            text = value.strip()
            if not text or (ind.max_length is not None and len(text) > ind.max_length):
                return None
            return text, value

        return fast
    choices = frozenset(ind.choices)
    if choices:

        def fast(value: object) -> _Hit | None:
            return (value, value) if type(value) is str and value in choices else None

        return fast
    if ind.format == "uscc":

        def fast(value: object) -> _Hit | None:
            if type(value) is not str or not value.isascii() or not value.isalnum():
                return None
            result = uscc.check(value)
            return (result.code, value) if result.valid else None

        return fast
    return lambda value: None


def _within(ind: Indicator, numbers: Sequence[Decimal | int]) -> bool:
    return (ind.min is None or min(numbers) >= ind.min) and (
        ind.max is None or max(numbers) <= ind.max
    )


def _batch(
    ind: Indicator, cells: Sequence[object]
) -> tuple[Sequence[Value | None], Sequence[str]] | None:
    """Convert a whole column of clean cells with C-level loops, or return None to go cell by cell."""
    if not cells:
        return None
    kinds = set(map(type, cells))
    if kinds == {float} and ind.dtype == "decimal":
        texts = list(map(format, cells, repeat(EXCEL_DIGITS)))
        # One scan for exponents, inf/nan and excess decimal places across the whole column.
        if re.search(rf"[en]|\.\d{{{(ind.decimals or 0) + 1},}}", "\n".join(texts)):
            return None
        numbers = list(map(Decimal, texts))
        if not _within(ind, numbers):
            return None
        return numbers, texts
    if kinds == {float} and ind.dtype == "int":
        floats = cast("Sequence[float]", cells)  # every cell is a float (kinds above)
        if not all(map(float.is_integer, floats)) or max(map(abs, floats)) >= 2**53:
            return None
        integers = list(map(int, floats))
        if not _within(ind, integers):
            return None
        return integers, list(map(str, integers))
    if kinds == {str}:
        strings = cast("Sequence[str]", cells)  # every cell is a str (kinds above)
        if ind.dtype == "text":
            texts = list(map(str.strip, strings))
            if not all(texts) or (
                ind.max_length is not None and max(map(len, texts)) > ind.max_length
            ):
                return None
            return texts, list(strings)
        if ind.choices and set(strings) <= set(ind.choices):
            return list(strings), list(strings)
    return None


def parse_column(
    ind: Indicator, cells: Sequence[object], overrides: frozenset[str], overridden: set[str]
) -> tuple[Sequence[Value | None], Sequence[str], list[tuple[int, CellError]]]:
    """Parse one column: (values, raw texts, [(position, error)]), required cells included."""
    batch = _batch(ind, cells)
    if batch is not None:
        return batch[0], batch[1], []
    fast = _fast_path(ind)
    parse = make_parser(ind, overrides, overridden)
    # Codes such as 行业代码 repeat across thousands of rows; parse each distinct one once.
    memo: dict[object, Value | CellError | None] = {}
    values: list[Value | None] = []
    raw: list[str] = []
    problems: list[tuple[int, CellError]] = []
    for position, cell in enumerate(cells):
        hit = fast(cell)
        if hit is not None:
            values.append(hit[0])
            raw.append(hit[1])
            continue
        raw.append(cell_text(cell))
        key = (type(cell), cell)
        if key in memo:
            value = memo[key]
        else:
            try:
                value = parse(cell)
            except CellError as exc:
                value = exc
            if ind.format != "uscc":  # uscc parsing records overrides as a side effect
                memo[key] = value
        if isinstance(value, CellError):
            problems.append((position, value))
            values.append(None)
            continue
        if value is None and ind.required:
            problems.append(
                (position, CellError("required", "必填项未填写", ind.range_text() or "请填写"))
            )
        values.append(value)
    return values, raw, problems


def _checksum_only(code: str) -> bool:
    """True when only the check character is wrong (the legacy-code case of docs/standards.md §1)."""
    return (
        len(code) == 18
        and all(ch in uscc.VALUE for ch in code)
        and uscc.check(uscc.complete(code[:17])).valid
    )


# Typical slips per declared unit (docs/standards.md §4.3): factor and what the uploader probably did.
SLIP_FACTORS: dict[str, tuple[tuple[Decimal, str], ...]] = {
    "万元": (
        (Decimal(10_000), "把“元”当作“万元”"),
        (Decimal(100), "小数点错位两位（把“百元”当作“万元”）"),
        (Decimal(10), "把“千元”当作“万元”"),
    ),
    "万美元": ((Decimal(10_000), "把“美元”当作“万美元”"), (Decimal(10), "把“千美元”当作“万美元”")),
    "亩": (
        (Decimal(15), "把“亩”和“公顷”混用"),
        (Decimal(1_500), "把“亩”和“平方公里”混用"),
        (Decimal(10_000), "把“亩”和“万亩”混用"),
    ),
    "万千瓦时": ((Decimal(10_000), "把“千瓦时（度）”当作“万千瓦时”"),),
    "吨标煤": (
        (Decimal(1_000), "把“千克标煤”当作“吨标煤”"),
        (Decimal(10_000), "把“万吨标煤”当作“吨标煤”"),
    ),
    "当量吨": ((Decimal(1_000), "把“千克”当作“吨”"),),
}
_DEFAULT_SLIPS = ((Decimal(10_000), "数量级错误"),)
# Peers differ naturally by an order of magnitude or more, so only large factors count there.
_PEER_MIN_FACTOR = Decimal(1_000)
_PEER_MIN_COUNT = 5


def _band(factor: Decimal) -> Decimal:
    # ×10 and ×15 are close; keep their bands apart.
    return Decimal("1.25") if factor < 100 else Decimal(2)


def slip(
    ind: Indicator, value: Decimal, reference: Decimal, peers: bool
) -> tuple[Decimal | None, str] | None:
    """Return (factor, Chinese explanation) when ``value`` looks like a slip against ``reference``."""
    if value <= 0 or reference <= 0:
        return None
    ratio = value / reference
    for factor, what in SLIP_FACTORS.get(ind.unit, _DEFAULT_SLIPS):
        if peers and factor < _PEER_MIN_FACTOR:
            continue
        band = _band(factor)
        if factor / band <= ratio <= factor * band:
            return factor, f"约为参照值的{factor}倍，疑似{what}"
        if factor / band <= 1 / ratio <= factor * band:
            return factor, f"约为参照值的1/{factor}，疑似{what}"
    if (
        not peers
        and ind.max_ratio is not None
        and (ratio > ind.max_ratio or ratio < 1 / ind.max_ratio)
    ):
        return None, f"与参照值相差超过{ind.max_ratio}倍"
    return None


def plain_number(value: Decimal) -> str:
    """A reference value as people write it: 61,000 or 12.5, never 61000.000000."""
    text = f"{Decimal(value):,f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass
class SlipChecker:
    """Compare parsed values with previous periods and peers (docs/standards.md §4.3)."""

    indicators: Mapping[str, Indicator]
    previous: Mapping[str, Mapping[str, Decimal]] | None = None
    last_year: Mapping[str, Mapping[str, Decimal]] | None = None
    peers: Mapping[str, Sequence[Decimal]] | None = None
    medians: dict[str, Decimal] = field(default_factory=dict)

    def prepare(self, column_values: Mapping[str, Sequence[Decimal | int]]) -> None:
        """Compute peer medians: from the caller's peers, else from the file's own column."""
        for code, values in column_values.items():
            pool: Sequence[Decimal | int] = (
                list(self.peers.get(code, ())) if self.peers is not None else values
            )
            positive = [
                Decimal(v) for v in pool if v > 0
            ]  # int columns must not give a float median
            if len(positive) >= _PEER_MIN_COUNT:
                self.medians[code] = statistics.median(positive)

    def _safe(self, code: str, peers: bool) -> Decimal:
        """A ratio below which (and above whose inverse) nothing can be reported."""
        ind = self.indicators[code]
        limits = [
            f / _band(f)
            for f, _ in SLIP_FACTORS.get(ind.unit, _DEFAULT_SLIPS)
            if not peers or f >= _PEER_MIN_FACTOR
        ]
        if not peers and ind.max_ratio is not None:
            limits.append(ind.max_ratio)
        return min(limits, default=Decimal("Infinity"))

    def check_column(
        self,
        code: str,
        keys: Sequence[str],
        values: Sequence[Value | None],
    ) -> list[tuple[int, str, Decimal, Decimal | None, str]]:
        """Return (position, basis, reference, factor, message) for every suspicious value."""
        ind = self.indicators[code]
        # Like with like: a year-to-date figure is compared with the same period last year;
        # against the previous quarter a Q1 value is a quarter of Q4's by construction.
        sources = [
            (basis, label, source)
            for basis, label, source in (
                ("previous", "上期", None if ind.cumulative else self.previous),
                ("last_year", "上年同期", self.last_year),
            )
            if source is not None
        ]
        median = self.medians.get(code)
        if not sources and median is None:
            return []
        safe = self._safe(code, peers=False)
        low_ratio = 1 / safe
        if median is not None:
            peer_safe = self._safe(code, peers=True)
            peer_low, peer_high = median / peer_safe, median * peer_safe
        found = []
        for position, (key, raw_value) in enumerate(zip(keys, values, strict=True)):
            if raw_value is None:
                continue
            value = Decimal(raw_value)
            for basis, label, source in sources:
                reference = source.get(key, {}).get(code)
                if reference is None:
                    continue
                reference = Decimal(reference)
                # Cheap rejection first: most values are nowhere near a slip or a jump.
                if value > 0 and reference > 0 and low_ratio < value / reference < safe:
                    continue
                hit = slip(ind, value, reference, peers=False)
                if hit:
                    found.append(
                        (
                            position,
                            basis,
                            reference,
                            hit[0],
                            f"{label}为 {plain_number(reference)} {ind.unit}，本期{hit[1].replace('参照值', label)}",
                        )
                    )
            if median is not None and not (value > 0 and peer_low < value < peer_high):
                hit = slip(ind, value, median, peers=True)
                if hit:
                    found.append(
                        (
                            position,
                            "peers",
                            median,
                            hit[0],
                            f"同类中位数为 {plain_number(median)} {ind.unit}，本值{hit[1].replace('参照值', '中位数')}",
                        )
                    )
        return found
