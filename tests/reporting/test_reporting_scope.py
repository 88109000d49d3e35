"""Every reporting route refuses another platform's or department's objects (docs/api.md, deny by default)."""

from __future__ import annotations

import pytest

from pingtai.reporting.models import UploadAttempt

from .conftest import QUARTERLY, fill
from .test_reporting_workflow import _upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def ls04_objects(login, quarter, requirement_of):
    requirement = requirement_of(quarter, "LS04")
    owner = login("pt_ls04")
    template = owner.get(f"/reporting/requirements/{requirement.pk}/template.xlsx").content
    _upload(owner, requirement, fill(template, {3: QUARTERLY}, "platform_quarterly"))
    attempt = UploadAttempt.objects.latest("id")
    return requirement, attempt, attempt.version


def _routes(requirement, attempt, version):
    return [
        ("get", f"/reporting/requirements/{requirement.pk}/"),
        ("get", f"/reporting/requirements/{requirement.pk}/template.xlsx"),
        ("post", f"/reporting/requirements/{requirement.pk}/upload/"),
        ("post", f"/reporting/requirements/{requirement.pk}/transition/"),
        ("get", f"/reporting/attempts/{attempt.pk}/"),
        ("post", f"/reporting/attempts/{attempt.pk}/"),
        ("get", f"/reporting/attempts/{attempt.pk}/marked.xlsx"),
        ("get", f"/reporting/versions/{version.pk}/file"),
        ("get", f"/reporting/versions/{version.pk}/diff/{version.pk}/"),
    ]


@pytest.mark.parametrize("intruder", ["pt_ls01", "pt_ls11", "dept_tax"])
def test_other_units_get_404_on_every_route(login, ls04_objects, intruder):
    client = login(intruder)
    for method, url in _routes(*ls04_objects):
        response = getattr(client, method)(url, {"action": "submit", "revision": 0})
        assert response.status_code == 404, (intruder, method, url, response.status_code)


def test_leader_reads_but_cannot_upload_or_review(login, ls04_objects):
    requirement, _attempt, _version = ls04_objects
    leader = login("leader")
    assert leader.get(f"/reporting/requirements/{requirement.pk}/").status_code == 200
    assert leader.get(f"/reporting/requirements/{requirement.pk}/template.xlsx").status_code == 403
    assert leader.post(f"/reporting/requirements/{requirement.pk}/upload/").status_code == 403
    response = leader.post(
        f"/reporting/requirements/{requirement.pk}/transition/",
        {"action": "approve", "revision": 0},
    )
    assert response.status_code == 403


def test_only_the_city_admin_opens_periods(login):
    for username in ("pt_ls01", "leader", "dept_tax"):
        response = login(username).post(
            "/reporting/periods/open/", {"code": "2026Q1", "deadline": "2026-04-20"}
        )
        assert response.status_code == 403


def test_platform_users_list_only_their_own_requirements(login, quarter):
    page = login("pt_ls02").get("/reporting/").content.decode()
    assert "浙江莲都经济开发区" in page
    assert "浙江龙泉经济开发区" not in page
