"""The menu by job and each role's own start page (docs/navigation.md)."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db

GROUPS = ["数据", "评价", "考评", "配置", "规划", "督查", "驾驶舱"]


def _menu(body: str) -> list[str]:
    nav = body.split('<nav aria-label="主菜单">')[1].split("</nav>")[0]
    return re.findall(r'class="(?:menu-toggle|top-item)"[^>]*>([^<]+)<', nav)


def test_the_menu_is_grouped_by_job_in_the_agreed_order(login):
    body = login("admin").get("/platforms/").content.decode()
    shown = [label for label in _menu(body) if not label.startswith("待办")]
    groups = [g for g in shown if g in GROUPS or g == "作战图"]
    assert [g for g in groups if g != "作战图"] == [g for g in GROUPS if g != "督查"]
    assert len(_menu(body)) <= 9  # 待办 + seven groups: no 16 entries on one line


def test_the_user_menu_offers_password_2fa_help_and_for_admins_user_administration(login):
    admin = login("admin").get("/platforms/").content.decode()
    for label in ("修改密码", "两步验证设置", "使用帮助", "用户管理", "管理后台", "退出"):
        assert label in admin.split('class="who menu"')[1]
    leader = login("leader").get("/platforms/").content.decode()
    who = leader.split('class="who menu"')[1]
    assert "修改密码" in who and "用户管理" not in who and "管理后台" not in who


def test_each_role_lands_on_its_own_home(login):
    leader = login("leader").get("/").content.decode()
    assert "驾驶舱" in leader and 'id="chart-trend"' in leader
    platform = login("pt_ls01").get("/").content.decode()
    assert "我的工作台" in platform and "作战图任务" in platform
    department = login("dept_tax").get("/").content.decode()
    assert "我的工作台" in department and "作战图任务" not in department
    admin = login("admin").get("/").content.decode()
    assert "我的工作台" in admin and "待审核" in admin


def test_help_pages_describe_each_roles_jobs(login):
    for username, words in (
        ("pt_ls01", ["上传", "提交审核", "作战图"]),
        ("dept_tax", ["下载填报模板", "上传"]),
        ("admin", ["开启填报期", "审核", "发布", "用户管理"]),
        ("leader", ["驾驶舱", "地图"]),
    ):
        body = login(username).get("/help/").content.decode()
        for word in words:
            assert word in body, (username, word)
