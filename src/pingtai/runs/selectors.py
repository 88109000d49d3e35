"""Which result counts: the one selector every page, export, notice, cockpit panel and API
operation uses (docs/runs.md)."""

from __future__ import annotations

from typing import TypeVar

from pingtai.runs.models import FrozenRun, RunStatus

R = TypeVar("R", bound=FrozenRun)


def current_published(model: type[R], **key: object) -> R | None:
    """The current (published, not superseded) run of ``model`` for ``key``.

    With the whole key given there is at most one (a database constraint holds it). With part
    of the key, or none, the newest key wins, e.g. ``current_published(EvaluationRun)`` is the
    current 亩均 result of the latest evaluated year.
    """
    rows = model._default_manager.filter(status=RunStatus.PUBLISHED, **key)
    return rows.order_by(*model.LATEST_ORDER, "-published_at", "-pk").first()


def current_published_all(model: type[R], **filters: object):
    """Every current run matching ``filters`` (one per key), newest key first."""
    return model._default_manager.filter(status=RunStatus.PUBLISHED, **filters).order_by(
        *model.LATEST_ORDER, "-pk"
    )
