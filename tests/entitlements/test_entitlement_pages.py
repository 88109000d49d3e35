"""The 免申即享 pages through the Django client: the city administrator generates a list and
sends it, the agency's department user confirms and records execution (each step only with
the confirmation ticked), other roles see nothing; the firm's portrait shows its own
entitlements; superseding the run marks the issued list 已更正 and flags the firms whose
entitlements change."""

from __future__ import annotations

import pytest

from pingtai.entitlements import services
from pingtai.entitlements.models import EntitlementList
from pingtai.evaluation.models import EnterpriseResult
from pingtai.runs.models import DerivedFlag

pytestmark = pytest.mark.django_db


def test_generate_send_confirm_execute_through_the_pages(published_run, login):
    admin = login("admin")
    page = admin.get("/entitlements/")
    text = page.content.decode()
    assert page.status_code == 200 and "供电公司" in text and "生成名单" in text
    response = admin.post(f"/entitlements/runs/{published_run.pk}/generate/", {"agency": "power"})
    record = EntitlementList.objects.get(run=published_run, agency="power")
    assert response.status_code == 302 and response["Location"] == f"/entitlements/{record.pk}/"
    detail = admin.get(f"/entitlements/{record.pk}/").content.decode()
    assert record.document.files.get().sha256 in detail and "万元" in detail
    assert "power" not in detail and "surcharge" not in detail  # Chinese labels only

    # Without the confirmation ticked nothing happens.
    admin.post(f"/entitlements/{record.pk}/advance/", {"step": "send", "note": "公文交换"})
    record.refresh_from_db()
    assert record.status == "generated"
    admin.post(
        f"/entitlements/{record.pk}/advance/", {"step": "send", "note": "公文交换", "confirm": "1"}
    )
    record.refresh_from_db()
    assert record.status == "sent" and record.sent_by.username == "admin" and record.sent_at

    # The power company's department user confirms and records execution; others cannot.
    eco = login("dept_economy")
    assert eco.get(f"/entitlements/{record.pk}/").status_code == 404
    power = login("dept_power")
    assert "确认接收" in power.get(f"/entitlements/{record.pk}/").content.decode()
    power.post(f"/entitlements/{record.pk}/advance/", {"step": "confirm", "confirm": "1"})
    power.post(
        f"/entitlements/{record.pk}/advance/",
        {"step": "execute", "note": "已随电费加收", "confirm": "1"},
    )
    record.refresh_from_db()
    assert record.status == "executed" and record.executed_by.username == "dept_power"
    assert record.executed_note == "已随电费加收"
    downloaded = power.get(f"/entitlements/{record.pk}/list.xlsx")
    assert downloaded.status_code == 200 and downloaded.content == services.list_file(record)
    assert login("pt_ls01").get("/entitlements/").status_code == 403
    assert login("pt_ls01").get(f"/entitlements/{record.pk}/list.xlsx").status_code == 403


def test_portrait_shows_the_firms_own_entitlements(published_run, login):
    firm = (
        EnterpriseResult.objects.filter(run=published_run, klass="D")
        .exclude(values___carbon=None)
        .first()
    )
    assert firm is not None
    lines = services.run_lines(published_run, firm.uscc)
    power = next(e for e in lines if e.agency == "power")
    page = login("admin").get(f"/evaluation/runs/{published_run.pk}/enterprises/{firm.uscc}/")
    text = page.content.decode()
    assert "免申即享" in text and "差别化电价加价" in text and "供电公司" in text
    assert f"{power.amount_wan:,.4f}" in text and "名单未生成" in text


def test_superseding_the_run_marks_the_list_and_flags_the_firms_that_change(published_run):
    from pingtai.accounts.models import User
    from pingtai.evaluation.services import run_evaluation, run_publish
    from pingtai.registry.models import EnterpriseYear

    admin = User.objects.get(username="admin")
    record = services.generate(published_run, "供电公司", user=admin).record
    # A corrected electricity figure of one class D firm changes its surcharge.
    firm = next(ln for ln in record.lines if ln["klass"] == "D" and ln["amount_wan"])
    year = EnterpriseYear.objects.get(enterprise__uscc=firm["uscc"], year=2024)
    year.electricity_wan_kwh += 100
    year.save()
    new, _ = run_evaluation(2024, "lishui-mujun-default", user=admin)
    run_publish(new, user=admin, supersede=published_run.pk, reason="更正用电量")

    record.refresh_from_db()
    record.document.refresh_from_db()
    assert record.document.is_corrected and record.document.corrected_by_id == new.pk
    flag = DerivedFlag.objects.get(
        object_type="entitlements.EntitlementList", object_id=str(record.pk)
    )
    assert flag.superseding_id == new.pk
    assert firm["uscc"] in {a["code"] for a in flag.affected}
    # The list stays as issued; a new one cannot be made from the superseded run.
    assert services.generate(published_run, "power", user=admin).record == record
    with pytest.raises(Exception, match=f"已被{new.year}年度亩均效益评价第{new.pk}号批次更正取代"):
        services.generate(published_run, "税务局", user=admin)
    fresh = services.generate(new, "power", user=admin)
    assert fresh.created and fresh.record.pk != record.pk


def test_the_firm_sees_its_own_entitlements_on_its_page(published_run, client):
    from pingtai.accounts.models import User

    firm = published_run.results.filter(klass="A").select_related("enterprise").first()
    assert firm is not None
    admin = User.objects.get(username="admin")
    services.generate(published_run, "财政局", user=admin)
    account = User.objects.create(
        username=f"qy{firm.uscc.lower()}", role=User.Role.ENTERPRISE, enterprise=firm.enterprise
    )
    client.force_login(account)
    text = client.get("/firm/").content.decode()
    assert "免申即享" in text and "A 类企业财政奖励" in text and "10.0000 万元" in text
    assert "财政局" in text and "已生成" in text  # the finance list exists, not yet sent
    assert "城镇土地使用税减免比例" in text and "待生成名单" in text
    # Not another firm's lines, and no official page.
    assert client.get("/entitlements/").status_code == 403
