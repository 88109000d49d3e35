"""Pages over real HTTP requests through Django's test client, as each role."""

from __future__ import annotations

import pytest

from pingtai.accounts.services import DEMO_PASSWORD
from pingtai.registry.models import Enterprise, Platform

pytestmark = pytest.mark.django_db


def test_anonymous_visitors_are_sent_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_login_with_demo_password_then_the_platform_list_names_all_eleven(client):
    response = client.post("/accounts/login/", {"username": "leader", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    page = client.get("/platforms/").content.decode()
    platforms = list(Platform.objects.values_list("name", flat=True))
    assert len(platforms) == 11
    for name in platforms:
        assert name in page
    for role in ("一心", "两翼", "三片区"):
        assert f"<h2>{role}</h2>" in page
    assert "演示数据（合成）" in page


def test_wrong_password_is_refused_in_chinese(client):
    response = client.post("/accounts/login/", {"username": "leader", "password": "wrong-password"})
    assert response.status_code == 200
    assert "用户名或密码不正确" in response.content.decode()


def test_admin_signs_in_through_the_application_login_and_speaks_chinese(client):
    assert client.get("/admin/").url == "/admin/login/?next=/admin/"
    assert client.get("/admin/login/?next=/admin/").url == "/accounts/login/?next=/admin/"
    response = client.post(
        "/accounts/login/?next=/admin/",
        {"username": "admin", "password": DEMO_PASSWORD, "next": "/admin/"},
    )
    assert response.status_code == 302 and response.url == "/admin/"
    page = client.get("/admin/registry/platform/")
    assert page.status_code == 200
    assert "主体平台" in page.content.decode()


def test_platform_user_cannot_open_the_admin(login):
    client = login("pt_ls02")
    assert client.get("/admin/").status_code == 302  # sent to the admin login, not let in


def test_platform_detail_shows_areas_in_mu_and_km2(login):
    page = login("leader").get("/platforms/LS01/").content.decode()
    assert "丽水经济技术开发区" in page
    assert "km²" in page and "亩" in page
    # the notes without source codes or file names, the posts with their unit
    assert "核心区审核面积5.65平方公里；" in page and "（S04）" not in page
    assert "4 名" in page
    ls11 = login("leader").get("/platforms/LS11/").content.decode()
    assert ".csv" not in ls11 and "S18" not in ls11


def test_platform_user_opens_its_own_restricted_page(login):
    own = Platform.objects.get(code="LS03")
    response = login("pt_ls03").get(f"/platforms/{own.code}/enterprises/")
    assert response.status_code == 200
    body = response.content.decode()
    first = Enterprise.objects.filter(platform=own).order_by("uscc").first()
    assert own.name in body
    assert "演示数据（合成）" in body
    search = login("pt_ls03").get(f"/platforms/LS03/enterprises/?q={first.uscc}")
    assert first.name in search.content.decode()


@pytest.mark.parametrize("other", ["LS01", "LS02", "LS04", "LS11"])
def test_platform_user_gets_404_for_another_platforms_enterprises(login, other):
    client = login("pt_ls03")
    assert client.get(f"/platforms/{other}/enterprises/").status_code == 404
    foreign = Enterprise.objects.filter(platform__code=other).first()
    assert client.get(f"/enterprises/{foreign.uscc}/").status_code == 404


def test_platform_user_reads_its_own_enterprise(login):
    mine = Enterprise.objects.filter(platform__code="LS03").first()
    response = login("pt_ls03").get(f"/enterprises/{mine.uscc}/")
    assert response.status_code == 200
    assert mine.uscc in response.content.decode()


def test_city_roles_see_every_platforms_enterprises(login):
    for username in ("admin", "leader"):
        client = login(username)
        for code in ("LS01", "LS11"):
            assert client.get(f"/platforms/{code}/enterprises/").status_code == 200


def test_restricted_link_is_shown_only_in_scope(login):
    client = login("pt_ls03")
    assert "查看本平台企业数据" in client.get("/platforms/LS03/").content.decode()
    assert "查看本平台企业数据" not in client.get("/platforms/LS04/").content.decode()


def test_as_of_page_accepts_a_date_and_rejects_garbage_politely(login):
    client = login("leader")
    assert client.get("/registry/as-of/?date=2019-12-31").status_code == 200
    response = client.get("/registry/as-of/?date=2019-13-45")
    assert response.status_code == 200
    assert "格式不正确" in response.content.decode()


def test_static_assets_are_served_by_the_application(client):
    response = client.get("/static/pingtai/site.css")
    assert response.status_code == 200
    css = b"".join(response.streaming_content) if response.streaming else response.content
    assert b"--brand" in css
