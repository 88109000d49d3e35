"""Request and response shapes of the API (the OpenAPI document is generated from these)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from ninja import Field, Schema

# Free text goes into the database and the audit log; PostgreSQL refuses NUL characters.
NO_NUL = r"^[^\x00]*$"


class ErrorOut(Schema):
    detail: str = Field(description="错误说明（中文）")
    errors: list[dict] | None = Field(None, description="逐项错误（参数校验失败时）")
    code: str | None = Field(None, description="拒绝原因代码（供脚本判断，如 current_exists）")


# --- registry ------------------------------------------------------------------------------


class CountyOut(Schema):
    code: str = Field(description="行政区划代码（GB/T 2260）")
    name: str
    kind: str


class PlatformOut(Schema):
    code: str
    name: str
    short_name: str
    level: str
    spatial_role: str
    spatial_group: str
    tier: str
    counties: list[str] = Field(description="覆盖县（市、区）代码")
    approved_area_mu: Decimal | None = Field(description="核准面积（亩）")
    planned_area_mu: Decimal | None = Field(description="规划面积（亩）")
    developable_area_mu: Decimal | None = Field(description="可开发面积（亩）")
    management_body: str
    staff_count: int | None
    assumed_fields: list[str] = Field(description="非公开数据字段（假设或生成）")


class FiguresOut(Schema):
    """Sums over the platform's enterprises in one year; ratios are ratios of sums (万元/亩)."""

    year: int | None
    enterprises: int
    above_scale: int
    land_mu: Decimal
    output_wan: Decimal
    above_scale_output_wan: Decimal
    value_added_wan: Decimal
    tax_wan: Decimal
    tax_per_mu: Decimal | None
    output_per_mu: Decimal | None
    value_added_per_mu: Decimal | None


class PlatformReportOut(Schema):
    period: str = Field(description="报告期代码，如 2024Q4")
    values: dict[str, Decimal] = Field(
        description="指标代码 → 数值（单位见指标目录；累计值为年初至期末）"
    )


class PlatformDetailOut(PlatformOut):
    figures: FiguresOut
    available_years: list[int]
    latest_report: PlatformReportOut | None = Field(
        None, description="最新一期审核通过的平台季度报表（未审核的数据不对外提供）"
    )


class EnterpriseOut(Schema):
    uscc: str
    name: str
    county_code: str
    platform_code: str
    industry_code: str
    chain_link: str | None
    lon: float | None
    lat: float | None
    synthetic: bool = Field(description="演示数据（合成）")


class EnterpriseYearOut(Schema):
    year: int
    size_class: str
    land_mu: Decimal
    output_wan: Decimal
    value_added_wan: Decimal
    revenue_wan: Decimal
    tax_wan: Decimal
    energy_tce: Decimal
    emission_t: Decimal
    electricity_wan_kwh: Decimal
    employees: int
    rd_wan: Decimal


class EnterpriseDetailOut(EnterpriseOut):
    years: list[EnterpriseYearOut]


class EnterprisePage(Schema):
    count: int
    items: list[EnterpriseOut]


# --- reporting -----------------------------------------------------------------------------


class PeriodOut(Schema):
    code: str
    label: str
    kind: str
    year: int
    index: int
    starts_on: dt.date
    ends_on: dt.date
    status: str
    opened_at: dt.datetime
    closed_at: dt.datetime | None


class VersionOut(Schema):
    id: int
    number: int
    filename: str
    sha256: str
    size: int
    uploaded_by: str
    uploaded_at: dt.datetime
    row_count: int
    is_correction: bool
    reason: str
    approved_by: str | None
    approved_at: dt.datetime | None


class SubmissionOut(Schema):
    id: int
    status: str
    status_label: str
    revision: int = Field(description="修订号：状态变更时须回传，防止覆盖他人的更新")
    latest_version: int | None = Field(description="最新版本号")
    approved_version: int | None = Field(description="生效版本号（下游只读此版本）")
    return_reason: str
    updated_at: dt.datetime


class RequirementOut(Schema):
    id: int
    period: str
    form_code: str
    scope_code: str
    scope_name: str
    deadline: dt.date
    overdue: bool
    submission: SubmissionOut


class RequirementDetailOut(RequirementOut):
    versions: list[VersionOut]


class AttemptOut(Schema):
    id: int
    requirement_id: int
    outcome: Literal["refused", "confirm", "accepted"]
    message: str
    errors: list[dict]
    confirmations: list[dict]
    uploaded_by: str
    uploaded_at: dt.datetime
    version: VersionOut | None


class ConfirmIn(Schema):
    confirmed: list[str] = Field(
        default_factory=list,
        max_length=500,
        description="确认的疑似单位错误编号（见上传结果 confirmations[].id）",
    )


