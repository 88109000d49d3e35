"""Indicator and form catalogue: TOML data validated with pydantic into frozen models."""

from __future__ import annotations

import hashlib
import json
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from itertools import repeat
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from pingtai.core.datafiles import read_bytes, toml_table, validation_problems
from pingtai.core.refusal import Refused

Dtype = Literal["decimal", "int", "text", "code"]
Frequency = Literal["quarter", "half", "year"]
Level = Literal["platform", "enterprise", "parcel"]
Value = Decimal | int | str

CATALOGUE_DIR = Path(__file__).resolve().parent
FREQUENCY_LABELS = {"quarter": "季度", "half": "半年", "year": "年度"}
LEVEL_LABELS = {"platform": "每个平台一行", "enterprise": "每家企业一行", "parcel": "每个地块一行"}
DTYPE_LABELS = {"decimal": "数值", "int": "整数", "text": "文本", "code": "代码（文本）"}
_FREQUENCY_RANK = {"quarter": 0, "half": 1, "year": 2}
_CODE = r"^[a-z][a-z0-9_]*$"


def _refused(problems: list[str]) -> Refused:
    """The catalogue files are inconsistent: one refusal listing each problem in Chinese."""
    return Refused("指标目录有误：\n" + "\n".join(f"- {p}" for p in problems), code="catalogue")


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Indicator(_Model):
    code: str = Field(pattern=_CODE)
    name: str = Field(min_length=1)
    definition: str = Field(min_length=1)
    unit: str = ""
    dtype: Dtype
    required: bool = True
    min: Decimal | None = None
    max: Decimal | None = None
    decimals: int | None = Field(default=None, ge=0, le=10)
    frequency: Frequency
    source: str
    max_ratio: Decimal | None = Field(default=None, gt=1)
    format: Literal["uscc", "gbt4754"] | None = None
    choices: tuple[str, ...] = ()
    max_length: int | None = Field(default=None, gt=0)
    # Year-to-date flow (累计值): comparable with the same period last year, not the last quarter.
    cumulative: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> Indicator:
        numeric = self.dtype in ("decimal", "int")
        if numeric and not self.unit:
            raise ValueError(f"数值指标 {self.code} 必须声明单位")
        if not numeric and (
            self.unit or self.min is not None or self.max is not None or self.max_ratio is not None
        ):
            raise ValueError(f"非数值指标 {self.code} 不能有单位、上下限或环比倍数")
        if self.dtype == "decimal" and self.decimals is None:
            raise ValueError(f"数值指标 {self.code} 必须声明小数位数 decimals")
        if self.dtype != "decimal" and self.decimals is not None:
            raise ValueError(f"只有 decimal 指标可以声明 decimals（{self.code}）")
        if self.dtype != "code" and (self.format or self.choices):
            raise ValueError(f"只有代码指标可以声明 format 或 choices（{self.code}）")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"指标 {self.code} 的下限大于上限")
        return self

    @property
    def numeric(self) -> bool:
        return self.dtype in ("decimal", "int")

    @property
    def header_unit(self) -> str:
        """The text of the unit row in a template ("—" for columns without a unit)."""
        return self.unit or "—"

    def range_text(self) -> str:
        """Human description of the allowed values, for instructions and messages."""
        if self.choices:
            return "只能填：" + "、".join(self.choices)
        if self.format == "uscc":
            return "18位统一社会信用代码"
        if self.format == "gbt4754":
            return "GB/T 4754-2017 小类代码"
        parts = []
        if self.min is not None:
            parts.append(f"≥ {self.min}")
        if self.max is not None:
            parts.append(f"≤ {self.max}")
        if self.decimals is not None:
            parts.append(f"最多{self.decimals}位小数")
        if self.dtype == "int":
            parts.append("整数")
        if self.max_length is not None:
            parts.append(f"不超过{self.max_length}个字")
        return "，".join(parts)


_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "<=": operator.le,
    "<": operator.lt,
    ">=": operator.ge,
    ">": operator.gt,
    "==": operator.eq,
    "!=": operator.ne,
}
_OP_TEXT = {"<=": "≤", "<": "<", ">=": "≥", ">": ">", "==": "=", "!=": "≠"}
_COMPARISON = re.compile(r"\s*(\S+)\s*(<=|>=|==|!=|<|>)\s*(\S+)\s*")


