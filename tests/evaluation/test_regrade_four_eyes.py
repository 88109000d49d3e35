"""Four eyes on manual regrades that hold on every path: an approved regrade
never changes — not through the model, a bulk update, the service or the admin — a change is
a new request that a second city administrator approves, and an invalid class is refused when
it is entered, so no run ever fails on it."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from pingtai.accounts.models import User
from pingtai.core.refusal import Refused
from pingtai.evaluation.models import EnterpriseResult, Regrade
from pingtai.evaluation.regrades import (
    regrade_approve,
    regrade_request,
    regrade_revise,
    regrades_in_force,
)
from pingtai.evaluation.services import run_evaluation
from pingtai.registry.models import Enterprise

pytestmark = pytest.mark.django_db


@pytest.fixture
def admins():
    first = User.objects.get(username="admin")
    second = User.objects.create(
        username="admin_b", role=User.Role.CITY_ADMIN, is_staff=True, is_superuser=True
    )
    return first, second


@pytest.fixture
def graded():
    """Two enterprises graded by the default method in 2024 (not exempt)."""
    run_rows = (
        Enterprise.objects.filter(
            years__year=2024, years__size_class="规上", years__land_mu__gte=10
        )
        .order_by("uscc")
        .distinct()
    )
    return list(run_rows[:2])


def _approved(admins, enterprise, to_class="C"):
    first, second = admins
    return regrade_approve(
        regrade_request(enterprise, 2024, to_class, "复核发现用地面积漏报", user=first),
        user=second,
    )


def test_the_requester_cannot_approve_and_the_database_refuses_it_too(admins, graded):
    first, _ = admins
    regrade = regrade_request(graded[0], 2024, "C", "复核", user=first)
    with pytest.raises(Refused, match="不能批准本人"):
        regrade_approve(regrade, user=first)
    with pytest.raises(IntegrityError), transaction.atomic():
        Regrade.objects.filter(pk=regrade.pk).update(approved_by=first)


def test_an_approved_regrade_cannot_be_changed_on_any_path(admins, graded):
    regrade = _approved(admins, graded[0])
    first, second = admins
    regrade.to_class, regrade.enterprise = "A", graded[1]
    with pytest.raises(Refused, match="已批准的调整不能修改"):
        regrade.save()
    with pytest.raises(Refused):
        Regrade.objects.filter(pk=regrade.pk).update(enterprise=graded[1])
    with pytest.raises(Refused):
        Regrade.objects.filter(pk=regrade.pk).delete()
    with pytest.raises(Refused):
        regrade.delete()
    for user in (first, second):
        with pytest.raises(Refused, match="已批准的调整不能修改"):
            regrade_revise(regrade, to_class="A", reason="改", user=user)
    stored = Regrade.objects.get(pk=regrade.pk)
    assert (stored.to_class, stored.enterprise_id) == ("C", graded[0].pk)


def test_the_admin_shows_an_approved_regrade_read_only_to_its_requester(client, admins, graded):
    regrade = _approved(admins, graded[0])
    client.force_login(admins[0])
    url = f"/admin/evaluation/regrade/{regrade.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200 and 'name="to_class"' not in page.content.decode()
    posted = client.post(
        url, {"enterprise": graded[1].pk, "year": 2024, "to_class": "A", "reason": "改"}
    )
    assert posted.status_code == 403
    assert (
        client.post(f"/admin/evaluation/regrade/{regrade.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    stored = Regrade.objects.get(pk=regrade.pk)
    assert (stored.to_class, stored.enterprise_id) == ("C", graded[0].pk)


def test_only_the_requester_edits_a_pending_request_and_a_second_admin_approves_it(
    client, admins, graded
):
    first, second = admins
    client.force_login(first)
    created = client.post(
        "/admin/evaluation/regrade/add/",
        {"enterprise": graded[0].pk, "year": 2024, "to_class": "B", "reason": "复核"},
    )
    assert created.status_code == 302
    regrade = Regrade.objects.get(enterprise=graded[0], year=2024)
    assert (regrade.to_class, regrade.requested_by) == ("B", first)
    with pytest.raises(Refused, match="只有申请人"):
        regrade_revise(regrade, to_class="D", reason="改", user=second)
    client.force_login(second)
    assert client.get(f"/admin/evaluation/regrade/{regrade.pk}/change/").status_code == 200
    assert (
        client.post(
            f"/admin/evaluation/regrade/{regrade.pk}/change/",
            {"enterprise": graded[0].pk, "year": 2024, "to_class": "D", "reason": "改"},
        ).status_code
        == 403
    )
    client.post(
        "/admin/evaluation/regrade/",
        {"action": "approve", "_selected_action": [regrade.pk]},
    )
    regrade.refresh_from_db()
    assert regrade.approved_by == second and regrade.to_class == "B"


def test_a_change_is_a_new_request_and_the_latest_approved_one_is_in_force(admins, graded):
    first, second = admins
    old = _approved(admins, graded[0], "C")
    pending = regrade_request(graded[0], 2024, "A", "复核后上调", user=second)
    assert [r.pk for r in regrades_in_force(2024)] == [old.pk]
    regrade_approve(pending, user=first)
    assert [r.pk for r in regrades_in_force(2024)] == [pending.pk]
    assert Regrade.objects.get(pk=old.pk).to_class == "C"  # the record of the first stays


@pytest.mark.parametrize("bad", ["Z", "T", "", "AA"])
def test_an_invalid_class_is_refused_when_entered_not_when_a_run_reads_it(admins, graded, bad):
    with pytest.raises(Refused, match=r"类别|此字段"):
        regrade_request(graded[0], 2024, bad, "复核", user=admins[0])
    assert not Regrade.objects.exists()


def test_the_admin_form_refuses_an_invalid_class_with_a_message(client, admins, graded):
    client.force_login(admins[0])
    page = client.post(
        "/admin/evaluation/regrade/add/",
        {"enterprise": graded[0].pk, "year": 2024, "to_class": "Z", "reason": "复核"},
    )
    assert page.status_code == 200 and "类别“Z”无效" in page.content.decode()
    assert not Regrade.objects.exists()


def test_other_roles_may_neither_request_nor_approve(admins, graded):
    regrade = regrade_request(graded[0], 2024, "C", "复核", user=admins[0])
    for name in ("leader", "pt_ls01", "dept_tax"):
        user = User.objects.get(username=name)
        with pytest.raises(Refused):
            regrade_request(graded[1], 2024, "C", "复核", user=user)
        with pytest.raises(Refused):
            regrade_approve(regrade, user=user)


def test_a_run_applies_the_regrade_in_force(admins, graded):
    _approved(admins, graded[0], "D")
    run, _ = run_evaluation(2024, "lishui-mujun-default", user=admins[0])
    result = EnterpriseResult.objects.get(run=run, enterprise=graded[0])
    assert result.klass == "D" and "用地面积漏报" in result.note