class TransitionIn(Schema):
    action: Literal["submit", "return", "approve", "lock"]
    revision: int = Field(ge=0, le=2_000_000_000, description="页面看到的修订号")
    reason: str = Field("", max_length=2000, pattern=NO_NUL, description="退回理由（退回时必填）")
    slips_checked: bool = Field(
        False,
        description="审核通过时：已逐项核实审核页标出的疑似单位错误（有疑似时必填，并在理由中说明）",
    )


class FactOut(Schema):
    row_number: int
    key: str
    indicator: str
    value: Decimal | None
    text: str


class FactsOut(Schema):
    requirement_id: int
    version: VersionOut | None = Field(description="审核通过的生效版本；尚未审核通过时为空")
    facts: list[FactOut]


# --- evaluation ----------------------------------------------------------------------------


class RunOut(Schema):
    id: int
    year: int
    method_id: str
    method_version: str
    status: Literal["preview", "publicized", "published", "superseded"]
    input_hash: str
    result_hash: str
    robustness_draws: int
    seed: int
    created_by: str
    created_at: dt.datetime
    published_at: dt.datetime | None
    supersedes: int | None = Field(None, description="本批次取代的批次")
    supersede_reason: str = Field("", description="更正理由")
    override_reason: str = Field("", description="报送未齐仍发布的理由")


class RunDetailOut(RunOut):
    class_counts: dict[str, int] = Field(description="本用户可见企业的各类企业数")
    warnings: list[str]


class RunIn(Schema):
    year: int = Field(ge=2000, le=2100)
    method: str = Field("lishui-mujun-default", max_length=64, pattern=NO_NUL)
    robustness_draws: int = Field(0, ge=0, le=2000)
    tenant_rule: str = Field("separate", max_length=20, pattern=NO_NUL)


class PublishIn(Schema):
    supersede: int | None = Field(
        None, ge=1, description="要取代的现行批次（已有现行结果时必填，并须填写理由）"
    )
    reason: str = Field("", max_length=2000, pattern=NO_NUL, description="更正理由")
    override_reason: str = Field(
        "", max_length=2000, pattern=NO_NUL, description="报送未齐仍发布的理由（仅市级管理员）"
    )


class ResultOut(Schema):
    uscc: str
    name: str
    county_code: str
    platform_code: str
    segment: str
    score: float | None
    klass: str = Field(description="类别 A/B/C/D/T")
    rank: int | None
    group: str
    group_size: int | None
    note: str
    robust: bool | None


class ResultPage(Schema):
    count: int
    items: list[ResultOut]


# --- 免申即享 ---------------------------------------------------------------------------------


class EntitlementLineOut(Schema):
    uscc: str
    name: str
    county_code: str
    platform_code: str
    klass: str = Field(description="评价类别")
    instrument: str = Field(description="政策工具代码（政策表）")
    instrument_name: str
    kind: Literal["surcharge", "relief", "award", "priority"] = Field(
        description="surcharge 企业缴纳的加价；relief 减免；award 奖励；priority 要素配置档次"
    )
    rate: str = Field(description="标准（数值或档次）")
    unit: str
    amount_wan: Decimal | None = Field(description="金额（万元，4 位小数）；空：由执行单位核定")
    basis: str = Field(description="依据（文字）")
    assumed: bool = Field(description="标准为系统假设，待主管部门确认")


class EntitlementListOut(Schema):
    id: int
    run: int = Field(description="依据的亩均评价批次")
    year: int
    agency: str = Field(description="执行单位代码（agencies.toml）")
    agency_name: str
    status: Literal["generated", "sent", "confirmed", "executed"]
    superseded: bool = Field(description="依据的评价结果已被更正取代（名单保留原件）")
    firms: int
    line_count: int
    obligations_wan: Decimal = Field(description="企业应缴合计（万元）")
    entitlements_wan: Decimal = Field(description="企业应享合计（万元）")
    uncomputed: int = Field(description="金额待执行单位核定的条目数")
    sha256: str = Field(description="印发的 Excel 名单的 SHA-256")
    generated_by: str
    generated_at: dt.datetime
    sent_by: str | None
    sent_at: dt.datetime | None
    confirmed_by: str | None
    confirmed_at: dt.datetime | None
    executed_by: str | None
    executed_at: dt.datetime | None


class EntitlementListDetailOut(EntitlementListOut):
    lines: list[EntitlementLineOut]


class EntitlementGenerateIn(Schema):
    agency: str = Field(max_length=40, pattern=NO_NUL, description="执行单位名称或代码")


class EntitlementStepIn(Schema):
    step: Literal["send", "confirm", "execute"]
    note: str = Field(
        "", max_length=300, pattern=NO_NUL, description="说明（代执行单位登记时必填）"
    )