@dataclass(frozen=True)
class Operand:
    """A column reference or a literal in a rule."""

    column: str | None = None
    literal: Value | None = None

    @classmethod
    def parse(cls, token: str) -> Operand:
        if len(token) >= 2 and token[0] == token[-1] and token[0] in "'\"":
            return cls(literal=token[1:-1])
        if re.fullmatch(_CODE, token):
            return cls(column=token)
        try:
            return cls(literal=Decimal(token))
        except InvalidOperation:
            raise ValueError(f"无法识别的运算项“{token}”") from None

    def value(self, row: Mapping[str, Value | None]) -> Value | None:
        return row.get(self.column) if self.column else self.literal

    def text(self, names: Mapping[str, str]) -> str:
        if self.column:
            return names.get(self.column, self.column)
        return f"“{self.literal}”" if isinstance(self.literal, str) else str(self.literal)


@dataclass(frozen=True)
class Comparison:
    left: Operand
    op: str
    right: Operand

    @classmethod
    def parse(cls, text: str) -> Comparison:
        match = _COMPARISON.fullmatch(text)
        if not match:
            raise ValueError(f"规则“{text}”应为“左项 运算符 右项”，运算符为 <= < >= > == !=")
        return cls(Operand.parse(match[1]), match[2], Operand.parse(match[3]))

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(o.column for o in (self.left, self.right) if o.column)

    def holds(self, row: Mapping[str, Value | None]) -> bool | None:
        """True/False, or None when an operand is empty (the rule does not apply)."""
        left, right = self.left.value(row), self.right.value(row)
        if left is None or right is None:
            return None
        return _OPS[self.op](left, right)

    def outcomes(
        self,
        columns: Mapping[str, Sequence[Value | None]],
        length: int,
    ) -> list[bool | None]:
        """``holds`` for every row at once, given whole columns (used on large imports)."""
        left, right = (
            columns[o.column] if o.column else repeat(o.literal, length)
            for o in (self.left, self.right)
        )
        test = _OPS[self.op]
        return [
            None if a is None or b is None else test(a, b) for a, b in zip(left, right, strict=True)
        ]

    def text(self, names: Mapping[str, str]) -> str:
        return f"{self.left.text(names)} {_OP_TEXT[self.op]} {self.right.text(names)}"


class Rule(_Model):
    check: str
    when: str | None = None
    message: str | None = None

    @field_validator("check", "when")
    @classmethod
    def _parses(cls, text: str | None) -> str | None:
        if text is not None:
            Comparison.parse(text)
        return text

    @property
    def comparison(self) -> Comparison:
        return Comparison.parse(self.check)

    @property
    def condition(self) -> Comparison | None:
        return Comparison.parse(self.when) if self.when else None

    @property
    def columns(self) -> tuple[str, ...]:
        cond = self.condition
        return self.comparison.columns + (cond.columns if cond else ())

    def describe(self, names: Mapping[str, str]) -> str:
        text = self.message or f"应满足：{self.comparison.text(names)}"
        cond = self.condition
        return f"当{cond.text(names)}时，{text}" if cond else text


class Form(_Model):
    code: str = Field(pattern=_CODE)
    name: str = Field(min_length=1)
    level: Level
    source: str
    frequency: Frequency
    key: str
    columns: tuple[str, ...] = Field(min_length=1)
    rules: tuple[Rule, ...] = ()


class _FormsFile(_Model):
    version: str = Field(min_length=1)
    sources: dict[str, str]
    form: tuple[Form, ...]


class _IndicatorsFile(_Model):
    indicator: tuple[Indicator, ...]


@dataclass(frozen=True)
class Catalogue:
    """The validated catalogue; ``version`` is the declared version plus a content digest."""

    version: str
    sources: Mapping[str, str]
    indicators: Mapping[str, Indicator]
    forms: Mapping[str, Form]

    def form(self, code: str) -> Form:
        try:
            return self.forms[code]
        except KeyError:
            raise _refused([f"报表“{code}”不在目录中，可用：{'、'.join(self.forms)}"]) from None

    def columns(self, form: Form) -> tuple[Indicator, ...]:
        return tuple(self.indicators[c] for c in form.columns)

    def names(self) -> dict[str, str]:
        return {code: ind.name for code, ind in self.indicators.items()}

    def fingerprint(self, form: Form) -> str:
        """Digest of what an upload's layout depends on; a template with another one is stale."""
        shape = [form.code, form.key] + [
            [i.code, i.name, i.header_unit, i.dtype] for i in self.columns(form)
        ]
        return hashlib.sha256(json.dumps(shape, ensure_ascii=False).encode()).hexdigest()[:16]


