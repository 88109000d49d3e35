"""No way around the login's controls: the admin site, a forged X-Forwarded-For, another
user's lockout, a common or re-used password (ASVS 2.1.7, 2.2.1, 2.5.x; 等保 身份鉴别)."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import RequestFactory, override_settings
from django.utils import timezone

from pingtai.accounts.models import LoginThrottle, User
from pingtai.accounts.net import client_ip
from pingtai.accounts.services import DEMO_PASSWORD
from pingtai.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.5"


def _login(client, username="leader", password=DEMO_PASSWORD, address="10.1.2.3", **extra):
    return client.post(
        "/accounts/login/",
        {"username": username, "password": password, **extra.pop("data", {})},
        REMOTE_ADDR=address,
        **extra,
    )


def _totp_code(device) -> str:
    from django_otp.oath import TOTP

    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():06d}"


# --- the admin site -------------------------------------------------------------------------


def test_posting_the_right_password_to_the_admin_login_does_not_sign_in(client):
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "admin", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=/admin/"
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/registry/platform/").status_code == 302


def test_the_admin_needs_the_second_factor_of_a_user_who_bound_one(client):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    admin = User.objects.get(username="admin")
    device = TOTPDevice.objects.create(user=admin, name="手机令牌", confirmed=True)
    without = _login(client, "admin", data={"next": "/admin/"})
    assert without.status_code == 200 and "已启用动态口令" in without.content.decode()
    assert client.get("/admin/").status_code == 302
    with_code = _login(client, "admin", data={"next": "/admin/", "otp_token": _totp_code(device)})
    assert with_code.status_code == 302 and with_code.url == "/admin/"
    assert client.get("/admin/").status_code == 200


@override_settings(PINGTAI_REQUIRE_2FA=True)
def test_when_2fa_is_required_the_admin_is_closed_until_a_device_is_bound(client):
    assert _login(client, "admin", data={"next": "/admin/"}).status_code == 302
    response = client.get("/admin/registry/platform/")
    assert response.status_code == 302 and response.url == "/accounts/totp/"


# --- the client's address -------------------------------------------------------------------


def _request(remote: str, forwarded: str | None = None):
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote, **extra)


def test_forwarded_for_is_ignored_unless_the_connection_comes_from_a_trusted_proxy():
    assert client_ip(_request("10.9.9.9", "1.2.3.4")) == "10.9.9.9"
    with override_settings(PINGTAI_TRUSTED_PROXIES=[PROXY]):
        assert client_ip(_request("10.9.9.9", "1.2.3.4")) == "10.9.9.9"
        assert client_ip(_request(PROXY, "10.20.30.40")) == "10.20.30.40"
        # A client's own header is to the left of what nginx appended: it cannot choose its address.
        assert client_ip(_request(PROXY, "6.6.6.6, 10.20.30.40")) == "10.20.30.40"
        assert client_ip(_request(PROXY)) == PROXY
        assert client_ip(_request(PROXY, "not-an-address")) == PROXY


def test_a_chain_of_trusted_proxies_is_walked_to_the_first_untrusted_hop():
    with override_settings(PINGTAI_TRUSTED_PROXIES=["10.0.0.0/24", "192.168.7.1"]):
        assert client_ip(_request("10.0.0.7", "6.6.6.6, 10.30.1.2, 192.168.7.1")) == "10.30.1.2"
        assert client_ip(_request("10.0.0.7", "10.0.0.3, 192.168.7.1")) == "10.0.0.3"


@override_settings(PINGTAI_TRUSTED_PROXIES=[PROXY])
def test_the_audit_log_records_the_client_behind_the_proxy_not_the_proxy(client):
    _login(client, address=PROXY, HTTP_X_FORWARDED_FOR="10.44.0.9")
    event = AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN).latest("id")
    assert event.actor_username == "leader" and event.ip == "10.44.0.9"


def test_a_forged_forwarded_for_reaches_neither_the_audit_log_nor_the_lockout(client):
    for _ in range(5):
        _login(client, password="Wrong-Guess-1", address="10.8.8.8", HTTP_X_FORWARDED_FOR="1.1.1.1")
    failed = AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN_FAILED).latest("id")
    assert failed.ip == "10.8.8.8"
    assert _login(client, address="10.8.8.8").status_code == 429
    assert not LoginThrottle.objects.filter(ip="1.1.1.1").exists()


# --- lockout --------------------------------------------------------------------------------


@override_settings(PINGTAI_TRUSTED_PROXIES=[PROXY])
def test_behind_the_proxy_an_attacker_cannot_lock_a_user_out_from_another_address(client):
    for _ in range(5):
        _login(client, password="Wrong-Guess-1", address=PROXY, HTTP_X_FORWARDED_FOR="10.66.0.1")
    assert _login(client, address=PROXY, HTTP_X_FORWARDED_FOR="10.66.0.1").status_code == 429
    own = _login(client, address=PROXY, HTTP_X_FORWARDED_FOR="10.55.0.2")
    assert own.status_code == 302


def test_the_address_throttle_stops_guessing_across_many_accounts(client):
    with override_settings(PINGTAI_LOGIN_ADDRESS_FAILURE_LIMIT=12):
        names = [f"pt_ls{n:02d}" for n in range(1, 5)]
        for name in names:
            for _ in range(3):  # below the per-account limit of 5
                assert _login(client, name, "Wrong-Guess-1", "10.7.7.7").status_code == 200
        refused = _login(client, "pt_ls06", address="10.7.7.7")  # right password, other account
        assert refused.status_code == 429
        assert "本地址的登录失败次数过多" in refused.content.decode()
        assert _login(client, "pt_ls06", address="10.7.7.8").status_code == 302


def test_a_wrong_second_factor_counts_as_a_failed_login(client):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(
        user=User.objects.get(username="pt_ls09"), name="手机令牌", confirmed=True
    )
    wrong = "000000" if _totp_code(device) != "000000" else "111111"
    for _ in range(5):
        device.refresh_from_db()
        device.throttle_reset()
        _login(client, "pt_ls09", address="10.3.3.3", data={"otp_token": wrong})
    assert _login(client, "pt_ls09", address="10.3.3.3").status_code == 429


def test_a_successful_login_clears_the_accounts_failures_and_gives_its_attempt_back(client):
    for _ in range(4):
        _login(client, "pt_ls10", "Wrong-Guess-1", "10.4.4.4")
    assert _login(client, "pt_ls10", address="10.4.4.4").status_code == 302
    assert not LoginThrottle.objects.filter(username="pt_ls10", ip="10.4.4.4").exists()
    address = LoginThrottle.objects.get(scope=LoginThrottle.Scope.ADDRESS, ip="10.4.4.4")
    assert address.failures == 4


def test_a_lock_ends_after_the_cool_off_time(client):
    for _ in range(5):
        _login(client, "pt_ls11", "Wrong-Guess-1", "10.5.5.5")
    assert _login(client, "pt_ls11", address="10.5.5.5").status_code == 429
    LoginThrottle.objects.filter(ip="10.5.5.5").update(
        last_failure_at=timezone.now() - dt.timedelta(hours=1, seconds=1)
    )
    assert _login(client, "pt_ls11", address="10.5.5.5").status_code == 302


def test_an_attempt_refused_by_the_lock_is_audited_without_checking_the_password(client):
    for _ in range(5):
        _login(client, "pt_ls05", "Wrong-Guess-1", "10.6.6.6")
    before = AuditEvent.objects.count()
    _login(client, "pt_ls05", address="10.6.6.6")
    event = AuditEvent.objects.latest("id")
    assert AuditEvent.objects.count() == before + 1
    assert event.action == AuditEvent.Action.LOGIN_FAILED and "未校验密码" in event.detail


# --- passwords ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "common",
    [
        "Password123!",
        "Zhangwei@1990",
        "Wang.Fang-19900815",
        "Lishui#2021!",
        "Lishui-Demo-2021",
        "Hangzhou-Admin-888",
        "Woaini-5201314",
    ],
)
def test_common_and_chinese_context_passwords_are_refused(common):
    with pytest.raises(ValidationError) as refused:
        validate_password(common, User(username="someone"))
    assert any(e.code == "password_too_common" for e in refused.value.error_list)


def test_the_demo_password_passes_the_rules_it_asks_of_everyone():
    for username in ("admin", "leader", "pt_ls01", "dept_tax"):
        validate_password(DEMO_PASSWORD, User(username=username))


def test_the_current_password_cannot_be_set_again_nor_restart_its_validity(client):
    user = User.objects.get(username="pt_ls04")
    aged = timezone.now() - dt.timedelta(days=80)
    User.objects.filter(pk=user.pk).update(password_changed_at=aged)
    client.force_login(user)
    response = client.post(
        "/accounts/password/",
        {
            "old_password": DEMO_PASSWORD,
            "new_password1": DEMO_PASSWORD,
            "new_password2": DEMO_PASSWORD,
        },
    )
    assert response.status_code == 200 and "新密码不能与当前密码相同" in response.content.decode()
    user.refresh_from_db()
    assert user.password_changed_at == aged
    user.set_password(DEMO_PASSWORD)  # any other path that sets the same password again
    assert user.password_changed_at == aged
    user.set_password("Xin-Mima#2026-Qiu")
    assert user.password_changed_at > aged
