"""Form helpers shared by the pages and the API."""

from __future__ import annotations

from django.forms import BaseForm


def form_errors(form: BaseForm) -> list[str]:
    """Every message of a validated form, field by field, as plain text."""
    return [str(message) for messages in form.errors.values() for message in messages]
