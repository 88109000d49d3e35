"""Shared pieces of the route modules: path parameter bounds, declared error responses and
the role check."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from pingtai.api.schemas import ErrorOut

# Larger ids cannot exist (BigAutoField) and would overflow SQLite's integer type.
MAX_ID = 2**63 - 1
PLATFORM_CODE = r"^[A-Za-z0-9]{1,8}$"
COUNTY_CODE = r"^[0-9]{6}$"
USCC = r"^[0-9A-Za-z]{18}$"
PERIOD_CODE = r"^[0-9]{4}([QqHh][0-9])?$"

READ_ERRORS = {401: ErrorOut, 404: ErrorOut, 422: ErrorOut}
WRITE_ERRORS = {**READ_ERRORS, 400: ErrorOut, 403: ErrorOut, 409: ErrorOut}


def require_role(user, *roles: str) -> None:
    if user.role not in roles:
        raise PermissionDenied("您的角色无权执行此操作")
