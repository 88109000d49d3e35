"""Differentiated policies by evaluation class and low-efficiency land rules, kept as data.

Pure Python (no Django): the evaluation app passes in tables and gets amounts and candidates.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pingtai.core.refusal import Refused

HERE = Path(__file__).parent


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Instrument(_Strict):
    code: str
    name: str
    unit: str  # unit of the rate, e.g. 元/千瓦时, %
    kind: Literal["surcharge", "relief", "priority"]
    basis: str | None = None  # the input column the rate multiplies, e.g. electricity_wan_kwh
    basis_factor: Decimal = Decimal(1)  # converts basis × rate into 万元
    rates: dict[str, Decimal | str]
    # 海宁-style escalation: after N consecutive years in a class the rate rises.
    escalation_years: int | None = None
    escalation_rates: dict[str, Decimal] = Field(default_factory=dict)
    assumed: bool = True
    note: str = ""


class PolicyTable(_Strict):
    id: str
    version: str
    title: str
    source: str
    instruments: tuple[Instrument, ...]


class LowEfficiencyRules(_Strict):
    id: str
    version: str
    title: str
    source: str
    tax_per_mu_below: Decimal  # 万元/亩
    consecutive_years: int = Field(ge=1)
    class_d_times: int = Field(ge=1)  # class D in this many of the last published years
    assumed: bool = True


def _load(model, name: str):
    path = HERE / f"{name}.toml"
    try:
        return model.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))
    except (OSError, tomllib.TOMLDecodeError, ValidationError) as bad:
        raise Refused(f"{path.name}: {bad}") from bad


def policy_table(name: str = "lishui-differentiated-default") -> PolicyTable:
    return _load(PolicyTable, name)


def low_efficiency_rules(name: str = "lishui-low-efficiency-default") -> LowEfficiencyRules:
    return _load(LowEfficiencyRules, name)


@dataclass(frozen=True)
class PolicyLine:
    instrument: Instrument
    rate: Decimal | str
    amount_wan: Decimal | None  # None where the instrument has no consumption basis
    escalated: bool


def policy_lines(
    table: PolicyTable, klass: str, basis: dict[str, float | None], years_in_class: int = 1
) -> list[PolicyLine]:
    """The instruments applying to one enterprise of class ``klass`` with its consumption."""
    lines = []
    for ins in table.instruments:
        rate = ins.rates.get(klass)
        if rate is None:
            continue
        escalated = bool(
            ins.escalation_years
            and years_in_class >= ins.escalation_years
            and klass in ins.escalation_rates
        )
        if escalated:
            rate = ins.escalation_rates[klass]
        amount = None
        if ins.basis and isinstance(rate, Decimal):
            value = basis.get(ins.basis)
            amount = (
                (Decimal(str(value)) * rate * ins.basis_factor).quantize(Decimal("0.01"))
                if value
                else Decimal(0)
            )
        lines.append(PolicyLine(ins, rate, amount, escalated))
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
