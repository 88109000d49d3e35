"""Use cases of the enterprise evaluation: run (preview), publish, reproduce, compare, export."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import polars as pl
from django.db import transaction

from pingtai.audit.models import AuditEvent
from pingtai.audit.services import audit_record
from pingtai.core.bulk import insert_rows
from pingtai.core.progress import Progress
from pingtai.core.refusal import Refused
from pingtai.engine import EvaluationResult, evaluate, load_method
from pingtai.engine import Regrade as EngineRegrade
from pingtai.engine.robustness import flag_codes
from pingtai.engine.version import ENGINE_VERSION
from pingtai.evaluation.models import EnterpriseResult, EvaluationRun
from pingtai.evaluation.regrades import regrades_in_force
from pingtai.evaluation.result_values import (
    carbon_by_firm,
    firm_explanations,
    firm_values,
    industry_references,
)
from pingtai.evaluation.runs import snapshot_frame
from pingtai.evaluation.sources import SCHEMA_VERSION, Assembly, assemble
from pingtai.registry.models import County, Enterprise, Platform
from pingtai.reporting.services import store_file
from pingtai.runs import kernel
from pingtai.runs.snapshots import write_snapshot
from pingtai.xlsx import Column, write_table_xlsx


def snapshot_bytes(frame: pl.DataFrame) -> bytes:
    """Canonical CSV of an input table: sorted by USCC, fixed schema, '\\n' line ends."""
    return write_snapshot(frame, "uscc")


def _regrades(year: int) -> list[EngineRegrade]:
    """The regrades of ``year`` in force now; a run freezes them into its provenance."""
    return [
        EngineRegrade(r.enterprise.uscc, r.to_class, r.reason, r.approved_by.username)
        for r in regrades_in_force(year)
        if r.approved_by is not None  # regrades_in_force() returns approved ones only
    ]


def _corrections(year: int) -> list[dict]:
    """Corrections accepted through objections for ``year`` (the latest decision per firm and
    field); like regrades, a run freezes them into its inputs and provenance (docs/runs.md,
    docs/enterprise.md "Re-grade")."""
    from pingtai.firm.objections import accepted_corrections

    latest: dict[tuple[str, str], dict] = {}
    for o in accepted_corrections(year):
        latest[(o.enterprise.uscc, o.field)] = {
            "objection": o.number,
            "uscc": o.enterprise.uscc,
            "field": o.field,
            "new": str(o.corrected_value),
            "decided_by": o.decided_by.username if o.decided_by is not None else "",
            "decided_by_id": o.decided_by_id,
        }
    return [latest[k] for k in sorted(latest)]


def apply_corrections(frame: pl.DataFrame, corrections: list[dict]) -> pl.DataFrame:
    """The input table with each correction written into its firm's field; each correction
    records the value it replaced (``old``)."""
    for c in corrections:
        mask = pl.col("uscc") == c["uscc"]
        old = frame.filter(mask)[c["field"]].to_list() if c["field"] in frame.columns else []
        c["old"] = None if not old or old[0] is None else str(old[0])
        frame = frame.with_columns(
            pl.when(mask)
            .then(pl.lit(float(c["new"]), dtype=pl.Float64))
            .otherwise(pl.col(c["field"]))
            .alias(c["field"])
        )
    return frame


def run_evaluation(
    year: int,
    method_id: str,
    *,
    user,
    robustness_draws: int = 0,
    seed: int = 0,
    tenant_rule: str = "separate",
    progress: Progress | None = None,
    request=None,
) -> tuple[EvaluationRun, Assembly]:
    """Assemble the year's inputs, evaluate them, and store everything as a preview run."""
    assembly = assemble(year, tenant_rule)
    if assembly.frame.is_empty():
        raise Refused(f"{year}年度没有可评价的企业数据")
    corrections = _corrections(year)
    if corrections:
        assembly.frame = apply_corrections(assembly.frame, corrections)
    snapshot = snapshot_bytes(assembly.frame)
    frame = snapshot_frame(snapshot)  # evaluate exactly what is stored, so re-runs reproduce it
    regrades = _regrades(year)
    method = load_method(method_id)
    result = evaluate(
        method,
        frame,
        robustness_draws=robustness_draws,
        seed=seed,
        progress=progress,
        regrades=regrades or None,
        year=year,
    )
    with transaction.atomic():
        run = EvaluationRun.objects.create(
            year=year,
            method_id=result.method_id,
            method_version=result.method_version,
            method_hash=result.method_hash,
            engine_version=ENGINE_VERSION,
            schema_version=SCHEMA_VERSION,
            input_snapshot=store_file(snapshot),
            input_hash=result.input_hash,
            result=store_file(result.to_csv_bytes()),
            result_hash=result.result_hash,
            robustness_draws=robustness_draws,
            seed=seed,
            provenance={
                **assembly.provenance,
                "conflicts": len(assembly.conflicts),
                "orphans": len(assembly.orphans),
                "missing": len(assembly.missing),
                "decimals": method.output.decimals,
                "tenants": assembly.tenants,
                "regrades": [r.entity_id for r in regrades],
                "regrade_rows": [
                    {
                        "uscc": r.entity_id,
                        "to_class": r.new_class,
                        "reason": r.reason,
                        "approved_by": r.by,
                    }
                    for r in regrades
                ],
                "corrections": corrections,
            },
            warnings=list(result.warnings),
            class_counts=dict(sorted(Counter(result.table["class"].to_list()).items())),
            created_by=user,
        )
        _store_results(
            run,
            result,
            assembly.tenants,
            carbon_by_firm(frame, year),
            industry_references(frame, year, method),
        )
        audit_record(
            AuditEvent.Action.CREATE,
            request=request,
            actor=user,
            obj=run,
            after={"input_hash": run.input_hash, "result_hash": run.result_hash},
        )
    return run, assembly


