"""No 500 on any route with hostile text: every field name of every form in the project is sent,
as query string and as POST data, to every URL pattern, filled with control characters, NUL,
formulas, markup, right-to-left overrides, very long and non-BMP text; path parameters get the
same. A sweep with fixed values first, then hypothesis-generated text. The HTTP API has its own
schema-driven fuzz test (tests/api/test_api_schemathesis.py).

Django's test client re-raises any exception a view lets escape, so a 500 fails the test with
its traceback."""

from __future__ import annotations

import importlib
import inspect
import re
from functools import lru_cache
from urllib.parse import quote

import pytest
from django import forms
from django.apps import apps
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pingtai.accounts.models import User

pytestmark = pytest.mark.django_db

HOSTILE = [
    "\x00",
    "控制\x07\x1b[31m字符\x0b\x0c",
    '=HYPERLINK("http://evil.example","点")',
    "+cmd|' /C calc'!A0",
    "<script>alert(1)</script><img src=x onerror=alert(1)>",
    "\u202e反转\u202d",
    "'; DROP TABLE registry_platform; --",
    "../../etc/passwd",
    "𠮷" * 300,
    "9" * 400,
    "-1e309",
    "2024-02-30",
    " ",
]
SKIP = {"logout", "api"}  # logging out ends the walk; the API has its own fuzz test


@lru_cache(maxsize=1)
def form_fields() -> tuple[str, ...]:
    """Every field name of every form class the project defines (its apps' forms modules)."""
    names: set[str] = set()
    for config in apps.get_app_configs():
        if not config.name.startswith("pingtai."):
            continue
        try:
            module = importlib.import_module(f"{config.name}.forms")
        except ModuleNotFoundError:
            continue
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, forms.BaseForm) and cls.__module__ == module.__name__:
                names.update(cls.base_fields)
    return tuple(sorted(names))


@lru_cache(maxsize=1)
def routes() -> tuple[tuple[str, str], ...]:
    found: list[tuple[str, str]] = []

    def walk(resolver, prefix: str, namespace: str | None) -> None:
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                if str(entry.pattern).startswith(("admin/", "api/")):
                    continue
                walk(entry, prefix + str(entry.pattern), entry.namespace or namespace)
            elif isinstance(entry, URLPattern) and entry.name not in SKIP:
                found.append((prefix + str(entry.pattern), entry.name or ""))

    walk(get_resolver(), "", None)
    return tuple(found)


def _path(route: str, text: str, real: bool) -> str:
    """Ints get an id that exists or not; str parameters get the hostile text itself, or (real)
    a code that exists, so that the view gets past its lookup to its form."""
    from pingtai.registry.models import Enterprise

    def fill(match: re.Match) -> str:
        converter, name = match.group(1) or "str", match.group(2)
        if converter == "int":
            return "1"
        if converter == "any_fmt":
            return "xlsx"
        if real:
            if name == "uscc":
                return Enterprise.objects.order_by("uscc").values_list("uscc", flat=True)[0]
            return "2025Q4" if route.startswith("reporting/") else "LS01"
        return quote(text, safe="") or "x"

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", fill, route)


def _payload(texts: list[str]) -> dict[str, str]:
    fields = form_fields()
    return {name: texts[i % len(texts)] for i, name in enumerate(fields)}


@pytest.fixture
def quarter():
    import datetime as dt

    from pingtai.reporting.services import period_open

    return period_open(
        "2025Q4", user=User.objects.get(username="admin"), deadline=dt.date(2026, 1, 20)
    )


@pytest.fixture
def officials():
    admin, platform_user = Client(), Client()
    admin.force_login(User.objects.get(username="admin"))
    platform_user.force_login(User.objects.get(username="pt_ls01"))
    return [admin, platform_user]


def test_the_forms_have_text_fields_to_fuzz():
    assert len(form_fields()) > 30 and "title" in form_fields()
    assert len(routes()) >= 100


def test_every_route_answers_fixed_hostile_text_without_a_server_error(officials, quarter):
    for client in officials:
        for index, (route, _) in enumerate(routes()):
            text = HOSTILE[index % len(HOSTILE)]
            rotated = HOSTILE[index % len(HOSTILE) :] + HOSTILE[: index % len(HOSTILE)]
            for real in (False, True):
                path = _path(route, text, real)
                for method in ("get", "post"):
                    response = getattr(client, method)(path, _payload(rotated))
                    assert response.status_code < 500, (method, path)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    route=st.integers(min_value=0, max_value=10_000),
    method=st.sampled_from(["get", "post"]),
    texts=st.lists(st.text(max_size=300), min_size=1, max_size=6),
    who=st.integers(min_value=0, max_value=1),
    real=st.booleans(),
)
def test_hypothesis_text_on_any_route_never_gives_a_server_error(
    officials, quarter, route, method, texts, who, real
):
    chosen, _ = routes()[route % len(routes())]
    path = _path(chosen, texts[0], real)
    response = getattr(officials[who], method)(path, _payload(texts))
    assert response.status_code < 500, (method, path)


def test_nul_in_a_path_query_or_form_field_is_refused_with_400_not_looked_up(officials):
    admin = officials[0]
    for response in (
        admin.get("/planning/chains/%00/"),
        admin.get("/platforms/LS01/enterprises/", {"q": "a\x00b"}),
        admin.post("/supervision/platforms/LS01/tasks/new/", {"title": "\x00"}),
    ):
        assert response.status_code == 400
        assert "空字符" in response.content.decode()
