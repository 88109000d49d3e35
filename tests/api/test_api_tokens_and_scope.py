"""The HTTP API over real requests with bearer tokens: token life cycle (CLI, expiry,
revocation, audit), scoping per role, 404 for every object route with another platform's ids,
read-only roles, and the reporting path end to end with real .xlsx files."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from pingtai.accounts.models import User
from pingtai.api.models import ApiToken
from pingtai.api.services import token_digest
from pingtai.audit.models import AuditEvent
from pingtai.cli import main
from pingtai.evaluation.models import EvaluationRun
from pingtai.registry.models import Enterprise, EnterpriseYear, Platform
from pingtai.registry.selectors import figures
from pingtai.reporting.models import Requirement, Submission, SubmissionVersion, UploadAttempt

from .conftest import QUARTERLY, ApiClient, fill_quarterly

pytestmark = pytest.mark.django_db


def _requirement(period, code: str) -> Requirement:
    return Requirement.objects.get(
        period=period, form_code="platform_quarterly", platform__code=code
    )


def _upload(client: ApiClient, requirement: Requirement, content: bytes, reason: str = ""):
    return client.post(
        f"/api/requirements/{requirement.pk}/upload",
        {"reason": reason},
        files={"file": SimpleUploadedFile("报表.xlsx", content)},
    )


def _uploaded_version(client: ApiClient, requirement: Requirement, values=QUARTERLY) -> dict:
    template = client.get(f"/api/requirements/{requirement.pk}/template")
    assert template.status_code == 200, template.content
    response = _upload(client, requirement, fill_quarterly(template.content, values))
    assert response.status_code == 201 and response.json()["outcome"] == "accepted", response.json()
    return response.json()


# --- tokens --------------------------------------------------------------------------------


def test_requests_without_a_valid_token_get_401_in_chinese(api_as):
    from django.test import Client

    anonymous = Client().get("/api/platforms")
    assert anonymous.status_code == 401 and anonymous["Content-Type"].startswith("application/json")
    assert "令牌" in anonymous.json()["detail"] and anonymous["WWW-Authenticate"] == "Bearer"
    assert ApiClient("pt_" + "x" * 43).get("/api/platforms").status_code == 401
    assert ApiClient("not-a-token").get("/api/platforms").status_code == 401
    # A logged-in web session is not an API credential.
    client = Client()
    client.force_login(User.objects.get(username="admin"))
    assert client.get("/api/platforms").status_code == 401


def test_cli_creates_a_token_shown_once_and_stored_only_as_a_hash(capsys):
    assert (
        main(["api-token", "create", "--user", "pt_ls03", "--name", "统计对接", "--days", "30"])
        == 0
    )
    raw = re.search(r"^(pt_\S+)$", capsys.readouterr().out, re.M).group(1)
    token = ApiToken.objects.get(name="统计对接")
    assert token.token_hash == token_digest(raw) and raw not in str(list(ApiToken.objects.values()))
    assert dt.timedelta(days=29) < token.expires_at - timezone.now() <= dt.timedelta(days=30)
    created = AuditEvent.objects.filter(
        action="create", object_type="api.ApiToken", object_id=str(token.pk)
    ).get()
    assert created.after["user"] == "pt_ls03" and raw not in str(created.after)

    client = ApiClient(raw)
    assert [p["code"] for p in client.get("/api/platforms").json()] == ["LS03"]
    token.refresh_from_db()
    assert token.last_used_at is not None

    assert main(["api-token", "list", "--user", "pt_ls03"]) == 0
    listing = capsys.readouterr().out
    assert "统计对接" in listing and raw not in listing
    assert main(["api-token", "revoke", str(token.pk)]) == 0
    assert client.get("/api/platforms").status_code == 401
    assert AuditEvent.objects.filter(
        action="update", object_type="api.ApiToken", object_id=str(token.pk), detail="吊销接口令牌"
    ).exists()
    assert main(["api-token", "revoke", str(token.pk)]) == 1  # already revoked
    assert main(["api-token", "create", "--user", "nobody", "--name", "x"]) == 2
    assert main(["api-token", "create", "--user", "pt_ls03", "--name", "x", "--days", "400"]) == 1


def test_expired_tokens_and_disabled_users_are_refused(api_as):
    client = api_as("pt_ls04")
    assert client.get("/api/platforms").status_code == 200
    token = ApiToken.objects.get(token_hash=token_digest(client.token))
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert client.get("/api/platforms").status_code == 401
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() + dt.timedelta(days=1))
    User.objects.filter(username="pt_ls04").update(is_active=False)
    assert client.get("/api/platforms").status_code == 401


# --- registry scope ------------------------------------------------------------------------


def test_platform_lists_follow_the_users_scope(api_as):
    response = api_as("pt_ls01").get("/api/platforms")
    assert [p["code"] for p in response.json()] == ["LS01"] and response[
        "Cache-Control"
    ] == "no-store"
    for username in ("admin", "leader", "dept_tax"):
        assert len(api_as(username).get("/api/platforms").json()) == Platform.objects.count() == 11
    assert len(api_as("pt_ls01").get("/api/counties").json()) >= 9


def test_platform_figures_equal_the_registry_figures(api_as):
    platform = Platform.objects.get(code="LS01")
    body = api_as("pt_ls01").get("/api/platforms/LS01", year=2023).json()
    expected = figures(EnterpriseYear.objects.filter(year=2023, enterprise__platform=platform))
    assert body["figures"]["year"] == 2023
    assert body["figures"]["enterprises"] == expected.enterprises > 0
    assert body["figures"]["tax_wan"] == str(expected.tax_wan)
    assert body["figures"]["land_mu"] == str(expected.land_mu)
    latest = api_as("pt_ls01").get("/api/platforms/ls01").json()
    assert latest["figures"]["year"] == max(latest["available_years"])


def test_enterprise_lists_are_scoped_and_paged(api_as):
    own = Enterprise.objects.filter(platform__code="LS01").count()
    page = api_as("pt_ls01").get("/api/enterprises", limit=7).json()
    assert page["count"] == own and len(page["items"]) == 7
    assert {e["platform_code"] for e in page["items"]} == {"LS01"}
    assert api_as("pt_ls01").get("/api/enterprises", platform="LS02").json()["count"] == 0
    assert (
        api_as("leader").get("/api/enterprises", limit=1).json()["count"]
        == Enterprise.objects.count()
    )
    e = Enterprise.objects.filter(platform__code="LS01").first()
    detail = api_as("pt_ls01").get(f"/api/enterprises/{e.uscc}").json()
    assert detail["name"] == e.name and detail["platform_code"] == "LS01"
    assert [y["year"] for y in detail["years"]] == sorted(
        EnterpriseYear.objects.filter(enterprise=e).values_list("year", flat=True)
    )
    assert api_as("pt_ls01").get("/api/enterprises", limit=501).status_code == 422


# --- reporting -----------------------------------------------------------------------------


def test_upload_submit_approve_and_facts_over_the_api(api_as, quarter):
    requirement = _requirement(quarter, "LS01")
    officer, admin = api_as("pt_ls01"), api_as("admin")
    attempt = _uploaded_version(officer, requirement)
    version = attempt["version"]
    stored = SubmissionVersion.objects.get(pk=version["id"])
    assert (
        version["number"] == 1
        and version["sha256"] == stored.file.sha256
        and stored.uploaded_by.username == "pt_ls01"
    )
    assert officer.get(f"/api/attempts/{attempt['id']}").json()["outcome"] == "accepted"

    # Nothing is readable downstream before approval.
    assert officer.get(f"/api/requirements/{requirement.pk}/facts").json() == {
        "requirement_id": requirement.pk,
        "version": None,
        "facts": [],
    }

    state = officer.get(f"/api/requirements/{requirement.pk}").json()
    assert state["submission"]["status"] == "draft" and [
        v["number"] for v in state["versions"]
    ] == [1]
    revision = state["submission"]["revision"]
    submitted = officer.post(
        f"/api/requirements/{requirement.pk}/transition", {"action": "submit", "revision": revision}
    )
    assert submitted.status_code == 200 and submitted.json()["submission"]["status"] == "submitted"
    # Officers do not review; reviewers must name the revision they saw.
    assert (
        officer.post(
            f"/api/requirements/{requirement.pk}/transition",
            {"action": "approve", "revision": revision + 1},
        ).status_code
        == 403
    )
    stale = admin.post(
        f"/api/requirements/{requirement.pk}/transition",
        {"action": "approve", "revision": revision},
    )
    assert stale.status_code == 409 and "他人" in stale.json()["detail"]
    approved = admin.post(
        f"/api/requirements/{requirement.pk}/transition",
        {"action": "approve", "revision": revision + 1},
    )
    assert approved.status_code == 200 and approved.json()["submission"]["approved_version"] == 1
    assert AuditEvent.objects.filter(
        action="approve", actor_username="admin", object_id=str(requirement.submission.pk)
    ).exists()

    facts = officer.get(f"/api/requirements/{requirement.pk}/facts").json()
    assert facts["version"]["number"] == 1 and facts["version"]["approved_by"] == "admin"
    by_indicator = {f["indicator"]: f["value"] for f in facts["facts"]}
    assert by_indicator["tax_revenue"].startswith("61000") and by_indicator[
        "management_staff"
    ].startswith("120")
    assert (
        {"platform_code", "platform_name"} | set(QUARTERLY)
        >= set(by_indicator)
        >= set(QUARTERLY) - {"above_scale_enterprises"}
    )


def test_refused_uploads_explain_themselves_and_write_no_version(api_as, quarter):
    requirement = _requirement(quarter, "LS05")
    officer = api_as("pt_ls05")
    bad = _upload(officer, requirement, b"PK\x03\x04 not really a workbook")
    assert bad.status_code == 201 and bad.json()["outcome"] == "refused" and bad.json()["message"]
    not_xlsx = officer.post(
        f"/api/requirements/{requirement.pk}/upload",
        {},
        files={"file": SimpleUploadedFile("报表.csv", b"a,b")},
    )
    assert not_xlsx.status_code == 422 and ".xlsx" in not_xlsx.json()["detail"]
    empty = officer.post(
        f"/api/requirements/{requirement.pk}/upload",
        {},
        files={"file": SimpleUploadedFile("报表.xlsx", b"")},
    )
    assert empty.status_code == 422
    assert not SubmissionVersion.objects.filter(submission__requirement=requirement).exists()
    office_submits = api_as("admin").post(
        f"/api/requirements/{requirement.pk}/transition", {"action": "submit", "revision": 0}
    )
    assert office_submits.status_code == 403  # the office does not submit for a platform


def test_department_users_see_only_their_departments_requirements(api_as):
    from pingtai.reporting.services import period_open

    period_open("2025", user=User.objects.get(username="admin"), deadline=dt.date(2026, 3, 31))
    rows = api_as("dept_tax").get("/api/requirements", period="2025").json()
    assert rows and {r["scope_code"] for r in rows} == {"tax"}
    assert {
        r["scope_code"] for r in api_as("pt_ls02").get("/api/requirements", period="2025").json()
    } <= {"LS02"}


# --- evaluation ----------------------------------------------------------------------------


@pytest.fixture
def run(api_as):
    response = api_as("admin").post("/api/runs", {"year": 2024, "method": "lishui-mujun-default"})
    assert response.status_code == 201, response.content
    return response.json()


def test_runs_are_created_by_the_office_and_results_are_scoped(api_as, run):
    assert run["status"] == "preview" and run["created_by"] == "admin"
    platform_view = api_as("pt_ls01").get(f"/api/runs/{run['id']}").json()
    own = Enterprise.objects.filter(platform__code="LS01").count()
    assert sum(platform_view["class_counts"].values()) <= own
    assert sum(api_as("leader").get(f"/api/runs/{run['id']}").json()["class_counts"].values()) > own
    results = api_as("pt_ls01").get(f"/api/runs/{run['id']}/results", limit=500).json()
    assert results["count"] == sum(platform_view["class_counts"].values())
    assert {r["platform_code"] for r in results["items"]} == {"LS01"}
    one = results["items"][0]
    assert api_as("pt_ls01").get(f"/api/runs/{run['id']}/results/{one['uscc']}").json() == one
    assert (
        api_as("admin").post("/api/runs", {"year": 2024, "method": "no-such-method"}).status_code
        == 422
    )


# --- every object route: another platform's ids answer 404 ----------------------------------


@pytest.fixture
def foreign_ids(api_as, quarter, run):
    """Objects of platform LS02, made by LS02's own user."""
    requirement = _requirement(quarter, "LS02")
    attempt = _uploaded_version(api_as("pt_ls02"), requirement)
    enterprise = Enterprise.objects.filter(platform__code="LS02").order_by("uscc").first()
    return {
        "code": "LS02",
        "uscc": enterprise.uscc,
        "requirement": requirement.pk,
        "attempt": attempt["id"],
        "run": run["id"],
        "revision": Submission.objects.get(requirement=requirement).revision,
    }


