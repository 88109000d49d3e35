"""Assemble the enterprise input table of one year from every source, joined by USCC.

Base layer: the register's yearly figures (in the demo, synthetic). Over it, the approved
department submissions of the year, each canonical field from one designated form. Where two
sources give different values for one field the designated source is used and the pair is
listed as a conflict; codes that are not in the register are listed as orphans. Nothing is
dropped silently.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

import polars as pl

from pingtai.catalogue import default_catalogue
from pingtai.core.numbers import count
from pingtai.evaluation.models import EnterpriseFlag
from pingtai.registry.models import Enterprise, EnterpriseYear, LandParcel
from pingtai.reporting.models import Submission

# canonical column → (form code, catalogue indicator code); methods read these columns.
DEPARTMENT_FIELDS: dict[str, tuple[str, str]] = {
    "tax_wan": ("tax_enterprise", "tax_paid"),
    "electricity_wan_kwh": ("power_enterprise", "electricity"),
    "energy_tce": ("energy_enterprise", "energy_consumption"),
    "emission_t": ("emission_enterprise", "emissions"),
    "value_added_wan": ("statistics_enterprise", "value_added"),
    "revenue_wan": ("statistics_enterprise", "revenue"),
    "employees": ("statistics_enterprise", "employees"),
    "rd_wan": ("statistics_enterprise", "rd_expenditure"),
}
# Optional columns (docs/industry-carbon.md): departments may report them; the register has no base value,
# and a firm without a report has them empty (no clean energy counted; CO₂ from energy use).
OPTIONAL_FIELDS: dict[str, tuple[str, str]] = {
    "renewable_tce": ("energy_enterprise", "renewable_energy"),
    "co2_t": ("emission_enterprise", "co2_emissions"),
}
REGISTER_INDUSTRY = "industry_code"
LAND_FORM, LAND_USER, LAND_AREA = "land_parcel", "user_uscc", "parcel_area"
REGISTER_FORM, REGISTER_LAND, REGISTER_SCALE = "platform_enterprises", "land_area", "scale"
ABOVE_SCALE_REVENUE_WAN = Decimal(2000)
NUMERIC = ["land_mu", *DEPARTMENT_FIELDS, *OPTIONAL_FIELDS]
#: the snapshot's column set; bump when SCHEMA gains or loses a column (docs/runs.md)
SCHEMA_VERSION = 2  # 2: industry_code, renewable_tce and co2_t added


# The register's yearly row (registry.EnterpriseYear) is filled from the same designated forms;
# it also keeps the output the statistics form reports, which no method reads.
REGISTER_FIELDS: dict[str, tuple[str, str]] = {
    **DEPARTMENT_FIELDS,
    "output_wan": ("statistics_enterprise", "industrial_output"),
}


def required_forms() -> set[str]:
    """The annual forms the assembly reads: the 亩均 publish gate requires them approved."""
    return {form for form, _ in DEPARTMENT_FIELDS.values()} | {LAND_FORM, REGISTER_FORM}


SCHEMA: dict[str, type[pl.DataType]] = {
    "uscc": pl.String,
    "name": pl.String,
    "county_code": pl.String,
    "platform_code": pl.String,
    "segment": pl.String,
    "exempt_reason": pl.String,
    "industry_code": pl.String,
    **dict.fromkeys(NUMERIC, pl.Float64),
    # Flag columns a method may read for vetoes and bonus items (EnterpriseFlag.Flag values).
    "veto_major_incident": pl.Boolean,
    "hightech": pl.Boolean,
    "specialised": pl.Boolean,
    "listed": pl.Boolean,
}
FLAG_COLUMNS = ("veto_major_incident", "hightech", "specialised", "listed")


@dataclass(frozen=True)
class Conflict:
    uscc: str
    field: str
    used: Decimal
    used_source: str
    other: Decimal
    other_source: str


TENANT_RULES = {
    "separate": "承租企业单独评价",
    "merge": "承租企业并入出租方地块合并评价、共享类别（遂昌做法）",
}


@dataclass
class Assembly:
    year: int
    frame: pl.DataFrame
    provenance: dict
    tenants: dict[str, str] = field(default_factory=dict)  # tenant USCC → holder USCC (merge rule)
    conflicts: list[Conflict] = field(default_factory=list)
    orphans: list[tuple[str, str]] = field(default_factory=list)  # (uscc, source form)
    missing: list[str] = field(default_factory=list)  # registered, but no data for the year


def _approved_versions(year: int) -> dict[str, list]:
    """form code → approved versions of the annual period ``year``."""
    versions = defaultdict(list)
    subs = Submission.objects.filter(
        requirement__period__code=str(year), approved_version__isnull=False
    ).select_related("approved_version", "requirement")
    for sub in subs:
        versions[sub.requirement.form_code].append(sub.approved_version)
    return versions


def _facts(versions, indicator: str) -> dict[str, Decimal]:
    values: dict[str, Decimal] = {}
    for version in versions:
        for key, value in (
            version.facts.filter(indicator=indicator)
            .exclude(value=None)
            .values_list("key", "value")
        ):
            values[key] = value
    return values


def approved_register_figures(year: int) -> dict[str, dict[str, Decimal | str]]:
    """USCC → the register's yearly columns as the approved annual versions of ``year`` give
    them (each column from its designated form; ``land_mu`` the sum of the parcels the firm
    uses; ``size_class`` the enterprise list's 规模). The refresh after an approval writes these
    into the register (reporting/flow.py, docs/reporting.md)."""
    versions = _approved_versions(year)
    out: dict[str, dict[str, Decimal | str]] = defaultdict(dict)
    for column, (form, indicator) in REGISTER_FIELDS.items():
        for uscc, value in _facts(versions.get(form, []), indicator).items():
            out[uscc][column] = value
    for version in versions.get(LAND_FORM, []):
        area = {f.row_number: f.value for f in version.facts.filter(indicator=LAND_AREA)}
        for f in version.facts.filter(indicator=LAND_USER):
            land = out[f.text].get("land_mu", Decimal(0))
            assert isinstance(land, Decimal)
            out[f.text]["land_mu"] = land + (area.get(f.row_number) or Decimal(0))
    for version in versions.get(REGISTER_FORM, []):
        for key, text in version.facts.filter(indicator=REGISTER_SCALE).values_list("key", "text"):
            if text:
                out[key]["size_class"] = text
        # The list's own land figure stands in only where no parcel of the firm is approved.
        for key, value in (
            version.facts.filter(indicator=REGISTER_LAND)
            .exclude(value=None)
            .values_list("key", "value")
        ):
            out[key].setdefault("land_mu", value)
    return dict(out)


def _merge_tenants(values: dict[str, dict[str, Decimal]]) -> dict[str, str]:
    """Fold each tenant's figures into its landlord's (遂昌: the parcel is evaluated as one);
    returns tenant → holder for the tenants that were folded."""
    holder_of: dict[str, str] = {}
    for parcel in LandParcel.objects.filter(tenure=LandParcel.Tenure.LEASED).select_related(
        "holder", "user"
    ):
        if parcel.holder_id != parcel.user_id:
            holder_of.setdefault(parcel.user.uscc, parcel.holder.uscc)
    merged = {}
    for tenant, holder in sorted(holder_of.items()):
        if tenant in values and holder in values and holder not in holder_of:
            for column, value in values.pop(tenant).items():
                if value is not None:
                    values[holder][column] = (values[holder].get(column) or Decimal(0)) + value
            merged[tenant] = holder
    return merged


class _Firm(NamedTuple):
    name: str
    county_id: str
    platform_code: str
    industry_code: str


REGISTER = "企业年度数据"


def assemble(year: int, tenant_rule: str = "separate") -> Assembly:
    # Plain tuples, not model instances: a province has 10⁵ firms (docs/benchmarks.md).
    enterprises = {
        uscc: _Firm(*rest)
        for uscc, *rest in Enterprise.objects.values_list(
            "uscc", "name", "county_id", "platform__code", "industry_code"
        )
    }
    fields = ["land_mu", *DEPARTMENT_FIELDS]
    values: dict[str, dict[str, Decimal]] = {}
    segments: dict[str, str] = {}
    synthetic = False
    for uscc, size_class, is_synthetic, *figures in (
        EnterpriseYear.objects.filter(year=year)
        .order_by()
        .values_list("enterprise__uscc", "size_class", "synthetic", *fields)
    ):
        values[uscc] = {
            "land_mu": figures[0],
            **{c: Decimal(v) for c, v in zip(fields[1:], figures[1:], strict=True)},
        }
        segments[uscc] = size_class
        synthetic = synthetic or is_synthetic
    register_rows = len(values)
    # Where a value came from, for the conflict list: the register unless a form overlaid it.
    overlaid: dict[tuple[str, str], str] = {}
    versions = _approved_versions(year)
    result = Assembly(year=year, frame=pl.DataFrame(), provenance={})

    def overlay(column: str, incoming: dict[str, Decimal], label: str) -> None:
        for uscc, value in incoming.items():
            if uscc not in enterprises:
                result.orphans.append((uscc, label))
                continue
            current = values.setdefault(uscc, {}).get(column)
            if current is not None and current != value:
                result.conflicts.append(
                    Conflict(
                        uscc, column, value, label, current, overlaid.get((uscc, column), REGISTER)
                    )
                )
            values[uscc][column] = value
            overlaid[(uscc, column)] = label

    for column, (form, indicator) in {**DEPARTMENT_FIELDS, **OPTIONAL_FIELDS}.items():
        overlay(column, _facts(versions.get(form, []), indicator), form)
    land: dict[str, Decimal] = defaultdict(Decimal)
    for version in versions.get(LAND_FORM, []):
        area = {f.row_number: f.value for f in version.facts.filter(indicator=LAND_AREA)}
        for f in version.facts.filter(indicator=LAND_USER):
            land[f.text] += area.get(f.row_number) or Decimal(0)
    overlay("land_mu", dict(land), LAND_FORM)
    for uscc, value in _facts(versions.get(REGISTER_FORM, []), REGISTER_LAND).items():
        if uscc in values and values[uscc].get("land_mu") not in (None, value):
            result.conflicts.append(
                Conflict(
                    uscc,
                    "land_mu",
                    values[uscc]["land_mu"],
                    overlaid.get((uscc, "land_mu"), REGISTER),
                    value,
                    REGISTER_FORM,
                )
            )
    industries = {uscc: e.industry_code for uscc, e in enterprises.items()}
    for version in versions.get(REGISTER_FORM, []):
        for key, text in version.facts.filter(indicator=REGISTER_SCALE).values_list("key", "text"):
            segments[key] = text
        for key, text in version.facts.filter(indicator=REGISTER_INDUSTRY).values_list(
            "key", "text"
        ):
            if key in industries and text:
                industries[key] = text

    if tenant_rule not in TENANT_RULES:
        raise ValueError(f"未知的承租企业处理规则：{tenant_rule}")
    result.tenants = _merge_tenants(values) if tenant_rule == "merge" else {}

    flags: defaultdict[str, dict[str, str]] = defaultdict(dict)
    for flag in EnterpriseFlag.objects.filter(year=year).select_related("enterprise"):
        flags[flag.enterprise.uscc][flag.flag] = flag.note
    rows = []
    for uscc in sorted(values):
        e = enterprises.get(uscc)
        if e is None:
            continue
        v = values[uscc]
        revenue = v.get("revenue_wan")
        segment = segments.get(uscc) or (
            "规上" if revenue is not None and revenue >= ABOVE_SCALE_REVENUE_WAN else "规下"
        )
        exempt = flags[uscc].get(EnterpriseFlag.Flag.EXEMPT)
        rows.append(
            {
                "uscc": uscc,
                "name": e.name,
                "county_code": e.county_id,
                "platform_code": e.platform_code,
                "segment": "T" if exempt else segment,
                "exempt_reason": exempt or "",
                "industry_code": industries.get(uscc) or None,
                **{c: float(v[c]) if v.get(c) is not None else None for c in NUMERIC},
                **{column: column in flags[uscc] for column in FLAG_COLUMNS},
            }
        )
    result.missing = sorted(set(enterprises) - set(values) - set(result.tenants))
    result.frame = pl.DataFrame(rows, schema=SCHEMA)
    result.provenance = {
        "year": year,
        "register_rows": register_rows,
        "register_synthetic": synthetic,
        "versions": [
            {"form": form, "version": v.pk, "sha256": v.file_id, "submission": v.submission_id}
            for form, vs in sorted(versions.items())
            for v in vs
        ],
        "flags": sum(len(f) for f in flags.values()),
        "tenant_rule": tenant_rule,
        "tenants": result.tenants,
    }
    return result


def source_statement(provenance: dict) -> str:
    """What a run's figures came from, read from its frozen provenance: the register's yearly
    figures and the approved department submissions (how many, of which forms). The run page,
    the notice and the firm's letter all print this one statement (docs/runs.md)."""
    rows = int(provenance.get("register_rows") or 0)
    versions = provenance.get("versions") or []
    register = f"企业年度数据（登记库）{count(rows, '条')}"
    if not versions:
        return f"{register}，未使用部门报送数据（已审核部门报送 0 份）"
    shipped = default_catalogue().forms
    forms: list[str] = []
    for v in versions:
        # A form no longer in the catalogue still counts, under a plain word.
        name = f"《{shipped[v['form']].name}》" if v["form"] in shipped else "其他报表"
        if name not in forms:
            forms.append(name)
    reported = f"已审核部门报送 {count(len(versions), '份')}（{'、'.join(forms)}）"
    if not rows:
        return f"{reported}，未使用企业年度数据（登记库）"
    return f"{register}，{reported}；同一数据项两者都有的，以部门报送为准"
