"""Session and response hardening (ASVS 3.3.2, 14.3.2; 等保 登录超时退出).

Idle timeout is Django's sliding SESSION_COOKIE_AGE; the absolute limit, password expiry and
the optional mandatory second factor are enforced here on every request.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpResponseBadRequest, QueryDict
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
                if getattr(user, "must_change_password", False):
                    messages.warning(request, "这是系统发放的一次性初始密码，请先设置自己的密码")
                    return redirect("password_change")
                if _password_expired(user):
                    messages.warning(request, "密码已超过有效期，请先修改密码")
                    return redirect("password_change")
        return self.get_response(request)


def _password_expired(user) -> bool:
    days = settings.PINGTAI_PASSWORD_MAX_AGE_DAYS
    changed = user.password_changed_at
    return bool(days) and changed is not None and (timezone.now() - changed).days >= days


class RefuseNulMiddleware:
    """No text of this system contains NUL and PostgreSQL text cannot hold it, so a page request
    with NUL in its path, query or form fields is answered 400 before any view looks the value
    up (on PostgreSQL a lookup alone would fail with a server error). The API validates its own
    parameters (patterns exclude NUL) and answers in its documented format."""

    MESSAGE = "请求中含有空字符（NUL），已拒绝。"

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/api/") and (
            "\x00" in request.path
            or _has_nul(request.GET)
            or (request.method == "POST" and _has_nul(request.POST))
        ):
            return HttpResponseBadRequest(self.MESSAGE, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


def _has_nul(params: QueryDict) -> bool:
    return any("\x00" in key or any("\x00" in v for v in values) for key, values in params.lists())


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