# (method, path template, body) for every route that names an object; a new route must be
# added here (test_every_object_route_is_in_the_scope_matrix fails otherwise).
OBJECT_ROUTES = [
    ("get", "/api/platforms/{code}", None),
    ("get", "/api/enterprises/{uscc}", None),
    ("get", "/api/requirements/{requirement}", None),
    ("get", "/api/requirements/{requirement}/template", None),
    ("post", "/api/requirements/{requirement}/upload", "file"),
    (
        "post",
        "/api/requirements/{requirement}/transition",
        {"action": "submit", "revision": "{revision}"},
    ),
    ("get", "/api/requirements/{requirement}/facts", None),
    ("get", "/api/attempts/{attempt}", None),
    ("post", "/api/attempts/{attempt}/confirm", {"confirmed": []}),
    ("get", "/api/runs/{run}/results/{uscc}", None),
]
# Routes whose object is not platform-owned: readable by every role (as on the web pages).
UNSCOPED_OBJECT_ROUTES = {
    "/api/periods/{code}",
    "/api/runs/{pk}",
    "/api/runs/{pk}/results",
    "/api/runs/{pk}/publish",
}
# Routes refused to platform roles altogether (not scoped by platform, so not in the matrix
# above): each receiving agency's 免申即享 list, whose role and agency rules are tested in
# tests/entitlements/test_entitlement_lists.py.
ROLE_ONLY_OBJECT_ROUTES = {
    "/api/runs/{pk}/entitlements",
    "/api/runs/{pk}/entitlements/{agency}",
    "/api/runs/{pk}/entitlements/{agency}/file",
    "/api/runs/{pk}/entitlements/{agency}/steps",
}
# The enterprise side's routes, scoped per firm as well as per platform and department: the
# enterprise token, platform and department cases are tested in tests/firm/test_firm_api.py.
FIRM_OBJECT_ROUTES = {
    "/api/firm/runs/{pk}/sheet",
    "/api/objections/{number}",
    "/api/objections/{number}/decide",
    "/api/objections/{number}/evidence",
}


