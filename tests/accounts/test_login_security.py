"""Login security at 等保 level 3 (application level) and ASVS V2/V3 (docs/deployment.md)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from pingtai.accounts.middleware import LOGIN_AT
from pingtai.accounts.models import User
from pingtai.accounts.services import DEMO_PASSWORD

pytestmark = pytest.mark.django_db


def _login(client, username="leader", password=DEMO_PASSWORD, **extra):
    return client.post(
        "/accounts/login/",
        {"username": username, "password": password, **extra},
        REMOTE_ADDR="10.1.2.3",
    )


def test_passwords_are_hashed_with_argon2():
    assert User.objects.get(username="leader").password.startswith("argon2")


@pytest.mark.parametrize(
    "weak", ["short1A!", "alllowercaseletters", "ALLUPPER12345678", "12345678901234"]
)
def test_weak_passwords_are_refused_in_chinese(weak):
    with pytest.raises(ValidationError) as refused, translation.override("zh-hans"):
        validate_password(weak, User(username="someone"))
    assert any("密码" in m for m in refused.value.messages)


def test_a_strong_password_passes():
    validate_password("Pingtai#2026-Kx7Lq", User(username="someone"))


def test_login_issues_a_new_session_id(client):
    client.get("/accounts/login/")
    before = client.session.session_key
    _login(client)
    assert client.session.session_key != before


def test_repeated_failures_lock_the_account_on_that_address(client):
    for _ in range(5):
        assert _login(client, password="wrong-Password-1").status_code == 200
    locked = _login(client)  # after the fifth failure the right password no longer helps
    assert locked.status_code == 429
    assert "登录失败次数过多" in locked.content.decode()
    other_address = client.post(
        "/accounts/login/",
        {"username": "leader", "password": DEMO_PASSWORD},
        REMOTE_ADDR="10.9.9.9",
    )
    assert other_address.status_code == 302


def test_idle_timeout_is_thirty_minutes_sliding(client):
    _login(client)
    response = client.get("/")
    assert response.status_code == 200
    assert client.session.get_expiry_age() == 30 * 60
    assert response.cookies["sessionid"]["max-age"] == 30 * 60


def test_sessions_end_after_twelve_hours_whatever_the_activity(client):
    _login(client)
    session = client.session
    session[LOGIN_AT] = time.time() - 12 * 3600 - 1
    session.save()
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert client.get("/").status_code == 302


def test_expired_password_must_be_changed_first(client):
    user = User.objects.get(username="pt_ls07")
    User.objects.filter(pk=user.pk).update(
        password_changed_at=timezone.now() - dt.timedelta(days=120)
    )
    _login(client, "pt_ls07")
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == "/accounts/password/"
    changed = client.post(
        "/accounts/password/",
        {
            "old_password": DEMO_PASSWORD,
            "new_password1": "Xin-Mima#2026a",
            "new_password2": "Xin-Mima#2026a",
        },
    )
    assert changed.status_code == 302
    assert client.get("/").status_code == 200


def test_totp_second_factor_binds_and_is_then_required(client):
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    _login(client, "pt_ls08")
    page = client.get("/accounts/totp/").content.decode()
    assert "<svg" in page
    device = TOTPDevice.objects.get(user__username="pt_ls08", confirmed=False)

    def code() -> str:
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        totp.time = time.time()
        return f"{totp.token():06d}"

    assert (
        client.post(
            "/accounts/totp/", {"token": "000000" if code() != "000000" else "111111"}
        ).status_code
        == 200
    )
    device.refresh_from_db()
    device.throttle_reset()  # a failure throttles the next try for a second (brute-force guard)
    assert client.post("/accounts/totp/", {"token": code()}).status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    client.post("/accounts/logout/")
    missing = _login(client, "pt_ls08")
    assert missing.status_code == 200 and "已启用动态口令" in missing.content.decode()
    device.refresh_from_db()
    device.last_t = -1  # a code may be used once; allow the same window again for the test
    device.save()
    assert _login(client, "pt_ls08", otp_token=code()).status_code == 302


def test_security_headers_and_no_caching_of_signed_in_pages(client):
    _login(client)
    response = client.get("/")
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "no-store"


def test_check_deploy_is_clean_under_production_settings(tmp_path):
    env = {
        **os.environ,
        "PINGTAI_PRODUCTION": "1",
        "PINGTAI_DEBUG": "0",
        "PINGTAI_SECRET_KEY": "x" * 30 + "-production-secret-key-for-the-check",
        "PINGTAI_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pingtai.cli",
            "manage",
            "check",
            "--deploy",
            "--fail-level",
            "WARNING",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
