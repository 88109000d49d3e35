"""一企一单: one firm's evaluation inputs in a run, figure by figure, each with the department
that supplied it — read from the run's frozen snapshot, so the firm sees exactly what was
evaluated (docs/enterprise.md, "一企一单")."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import polars as pl

from pingtai.accounts.models import User
from pingtai.catalogue import default_catalogue
from pingtai.core.numbers import quantity
from pingtai.evaluation.models import EvaluationRun
from pingtai.evaluation.runs import snapshot_frame
from pingtai.evaluation.sources import DEPARTMENT_FIELDS, LAND_FORM, OPTIONAL_FIELDS
from pingtai.registry.models import Enterprise, LandParcel
from pingtai.reporting.models import Fact


@dataclass(frozen=True)
class Field:
    code: str  # the snapshot column, as scripts name it (--field)
    label: str
    unit: str
    form: str  # the form that supplies it
    indicator: str


FIELDS: dict[str, Field] = {
    f.code: f
    for f in (
        Field("land_mu", "用地面积", "亩", LAND_FORM, "parcel_area"),
        Field("tax_wan", "实缴税金", "万元", *DEPARTMENT_FIELDS["tax_wan"]),
        Field("value_added_wan", "工业增加值", "万元", *DEPARTMENT_FIELDS["value_added_wan"]),
        Field("revenue_wan", "营业收入", "万元", *DEPARTMENT_FIELDS["revenue_wan"]),
        Field("rd_wan", "研发经费支出", "万元", *DEPARTMENT_FIELDS["rd_wan"]),
        Field("employees", "从业人员", "人", *DEPARTMENT_FIELDS["employees"]),
        Field(
            "electricity_wan_kwh", "用电量", "万千瓦时", *DEPARTMENT_FIELDS["electricity_wan_kwh"]
        ),
        Field("energy_tce", "综合能耗", "吨标准煤", *DEPARTMENT_FIELDS["energy_tce"]),
        Field("renewable_tce", "清洁能源消费量", "吨标准煤", *OPTIONAL_FIELDS["renewable_tce"]),
        Field("emission_t", "主要污染物排放", "当量吨", *DEPARTMENT_FIELDS["emission_t"]),
        Field("co2_t", "二氧化碳排放量", "吨", *OPTIONAL_FIELDS["co2_t"]),
    )
}


def department_of(field: str) -> str:
    """The department that owns a field's data (the source of its form, catalogue/forms.toml):
    the one that decides an objection to it."""
    return default_catalogue().form(FIELDS[field].form).source


def department_label(department: str) -> str:
    return User.Department(department).label if department else "市级管理员"


def field_text(field: str) -> str:
    f = FIELDS.get(field)
    return f"{f.label}（{f.unit}）" if f else field


def number_text(value: Decimal | float | None, field: str) -> str:
    if value is None:
        return "（空）"
    unit = FIELDS[field].unit if field in FIELDS else ""
    number = Decimal(str(value))
    text = f"{number:,.0f}" if field == "employees" else f"{number:,.2f}"
    return f"{text} {unit}".strip()


def parse_value(text: str) -> Decimal:
    from pingtai.core.refusal import Refused

    try:
        value = Decimal(str(text).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise Refused(f"“{text}”不是数字", code="bad_value", field="claimed") from None
    if not value.is_finite() or value < 0:
        raise Refused(f"“{text}”不是有效的非负数", code="bad_value", field="claimed")
    if value >= Decimal("1e12"):
        raise Refused(f"“{text}”超出合理范围", code="bad_value", field="claimed")
    return value


@dataclass(frozen=True)
class SheetLine:
    field: Field
    value: float | None
    department: str  # department label
    source: str  # where the figure came from, in words


@dataclass(frozen=True)
class Parcel:
    parcel_id: str
    tenure: str
    area_mu: Decimal
    holder: str


def snapshot_row(run: EvaluationRun, uscc: str) -> dict | None:
    frame = snapshot_frame(bytes(run.input_snapshot.content))
    rows = frame.filter(pl.col("uscc") == uscc).to_dicts()
    return rows[0] if rows else None


def _reported(run: EvaluationRun, uscc: str) -> set[str]:
    """The fields whose figure for this firm came from an approved department submission
    (the versions frozen into the run's provenance)."""
    versions: dict[str, list[int]] = {}
    for v in run.provenance.get("versions", []):
        versions.setdefault(v["form"], []).append(v["version"])
    found = set()
    for field in FIELDS.values():
        ids = versions.get(field.form, [])
        if not ids:
            continue
        if field.code == "land_mu":
            hit = Fact.objects.filter(version_id__in=ids, indicator="user_uscc", text=uscc)
        else:
            hit = Fact.objects.filter(version_id__in=ids, indicator=field.indicator, key=uscc)
        if hit.exists():
            found.add(field.code)
    return found


def firm_sheet(run: EvaluationRun, enterprise: Enterprise) -> list[SheetLine]:
    row = snapshot_row(run, enterprise.uscc) or {}
    reported = _reported(run, enterprise.uscc)
    corrected = {
        c["field"]: c for c in run.provenance.get("corrections", []) if c["uscc"] == enterprise.uscc
    }
    sources = default_catalogue().sources
    lines = []
    for code, field in FIELDS.items():
        form = default_catalogue().form(field.form)
        department = sources.get(form.source, form.source)
        if code in corrected:
            c = corrected[code]
            source = f"经异议 {c['objection']} 更正（原为 {number_text(c['old'], code)}）"
        elif code in reported:
            source = f"{department}部门报送《{form.name}》"
        elif row.get(code) is None:
            source = "未报送"
        else:
            source = "企业年度数据（登记库）"
        lines.append(SheetLine(field, row.get(code), department, source))
    return lines


def firm_parcels(enterprise: Enterprise) -> list[Parcel]:
    """Parcels the firm uses, owned and leased, with areas (the register's land layer)."""
    return [
        Parcel(p.parcel_id, p.get_tenure_display(), p.area_mu, p.holder.name)
        for p in LandParcel.objects.filter(user=enterprise).select_related("holder")
    ]


def parcel_text(parcel: Parcel) -> str:
    """A parcel as a land objection names it: 编号（自有，12.50 亩）."""
    return f"{parcel.parcel_id}（{parcel.tenure}，{quantity(parcel.area_mu, '亩', 2)}）"