def _with_reference(values: dict, reference: dict | None) -> dict:
    return values if reference is None else {**values, "_reference": reference}


RESULT_FIELDS = (
    "run",
    "enterprise",
    "uscc",
    "name",
    "county_code",
    "platform_code",
    "segment",
    "score",
    "klass",
    "rank",
    "group",
    "group_size",
    "note",
    "values",
    "explanation",
    "rank_p05",
    "rank_median",
    "rank_p95",
    "robust",
)


def _store_results(
    run: EvaluationRun,
    result: EvaluationResult,
    tenants: dict[str, str],
    carbon: dict[str, dict],
    references: dict[str, dict] | None = None,
) -> None:
    """One result row per firm, in the result table's order, then the merged tenants.

    Written as plain tuples through ``insert_rows`` (COPY on PostgreSQL): a province's run has
    10⁵ rows, and a model instance per row cost most of the run (docs/benchmarks.md)."""
    table, method = result.table, result.method
    explanations = firm_explanations(result)
    references = references or {}
    ids = dict(Enterprise.objects.values_list("uscc", "id"))
    places = {
        uscc: (name, county, platform)
        for uscc, name, county, platform in Enterprise.objects.filter(uscc__in=tenants).values_list(
            "uscc", "name", "county_id", "platform__code"
        )
    }
    robust = "robust_flag" in table.columns
    rows: list[tuple] = []
    holders, landlords = set(tenants.values()), {}
    for r in table.iter_rows(named=True):
        row = (
            run.pk,
            ids[r["uscc"]],
            r["uscc"],
            r["name"],
            r["county_code"],
            r["platform_code"],
            r["segment"],
            r["score"],
            r["class"],
            r["rank"],
            r["group"] or "",
            r["group_size"],
            (r["note"] or r.get("regrade_reason") or "")[:300],
            _with_reference(
                firm_values(r, method, carbon.get(r["uscc"])), references.get(r["uscc"])
            ),
            explanations.get(r["uscc"], {}),
            r.get("rank_p05"),
            r.get("rank_median"),
            r.get("rank_p95"),
            # "类别稳健": the class flag alone (a firm flagged only for last place keeps
            # its class in the draws); flags are codes, engine/robustness.py.
            ("class_unstable" not in flag_codes(r["robust_flag"])) if robust else None,
        )
        rows.append(row)
        if r["uscc"] in holders:
            landlords[r["uscc"]] = row
    for tenant, holder in tenants.items():
        landlord = landlords[holder]
        name, county, platform = places[tenant]
        rows.append(
            (
                run.pk,
                ids[tenant],
                tenant,
                name,
                county,
                platform,
                landlord[6],  # segment
                landlord[7],  # score
                landlord[8],  # class
                None,
                landlord[10],  # group
                None,
                f"承租企业，随出租方 {landlord[3]}（{holder}）合并评价",
                {},
                {},
                None,
                None,
                None,
                None,
            )
        )
    insert_rows(EnterpriseResult, RESULT_FIELDS, rows)


def run_publish(
    run: EvaluationRun,
    *,
    user,
    supersede: int | EvaluationRun | None = None,
    reason: str = "",
    override_reason: str = "",
    request=None,
) -> EvaluationRun:
    """Publish through the run kernel: one current result per year, supersede with a reason,
    the publish gate and a reproduction check (docs/runs.md)."""
    return kernel.publish(
        run,
        user=user,
        supersede=supersede,
        reason=reason,
        override_reason=override_reason,
        request=request,
    )


def run_reproduces(run: EvaluationRun) -> bool:
    return kernel.reproduce(run).ok


