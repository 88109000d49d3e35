"""Deny by default (docs/api.md): every page, export, file download and API operation names the
roles it admits, and a role it does not name — the coming enterprise role, or any value the
code does not know — sees nothing: 403 or 404 on every URL pattern and API operation, no menu,
empty selectors. The walk is over the URL resolver itself, so a view added later without a
role check fails here."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from pingtai.accounts.models import User
from pingtai.accounts.scope import (
    enterprises_for,
    platforms_for,
    requirements_for,
)
from pingtai.registry.models import Enterprise, Platform

pytestmark = pytest.mark.django_db

OUTSIDERS = ["enterprise", "unknown_role"]
# Pages about one's own account, and the API's description: they show no programme data.
OWN_ACCOUNT = {"login", "logout", "password_change", "totp_setup"}
API_DESCRIPTION = {"api:openapi-json", "api:openapi-view", "api:api-root"}


def _patterns(resolver=None, prefix: str = "", namespace: str | None = None):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if str(entry.pattern).startswith("admin/"):
                continue
            yield from _patterns(entry, prefix + str(entry.pattern), entry.namespace or namespace)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace else entry.name
            yield prefix + str(entry.pattern), name, entry.callback


def _fill(route: str, name: str) -> str:
    """A concrete path: real codes and ids where the test database has them."""
    from pingtai.reporting.models import ReportingPeriod, Requirement

    platform = "LS01"
    uscc = Enterprise.objects.order_by("uscc").values_list("uscc", flat=True).first()
    period = ReportingPeriod.objects.values_list("code", flat=True).first() or "2025Q4"
    requirement = Requirement.objects.values_list("pk", flat=True).first() or 1
    values = {
        "code": period if name.startswith("reporting:") else platform,
        "uscc": uscc,
        "link": "x",
        "fmt": "xlsx",
        "year": "2024",
    }

    def replace(match: re.Match) -> str:
        key = match.group("name")
        if key in values:
            return str(values[key])
        return str(requirement if name.startswith(("reporting:", "api:")) else 1)

    path = re.sub(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>", replace, route)
    return "/" + path


@pytest.fixture
def opened_quarter():
    from pingtai.reporting.services import period_open

    return period_open(
        "2025Q4", user=User.objects.get(username="admin"), deadline=dt.date(2026, 1, 20)
    )


@pytest.fixture(params=OUTSIDERS)
def outsider(request):
    return User.objects.create(username=f"qiye_{request.param}", role=request.param)


def test_every_page_names_the_roles_it_admits_and_none_is_an_outsider():
    """The enterprise role is admitted to its own firm's pages (the ``firm`` namespace) and to
    nothing else; those pages admit no other role."""
    unnamed, admitting, firm_pages = [], [], []
    for route, name, view in _patterns():
        if name in OWN_ACCOUNT or name in API_DESCRIPTION or route.startswith("api/"):
            continue
        roles = getattr(view, "admitted_roles", None)
        if roles is None:
            unnamed.append(route)
        elif name.startswith("firm:"):
            firm_pages.append(route)
            assert set(roles) == {"enterprise"}, (route, roles)
        elif set(roles) & set(OUTSIDERS):
            admitting.append(route)
    assert not unnamed, f"views without a named role list: {unnamed}"
    assert not admitting
    assert firm_pages


def test_every_api_operation_checks_the_role_first():
    from pingtai.api.api import api

    unchecked = []
    for _, router in api._routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                if "require_role" not in operation.view_func.__code__.co_names:
                    unchecked.append(f"{operation.methods} {path}")
    assert not unchecked, unchecked


def test_an_outsider_gets_403_or_404_on_every_url(outsider, opened_quarter):
    client = Client()
    client.force_login(outsider)
    leaks = []
    for route, name, _ in _patterns():
        if name in OWN_ACCOUNT or name in API_DESCRIPTION or route.startswith("api/"):
            continue
        path = _fill(route, name)
        for method in ("get", "post"):
            response = getattr(client, method)(path)
            if response.status_code not in (403, 404, 405):
                leaks.append((method, path, response.status_code))
    assert not leaks, leaks


def test_the_outsider_has_no_menu_and_no_admin(outsider):
    client = Client()
    client.force_login(outsider)
    page = client.get("/accounts/password/").content.decode()
    assert "平台体系" not in page and "管理后台" not in page
    outsider.is_staff = True
    outsider.save()
    assert client.get("/admin/").status_code == 302  # not let into the admin site


def test_an_outsiders_api_token_reads_and_writes_nothing(outsider, opened_quarter):
    from pingtai.api.services import token_create

    _, raw = token_create(outsider, "测试")
    headers = {"Authorization": f"Bearer {raw}"}
    client = Client()
    leaks = []
    for route, name, _ in _patterns():
        if not route.startswith("api/") or name in API_DESCRIPTION:
            continue
        path = "/" + re.sub(r"<(\w+)>", lambda m: _api_value(m.group(1)), route)
        for method in ("get", "post"):
            response = getattr(client, method)(
                path, {}, content_type="application/json", headers=headers
            )
            # 422: the empty body was refused before the role check; it carries no data.
            if response.status_code not in (403, 404, 405, 422):
                leaks.append((method, path, response.status_code))
    assert not leaks, leaks


def _api_value(name: str) -> str:
    from pingtai.reporting.models import Requirement

    if name == "code":
        return "LS01"
    if name == "uscc":
        return Enterprise.objects.order_by("uscc").values_list("uscc", flat=True).first()
    return str(Requirement.objects.values_list("pk", flat=True).first() or 1)


def test_selectors_give_an_outsider_nothing(outsider, opened_quarter):
    assert not platforms_for(outsider).exists()
    assert not enterprises_for(outsider).exists()
    assert not requirements_for(outsider).exists()
    assert Platform.objects.exists() and requirements_for(User.objects.get(username="admin"))


def test_the_allocation_evaluation_and_league_selectors_give_an_outsider_nothing(outsider):
    from pingtai.allocation import selectors as allocation
    from pingtai.league.selectors import runs_for as league_runs

    assert not league_runs(outsider).exists()
    assert not allocation.runs_for(outsider).exists()
    assert not allocation.proposals_for(outsider).exists()
    assert not allocation.commitments_for(outsider).exists()
    assert not allocation.evaluations_for(outsider).exists()
