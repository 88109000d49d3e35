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
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from pingtai.accounts.forms import LoginForm
from pingtai.accounts.services import accounts_confirm_totp, accounts_start_totp
from pingtai.audit.models import AuditEvent
from pingtai.audit.services import audit_record


class LoginView(auth_views.LoginView):
    """The one login of the system: password, the second factor where bound, the lockout."""

    template_name = "accounts/login.html"
    authentication_form = LoginForm

    def get_default_redirect_url(self) -> str:
        """An enterprise user's start page is its own firm's (docs/enterprise.md)."""
        if getattr(self.request.user, "is_enterprise", False):
            return reverse("firm:home")
        return super().get_default_redirect_url()

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
        return redirect("firm:home" if user.is_enterprise else "home")
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
            return redirect("firm:home" if request.user.is_enterprise else "home")
        messages.error(request, "动态口令不正确，请核对手机时间后重试")
    device, qr_svg = (None, "") if confirmed else accounts_start_totp(request.user)
    return render(
        request, "accounts/totp.html", {"confirmed": confirmed, "device": device, "qr_svg": qr_svg}
    )
