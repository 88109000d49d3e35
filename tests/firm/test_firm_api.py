"""The enterprise side over the API: an enterprise token reads only its own firm's results,
一企一单 and objections, files objections only for itself; officials decide in their scope."""

from __future__ import annotations

import pytest
from django.test import Client

from pingtai.accounts.models import User
from pingtai.api.services import token_create
from pingtai.evaluation.services import run_evaluation
from pingtai.firm.models import Objection
from pingtai.firm.windows import open_window

pytestmark = pytest.mark.django_db


def _token(user: User) -> dict:
    _, raw = token_create(user, "测试")
    return {"Authorization": f"Bearer {raw}"}


@pytest.fixture
def publicized():
    admin = User.objects.get(username="admin")
    run, _ = run_evaluation(2024, "lishui-mujun-default", user=admin)
    open_window(run, "result", user=admin, days=5)
    return run


def _firm_user(run, platform: str) -> User:
    firm = run.results.filter(platform_code=platform).exclude(klass="T").first().enterprise
    return User.objects.create(username=f"qy_{platform}", role="enterprise", enterprise=firm)


def test_an_enterprise_token_is_scoped_to_its_own_firm(publicized):
    mine, theirs = _firm_user(publicized, "LS01"), _firm_user(publicized, "LS02")
    client = Client()
    me, them = _token(mine), _token(theirs)
    results = client.get("/api/firm/results", headers=me).json()
    assert [r["run"] for r in results] == [publicized.pk]
    sheet = client.get(f"/api/firm/runs/{publicized.pk}/sheet", headers=me).json()
    assert {line["field"] for line in sheet} >= {"tax_wan", "land_mu"}
    body = {
        "run": publicized.pk,
        "uscc": mine.enterprise.uscc,
        "kind": "数值错误",
        "field": "employees",
        "claimed": "321",
        "reason": "统计口径含劳务派遣",
    }
    created = client.post("/api/objections", body, content_type="application/json", headers=me)
    assert created.status_code == 201
    number = created.json()["number"]
    assert created.json()["department"] == "statistics"
    # Filing for another firm: 404, nothing stored.
    other = {**body, "uscc": theirs.enterprise.uscc}
    assert (
        client.post(
            "/api/objections", other, content_type="application/json", headers=me
        ).status_code
        == 404
    )
    assert Objection.objects.count() == 1
    # The other firm sees nothing of it.
    assert client.get("/api/objections", headers=them).json() == []
    assert client.get(f"/api/objections/{number}", headers=them).status_code == 404
    assert client.get(f"/api/objections/{number}", headers=me).status_code == 200
    # Another platform and a department that does not own the field see nothing either.
    for username in ("pt_ls02", "dept_tax"):
        token = _token(User.objects.get(username=username))
        assert client.get(f"/api/objections/{number}", headers=token).status_code == 404
        assert client.get("/api/objections", headers=token).json() == []
    ls01 = client.get("/api/objections", headers=_token(User.objects.get(username="pt_ls01")))
    assert [o["number"] for o in ls01.json()] == [number]
    # Official endpoints stay closed to the enterprise token.
    assert client.get("/api/runs", headers=me).status_code == 403
    assert client.get(f"/api/runs/{publicized.pk}/results", headers=me).status_code == 403
    # A late window, a wrong department: refused in Chinese; the owner decides.
    stats = _token(User.objects.get(username="dept_statistics"))
    tax = _token(User.objects.get(username="dept_tax"))
    decision = {"accept": True, "reason": "核实属实"}
    path = f"/api/objections/{number}/decide"
    assert (
        client.post(path, decision, content_type="application/json", headers=tax).status_code == 404
    )
    assert (
        client.post(path, decision, content_type="application/json", headers=me).status_code == 403
    )
    decided = client.post(path, decision, content_type="application/json", headers=stats)
    assert decided.status_code == 200 and decided.json()["status"] == "upheld"
    again = client.post(path, decision, content_type="application/json", headers=stats)
    assert again.status_code == 409 and "已办结" in again.json()["detail"]


PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def test_evidence_through_the_api_is_checked_scoped_and_stored_by_sha256(publicized):
    import hashlib

    from django.core.files.uploadedfile import SimpleUploadedFile

    from pingtai.firm.models import ObjectionEvidence

    mine, theirs = _firm_user(publicized, "LS01"), _firm_user(publicized, "LS02")
    client = Client()
    me, them = _token(mine), _token(theirs)
    body = {
        "run": publicized.pk,
        "uscc": mine.enterprise.uscc,
        "kind": "数值错误",
        "field": "employees",
        "claimed": "321",
        "reason": "统计口径含劳务派遣",
    }
    number = client.post(
        "/api/objections", body, content_type="application/json", headers=me
    ).json()["number"]
    path = f"/api/objections/{number}/evidence"

    def upload(headers, name, content):
        return client.post(path, {"file": SimpleUploadedFile(name, content)}, headers=headers)

    # Another firm's token: the objection does not exist for it; nothing is stored.
    assert upload(them, "社保缴费证明.pdf", PDF).status_code == 404
    # A department may read objections it owns but does not file evidence.
    stats = _token(User.objects.get(username="dept_statistics"))
    assert upload(stats, "社保缴费证明.pdf", PDF).status_code == 403
    # Another platform's user sees nothing of it.
    assert upload(_token(User.objects.get(username="pt_ls02")), "a.pdf", PDF).status_code == 404
    # Hostile files: refused with the browser path's messages.
    hostile = PDF.replace(b"/Catalog", b"/Catalog/OpenAction<</S/JavaScript/JS(app.alert(1))>>")
    refused = upload(me, "证明.pdf", hostile)
    assert refused.status_code == 409 and "含有脚本" in refused.json()["detail"]
    refused = upload(me, "照片.png", PDF)
    assert refused.status_code == 409 and "扩展名与内容不符" in refused.json()["detail"]
    refused = upload(me, "巨大.pdf", b"%PDF-1.4\n" + b"0" * (10 * 2**20) + b"\n%%EOF")
    assert refused.status_code == 409 and "超过上限 10 MB" in refused.json()["detail"]
    assert not ObjectionEvidence.objects.exists()

    created = upload(me, "社保缴费证明.pdf", PDF)
    assert created.status_code == 201
    assert created.json()["evidence_sha256"] == [hashlib.sha256(PDF).hexdigest()]
    stored = ObjectionEvidence.objects.get()
    assert stored.filename == "社保缴费证明.pdf" and bytes(stored.file.content) == PDF
    assert stored.uploaded_by == mine
    # The same file again is refused; the platform adds another on the firm's behalf.
    assert upload(me, "副本.pdf", PDF).status_code == 409
    other = PDF.replace(b"1.4", b"1.5")
    ls01 = _token(User.objects.get(username="pt_ls01"))
    assert upload(ls01, "补充.pdf", other).status_code == 201
    assert ObjectionEvidence.objects.count() == 2
    assert "补充证明材料" in Objection.objects.get().steps.values_list("action", flat=True)
