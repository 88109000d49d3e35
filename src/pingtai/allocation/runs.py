"""Allocation runs as frozen runs: the inputs of the exact allocator (amount, recipients with
scores, multipliers, bounds and demands, the engine rules) are frozen as canonical JSON, and so
is the result, so every published allocation can be recomputed and checked (docs/runs.md)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from pingtai.allocation.models import AllocationLine, AllocationRun
from pingtai.allocation.rules import POOLS
from pingtai.core.refusal import Refused
from pingtai.engine.allocate import AllocationResult, InfeasibleRules, Recipient, Rules, allocate
from pingtai.runs import kernel
from pingtai.runs.kernel import Rows

CENT, TEN_THOUSANDTH = Decimal("0.01"), Decimal("0.0001")


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _dec(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def canonical_json(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def snapshot_bytes(amount: Decimal, recipients: list[Recipient], rules: Rules) -> bytes:
    """Everything ``allocate`` reads, exactly (Decimals as text)."""
    return canonical_json(
        {
            "amount": str(amount),
            "rules": {
                "base_share": str(rules.base_share),
                "unit": str(rules.unit),
                "reserve_share": str(rules.reserve_share),
                "allocate_all": rules.allocate_all,
                "unit_name": rules.unit_name,
            },
            "recipients": [
                {
                    "code": r.code,
                    "name": r.name,
                    "score": str(r.score),
                    "multiplier": str(r.multiplier),
                    "floor": str(r.floor),
                    "cap": _text(r.cap),
                    "demand": _text(r.demand),
                    "major_demand": str(r.major_demand),
                }
                for r in recipients
            ],
        }
    )


def result_bytes(result: AllocationResult) -> bytes:
    """The allocation as stored: totals and every recipient's amount, bounds and explanation."""
    return canonical_json(
        {
            "reserve": str(result.reserve),
            "reserve_used": str(result.reserve_used),
            "allocated": str(result.allocated),
            "surplus": str(result.surplus),
            "shares": [
                {
                    "code": s.recipient.code,
                    "name": s.recipient.name,
                    "amount": str(s.amount),
                    "ideal": str(s.ideal),
                    "lower": str(s.lower),
                    "upper": _text(s.upper),
                    "binding": list(s.binding),
                    "lines": [
                        {"rule": line.rule, "label": line.label, "amount": str(line.amount)}
                        for line in s.lines
                    ],
                }
                for s in result.shares
            ],
        }
    )


def recompute_bytes(snapshot: bytes) -> bytes:
    data = json.loads(snapshot)
    r = data["rules"]
    rules = Rules(
        base_share=Decimal(r["base_share"]),
        unit=Decimal(r["unit"]),
        reserve_share=Decimal(r["reserve_share"]),
        allocate_all=r["allocate_all"],
        unit_name=r["unit_name"],
    )
    recipients = [
        Recipient(
            code=x["code"],
            name=x["name"],
            score=Decimal(x["score"]),
            multiplier=Decimal(x["multiplier"]),
            floor=Decimal(x["floor"]),
            cap=_dec(x["cap"]),
            demand=_dec(x["demand"]),
            major_demand=Decimal(x["major_demand"]),
        )
        for x in data["recipients"]
    ]
    try:
        return result_bytes(allocate(Decimal(data["amount"]), recipients, rules))
    except InfeasibleRules as infeasible:
        raise Refused(infeasible.message, code="infeasible") from infeasible


def _q(value: Any, quantum: Decimal) -> str:
    return "" if value is None else str(Decimal(value).quantize(quantum))


class AllocationRuns(kernel.RunKind[AllocationRun]):
    model = AllocationRun
    entity_noun = "对象"
    field_labels = {"amount": "配置量", "ideal": "规则理想份额", "floor": "保底", "cap": "上限"}
    diff_fields = ("amount",)

    def key_label(self, run: AllocationRun) -> str:
        scope = f"（{run.platform.name}内项目间）" if run.platform is not None else "（平台间）"
        return f"{run.pool.year}年度{POOLS[run.pool.kind][0]}{scope}"

    def recorded_rows(self, run: AllocationRun, result: bytes) -> Rows:
        data = json.loads(result)
        return {
            s["code"]: {
                "name": s["name"],
                "amount": _q(s["amount"], CENT),
                "ideal": _q(s["ideal"], TEN_THOUSANDTH),
                "floor": _q(s["lower"], CENT),
                "cap": _q(s["upper"], CENT),
            }
            for s in data["shares"]
        }

    def stored_rows(self, run: AllocationRun) -> Rows:
        return {
            line.code: {
                "name": line.name,
                "amount": _q(line.amount, CENT),
                "ideal": _q(line.ideal, TEN_THOUSANDTH),
                "floor": _q(line.floor, CENT),
                "cap": _q(line.cap, CENT),
            }
            for line in AllocationLine.objects.filter(run=run).order_by("pk")
        }

    def recompute(self, run: AllocationRun) -> bytes:
        if run.input_snapshot is None:
            raise Refused("该方案生成于冻结机制之前，没有输入快照，无法重算", code="no_snapshot")
        return recompute_bytes(bytes(run.input_snapshot.content))

    def on_superseded(
        self, old: AllocationRun, new: AllocationRun, *, user: Any, request: Any
    ) -> None:
        """Project-level allocations made within the old platform-level amounts are flagged."""
        changed = {d["entity"]: d["name"] for d in new.supersede_diff}
        derived = AllocationRun.objects.filter(provenance__basis_runs__allocation=old.pk).exclude(
            status=AllocationRun.Status.SUPERSEDED
        )
        for run in derived:
            kernel.flag_derived(old, new, run, changed, user=user, request=request)


ALLOCATION_RUNS = kernel.register(AllocationRuns())
