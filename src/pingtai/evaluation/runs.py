"""The 亩均 evaluation as a kind of frozen run: how its rows are read, recorded and recomputed,
and which reports must be approved before it is published (docs/runs.md)."""

from __future__ import annotations

import io
from typing import Any

import polars as pl

from pingtai.core import terms
from pingtai.core.refusal import Refused
from pingtai.engine import Regrade as EngineRegrade
from pingtai.engine import evaluate, load_method
from pingtai.evaluation.models import EnterpriseResult, EvaluationRun, Regrade
from pingtai.evaluation.result_values import indicator_entries
from pingtai.evaluation.sources import SCHEMA, required_forms
from pingtai.registry.models import Platform
from pingtai.reporting.selectors import unapproved_requirements
from pingtai.runs import kernel
from pingtai.runs.kernel import Rows
from pingtai.runs.snapshots import read_snapshot
from pingtai.summaries.services import summaries_refresh_run

BASE_FIELDS = ("segment", "score", "class", "rank", "group", "group_size")


def snapshot_frame(data: bytes) -> pl.DataFrame:
    return read_snapshot(data, SCHEMA)


def frozen_regrades(run: EvaluationRun) -> list[EngineRegrade]:
    """The approved regrades frozen into the run when it was made (never re-read live).

    Runs made before regrades were frozen name only the enterprises; for them the approved
    regrades of those enterprises are read from the register, as those runs did.
    """
    if "regrade_rows" in run.provenance:
        return [
            EngineRegrade(r["uscc"], r["to_class"], r["reason"], r["approved_by"])
            for r in run.provenance["regrade_rows"]
        ]
    named = set(run.provenance.get("regrades", []))
    approved = (
        Regrade.objects.filter(year=run.year, approved_by__isnull=False)
        .select_related("enterprise", "approved_by")
        .order_by("requested_at")
    )
    return [
        EngineRegrade(
            r.enterprise.uscc, r.to_class, r.reason, getattr(r.approved_by, "username", "")
        )
        for r in approved
        if r.enterprise.uscc in named
    ]


def recompute_result(run: EvaluationRun):
    """Evaluate the frozen snapshot again with the run's method, draws, seed and regrades."""
    method = load_method(run.method_id)
    if method.version != run.method_version or method.hash != run.method_hash:
        raise Refused(
            f"评价方法“{terms.method_name(run.method_id)}”已修改（批次用第 {run.method_version} 版，现为第 {method.version} 版），"
            "无法按原方法重算",
            code="method_changed",
        )
    regrades = frozen_regrades(run)
    return evaluate(
        method,
        snapshot_frame(bytes(run.input_snapshot.content)),
        robustness_draws=run.robustness_draws,
        seed=run.seed,
        regrades=regrades or None,
        year=run.year,
    )


def _number(value: Any, decimals: int) -> str:
    if value is None or value == "":
        return ""
    return f"{float(value):.{decimals}f}"


def _integer(value: Any) -> str:
    return "" if value is None or value == "" else str(int(float(value)))