@dataclass(frozen=True)
class ClassChange:
    uscc: str
    name: str
    county_code: str
    before: str
    after: str


def _evaluate(method_id: str, frame: pl.DataFrame, year: int) -> EvaluationResult:
    return evaluate(load_method(method_id), frame, regrades=_regrades(year) or None, year=year)


def method_change_preview(
    year: int, method_a: str, method_b: str
) -> tuple[list[ClassChange], Counter]:
    """Evaluate the same inputs under two methods: who changes class, and counts per class pair."""
    frame = snapshot_frame(snapshot_bytes(assemble(year).frame))
    a = _evaluate(method_a, frame, year).table.select("uscc", "name", "county_code", "class")
    b = _evaluate(method_b, frame, year).table.select("uscc", pl.col("class").alias("class_b"))
    joined = a.join(b, on="uscc", how="full", coalesce=True).sort("uscc")
    pairs: Counter = Counter()
    changes = []
    for r in joined.iter_rows(named=True):
        before, after = r["class"] or "—", r["class_b"] or "—"
        pairs[(before, after)] += 1
        if before != after:
            changes.append(
                ClassChange(r["uscc"], r["name"] or "", r["county_code"] or "", before, after)
            )
    return changes, pairs


# --- exports -------------------------------------------------------------------------------

NOTICE_HEADERS: list[Column | str] = [
    Column("序号", kind="integer"),
    "县（市、区）",
    "所在平台",
    Column("统一社会信用代码", kind="code"),
    Column("企业名称", kind="name"),
    "类别组",
    Column("综合得分", unit="分", kind="decimal"),
    "类别",
    Column("组内排名", kind="integer"),
    Column("碳排放强度", unit="吨/万元", kind="decimal", decimals=4),
    Column("碳效等级", unit="级", kind="integer"),
    Column("说明", kind="text"),
]


def class_list_xlsx(run: EvaluationRun, results) -> bytes:
    """Class list in the layout of a public notice: ordered by county, class, rank."""
    counties = dict(County.objects.values_list("code", "name"))
    platforms = dict(Platform.objects.values_list("code", "name"))
    ordered = results.order_by("county_code", "klass", "segment", "rank", "uscc")
    rows = [
        [
            i,
            counties.get(r.county_code, r.county_code),
            platforms.get(r.platform_code, r.platform_code),
            r.uscc,
            r.name,
            r.segment,
            r.score,
            r.klass,
            r.rank,
            carbon.get("carbon_l"),
            carbon.get("carbon_grade"),
            r.note,
        ]
        for i, r in enumerate(ordered, start=1)
        for carbon in [(r.values or {}).get("_carbon") or {}]
    ]
    title = f"{run.year}年度工业企业亩均效益综合评价结果（{run.get_status_display()}）"
    return write_table_xlsx(
        NOTICE_HEADERS,
        rows,
        sheet_name=title[:31],
        title=title,
        demo=bool(run.provenance.get("register_synthetic")),
    )


LEADER_HEADERS = [
    Column("行业（国民经济行业大类）", kind="name"),
    Column("类别组", kind="text"),
    Column("行业内位次", "名", kind="integer"),
    Column("行业参评企业数", "家", kind="integer"),
    Column("统一社会信用代码", kind="code"),
    Column("企业名称", kind="name"),
    Column("县（市、区）", kind="name"),
    Column("所在平台", kind="name"),
    Column("综合得分", "分", kind="decimal", decimals=2),
    Column("类别", kind="text"),
]


def leaders_xlsx(run: EvaluationRun, leaders: list[dict], platform, top: int) -> bytes:
    """领跑者 lists per industry (evaluation.industry.leaders) as one sheet."""
    counties = dict(County.objects.values_list("code", "name"))
    platforms = dict(Platform.objects.values_list("code", "name"))
    rows = [
        [
            x["industry"],
            x["segment"],
            x["place"],
            x["size"],
            x["result"].uscc,
            x["result"].name,
            counties.get(x["result"].county_code, x["result"].county_code),
            platforms.get(x["result"].platform_code, x["result"].platform_code),
            x["result"].score,
            x["result"].klass,
        ]
        for x in leaders
    ]
    scope = platform.name if platform is not None else "全市"
    title = f"{run.year}年度亩均效益领跑者名单（{scope}，各行业前 {top} 名）"
    notes = [
        f"依据：{run.name}的评价结果（{run.get_status_display()}）。",
        "行业按国民经济行业分类（GB/T 4754-2017）大类划分，规上、规下企业分别排列；并列的一并列出。",
    ]
    return write_table_xlsx(
        LEADER_HEADERS,
        rows,
        sheet_name="领跑者",
        title=title,
        notes=notes,
        demo=bool(run.provenance.get("register_synthetic")),
    )
