"""Login (also for the admin site), own-account pages: password change and the optional TOTP
second factor."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from pingtai.accounts.forms import LoginForm
from pingtai.accounts.models import User
from pingtai.accounts.scope import role_home, role_required
from pingtai.accounts.services import accounts_confirm_totp, accounts_start_totp
from pingtai.audit.models import AuditEvent
from pingtai.audit.services import audit_record
from pingtai.core import terms


class LoginView(auth_views.LoginView):
    """The one login of the system: password, the second factor where bound, the lockout."""

    template_name = "accounts/login.html"
    authentication_form = LoginForm

    def get_default_redirect_url(self) -> str:
        """Each role's own start page (docs/navigation.md)."""
        return role_home(self.request.user)

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        if isinstance(form, LoginForm) and form.locked_out:
            return render(
                self.request,
                "accounts/locked.html",
                {"message": form.non_field_errors()[0]},
                status=429,
            )
        return super().form_invalid(form)


def admin_login(request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
    """The admin site signs in through the application's login, so the lockout and the second
    factor cannot be skipped by logging in at /admin/login/."""
    return redirect_to_login(request.GET.get("next") or reverse("admin:index"))


@login_required
def password_change(request):
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            user = form.save()
            audit_record(AuditEvent.Action.UPDATE, request=request, obj=user, detail="修改密码")
        update_session_auth_hash(request, user)
        messages.success(request, "密码已修改")
        return redirect(role_home(user))
    return render(request, "accounts/password_change.html", {"form": form})


@login_required
def totp_setup(request):
    """Bind an authenticator app: show the key as a QR code, confirm with one code."""
    confirmed = TOTPDevice.objects.filter(user=request.user, confirmed=True).exists()
    if request.method == "POST" and not confirmed:
        device = accounts_confirm_totp(request.user, request.POST.get("token", ""), request=request)
        if device is not None:
            otp_login(request, device)
            messages.success(request, "动态口令已启用，今后登录需输入动态口令")
            return redirect(role_home(request.user))
        messages.error(request, "动态口令不正确，请核对手机时间后重试")
    device, qr_svg = (None, "") if confirmed else accounts_start_totp(request.user)
    return render(
        request, "accounts/totp.html", {"confirmed": confirmed, "device": device, "qr_svg": qr_svg}
    )


def _manager(request) -> None:
    from django.core.exceptions import PermissionDenied

    from pingtai.accounts.users import can_manage_users

    if not can_manage_users(request.user):
        raise PermissionDenied("只有市级管理员和平台用户可以管理用户")


@role_required(User.Role.CITY_ADMIN, User.Role.PLATFORM)
def users(request):
    """Accounts this manager administers, with their state (停用, 锁定, 须改密码)."""
    from pingtai.accounts.forms import UserCreateForm
    from pingtai.accounts.users import locked_usernames, managed_users
    from pingtai.web.forms import restore_form

    _manager(request)
    accounts = list(managed_users(request.user))
    locked = locked_usernames([u.username for u in accounts])
    form = restore_form(request, "user-create", UserCreateForm, manager=request.user)
    return render(
        request,
        "accounts/users.html",
        {
            "rows": [(u, u.username in locked) for u in accounts],
            "form": form,
            "created": request.session.pop("user-created", None),
        },
    )


@role_required(User.Role.CITY_ADMIN, User.Role.PLATFORM)
@require_POST
def user_create(request):
    from pingtai.accounts.forms import UserCreateForm
    from pingtai.accounts.users import user_create as create
    from pingtai.core.refusal import Refused
    from pingtai.web.forms import refuse_form

    _manager(request)
    form = UserCreateForm(request.POST, manager=request.user)
    if not form.is_valid():
        refuse_form(request, "user-create")
        return redirect("users")
    data = form.cleaned_data
    try:
        account = create(
            request.user,
            username=data["username"],
            full_name=data["full_name"],
            role=data["role"],
            platform=data["platform"],
            department=data["department"],
            request=request,
        )
    except Refused as refused:
        refuse_form(request, "user-create", refused)
        return redirect("users")
    # Shown once on the next page, never stored in a message that could be logged.
    request.session["user-created"] = [account.user.username, account.one_time_password]
    messages.success(request, f"已新建用户：{terms.person_name(account.user)}")
    return redirect("users")


@role_required(User.Role.CITY_ADMIN, User.Role.PLATFORM)
@require_POST
def user_action(request, pk: int):
    from pingtai.accounts import users as service
    from pingtai.core.refusal import Refused

    _manager(request)
    action = request.POST.get("action", "")
    try:
        user = service.managed_user(request.user, pk)
        name = terms.person_name(user)
        if action == "disable":
            service.user_set_active(request.user, user, False, request=request)
            messages.success(request, f"已停用：{name}（{user.username}）")
        elif action == "enable":
            service.user_set_active(request.user, user, True, request=request)
            messages.success(request, f"已启用：{name}（{user.username}）")
        elif action == "reset":
            password = service.user_reset_password(request.user, user, request=request)
            request.session["user-created"] = [user.username, password]
            messages.success(request, f"已重置 {name} 的密码，请把一次性密码告知本人")
        elif action == "unlock":
            cleared = service.user_unlock(request.user, user, request=request)
            messages.success(request, f"已解除 {name} 的登录锁定（{cleared} 条记录）")
        else:
            messages.error(request, "操作无效，请刷新页面后重试")
    except Refused as refused:
        messages.error(request, refused.message)
    return redirect("users")