class MujunRuns(kernel.RunKind[EvaluationRun]):
    model = EvaluationRun
    entity_noun = "企业"
    field_labels = {
        "segment": "类别组",
        "score": "综合得分",
        "class": "类别",
        "rank": "组内排名",
        "group": "排名分组",
        "group_size": "组内企业数",
    }

    def key_label(self, run: EvaluationRun) -> str:
        return f"{run.year}年度{run.TITLE}"

    def _decimals(self, run: EvaluationRun) -> int:
        """The precision of the result file (the method's output decimals)."""
        if "decimals" in run.provenance:
            return int(run.provenance["decimals"])
        return load_method(run.method_id).output.decimals

    def recorded_rows(self, run: EvaluationRun, result: bytes) -> Rows:
        table = pl.read_csv(io.BytesIO(result), infer_schema=False)
        d = self._decimals(run)
        indicators = [c.removeprefix("score__") for c in table.columns if c.startswith("score__")]
        rows: Rows = {}
        for r in table.iter_rows(named=True):
            row = {
                "name": r["name"] or "",
                "segment": r["segment"] or "",
                "score": _number(r["score"], d),
                "class": r["class"] or "",
                "rank": _integer(r["rank"]),
                "group": r["group"] or "",
                "group_size": _integer(r["group_size"]),
            }
            for i in indicators:
                row[f"value:{i}"] = _number(r[i], d)
                row[f"score:{i}"] = _number(r[f"score__{i}"], d)
            rows[r["uscc"]] = row
        for tenant, holder in run.provenance.get("tenants", {}).items():
            landlord = rows[holder]
            rows[tenant] = {
                **{f: landlord[f] for f in ("segment", "score", "class", "group")},
                "rank": "",
                "group_size": "",
            }
        return rows

    def stored_rows(self, run: EvaluationRun) -> Rows:
        d = self._decimals(run)
        tenants = run.provenance.get("tenants", {})
        rows: Rows = {}
        for r in EnterpriseResult.objects.filter(run=run).order_by("pk"):
            row = {
                "name": r.name,
                "segment": r.segment,
                "score": _number(r.score, d),
                "class": r.klass,
                "rank": _integer(r.rank),
                "group": r.group,
                "group_size": _integer(r.group_size),
            }
            if r.uscc not in tenants:
                for i, v in indicator_entries(r.values).items():
                    row[f"value:{i}"] = _number(v.get("value"), d)
                    row[f"score:{i}"] = _number(v.get("score"), d)
            rows[r.uscc] = row
        return rows

    def recompute(self, run: EvaluationRun) -> bytes:
        return recompute_result(run).to_csv_bytes()

    def correction_deciders(self, run: EvaluationRun) -> set[int]:
        """Whoever accepted a correction frozen into the run may not publish it (four eyes)."""
        return {
            c["decided_by_id"]
            for c in run.provenance.get("corrections", [])
            if c.get("decided_by_id") is not None
        }

    def missing_reports(self, run: EvaluationRun) -> list[str]:
        return [
            r.text()
            for r in unapproved_requirements(period_codes=[str(run.year)], forms=required_forms())
        ]

    def on_superseded(
        self, old: EvaluationRun, new: EvaluationRun, *, user: Any, request: Any
    ) -> None:
        """Allocations scored by the old run's classes are flagged with the platforms whose
        firms changed; entitlement lists with the firms whose lines change."""
        from pingtai.allocation.models import AllocationRun

        changed = {d["entity"] for d in new.supersede_diff}
        codes = set(
            EnterpriseResult.objects.filter(run__in=[old, new], uscc__in=changed).values_list(
                "platform_code", flat=True
            )
        )
        platforms = dict(Platform.objects.filter(code__in=codes).values_list("code", "name"))
        derived = AllocationRun.objects.filter(provenance__basis_runs__mujun=old.pk).exclude(
            status=AllocationRun.Status.SUPERSEDED
        )
        for run in derived:
            kernel.flag_derived(old, new, run, platforms, user=user, request=request)
        # 免申即享 lists issued from the old run: flagged with the firms whose entitlements
        # change (their files are marked 已更正 with the run's other documents).
        from pingtai.entitlements.services import flag_superseded

        flag_superseded(old, new, user=user, request=request)

    def on_published(self, run: EvaluationRun, *, user: Any, request: Any) -> None:
        """Each firm's result letter becomes available on its start page; it is made on first
        download (docs/enterprise.md, "Result letters"). The cockpit's and the platform pages'
        class counts are counted (docs/dashboard.md, "Summaries")."""
        from pingtai.firm.letters import letters_published

        summaries_refresh_run(run)
        letters_published(run, user=user, request=request)


MUJUN_RUNS = kernel.register(MujunRuns())