def test_every_object_route_is_in_the_scope_matrix():
    from pingtai.api.api import api

    documented = {path for path in api.get_openapi_schema()["paths"] if "{" in path}
    covered = {
        re.sub(
            r"\{(requirement|attempt|run)\}", "{pk}", re.sub(r"^(/api/runs)/\{run\}", r"\1/{pk}", p)
        )
        for _, p, _ in OBJECT_ROUTES
    }
    assert (
        documented - UNSCOPED_OBJECT_ROUTES - ROLE_ONLY_OBJECT_ROUTES - FIRM_OBJECT_ROUTES
        == covered
    )


def test_platform_a_token_gets_404_for_platform_b_objects_on_every_route(api_as, foreign_ids):
    intruder, owner = api_as("pt_ls01"), api_as("pt_ls02")
    versions_before, attempts_before = (
        SubmissionVersion.objects.count(),
        UploadAttempt.objects.count(),
    )
    for method, path, body in OBJECT_ROUTES:
        url = path.format(**foreign_ids)
        if body == "file":
            response = intruder.post(url, {}, files={"file": SimpleUploadedFile("x.xlsx", b"PK")})
        elif body is not None:
            response = intruder.post(
                url,
                {k: (foreign_ids["revision"] if v == "{revision}" else v) for k, v in body.items()},
            )
        else:
            response = intruder.get(url)
        assert response.status_code == 404, (method, url, response.content)
        assert re.search(r"[\u4e00-\u9fff]", response.json()["detail"]), url
        if (
            method == "get"
        ):  # the owner reaches the same object: the 404 is about scope, not a bad id
            assert owner.get(url).status_code == 200, url
    assert SubmissionVersion.objects.count() == versions_before
    assert UploadAttempt.objects.count() == attempts_before


