"""Enterprise accounts: created per platform with one-time passwords on a printable list, the
same login rules as every other role, and a scope of exactly one firm (docs/enterprise.md)."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.test import Client

from pingtai.accounts.models import User
from pingtai.cli import main
from pingtai.registry.models import Enterprise
from tests.web.test_deny_by_default import API_DESCRIPTION, OWN_ACCOUNT, _fill, _patterns

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Qiye-Mima#2026x"


def _list(path) -> list[list]:
    sheet = openpyxl.load_workbook(path).active
    return [list(r) for r in sheet.iter_rows(min_row=3, values_only=True) if isinstance(r[0], int)]


def _login(client: Client, username: str, password: str, ip: str = "10.7.7.7"):
    return client.post(
        "/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def test_cli_creates_one_account_per_firm_with_a_one_time_password(tmp_path, capsys):
    out = tmp_path / "ls01.xlsx"
    assert main(["enterprise-users", "--platform", "LS01", "-o", str(out)]) == 0
    firms = Enterprise.objects.filter(platform__code="LS01").count()
    assert f"新开设企业账号 {firms} 个" in capsys.readouterr().out
    rows = _list(out)
    assert len(rows) == firms
    _, uscc, name, username, password, note = rows[0]
    assert note == "首次登录须修改密码"
    account = User.objects.get(username=username)
    assert account.role == "enterprise" and account.enterprise.uscc == uscc
    assert account.enterprise.name == name and account.must_change_password
    assert account.password.startswith("argon2") and password not in account.password
    assert len({r[4] for r in rows}) == firms  # every firm its own password
    # Again: nobody's password is reset, and the list says so.
    again = tmp_path / "again.xlsx"
    assert main(["enterprise-users", "--platform", "LS01", "-o", str(again)]) == 0
    assert "新开设企业账号 0 个" in capsys.readouterr().out
    assert {r[4] for r in _list(again)} == {None}


def test_only_the_city_admin_or_the_firms_own_platform_creates_accounts(tmp_path, capsys):
    out = tmp_path / "x.xlsx"
    assert (
        main(["enterprise-users", "--platform", "LS01", "-o", str(out), "--user", "pt_ls02"]) == 1
    )
    assert "只有市级管理员或本平台的平台用户" in capsys.readouterr().err
    assert not out.exists()
    assert not User.objects.filter(role="enterprise").exists()
    assert (
        main(["enterprise-users", "--platform", "LS02", "-o", str(out), "--user", "pt_ls02"]) == 0
    )


def test_first_login_forces_a_new_password_then_shows_only_the_own_firm(tmp_path):
    out = tmp_path / "ls01.xlsx"
    main(["enterprise-users", "--platform", "LS01", "-o", str(out)])
    _, uscc, name, username, password, _ = _list(out)[0]
    other = Enterprise.objects.filter(platform__code="LS01").exclude(uscc=uscc).first()
    client = Client()
    assert _login(client, username, password).url == "/firm/"
    forced = client.get("/firm/")
    assert forced.status_code == 302 and forced.url == "/accounts/password/"
    changed = client.post(
        "/accounts/password/",
        {"old_password": password, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert changed.status_code == 302 and changed.url == "/firm/"
    page = client.get("/firm/").content.decode()
    assert name in page and uscc in page and other.name not in page
    assert 'href="/firm/"' in page and "平台体系" not in page  # its own menu only
    # The one-time password no longer works; the new one does.
    client.post("/accounts/logout/")
    assert _login(client, username, password).status_code == 200
    assert _login(client, username, NEW_PASSWORD).status_code == 302


def test_enterprise_logins_lock_after_repeated_failures_like_every_account(tmp_path):
    out = tmp_path / "ls01.xlsx"
    main(["enterprise-users", "--platform", "LS01", "-o", str(out)])
    _, _, _, username, password, _ = _list(out)[0]
    client = Client()
    for _ in range(5):
        assert _login(client, username, "Wrong-Password-9", ip="10.8.8.8").status_code == 200
    assert _login(client, username, password, ip="10.8.8.8").status_code == 429


def test_a_firm_account_gets_nothing_outside_its_own_pages(tmp_path):
    """Bound to a real firm, the enterprise role is still refused every official page."""
    firm = Enterprise.objects.filter(platform__code="LS01").order_by("uscc").first()
    account = User.objects.create(username="qy_test", role="enterprise", enterprise=firm)
    client = Client()
    client.force_login(account)
    leaks = []
    for route, name, _ in _patterns():
        if name in OWN_ACCOUNT or name in API_DESCRIPTION or route.startswith("api/"):
            continue
        if name.startswith("firm:"):
            continue
        path = _fill(route, name)
        response = client.get(path)
        if name == "home":  # ``/`` sends every role to its own start page: the firm's
            assert response.status_code == 302 and response.url == "/firm/"
            continue
        if response.status_code not in (403, 404, 405):
            leaks.append((path, response.status_code))
    assert not leaks, leaks


def test_account_rules_bind_the_enterprise_role_to_exactly_one_firm():
    from django.core.exceptions import ValidationError

    firm = Enterprise.objects.order_by("uscc").first()
    with pytest.raises(ValidationError, match="企业用户必须指定所属企业"):
        User(username="a", role="enterprise").clean()
    with pytest.raises(ValidationError, match="只有企业用户可以指定所属企业"):
        User(username="b", role="leader", enterprise=firm).clean()


def test_the_account_list_is_a_real_spreadsheet_with_codes_as_text(tmp_path):
    out = tmp_path / "ls01.xlsx"
    main(["enterprise-users", "--platform", "LS01", "-o", str(out)])
    book = openpyxl.load_workbook(io.BytesIO(out.read_bytes()))
    sheet = book.active
    assert "一次性初始密码" in str(sheet["A1"].value)
    assert [c.value for c in sheet[2]][:5] == [
        "序号",
        "统一社会信用代码",
        "企业名称",
        "用户名",
        "一次性初始密码",
    ]
    assert sheet["B3"].data_type == "s"


def test_every_role_lands_on_its_own_home_from_the_root_and_the_403_page_leads_there():
    """Logging in from ``/`` (login?next=/) used to put an enterprise user on a 403 page whose
    返回首页 went to ``/`` again (docs/navigation.md: every role has its own start page)."""
    firm = Enterprise.objects.filter(platform__code="LS01").first()
    account = User.objects.create_user(
        "qy_root", password=NEW_PASSWORD, role="enterprise", enterprise=firm
    )
    client = Client()
    landed = client.post(
        "/accounts/login/?next=/", {"username": "qy_root", "password": NEW_PASSWORD}, follow=True
    )
    assert landed.status_code == 200 and landed.redirect_chain[-1][0] == "/firm/"
    assert firm.name in landed.content.decode()
    refused = client.get("/platforms/")
    assert refused.status_code == 403
    assert 'href="/firm/">返回首页' in refused.content.decode()
    assert 'class="brand" href="/firm/"' in refused.content.decode()
    # The officials' home stays ``/``.
    official = Client()
    official.force_login(User.objects.get(username="admin"))
    assert official.get("/").status_code == 200
    account.delete()
