"""In the browser: a platform user files an objection on behalf of one of its own firms (found
by name or code), and a land objection names one of the firm's parcels from a list — the same
form and service as the firm's own page."""

from __future__ import annotations

import pytest

from pingtai.accounts.models import User
from pingtai.evaluation.services import run_evaluation
from pingtai.firm.models import Objection, ObjectionEvidence
from pingtai.firm.windows import open_window
from pingtai.registry.models import Enterprise, LandParcel

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


@pytest.fixture
def publicized():
    admin = User.objects.get(username="admin")
    run, _ = run_evaluation(2024, "lishui-mujun-default", user=admin)
    open_window(run, "result", user=admin, days=5)
    return run


def _firm_with_parcels(run, platform: str) -> Enterprise:
    for result in run.results.filter(platform_code=platform).exclude(klass="T").order_by("uscc"):
        if LandParcel.objects.filter(user=result.enterprise).exists():
            return result.enterprise
    raise AssertionError("no firm with parcels")


def test_the_platform_files_on_behalf_of_its_own_firm_naming_a_parcel(publicized, login):
    mine = _firm_with_parcels(publicized, "LS01")
    theirs = _firm_with_parcels(publicized, "LS02")
    parcel = LandParcel.objects.filter(user=mine).order_by("parcel_id").first()
    foreign = LandParcel.objects.filter(user=theirs).first()
    client = login("pt_ls01")
    url = f"/firm/office/runs/{publicized.pk}/file/"

    # The chooser finds the platform's own firms by part of the name, never another's.
    page = client.get(url, {"q": mine.name[2:6]}).content.decode()
    assert mine.uscc in page and theirs.uscc not in page
    assert theirs.uscc not in client.get(url, {"q": theirs.name}).content.decode()
    assert client.get(url, {"firm": theirs.uscc}).status_code == 404

    # The chosen firm's parcels are offered with their tenure and area in 亩.
    page = client.get(url, {"firm": mine.uscc}).content.decode()
    assert f'<option value="{parcel.parcel_id}">{parcel.parcel_id}（' in page
    assert " 亩）" in page

    form = {
        "firm": mine.uscc,
        "kind": "value",
        "field": "land_mu",
        "parcel": parcel.parcel_id,
        "claimed": "1.5",
        "reason": "该地块已于去年退租",
    }
    # Another firm's parcel is not a choice: nothing is filed.
    refused = client.post(url, {**form, "parcel": foreign.parcel_id}, follow=True)
    assert refused.status_code == 200 and "未保存：请按表单中标出的提示修改" in (
        refused.content.decode()
    )
    assert not Objection.objects.exists()
    # Filing for another platform's firm: 404, nothing filed.
    assert client.post(url, {**form, "firm": theirs.uscc}).status_code == 404
    assert not Objection.objects.exists()

    from django.core.files.uploadedfile import SimpleUploadedFile

    done = client.post(url, {**form, "evidence": SimpleUploadedFile("退租协议.pdf", PDF)})
    obj = Objection.objects.get()
    assert done.status_code == 302 and done.url == f"/firm/office/objections/{obj.number}/"
    assert (obj.enterprise, obj.parcel, obj.field) == (mine, parcel.parcel_id, "land_mu")
    assert obj.filed_by.username == "pt_ls01"
    assert ObjectionEvidence.objects.get().objection == obj
    assert "平台代为提出" in obj.steps.get().note

    # Only platform users have the page.
    for username in ("admin", "dept_tax", "leader"):
        assert login(username).get(url).status_code == 403


def test_the_firm_names_a_parcel_only_for_a_land_objection(publicized, client):
    firm = _firm_with_parcels(publicized, "LS01")
    parcel = LandParcel.objects.filter(user=firm).first()
    user = User.objects.create(username="qy_test", role=User.Role.ENTERPRISE, enterprise=firm)
    client.force_login(user)
    page = client.get(f"/firm/runs/{publicized.pk}/").content.decode()
    assert f'<option value="{parcel.parcel_id}">' in page
    answer = client.post(
        f"/firm/runs/{publicized.pk}/object/",
        {
            "kind": "value",
            "field": "tax_wan",
            "parcel": parcel.parcel_id,
            "claimed": "99",
            "reason": "x",
        },
        follow=True,
    )
    assert "只有对用地面积的异议可以指明地块" in answer.content.decode()
    assert not Objection.objects.exists()