def test_list_routes_never_show_platform_b_rows(api_as, foreign_ids):
    client = api_as("pt_ls01")
    assert {r["scope_code"] for r in client.get("/api/requirements").json()} == {"LS01"}
    assert (
        client.get(f"/api/runs/{foreign_ids['run']}/results", platform="LS02").json()["count"] == 0
    )
    assert client.get("/api/enterprises", q=foreign_ids["uscc"]).json()["count"] == 0


# --- read-only roles -----------------------------------------------------------------------


def test_a_leader_token_cannot_change_anything(api_as, foreign_ids):
    leader = api_as("leader")
    audit_before = AuditEvent.objects.count()
    versions_before, runs_before = SubmissionVersion.objects.count(), EvaluationRun.objects.count()
    requirement = foreign_ids["requirement"]
    attempts = [
        leader.post(
            f"/api/requirements/{requirement}/upload",
            {},
            files={"file": SimpleUploadedFile("x.xlsx", b"PK")},
        ),
        *[
            leader.post(
                f"/api/requirements/{requirement}/transition",
                {"action": action, "revision": foreign_ids["revision"], "reason": "领导退回"},
            )
            for action in ("submit", "return", "approve", "lock")
        ],
        leader.post(f"/api/attempts/{foreign_ids['attempt']}/confirm", {"confirmed": []}),
        leader.post("/api/runs", {"year": 2024}),
        leader.post(f"/api/runs/{foreign_ids['run']}/publish"),
        leader.get(f"/api/requirements/{requirement}/template"),
    ]
    assert [r.status_code for r in attempts] == [403] * len(attempts)
    assert all(re.search(r"[\u4e00-\u9fff]", r.json()["detail"]) for r in attempts)
    assert SubmissionVersion.objects.count() == versions_before
    assert EvaluationRun.objects.count() == runs_before
    assert AuditEvent.objects.count() == audit_before
    assert leader.get(f"/api/requirements/{requirement}").status_code == 200  # but may read


