"""The publish panel shared by the 亩均, league and allocation run pages: what is current,
what is missing, the confirmation, and the call into the kernel (docs/runs.md)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest

from pingtai.core.refusal import Refused
from pingtai.runs import kernel
from pingtai.runs.models import FrozenRun, RunStatus
from pingtai.web.forms import form_errors


class PublishForm(forms.Form):
    confirm = forms.BooleanField(
        label="我已核对本批次结果，确认发布（发布后不可更改）",
        error_messages={"required": "请勾选确认后再发布"},
    )
    supersede = forms.IntegerField(required=False, widget=forms.HiddenInput)
    reason = forms.CharField(
        label="更正理由（取代现行结果时必填）",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    override_reason = forms.CharField(
        label="报送未齐仍发布的理由",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def publish_panel(run: FrozenRun, user: Any, form: PublishForm | None = None) -> dict[str, Any]:
    """Template context for the panel: the current run of the key, the missing reports, the
    form (only for the city administrator and a run that may still be published)."""
    current = None
    if run.CURRENT_KEY:
        current = (
            type(run)
            ._default_manager.filter(status=RunStatus.PUBLISHED, **run.current_key())
            .exclude(pk=run.pk)
            .first()
        )
    can = bool(getattr(user, "is_city_admin", False)) and run.can_publish
    missing = kernel.kind_of(run).missing_reports(run) if can else []
    if can and form is None:
        form = PublishForm(initial={"supersede": current.pk if current else None})
    return {
        "run": run,
        "current": current,
        "missing": missing,
        "form": form if can else None,
        "key_label": kernel.kind_of(run).key_label(run),
        "flags": kernel.correction_flags(run),
    }


def publish_from_request(request: HttpRequest, run: FrozenRun) -> tuple[bool, PublishForm]:
    """Validate the panel's form and publish; messages say what happened next to the form."""
    form = PublishForm(request.POST)
    if not form.is_valid():
        messages.error(request, "未发布：" + "；".join(form_errors(form)))
        return False, form
    try:
        published = kernel.publish(
            run,
            user=request.user,
            supersede=form.cleaned_data["supersede"],
            reason=form.cleaned_data["reason"] or "",
            override_reason=form.cleaned_data["override_reason"] or "",
            request=request,
        )
    except Refused as refused:
        if refused.field in form.fields:
            form.add_error(refused.field, refused.message)
        messages.error(request, f"未发布：{refused.message}")
        return False, form
    note = f"，取代{published.supersedes.name}" if published.supersedes else ""
    messages.success(
        request, f"已发布{note}。发布后的结果不再改变；如需更正，请新建批次并说明理由后取代。"
    )
    return True, form
