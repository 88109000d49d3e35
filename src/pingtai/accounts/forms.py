from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django_otp import devices_for_user, match_token

from pingtai.accounts.lockout import login_attempt_begin, login_attempt_succeeded
from pingtai.core.refusal import Refused

LOCKOUT_CODES = ("login_locked", "login_throttled")


class LoginForm(AuthenticationForm):
    """Password, plus the TOTP code for users who have bound an authenticator. The attempt is
    counted before either is checked (pingtai.accounts.lockout) and forgiven only when both are
    right, so a wrong second factor counts as a failure too."""

    otp_token = forms.CharField(label="动态口令", required=False, max_length=8)

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "用户名或密码不正确，请重新输入。",
        "otp_required": "该账号已启用动态口令，请输入手机令牌上的 6 位数字。",
        "otp_invalid": "动态口令不正确或已过期，请核对手机时间后重试。",
    }

    def clean(self):
        username = self.cleaned_data.get("username")
        if username is None or not self.cleaned_data.get("password"):
            return super().clean()
        try:
            attempt = login_attempt_begin(username, self.request)
        except Refused as refused:
            raise forms.ValidationError(refused.message, code=refused.code) from None
        cleaned = super().clean()
        user = self.get_user()
        if user is not None and any(devices_for_user(user, confirmed=True)):
            token = (cleaned.get("otp_token") or "").strip()
            if not token:
                raise forms.ValidationError(
                    self.error_messages["otp_required"], code="otp_required"
                )
            device = match_token(user, token)
            if device is None:
                raise forms.ValidationError(self.error_messages["otp_invalid"], code="otp_invalid")
            # django-otp's login signal handler marks the session verified with this device.
            user.otp_device = device
        login_attempt_succeeded(attempt)
        return cleaned

    @property
    def locked_out(self) -> bool:
        return any(
            error.code in LOCKOUT_CODES for error in self.errors.as_data().get("__all__", [])
        )