# --- documentation -------------------------------------------------------------------------


def test_docs_page_and_schema_are_served_without_any_external_asset(client):
    page = client.get("/api/docs")
    assert page.status_code == 200
    html = page.content.decode()
    assert not re.search(r"(src|href)=\"(https?:)?//", html) and "cdn" not in html.lower()
    assets = re.findall(r"(?:src|href)=\"([^\"]+)\"", html)
    assert len(assets) == 3
    for asset in assets:
        served = client.get(asset)
        assert served.status_code == 200, asset
        body = b"".join(served.streaming_content) if served.streaming else served.content
        assert len(body) > 100
    init = client.get(next(a for a in assets if a.endswith("docs-init.js")))
    assert b"validatorUrl: null" in b"".join(init.streaming_content)
    schema = client.get("/api/openapi.json").json()
    assert schema["components"]["securitySchemes"]["TokenAuth"]["scheme"] == "bearer"
    assert "/api/requirements/{pk}/upload" in schema["paths"]


def test_platform_users_cannot_set_status_platform_or_results(api_as, quarter):
    """ASVS 8.2.3: no field a platform user sends can approve data, move it to another
    platform, or create or publish evaluation results."""
    requirement = _requirement(quarter, "LS06")
    officer = api_as("pt_ls06")
    _uploaded_version(officer, requirement)
    revision = Submission.objects.get(requirement=requirement).revision
    submitted = officer.post(
        f"/api/requirements/{requirement.pk}/transition",
        {
            "action": "submit",
            "revision": revision,
            "status": "approved",
            "platform": "LS01",
            "approved_version": 1,
        },
    )
    assert submitted.status_code == 200
    submission = Submission.objects.get(requirement=requirement)
    assert submission.status == "submitted" and submission.approved_version is None
    assert submission.requirement.platform.code == "LS06"
    for action in ("approve", "lock", "return"):
        refused = officer.post(
            f"/api/requirements/{requirement.pk}/transition",
            {"action": action, "revision": submission.revision, "reason": "x"},
        )
        assert refused.status_code == 403, action
    assert officer.post("/api/runs", {"year": 2024}).status_code == 403
    assert not EvaluationRun.objects.filter(created_by__username="pt_ls06").exists()
