from __future__ import annotations

from typing import cast

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
            user.otp_device = device  # type: ignore[attr-defined]  # set by django-otp, not a field
        login_attempt_succeeded(attempt)
        return cleaned

    @property
    def locked_out(self) -> bool:
        return any(
            error.code in LOCKOUT_CODES for error in self.errors.as_data().get("__all__", [])
        )


class _PlatformChoiceField(forms.ModelChoiceField):
    """Platforms listed by their short names."""

    def label_from_instance(self, obj) -> str:
        return obj.short_name


class UserCreateForm(forms.Form):
    """A new official account; a platform manager's form offers its own platform only."""

    username = forms.CharField(
        label="登录名", max_length=150, help_text="字母、数字或下划线（如姓名拼音），登录时使用"
    )
    full_name = forms.CharField(label="姓名", max_length=150)
    role = forms.ChoiceField(label="角色")
    platform = _PlatformChoiceField(
        label="所属平台（平台用户）", queryset=None, required=False, empty_label="（不属于平台）"
    )
    department = forms.ChoiceField(label="所属部门（部门用户）", required=False)

    def __init__(self, *args, manager=None, **kwargs):
        from pingtai.accounts.models import User
        from pingtai.registry.models import Platform

        super().__init__(*args, **kwargs)
        roles = [(v, label) for v, label in User.Role.choices if v != User.Role.ENTERPRISE]
        platforms = Platform.objects.order_by("code")
        if manager is not None and manager.role == User.Role.PLATFORM:
            roles = [(User.Role.PLATFORM, User.Role.PLATFORM.label)]
            platforms = platforms.filter(pk=manager.platform_id)
        cast(forms.ChoiceField, self.fields["role"]).choices = roles
        platform_field = cast(forms.ModelChoiceField, self.fields["platform"])
        platform_field.queryset = platforms
        cast(forms.ChoiceField, self.fields["department"]).choices = [
            ("", "（不属于部门）"),
            *User.Department.choices,
        ]
