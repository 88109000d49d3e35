"""The audit log is append-only in the application and in the database, and hash-chained."""

from __future__ import annotations

import re

import pytest
from django.db import DatabaseError, connection, transaction

from pingtai.accounts.services import DEMO_PASSWORD
from pingtai.audit.models import AppendOnlyError, AuditEvent
from pingtai.audit.services import audit_record, audit_verify_chain

pytestmark = pytest.mark.django_db


def test_logins_and_failed_logins_are_recorded_with_address(client):
    client.post(
        "/accounts/login/", {"username": "leader", "password": "nope"}, REMOTE_ADDR="10.0.0.7"
    )
    client.post("/accounts/login/", {"username": "leader", "password": DEMO_PASSWORD})
    failed = AuditEvent.objects.filter(action="login_failed").latest("id")
    assert failed.actor_username == "leader" and failed.ip == "10.0.0.7"
    assert AuditEvent.objects.filter(action="login", actor_username="leader").exists()


def test_a_newline_in_a_username_cannot_forge_a_log_line(client):
    client.post("/accounts/login/", {"username": "x\n2026-01-01 admin login", "password": "p"})
    event = AuditEvent.objects.filter(action="login_failed").latest("id")
    assert "\n" not in event.actor_username and "\\n" in event.actor_username


def test_events_cannot_be_changed_or_deleted_through_the_orm():
    event = audit_record(AuditEvent.Action.EXPORT, detail="测试")
    event.detail = "篡改"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(detail="篡改")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()


def test_the_database_itself_refuses_update_and_delete():
    event = audit_record(AuditEvent.Action.EXPORT, detail="测试")
    for sql in (
        "UPDATE audit_auditevent SET detail = 'x' WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).detail == "测试"


def test_the_hash_chain_verifies_and_links_each_event_to_the_previous():
    first = audit_record(AuditEvent.Action.EXPORT, detail="一")
    second = audit_record(AuditEvent.Action.EXPORT, detail="二")
    assert second.prev_hash == first.hash
    assert audit_verify_chain() == []


def test_the_admin_shows_the_log_read_only(login):
    client = login("admin")
    event = audit_record(AuditEvent.Action.EXPORT, detail="可见")
    page = client.get("/admin/audit/auditevent/?q=可见")
    assert page.status_code == 200 and "导出" in page.content.decode()
    detail = client.get(f"/admin/audit/auditevent/{event.pk}/change/")
    assert detail.status_code == 200
    # the kind of object by its name, in the list, its filter and the event page
    from pingtai.registry.models import Platform

    touched = audit_record(
        AuditEvent.Action.EXPORT, obj=Platform.objects.get(code="LS01"), detail="平台导出"
    )
    page = client.get("/admin/audit/auditevent/?q=平台导出").content.decode()
    assert '<td class="field-object_kind">主体平台</td>' in page
    assert "registry.Platform" not in re.sub(r"<[^>]*>", "", page)  # only in the filter's links
    page = client.get(f"/admin/audit/auditevent/{touched.pk}/change/").content.decode()
    assert "registry.Platform" not in re.sub(r"<[^>]*>", "", page) and "主体平台" in page
    assert client.post(f"/admin/audit/auditevent/{event.pk}/delete/").status_code == 403


def test_city_admin_exports_the_log_without_live_formulas(login):
    import csv
    import io

    audit_record(AuditEvent.Action.EXPORT, detail='=HYPERLINK("http://x")')
    client = login("admin")
    response = client.get("/audit/export/?action=export")
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "编号"
    details = [r[10] for r in rows[1:]]
    assert '\'=HYPERLINK("http://x")' in details
    xlsx = client.get("/audit/export/?format=xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert AuditEvent.objects.filter(action="export", detail__startswith="导出审计日志").exists()


@pytest.mark.parametrize("username", ["pt_ls01", "leader", "dept_tax"])
def test_only_the_city_admin_exports_the_log(login, username):
    assert login(username).get("/audit/export/").status_code == 403


def test_changes_in_the_admin_are_audited_with_before_and_after(login):
    from pingtai.registry.models import Platform

    client = login("admin")
    platform = Platform.objects.get(code="LS09")
    page = client.get(f"/admin/registry/platform/{platform.pk}/change/")
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(
        {
            "counties": [c.pk for c in platform.counties.all()],
            "sources": [s.pk for s in platform.sources.all()],
            "staff_count": 77,
            "assumed_fields": '["staff_count"]',
            "leading_industries-TOTAL_FORMS": 0,
            "leading_industries-INITIAL_FORMS": 0,
            "sub_zones-TOTAL_FORMS": 0,
            "sub_zones-INITIAL_FORMS": 0,
        }
    )
    response = client.post(f"/admin/registry/platform/{platform.pk}/change/", data)
    assert response.status_code == 302, (
        response.context["adminform"].form.errors if response.context else ""
    )
    event = AuditEvent.objects.filter(action="update", object_type="registry.Platform").latest("id")
    assert event.after["staff_count"] == 77 and event.before["staff_count"] != 77
