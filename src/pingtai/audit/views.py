"""Audit log export for the city administrator (viewing and filtering are in the admin)."""

from __future__ import annotations

import contextlib
import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from pingtai.accounts.models import User
from pingtai.accounts.scope import role_required
from pingtai.audit.models import AuditEvent
from pingtai.audit.services import audit_record
from pingtai.web.downloads import attachment
from pingtai.xlsx import write_table_csv, write_table_xlsx

HEADERS = [
    "编号",
    "时间",
    "用户名",
    "来源地址",
    "操作",
    "对象类型",
    "对象编号",
    "对象",
    "变更前",
    "变更后",
    "说明",
    "哈希",
]
MAX_ROWS = 200_000


def _filtered(request: HttpRequest):
    rows = AuditEvent.objects.order_by("id")
    if action := request.GET.get("action"):
        rows = rows.filter(action=action)
    if username := request.GET.get("user"):
        rows = rows.filter(actor_username=username)
    for bound, lookup in (("from", "at__date__gte"), ("to", "at__date__lte")):
        if raw := request.GET.get(bound):
            with contextlib.suppress(ValueError):
                rows = rows.filter(**{lookup: dt.date.fromisoformat(raw)})
    return rows[:MAX_ROWS]


@role_required(User.Role.CITY_ADMIN)
def export(request: HttpRequest) -> HttpResponse:
    """CSV (default) or xlsx of the filtered log; the export itself is audited."""
    fmt = "xlsx" if request.GET.get("format") == "xlsx" else "csv"
    rows = [
        [
            e.id,
            timezone.localtime(e.at).isoformat(),
            e.actor_username,
            e.ip or "",
            e.get_action_display(),
            e.object_type,
            e.object_id,
            e.object_repr,
            e.before,
            e.after,
            e.detail,
            e.hash,
        ]
        for e in _filtered(request)
    ]
    rows = [
        [str(v) if isinstance(v, (dict, list)) else ("" if v is None else v) for v in r]
        for r in rows
    ]
    audit_record(
        AuditEvent.Action.EXPORT, request=request, detail=f"导出审计日志 {len(rows)} 条（{fmt}）"
    )
    if fmt == "xlsx":
        return attachment(write_table_xlsx(HEADERS, rows), "审计日志.xlsx")
    return attachment(write_table_csv(HEADERS, rows), "审计日志.csv", "text/csv; charset=utf-8")
