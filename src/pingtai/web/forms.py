"""Form helpers shared by the pages and the API."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.forms import BaseForm
from django.http import QueryDict

from pingtai.catalogue.periods import Period, parse_period
from pingtai.core.refusal import Refused


class IsoDateInput(forms.DateInput):
    """A browser date picker. The HTML date input only accepts ISO dates (2026-12-07); the
    Chinese locale's own format (2026/12/07) would leave the box empty, and a required empty box
    stops the form from being sent without a word."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def today() -> dt.date:
    return dt.date.today()


def form_errors(form: BaseForm) -> list[str]:
    """Every message of a validated form, field by field, as plain text; a field's message
    starts with its label (规则 B：这个字段是必填项。), as it is read away from the field."""
    return [
        f"{form.fields[name].label}：{message}"
        if name in form.fields and form.fields[name].label
        else str(message)
        for name, messages in form.errors.items()
        for message in messages
    ]


def period_choices(kinds: tuple[str, ...] = ("quarter", "half", "year")) -> list[tuple[str, str]]:
    """Reporting periods from four years back to next year, newest first, by their names
    (2025年第四季度); the code (2025Q4) is only the submitted value."""
    this_year = dt.date.today().year
    choices = []
    for year in range(this_year + 1, this_year - 5, -1):
        for kind, count in (("quarter", 4), ("half", 2), ("year", 1)):
            if kind in kinds:
                for index in range(count, 0, -1):
                    period = Period(year, kind, index)  # type: ignore[arg-type]
                    choices.append((period.code, period.label))
    return choices


class PeriodField(forms.ChoiceField):
    """A select of period names instead of a text box for codes."""

    def __init__(self, *, kinds: tuple[str, ...] = ("quarter", "half", "year"), **kwargs):
        kwargs.setdefault("initial", last_finished_quarter)
        super().__init__(choices=lambda: period_choices(kinds), **kwargs)

    def to_python(self, value) -> str:
        """Any valid period (also one older than the list, as scripts send them), normalised."""
        if value in self.empty_values:
            return ""
        try:
            return parse_period(str(value)).code
        except Refused as bad:
            raise forms.ValidationError(bad.message) from bad

    def validate(self, value) -> None:
        forms.Field.validate(self, value)


def last_finished_quarter() -> str:
    today = dt.date.today()
    quarter = (today.month - 1) // 3 + 1
    return Period(today.year, "quarter", quarter).previous().code


# Never kept between requests: secrets and the CSRF token.
_NOT_KEPT = frozenset(
    {
        "csrfmiddlewaretoken",
        "password",
        "old_password",
        "new_password1",
        "new_password2",
        "token",
        "otp_token",
    }
)


def _kept_key(key: str) -> str:
    return f"kept-form:{key}"


def keep_input(request, key: str, refused: Refused | None = None) -> None:
    """A POST was refused and the view redirects back to the page with the form: keep what
    was typed (files excepted) and why, so the page shows the same entries with each message
    beside its field (``restore_form``) instead of an empty form."""
    data = {name: request.POST.getlist(name) for name in request.POST if name not in _NOT_KEPT}
    errors: dict[str, list[str]] = {}
    if refused is not None:
        errors[refused.field or "__all__"] = [refused.message]
    request.session[_kept_key(key)] = {"data": data, "errors": errors}


def restore_form(request, key: str, form_class, *args, **kwargs):
    """The form for a page: the entries kept after a refusal, validated again so that each
    message stands next to its field; otherwise a fresh form (with ``initial``)."""
    kept = request.session.pop(_kept_key(key), None)
    if not kept:
        return form_class(*args, **kwargs)
    data = QueryDict(mutable=True)
    for name, values in kept["data"].items():
        data.setlist(name, values)
    kwargs.pop("initial", None)
    form = form_class(data, *args, **kwargs)
    form.is_valid()
    for field, messages in kept["errors"].items():
        for message in messages:
            form.add_error(field if field in form.fields else None, message)
    return form


FORM_REFUSED = "未保存：请按表单中标出的提示修改后重新提交。"


def refuse_form(request, key: str, refused: Refused | None = None) -> None:
    """``keep_input`` and one line at the top of the page saying where to look."""
    from django.contrib import messages

    keep_input(request, key, refused)
    messages.error(request, refused.message if refused is not None else FORM_REFUSED)
