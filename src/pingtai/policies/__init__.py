"""Differentiated policies by evaluation result and low-efficiency land rules, kept as data.

Pure Python (no Django): the evaluation app passes in tables and gets amounts and candidates.

A policy file holds one or more tables, each for a span of data years and either the whole
city or a list of counties; for a (year, county) the county's own table wins over the city's,
and within either the latest ``from_year`` wins. Each instrument names the agency that applies
it (``agencies.toml``, docs/industry-carbon.md) and what selects its rate: the evaluation class, or the
carbon-efficiency grade or band (碳效 as a policy lever). Amounts are exact ``Decimal`` in 万元,
rounded once per line to 0.0001 万元 (1 元); totals are sums of those lines, so every way of
adding them up gives the same figure (entitlements.py checks it).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from pingtai.core.datafiles import load_toml
from pingtai.core.refusal import Refused

HERE = Path(__file__).parent
AMOUNT_QUANTUM = Decimal("0.0001")  # 万元, i.e. 1 元
PER_FIRM = "per_firm"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Agency(_Strict):
    code: str = Field(pattern=r"^[a-z][a-z_]*$")
    name: str = Field(min_length=1)
    department: str | None = None  # the accounts department whose users confirm receipt
    applies: str = ""
    aliases: tuple[str, ...] = ()  # other names people use, e.g. 电力公司 for 供电公司


class Agencies(_Strict):
    agency: tuple[Agency, ...] = Field(min_length=1)

    def get(self, code: str) -> Agency:
        return next(a for a in self.agency if a.code == code)


Kind = Literal["surcharge", "relief", "award", "priority"]
KIND_TEXT = {
    "surcharge": "加价（企业缴纳）",
    "relief": "减免",
    "award": "奖励",
    "priority": "要素配置",
}


def _number_or_text(value: object) -> object:
    if isinstance(value, str) and re.fullmatch(r"-?\d+(\.\d+)?", value.strip()):
        return Decimal(value.strip())
    return value


class Instrument(_Strict):
    code: str
    name: str
    unit: str  # unit of the rate, e.g. 元/千瓦时, %, 万元/家
    kind: Kind
    agency: str  # code in agencies.toml
    by: Literal["class", "carbon_grade", "carbon_band"] = "class"
    # The input column the rate multiplies (e.g. electricity_wan_kwh), "per_firm" for a fixed
    # amount per firm (rate in 万元), or none when no amount can be computed here.
    basis: str | None = None
    basis_name: str = ""  # e.g. 用电量
    basis_unit: str = ""  # e.g. 万千瓦时
    basis_factor: Decimal = Decimal(1)  # converts basis × rate into 万元
    rates: dict[str, Decimal | str]
    # 海宁-style escalation: after N consecutive years in a class the rate rises.
    escalation_years: int | None = Field(None, ge=2)
    escalation_rates: dict[str, Decimal] = Field(default_factory=dict)
    assumed: bool = True
    note: str = ""

    @model_validator(mode="before")
    @classmethod
    def _numeric_rates(cls, data: dict) -> dict:
        """Rates written as numbers in text ("0.3") are amounts, kept exact as Decimal; other
        texts ("优先保障") are levels."""
        if isinstance(data, dict):
            data = dict(data)
            for key in ("rates", "escalation_rates"):
                if isinstance(data.get(key), dict):
                    data[key] = {k: _number_or_text(v) for k, v in data[key].items()}
        return data

    @model_validator(mode="after")
    def _consistent(self) -> Instrument:
        if self.escalation_rates and self.escalation_years is None:
            raise ValueError(f"{self.code}: 有 escalation_rates 时必须给出 escalation_years")
        if self.by != "class" and self.escalation_years is not None:
            raise ValueError(f"{self.code}: 连续年数加价只适用于按评价类别的政策")
        numeric = self.basis is not None
        for key, rate in self.rates.items():
            if numeric and not isinstance(rate, Decimal):
                raise ValueError(f"{self.code}: 计算金额的政策，费率“{key}”必须是数值")
        return self


class PolicyTable(_Strict):
    id: str
    version: str
    title: str
    source: str
    label: str  # e.g. 全市（2021年起）
    from_year: int
    to_year: int | None = None
    counties: tuple[str, ...] = ()  # empty: the whole city
    instruments: tuple[Instrument, ...]

    def covers(self, year: int, county: str | None) -> bool:
        in_years = self.from_year <= year and (self.to_year is None or year <= self.to_year)
        return in_years and (not self.counties or county in self.counties)


class _TableSpec(_Strict):
    label: str
    from_year: int
    to_year: int | None = None
    counties: tuple[str, ...] = ()
    source: str = ""
    instruments: tuple[Instrument, ...] = Field(min_length=1)


class PolicySet(_Strict):
    id: str
    version: str
    title: str
    source: str
    tables: tuple[PolicyTable, ...]

    @model_validator(mode="before")
    @classmethod
    def _build_tables(cls, data: dict) -> dict:
        """Tables inherit the file's id, version, title and (unless they give one) source."""
        if isinstance(data, dict) and "table" in data:
            data = dict(data)
            data["tables"] = [
                {
                    **_TableSpec.model_validate(t).model_dump(),
                    "id": data.get("id"),
                    "version": data.get("version"),
                    "title": data.get("title"),
                    "source": t.get("source") or data.get("source"),
                }
                for t in data.pop("table")
            ]
        return data

    @model_validator(mode="after")
    def _no_overlap(self) -> PolicySet:
        for i, a in enumerate(self.tables):
            for b in self.tables[i + 1 :]:
                same_scope = set(a.counties) == set(b.counties) or (
                    a.counties and b.counties and set(a.counties) & set(b.counties)
                )
                if same_scope and a.from_year == b.from_year:
                    raise ValueError(f"“{a.label}”与“{b.label}”适用范围和起始年度相同")
        return self

    def table_for(self, year: int | None = None, county: str | None = None) -> PolicyTable:
        """The table for a data year and county: the county's own before the city's, then the
        latest start year. ``year=None``: the latest city-wide table."""
        if year is None:
            city = [t for t in self.tables if not t.counties] or list(self.tables)
            return max(city, key=lambda t: t.from_year)
        fitting = [t for t in self.tables if t.covers(year, county)]
        if not fitting:
            raise Refused(f"{year}年度{county or ''}没有适用的差别化政策表")
        return max(fitting, key=lambda t: (bool(t.counties), t.from_year))