def test_a_refused_objection_keeps_every_entry_and_the_chosen_firm_and_says_why_in_words(
    publicized, login
):
    """评价数值错误 without a 数据项 used to answer with the programme's codes of every item, the
    chooser jumped to another firm and the typed 理由 was lost."""
    own = publicized.results.filter(platform_code="LS01").order_by("-name")
    assert own.count() > 50  # the chosen firm is beyond the chooser's first 50
    firm = own.first().enterprise
    client = login("pt_ls01")
    url = f"/firm/office/runs/{publicized.pk}/file/"
    form = {"firm": firm.uscc, "kind": "value", "field": "", "claimed": "12", "reason": "税金漏计"}
    page = client.post(url, form, follow=True).content.decode()
    assert not Objection.objects.exists()
    assert "请选择有异议的数据项" in page
    assert "可选：" not in page and "land_mu（" not in page
    assert f'<option value="{firm.uscc}" selected>' in page
    assert f"<h2>{firm.name}（{firm.uscc}）</h2>" in page
    assert "税金漏计</textarea>" in page and 'value="12"' in page
    # The service says the same in words to every other caller.
    from pingtai.core.refusal import Refused
    from pingtai.firm import objections

    with pytest.raises(Refused) as refused:
        objections.objection_file(
            publicized,
            firm,
            kind="value",
            field="",
            claimed="12",
            parcel="",
            reason="x",
            evidence=[],
            user=User.objects.get(username="pt_ls01"),
        )
    assert refused.value.message == "请选择有异议的数据项"

    # The firm's own form: the same message beside the field, the entries kept.
    user = User.objects.create(username="qy_keep", role=User.Role.ENTERPRISE, enterprise=firm)
    client.force_login(user)
    page = client.post(
        f"/firm/runs/{publicized.pk}/object/", {**form, "firm": ""}, follow=True
    ).content.decode()
    assert not Objection.objects.exists()
    assert "请选择有异议的数据项" in page and "税金漏计</textarea>" in page


def test_objections_wait_in_the_inbox_of_whoever_holds_the_step(publicized, login):
    """A pending objection used to appear on nobody's home, 待办 or 提醒 page; and the platform
    user who filed one on a firm's behalf could pass its own filing on (four eyes)."""
    import datetime as dt

    from pingtai.firm.objections import objection_file, objection_receive
    from pingtai.reporting.inbox import action_count

    own = publicized.results.filter(platform_code="LS01").exclude(klass="T").order_by("uscc")
    firm, other = own[0].enterprise, own[1].enterprise
    account = User.objects.create(username="qy_inbox", role=User.Role.ENTERPRISE, enterprise=firm)
    pt, admin = User.objects.get(username="pt_ls01"), User.objects.get(username="admin")
    before = {u: action_count(u) for u in (pt, admin)}
    obj = objection_file(
        publicized,
        firm,
        kind="value",
        field="tax_wan",
        claimed="123.45",
        reason="漏计",
        user=account,
    )
    assert action_count(pt) == before[pt] + 1 and action_count(admin) == before[admin]
    platform = login("pt_ls01")  # one client: each login() below signs it in as another user
    for url in ("/reporting/inbox/", "/", "/firm/office/reminders/"):
        page = platform.get(url).content.decode()
        assert f"异议 {obj.number}（{firm.name}" in page, url
        assert "平台初核，本环节期限" in page, url
    assert f"待办（{before[pt] + 1}）" in platform.get("/").content.decode()
    assert obj.number not in login("pt_ls02").get("/reporting/inbox/").content.decode()
    assert obj.number not in login("admin").get("/reporting/inbox/").content.decode()

    # Passed on: the tax department's, with 已逾期 once its deadline has passed — then the city
    # administrator's as well, who may decide instead.
    objection_receive(obj, user=pt)
    assert obj.number not in login("pt_ls01").get("/reporting/inbox/").content.decode()
    tax = login("dept_tax").get("/reporting/inbox/").content.decode()
    assert obj.number in tax and "数据主管部门核实，本环节期限" in tax and "，已逾期" not in tax
    Objection.objects.filter(pk=obj.pk).update(due_on=dt.date.today() - dt.timedelta(days=1))
    assert "，已逾期" in login("dept_tax").get("/reporting/inbox/").content.decode()
    city = login("admin").get("/").content.decode()
    assert obj.number in city and "，已逾期" in city

    # Filed by the platform on the firm's behalf: not the filer's to review (refused, with the
    # reason), but another platform user's or the city administrator's.
    filed = objection_file(publicized, other, kind="special", reason="洪灾停产三个月", user=pt)
    assert filed.number not in login("pt_ls01").get("/reporting/inbox/").content.decode()
    answer = (
        login("pt_ls01")
        .post(f"/firm/office/objections/{filed.number}/act/", {"action": "receive"}, follow=True)
        .content.decode()
    )
    assert "是您代企业提出的，平台初核须由本平台其他用户或市级管理员办理" in answer
    filed.refresh_from_db()
    assert filed.stage == "platform" and filed.status == "pending"
    colleague = User.objects.create(
        username="pt_ls01_b", role=User.Role.PLATFORM, platform=firm.platform
    )
    assert filed.number in login("pt_ls01_b").get("/reporting/inbox/").content.decode()
    assert filed.number in login("admin").get("/reporting/inbox/").content.decode()
    objection_receive(filed, user=colleague)
    filed.refresh_from_db()
    assert filed.stage == "city"
    assert "市级管理员处理，本环节期限" in login("admin").get("/reporting/inbox/").content.decode()
