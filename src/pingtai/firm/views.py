"""The enterprise user's pages: its own firm only, laid out for a phone (docs/enterprise.md)."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from pingtai.accounts.models import User
from pingtai.accounts.scope import AuthenticatedRequest, own_enterprise, role_required
from pingtai.firm import selectors

ENTERPRISE = (User.Role.ENTERPRISE,)


@role_required(*ENTERPRISE)
def home(request: AuthenticatedRequest) -> HttpResponse:
    firm = own_enterprise(request.user)
    return render(
        request,
        "firm/home.html",
        {"firm": firm, "results": list(selectors.own_results(request.user)[:10])},
    )
