"""The objection life cycle shared by the firm's and the league's objections
(docs/objections.md): the steps allowed, the refusals, and the one set of words both objections carry."""

from __future__ import annotations

import pytest

from pingtai.core.refusal import Refused
from pingtai.firm.models import Objection as FirmObjection
from pingtai.league.models import Objection as LeagueObjection
from pingtai.league.models import TierProposal
from pingtai.objection import lifecycle
from pingtai.objection.lifecycle import Status


@pytest.mark.parametrize(
    ("status", "to"),
    [
        (Status.PENDING, Status.RECEIVED),
        (Status.PENDING, Status.RETURNED),
        (Status.PENDING, Status.UPHELD),
        (Status.RECEIVED, Status.REJECTED),
    ],
)
def test_allowed_steps_pass(status, to):
    lifecycle.check_step(status, to, number="2024-0001")
    lifecycle.check_step(status, to)


@pytest.mark.parametrize(
    ("status", "to", "message", "code"),
    [
        (Status.RECEIVED, Status.RECEIVED, "异议 2024-0001 已过平台初核环节", "wrong_stage"),
        (Status.UPHELD, Status.RECEIVED, "异议 2024-0001 已过平台初核环节", "wrong_stage"),
        (
            Status.RECEIVED,
            Status.RETURNED,
            "异议 2024-0001 已过平台初核环节，不能退回",
            "wrong_stage",
        ),
        (Status.RETURNED, Status.UPHELD, "异议 2024-0001 已办结（已退回）", "decided"),
        (Status.REJECTED, Status.UPHELD, "异议 2024-0001 已办结（未采纳）", "decided"),
    ],
)
def test_a_firm_objection_past_the_step_is_refused_by_number(status, to, message, code):
    with pytest.raises(Refused) as refused:
        lifecycle.check_step(status, to, number="2024-0001")
    assert refused.value.message == message and refused.value.code == code


def test_a_league_objection_decided_once_is_refused_with_its_status():
    with pytest.raises(Refused) as refused:
        lifecycle.check_step(Status.REJECTED, Status.UPHELD)
    assert refused.value.message == "该异议已办结（未采纳）" and refused.value.code == "state"
    with pytest.raises(Refused, match="不能再补充证明材料") as closed:
        lifecycle.check_open(Status.UPHELD, number="2024-0002", doing="补充证明材料")
    assert closed.value.message == "异议 2024-0002 已办结（已采纳），不能再补充证明材料"
    lifecycle.check_open(Status.RECEIVED, number="2024-0002", doing="补充证明材料")


def test_both_objections_use_one_status_set_and_one_set_of_words():
    assert FirmObjection.Status is LeagueObjection.Status is Status
    league_status = LeagueObjection._meta.get_field("status")
    assert [v for v, _ in league_status.choices] == ["pending", "upheld", "rejected"]

    def label(model, name):
        return str(model._meta.get_field(name).verbose_name)

    # One term per concept: both objections are answered (答复); a 进退档 proposal is approved.
    for model in (FirmObjection, LeagueObjection):
        assert [label(model, n) for n in ("decided_by", "decided_at", "decision_reason")] == [
            "答复人",
            "答复时间",
            "答复理由",
        ]
    assert [label(TierProposal, n) for n in ("decided_by", "decided_at")] == ["审批人", "审批时间"]
    # Each model has its own copy of an inherited field.
    assert FirmObjection._meta.get_field("filed_by") is not LeagueObjection._meta.get_field(
        "filed_by"
    )