def _pydantic_problems(file: str, error: ValidationError, raw: dict) -> list[str]:
    return [f"{file} {problem}" for problem in validation_problems(error, raw)]


def _cross_check(forms: _FormsFile, indicators: dict[str, Indicator]) -> list[str]:
    problems: list[str] = []
    for ind in indicators.values():
        if ind.source not in forms.sources:
            problems.append(f"指标 {ind.code} 的来源“{ind.source}”不在 [sources] 中")
    seen: set[str] = set()
    for form in forms.form:
        where = f"报表 {form.code}"
        if form.code in seen:
            problems.append(f"{where} 重复定义")
        seen.add(form.code)
        if form.source not in forms.sources:
            problems.append(f"{where} 的来源“{form.source}”不在 [sources] 中")
        if len(set(form.columns)) != len(form.columns):
            problems.append(f"{where} 的列重复")
        unknown = [c for c in form.columns if c not in indicators]
        if unknown:
            problems.append(f"{where} 的列不在指标目录中：{'、'.join(unknown)}")
            continue
        if form.key not in form.columns:
            problems.append(f"{where} 的主键列 {form.key} 不在列中")
        elif indicators[form.key].dtype != "code" or not indicators[form.key].required:
            problems.append(f"{where} 的主键列 {form.key} 必须是必填的代码列")
        for code in form.columns:
            ind = indicators[code]
            if _FREQUENCY_RANK[ind.frequency] > _FREQUENCY_RANK[form.frequency]:
                problems.append(
                    f"{where} 为{FREQUENCY_LABELS[form.frequency]}报表，"
                    f"但指标 {code} 只按{FREQUENCY_LABELS[ind.frequency]}采集"
                )
        for rule in form.rules:
            for comparison in filter(None, (rule.comparison, rule.condition)):
                missing = [c for c in comparison.columns if c not in form.columns]
                if missing:
                    problems.append(
                        f"{where} 的规则“{rule.check}”引用了表中没有的列：{'、'.join(missing)}"
                    )
                    continue
                kinds = {
                    "number"
                    if (
                        indicators[o.column].numeric if o.column else isinstance(o.literal, Decimal)
                    )
                    else "text"
                    for o in (comparison.left, comparison.right)
                }
                if len(kinds) > 1:
                    problems.append(f"{where} 的规则“{rule.check}”把数值和文本相比较")
                elif kinds == {"text"} and comparison.op not in ("==", "!="):
                    problems.append(f"{where} 的规则“{rule.check}”对文本只能用 == 或 !=")
    return problems


def load_catalogue(directory: Path | None = None) -> Catalogue:
    """Load and validate ``indicators.toml`` and ``forms.toml`` from ``directory``."""
    directory = directory or CATALOGUE_DIR
    raw: dict[str, bytes] = {}
    parsed: dict[str, dict] = {}
    for name in ("indicators.toml", "forms.toml"):
        path = directory / name
        raw[name] = read_bytes(path, what="指标目录文件", code="catalogue")
        parsed[name] = toml_table(raw[name], what="指标目录文件", source=name, code="catalogue")
    problems: list[str] = []
    try:
        indicator_file = _IndicatorsFile.model_validate(parsed["indicators.toml"])
    except ValidationError as exc:
        problems += _pydantic_problems("indicators.toml", exc, parsed["indicators.toml"])
    try:
        forms_file = _FormsFile.model_validate(parsed["forms.toml"])
    except ValidationError as exc:
        problems += _pydantic_problems("forms.toml", exc, parsed["forms.toml"])
    if problems:
        raise _refused(problems)
    indicators: dict[str, Indicator] = {}
    for ind in indicator_file.indicator:
        if ind.code in indicators:
            problems.append(f"指标 {ind.code} 重复定义")
        indicators[ind.code] = ind
    problems += _cross_check(forms_file, indicators)
    if problems:
        raise _refused(problems)
    digest = hashlib.sha256(raw["indicators.toml"] + b"\0" + raw["forms.toml"]).hexdigest()[:8]
    return Catalogue(
        version=f"{forms_file.version}+{digest}",
        sources=dict(forms_file.sources),
        indicators=indicators,
        forms={f.code: f for f in forms_file.form},
    )


@cache
def default_catalogue() -> Catalogue:
    """The shipped catalogue, loaded once per process."""
    return load_catalogue()
