"""Session and response hardening (ASVS 3.3.2, 14.3.2; 等保 登录超时退出).

Idle timeout is Django's sliding SESSION_COOKIE_AGE; the absolute limit, password expiry and
the optional mandatory second factor are enforced here on every request.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

LOGIN_AT = "pingtai_login_at"
EXEMPT_PREFIXES = ("/accounts/", "/static/", "/admin/logout/")


def _exempt(path: str) -> bool:
    return path.startswith(EXEMPT_PREFIXES)


class SessionPolicyMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            started = request.session.get(LOGIN_AT)
            if started is None or time.time() - started > settings.PINGTAI_SESSION_ABSOLUTE_SECONDS:
                logout(request)
                messages.info(request, "登录已超过最长时限，请重新登录")
                return redirect(f"{reverse('login')}?next={request.path}")
            if not _exempt(request.path):
                if settings.PINGTAI_REQUIRE_2FA and not user.is_verified():
                    return redirect("totp_setup")
                if _password_expired(user):
                    messages.warning(request, "密码已超过有效期，请先修改密码")
                    return redirect("password_change")
        return self.get_response(request)


def _password_expired(user) -> bool:
    days = settings.PINGTAI_PASSWORD_MAX_AGE_DAYS
    changed = user.password_changed_at
    return bool(days) and changed is not None and (timezone.now() - changed).days >= days


class SecurityHeadersMiddleware:
    """A strict Content-Security-Policy (every asset is local), and no caching of pages that
    carry a signed-in user's data."""

    CSP = (
        "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self'; connect-src 'self'; font-src 'self' data:; object-src 'none'; "
        "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    )

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", self.CSP)
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not request.path.startswith("/static/"):
            response["Cache-Control"] = "no-store"
        return response
