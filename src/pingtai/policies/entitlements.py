"""免申即享: each firm's entitlements and obligations from a result table and the policy table,
one list per receiving agency (docs/industry-carbon.md), with amounts where computable and the basis of
each line in words. Pure computation, no Django: delivery, documents and the API build on it.

The result table has one row per firm with ``uscc``, ``name``, ``county_code``,
``platform_code`` and ``class``; optionally the basis columns the instruments read (e.g.
``electricity_wan_kwh``), ``carbon_grade``, ``carbon_band`` and ``years_in_class`` (consecutive
published years in the current class, 1 when absent). Amounts are ``Decimal`` in 万元, one
rounding per line (policies/__init__.py), so totals by agency, by class and by instrument are
sums of the same lines and must agree to the last digit: ``reconcile`` checks it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import polars as pl

from pingtai.core.refusal import Refused
from pingtai.policies import (
    KIND_TEXT,
    PER_FIRM,
    Agencies,
    Firm,
    PolicyLine,
    PolicySet,
    agencies,
    policy_lines,
)

REQUIRED = ("uscc", "name", "county_code", "platform_code", "class")
OBLIGATION = "surcharge"


@dataclass(frozen=True)
class Entitlement:
    """One line of an agency's list: what one firm gets or owes under one instrument."""

    agency: str
    agency_name: str
    uscc: str
    name: str
    county_code: str
    platform_code: str
    klass: str
    instrument: str
    instrument_name: str
    kind: str  # surcharge (the firm pays) / relief / award / priority
    rate: Decimal | str
    unit: str
    amount_wan: Decimal | None  # None: not computable here, the agency determines it
    basis: str  # the line's basis in words
    assumed: bool
    table: str  # the policy table's label, e.g. 全市（2021年起）

    @property
    def obligation(self) -> bool:
        return self.kind == OBLIGATION

    @property
    def kind_name(self) -> str:
        return KIND_TEXT[self.kind]


def _basis_text(line: PolicyLine, firm: Firm) -> str:
    ins = line.instrument
    selector = {
        "class": f"评价类别 {line.key}",
        "carbon_grade": f"碳效 {line.key} 级",
        "carbon_band": f"碳效{line.key}",
    }[ins.by]
    parts = [selector]
    if line.escalated:
        parts.append(f"连续 {firm.years_in_class} 年 {line.key} 类，按加价标准")
    if ins.basis == PER_FIRM:
        parts.append(f"每家 {line.rate} 万元")
    elif ins.basis and line.basis_value is not None:
        parts.append(
            f"{ins.basis_name or ins.basis} {line.basis_value} {ins.basis_unit}"
            f" × {line.rate} {ins.unit}"
        )
    elif ins.basis:
        parts.append(f"缺少{ins.basis_name or ins.basis}数据，金额由执行单位核定")
    elif ins.kind != "priority":
        parts.append(f"{line.rate} {ins.unit}，金额由执行单位核定")
    return "；".join(parts)


def _firm(row: dict[str, Any], basis_columns: set[str]) -> Firm:
    grade = row.get("carbon_grade")
    return Firm(
        klass=row["class"],
        basis={c: row.get(c) for c in basis_columns},
        years_in_class=int(row.get("years_in_class") or 1),
        carbon_grade=int(grade) if grade is not None else None,
        carbon_band=row.get("carbon_band"),
    )


def entitlements(
    results: pl.DataFrame, policies: PolicySet, year: int, registry: Agencies | None = None
) -> list[Entitlement]:
    """Every firm's lines under the policy table of ``year`` and its county, in firm order."""
    missing = [c for c in REQUIRED if c not in results.columns]
    if missing:
        raise Refused(f"结果表缺少列：{'、'.join(missing)}", code="entitlements_input")
    registry = registry or agencies()
    names = {a.code: a.name for a in registry.agency}
    basis_columns = {
        i.basis
        for t in policies.tables
        for i in t.instruments
        if i.basis and i.basis != PER_FIRM and i.basis in results.columns
    }
    out = []
    for row in results.sort("uscc").iter_rows(named=True):
        if not row["class"]:
            continue
        table = policies.table_for(year, row["county_code"])
        firm = _firm(row, basis_columns)
        for line in policy_lines(table, firm):
            ins = line.instrument
            out.append(
                Entitlement(
                    agency=ins.agency,
                    agency_name=names[ins.agency],
                    uscc=row["uscc"],
                    name=row["name"],
                    county_code=row["county_code"],
                    platform_code=row["platform_code"],
                    klass=row["class"],
                    instrument=ins.code,
                    instrument_name=ins.name,
                    kind=ins.kind,
                    rate=line.rate,
                    unit=ins.unit,
                    amount_wan=line.amount_wan,
                    basis=_basis_text(line, firm),
                    assumed=ins.assumed,
                    table=table.label,
                )
            )
    return out


def by_agency(lines: Iterable[Entitlement]) -> dict[str, list[Entitlement]]:
    """One list per receiving agency, firms in USCC order, agencies in registry order."""
    grouped: dict[str, list[Entitlement]] = defaultdict(list)
    for line in lines:
        grouped[line.agency].append(line)
    order = [a.code for a in agencies().agency]
    return {code: grouped[code] for code in order if code in grouped}


@dataclass(frozen=True)
class Totals:
    """Amounts (万元) summed four ways, obligations and entitlements kept apart."""

    by_agency: dict[tuple[str, bool], Decimal]
    by_class: dict[tuple[str, bool], Decimal]
    by_instrument: dict[tuple[str, bool], Decimal]
    grand: dict[bool, Decimal]  # True: obligations (surcharges); False: entitlements
    uncomputed: int  # lines whose amount the agency determines


def totals(lines: Iterable[Entitlement]) -> Totals:
    agency: dict[tuple[str, bool], Decimal] = defaultdict(Decimal)
    klass: dict[tuple[str, bool], Decimal] = defaultdict(Decimal)
    instrument: dict[tuple[str, bool], Decimal] = defaultdict(Decimal)
    grand: dict[bool, Decimal] = defaultdict(Decimal)
    uncomputed = 0
    for line in lines:
        if line.amount_wan is None:
            uncomputed += line.kind != "priority"
            continue
        side = line.obligation
        agency[(line.agency, side)] += line.amount_wan
        klass[(line.klass, side)] += line.amount_wan
        instrument[(line.instrument, side)] += line.amount_wan
        grand[side] += line.amount_wan
    return Totals(dict(agency), dict(klass), dict(instrument), dict(grand), uncomputed)


def reconcile(t: Totals) -> list[str]:
    """Differences between the ways of adding up (empty when every total agrees)."""
    problems = []
    for side, label in ((True, "应缴"), (False, "应享")):
        grand = t.grand.get(side, Decimal(0))
        for name, parts in (
            ("执行单位", t.by_agency),
            ("评价类别", t.by_class),
            ("政策工具", t.by_instrument),
        ):
            summed = sum((v for (_, s), v in parts.items() if s is side), Decimal(0))
            if summed != grand:
                problems.append(f"{label}金额按{name}合计 {summed} 万元，与总计 {grand} 万元不符")
    return problems
