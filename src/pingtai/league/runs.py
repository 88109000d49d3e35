"""The platform league as a kind of frozen run (docs/runs.md)."""

from __future__ import annotations

import io
from typing import Any

import polars as pl

from pingtai.audit.models import AuditEvent
from pingtai.core import terms
from pingtai.core.refusal import Refused
from pingtai.engine import evaluate, load_method
from pingtai.engine.result import EvaluationResult
from pingtai.league import inputs
from pingtai.league.models import LeagueRun, PlatformResult, TieDecision
from pingtai.registry.models import Platform
from pingtai.reporting.selectors import unapproved_requirements
from pingtai.runs import kernel
from pingtai.runs.kernel import Rows

DECIMALS_FALLBACK = 6


def recompute_result(run: LeagueRun) -> EvaluationResult:
    """Evaluate the stored snapshot again under the run's method, draws and seed."""
    method = load_method(run.method_id)
    if method.version != run.method_version or method.hash != run.method_hash:
        raise Refused(
            f"评价方法“{terms.method_name(run.method_id)}”已修改（批次用第 {run.method_version} 版，现为第 {method.version} 版），"
            "无法按原方法重算",
            code="method_changed",
        )
    frame = inputs.snapshot_frame(bytes(run.input_snapshot.content))
    return evaluate(method, frame, robustness_draws=run.robustness_draws, seed=run.seed)


def _number(value: Any, decimals: int) -> str:
    return "" if value is None or value == "" else f"{float(value):.{decimals}f}"


def _integer(value: Any) -> str:
    return "" if value is None or value == "" else str(int(float(value)))


class LeagueRuns(kernel.RunKind[LeagueRun]):
    model = LeagueRun
    entity_noun = "平台"
    field_labels = {
        "score": "综合得分",
        "class": "等级",
        "rank": "组内排名",
        "rank_order": "组内位次",
        "group_size": "组内平台数",
    }

    def key_label(self, run: LeagueRun) -> str:
        return f"{run.label}（{run.get_grouping_display()}）"

    def _decimals(self, run: LeagueRun) -> int:
        if "decimals" in run.provenance:
            return int(run.provenance["decimals"])
        return load_method(run.method_id).output.decimals

    def recorded_rows(self, run: LeagueRun, result: bytes) -> Rows:
        table = pl.read_csv(io.BytesIO(result), infer_schema=False)
        d = self._decimals(run)
        indicators = [c.removeprefix("score__") for c in table.columns if c.startswith("score__")]
        rows: Rows = {}
        for r in table.iter_rows(named=True):
            row = {
                "score": _number(r["score"], d),
                "class": r["class"] or "",
                "rank": _integer(r["rank"]),
                "rank_order": _integer(r["rank_order"]),
                "group_size": _integer(r["group_size"]),
            }
            for i in indicators:
                row[f"value:{i}"] = _number(r.get(i), d)
                row[f"score:{i}"] = _number(r[f"score__{i}"], d)
            rows[r["platform_code"]] = row
        return rows

    def stored_rows(self, run: LeagueRun) -> Rows:
        d = self._decimals(run)
        rows: Rows = {}
        for r in PlatformResult.objects.filter(run=run).select_related("platform").order_by("pk"):
            row = {
                "score": _number(r.score, d),
                "class": r.klass,
                "rank": _integer(r.rank),
                "rank_order": _integer(r.rank_order),
                "group_size": _integer(r.group_size),
            }
            for i, v in r.values.items():
                row[f"value:{i}"] = _number(v.get("value"), d)
                row[f"score:{i}"] = _number(v.get("score"), d)
            rows[r.platform_code] = row
        # The decisions of ties are part of what the lists show: they enter the rows (and so the
        # digest taken at publication) of the platforms they concern. Runs without any keep
        # their rows, and their recorded digests, unchanged.
        for tie in self._decisions(run):
            for code in tie.candidates:
                if code in rows:
                    verdict = "列入" if code in tie.platforms else "不列入"
                    rows[code][f"tie:{tie.place}"] = f"{verdict}：{tie.reason}"
        return rows

    def open_questions(self, run: LeagueRun) -> list[str]:
        """Ties that decide a list and wait for the city administrator's decision."""
        from pingtai.league import selectors

        found = selectors.run_decisions(run)
        if not found.open_ties:
            return []
        names = dict(Platform.objects.values_list("code", "short_name"))
        scores = dict(run.results.values_list("platform_code", "score"))
        return [
            f"{t.question}：{'、'.join(names[c] for c in t.candidates)}得分相同"
            f"（{scores[t.candidates[0]]:.2f} 分），须由市级管理员决定其中 {t.seats} 个列入"
            f"（位次“{t.place}”）"
            for t in found.open_ties
        ]

    def _decisions(self, run: LeagueRun) -> list[TieDecision]:
        return list(TieDecision.objects.filter(run=run).order_by("place"))

    def document_findings(self, run: LeagueRun) -> list[kernel.Finding]:
        """Issued documents, and the recorded tie decisions against their audit records: the
        lists people read follow the decisions, so a changed or removed decision is found."""
        found = super().document_findings(run)
        recorded = {
            e.object_id: e.after or {}
            for e in AuditEvent.objects.filter(
                action=AuditEvent.Action.CREATE, object_type=TieDecision._meta.label
            )
            if (e.after or {}).get("run") == run.pk
        }
        names = dict(Platform.objects.values_list("code", "short_name"))

        def listed(codes) -> str:
            return "、".join(names.get(c, c) for c in codes)

        for d in self._decisions(run):
            want = recorded.pop(str(d.pk), None)
            field = f"并列位次决定“{d.place}”"
            if want is None:
                found.append(kernel.Finding("", "", f"{field}的审计记录", "无", "应有"))
                continue
            have = f"{listed(d.platforms)}列入，理由：{d.reason}"
            expected = f"{listed(want.get('platforms', []))}列入，理由：{want.get('reason', '')}"
            if have != expected or d.place != want.get("place"):
                found.append(kernel.Finding("", "", field, have, expected))
        for want in recorded.values():
            found.append(
                kernel.Finding("", "", f"并列位次决定“{want.get('place', '')}”", "缺失", "应有")
            )
        return found

    def names(self, run: LeagueRun, rows: Rows) -> dict[str, str]:
        return dict(
            PlatformResult.objects.filter(run=run).values_list("platform_code", "platform__name")
        )

    def recompute(self, run: LeagueRun) -> bytes:
        return recompute_result(run).to_csv_bytes()

    def missing_reports(self, run: LeagueRun) -> list[str]:
        period = run.provenance.get("data_period")
        if not period:
            return []
        return [
            r.text() for r in unapproved_requirements(period_codes=[period], forms=[inputs.FORM])
        ]

    def on_superseded(self, old: LeagueRun, new: LeagueRun, *, user: Any, request: Any) -> None:
        """Allocations scored by the old run, its pay pools and its 进退档 proposals are flagged
        with the platforms whose score, class or rank changed."""
        from pingtai.allocation.models import AllocationRun
        from pingtai.league.models import TierProposal

        changed = {d["entity"]: d["name"] for d in new.supersede_diff}
        derived: list[Any] = list(
            AllocationRun.objects.filter(provenance__basis_runs__league=old.pk).exclude(
                status=AllocationRun.Status.SUPERSEDED
            )
        )
        derived += list(old.pay_pools.all())
        derived += list(old.tier_proposals.exclude(status=TierProposal.Status.REJECTED))
        for obj in derived:
            kernel.flag_derived(old, new, obj, changed, user=user, request=request)


LEAGUE_RUNS = kernel.register(LeagueRuns())
