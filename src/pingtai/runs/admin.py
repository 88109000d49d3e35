"""What every kind of run shows in the admin: its name as officials say it (``run_name``)."""

from __future__ import annotations

from typing import Protocol

from django.contrib import admin

from pingtai.core import terms
from pingtai.runs.models import FrozenRun


class RunAdmin(admin.ModelAdmin):
    @admin.display(description="批次")
    def run_name(self, run: FrozenRun) -> str:
        return run.name


class _ByMethod(Protocol):
    method_id: str
    method_version: str


class MethodRunAdmin(RunAdmin):
    """A run computed by an evaluation method file (亩均 and league runs)."""

    @admin.display(description="评价方法")
    def method(self, run: _ByMethod) -> str:
        return terms.method_name(run.method_id, run.method_version)
