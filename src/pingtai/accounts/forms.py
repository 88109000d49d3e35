from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django_otp import devices_for_user, match_token


class LoginForm(AuthenticationForm):
    """Password, plus the TOTP code for users who have bound an authenticator."""

    otp_token = forms.CharField(label="动态口令", required=False, max_length=8)

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "用户名或密码不正确，请重新输入。",
        "otp_required": "该账号已启用动态口令，请输入手机令牌上的 6 位数字。",
        "otp_invalid": "动态口令不正确或已过期，请核对手机时间后重试。",
    }

    def clean(self):
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
        return cleaned
