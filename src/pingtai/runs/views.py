"""Recording what was done about an object whose basis was corrected (docs/runs.md)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from pingtai.accounts.models import User
from pingtai.accounts.scope import role_required
from pingtai.core.refusal import Refused
from pingtai.runs import kernel
from pingtai.runs.models import DerivedFlag


@role_required(User.Role.CITY_ADMIN)
@require_POST
def flag_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    flag = get_object_or_404(DerivedFlag, pk=pk)
    try:
        kernel.resolve_flag(
            flag, user=request.user, note=request.POST.get("note", ""), request=request
        )
        messages.success(request, "已记录处理情况")
    except Refused as refused:
        messages.error(request, refused.message)
    back = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = "/"
    return redirect(back)