class LowEfficiencyRules(_Strict):
    id: str
    version: str
    title: str
    source: str
    tax_per_mu_below: Decimal  # 万元/亩
    consecutive_years: int = Field(ge=1)
    class_d_times: int = Field(ge=1)  # class D in this many of the last published years
    assumed: bool = True


M = TypeVar("M", bound=BaseModel)


def _load(model: type[M], path: Path) -> M:
    return load_toml(path, model, what="政策数据文件")


def agencies(path: Path | None = None) -> Agencies:
    return _load(Agencies, path or HERE / "agencies.toml")


def policy_set(name: str | Path = "lishui-differentiated-default") -> PolicySet:
    """A policy file by shipped name or path; every instrument's agency must be known."""
    path = name if isinstance(name, Path) else HERE / f"{name}.toml"
    loaded = _load(PolicySet, path)
    known = {a.code for a in agencies().agency}
    unknown = sorted(
        {i.agency for t in loaded.tables for i in t.instruments if i.agency not in known}
    )
    if unknown:
        raise Refused(f"{path.name}: 未登记的执行单位 {'、'.join(unknown)}（见 agencies.toml）")
    return loaded


def low_efficiency_rules(name: str = "lishui-low-efficiency-default") -> LowEfficiencyRules:
    return _load(LowEfficiencyRules, HERE / f"{name}.toml")


@dataclass(frozen=True)
class Firm:
    """What the policy table reads about one firm."""

    klass: str
    basis: Mapping[str, float | Decimal | None] = field(default_factory=dict)
    years_in_class: int = 1  # consecutive published years in this class, this one included
    carbon_grade: int | None = None
    carbon_band: str | None = None

    def key(self, by: str) -> str | None:
        value = {"class": self.klass, "carbon_grade": self.carbon_grade}.get(by, self.carbon_band)
        return None if value is None else str(value)


@dataclass(frozen=True)
class PolicyLine:
    instrument: Instrument
    rate: Decimal | str
    amount_wan: Decimal | None  # None where the instrument has no amount basis
    escalated: bool
    key: str = ""  # the class, grade or band that selected the rate
    basis_value: Decimal | None = None


def to_decimal(value: float | Decimal | None) -> Decimal | None:
    """An input figure as Decimal: floats through their shortest repr, so 1234.5 stays 1234.5."""
    if value is None or isinstance(value, Decimal):
        return value
    if value != value:  # NaN
        return None
    return Decimal(repr(float(value)))


def policy_lines(table: PolicyTable, firm: Firm) -> list[PolicyLine]:
    """The instruments applying to one firm, with amounts where the table gives a basis."""
    lines = []
    for ins in table.instruments:
        key = firm.key(ins.by)
        rate = ins.rates.get(key) if key is not None else None
        if rate is None or key is None:
            continue
        escalated = bool(
            ins.escalation_years
            and firm.years_in_class >= ins.escalation_years
            and key in ins.escalation_rates
        )
        if escalated:
            rate = ins.escalation_rates[key]
        amount = value = None
        if ins.basis == PER_FIRM and isinstance(rate, Decimal):
            amount = rate.quantize(AMOUNT_QUANTUM, ROUND_HALF_UP)
        elif ins.basis and isinstance(rate, Decimal):
            value = to_decimal(firm.basis.get(ins.basis))
            # No figure for the basis: the amount is left to the agency, not taken as 0.
            if value is not None:
                amount = (value * rate * ins.basis_factor).quantize(AMOUNT_QUANTUM, ROUND_HALF_UP)
        lines.append(PolicyLine(ins, rate, amount, escalated, key, value))
    return lines


def low_efficiency_reasons(
    rules: LowEfficiencyRules, tax_per_mu_by_year: list[float | None], classes_by_year: list[str]
) -> list[str]:
    """Why an enterprise is a low-efficiency land candidate (empty list: it is not).

    ``tax_per_mu_by_year`` runs oldest to newest over consecutive years; ``classes_by_year``
    lists its classes in the published runs, oldest to newest.
    """
    reasons = []
    recent = tax_per_mu_by_year[-rules.consecutive_years :]
    if len(recent) == rules.consecutive_years and all(
        v is not None and Decimal(str(v)) < rules.tax_per_mu_below for v in recent
    ):
        reasons.append(
            f"亩均税收连续 {rules.consecutive_years} 年低于 {rules.tax_per_mu_below} 万元/亩"
        )
    if classes_by_year.count("D") >= rules.class_d_times:
        reasons.append(f"{rules.class_d_times} 次及以上评为 D 类")
    return reasons
