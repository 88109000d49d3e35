"""User administration in the application: the city administrator manages every official
account, a platform user its own platform's; create, disable, reset password, unlock after a
lockout — each audited, each refused outside the manager's scope."""

from __future__ import annotations

import pytest
from django.conf import settings

from pingtai.accounts.models import LoginThrottle, User
from pingtai.accounts.services import DEMO_PASSWORD
from pingtai.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def _new_user(client, **fields):
    data = {
        "username": "zhangsan",
        "full_name": "张三",
        "role": "platform",
        "platform": "",
        "department": "",
    }
    data.update(fields)
    return client.post("/accounts/users/new/", data, follow=True)


def test_city_admin_creates_an_account_with_a_one_time_password_that_must_be_changed(login, client):
    from pingtai.registry.models import Platform

    admin = login("admin")
    page = _new_user(admin, platform=Platform.objects.get(code="LS03").pk).content.decode()
    user = User.objects.get(username="zhangsan")
    assert user.first_name == "张三" and user.platform.code == "LS03" and user.must_change_password
    assert "一次性密码" in page and "张三" in page
    password = page.split('一次性密码：<b class="code login-name">')[1].split("<")[0]
    assert user.check_password(password)
    assert AuditEvent.objects.filter(action="create", object_type="accounts.User").exists()
    # The holder logs in and is sent to choose a password before anything else.
    client.logout()
    client.post("/accounts/login/", {"username": "zhangsan", "password": password})
    assert client.get("/").url == "/accounts/password/"


def test_a_refused_new_account_keeps_its_entries_and_says_why_beside_the_field(login):
    page = _new_user(login("admin"), username="leader", full_name="李四").content.decode()
    assert "登录名“leader”已被使用" in page
    assert 'value="李四"' in page
    assert page.index("已被使用") < page.index('name="username"')
    assert not User.objects.filter(first_name="李四").exists()


def test_platform_user_manages_only_its_own_platform(login):
    from pingtai.registry.models import Platform

    own = login("pt_ls01")
    page = own.get("/accounts/users/").content.decode()
    assert "丽水经开区" in page and "龙泉经开区" not in page and "dept_tax" not in page
    other = User.objects.get(username="pt_ls03")
    refused = own.post(f"/accounts/users/{other.pk}/", {"action": "disable"}, follow=True)
    assert "无权管理该用户" in refused.content.decode()
    assert User.objects.get(pk=other.pk).is_active
    # Another platform is not on offer; the own platform is.
    _new_user(own, username="ls01_wang", platform=Platform.objects.get(code="LS05").pk)
    assert not User.objects.filter(username="ls01_wang").exists()
    _new_user(own, username="ls01_wang", platform=Platform.objects.get(code="LS01").pk)
    assert User.objects.get(username="ls01_wang").platform.code == "LS01"
    refused = _new_user(own, username="boss", role="city_admin")
    assert not User.objects.filter(username="boss").exists()
    assert login("dept_tax").get("/accounts/users/").status_code == 403


def test_disable_enable_and_reset(login, client):
    admin = login("admin")
    target = User.objects.get(username="pt_ls02")
    admin.post(f"/accounts/users/{target.pk}/", {"action": "disable"})
    assert not User.objects.get(pk=target.pk).is_active
    client.logout()
    refused = client.post("/accounts/login/", {"username": "pt_ls02", "password": DEMO_PASSWORD})
    assert refused.status_code == 200
    login("admin").post(f"/accounts/users/{target.pk}/", {"action": "enable"})
    assert User.objects.get(pk=target.pk).is_active
    page = (
        login("admin")
        .post(f"/accounts/users/{target.pk}/", {"action": "reset"}, follow=True)
        .content.decode()
    )
    target.refresh_from_db()
    assert target.must_change_password and not target.check_password(DEMO_PASSWORD)
    assert "一次性密码" in page
    me = User.objects.get(username="admin")
    own = login("admin").post(f"/accounts/users/{me.pk}/", {"action": "disable"}, follow=True)
    assert "不能停用自己的账号" in own.content.decode()
    assert User.objects.get(pk=me.pk).is_active


def test_unlock_after_lockout(login, client):
    limit = settings.PINGTAI_LOGIN_FAILURE_LIMIT
    for _ in range(limit + 1):
        client.post("/accounts/login/", {"username": "pt_ls04", "password": "wrong"})
    locked = client.post("/accounts/login/", {"username": "pt_ls04", "password": DEMO_PASSWORD})
    assert "登录失败次数" in locked.content.decode()
    admin = login("admin")
    assert "登录已锁定" in admin.get("/accounts/users/").content.decode()
    target = User.objects.get(username="pt_ls04")
    admin.post(f"/accounts/users/{target.pk}/", {"action": "unlock"})
    assert not LoginThrottle.objects.filter(username="pt_ls04").exists()
    client.logout()
    again = client.post("/accounts/login/", {"username": "pt_ls04", "password": DEMO_PASSWORD})
    assert again.status_code == 302
