"""Data-reporting sub-commands: forms, template, import, open-period."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path

from pingtai.cli.runner import city_admin, setup_django
from pingtai.core import terms


def forms(args: argparse.Namespace) -> int:
    from pingtai.catalogue import default_catalogue

    catalogue = default_catalogue()
    print(f"指标目录版本 {catalogue.version}")
    for code, form in catalogue.forms.items():
        source = catalogue.sources.get(form.source, form.source)
        frequency = terms.frequency_name(form.frequency)
        print(f"  {code:<24}{form.name}（{source}，{frequency}，{len(form.columns)}栏）")
    return 0


def _requirement(form: str, period: str, platform: str | None, department: str | None):
    from pingtai.reporting.models import Requirement

    scope = {"platform__code": platform} if platform else {"department": department or ""}
    return Requirement.objects.select_related("period", "platform", "submission").get(
        form_code=form, period__code=period.upper(), **scope
    )


def template(args: argparse.Namespace) -> int:
    setup_django()
    from pingtai.reporting.models import Requirement
    from pingtai.reporting.services import requirement_template

    try:
        requirement = _requirement(args.form, args.period, args.platform, args.department)
    except Requirement.DoesNotExist:
        print(
            f"错误：{args.period} 没有 {args.form} 的报送任务（平台 {args.platform or '—'}，"
            f"部门 {args.department or '—'}）。请先开启填报期：pingtai open-period {args.period}",
            file=sys.stderr,
        )
        return 2
    Path(args.output).write_bytes(requirement_template(requirement))
    print(f"已生成模板：{args.output}（{requirement}）")
    return 0


def import_file(args: argparse.Namespace) -> int:
    setup_django()
    from django.db import transaction

    from pingtai.accounts.models import User
    from pingtai.core.refusal import Refused
    from pingtai.reporting.models import Requirement, UploadAttempt
    from pingtai.reporting.services import submission_upload
    from pingtai.xlsx import RefusedFile, read_upload

    data = Path(args.file).read_bytes()
    if not args.user:
        print(
            "错误：请用 --user 或环境变量 PINGTAI_USER 指明以哪个填报用户的身份导入（审计需要）",
            file=sys.stderr,
        )
        return 2
    try:
        user = User.objects.get(username=args.user)
    except User.DoesNotExist:
        print(f"错误：用户 {args.user} 不存在", file=sys.stderr)
        return 2
    try:
        marker = read_upload(data, signing_key=_key()).marker
    except RefusedFile as refused:
        print(f"拒绝：{refused}", file=sys.stderr)
        return 1
    scope = (
        {"platform__code": marker.scope_code}
        if not _is_department(marker.scope_code)
        else {"department": marker.scope_code}
    )
    try:
        requirement = Requirement.objects.select_related("period", "submission").get(
            form_code=marker.form, period__code=marker.period, **scope
        )
    except Requirement.DoesNotExist:
        print(
            f"拒绝：{marker.period} 没有 {marker.form}（{marker.scope_name}）的报送任务",
            file=sys.stderr,
        )
        return 1
    try:
        with transaction.atomic():
            attempt = submission_upload(
                requirement,
                user=user,
                data=data,
                filename=Path(args.file).name,
                reason=args.reason,
                confirmed=args.confirm,
            )
            if args.dry_run:
                transaction.set_rollback(True)
    except Refused as refused:
        print(f"拒绝：{refused}", file=sys.stderr)
        return 1
    stream = sys.stdout if attempt.outcome == UploadAttempt.Outcome.ACCEPTED else sys.stderr
    print(("（试运行，未保存）" if args.dry_run else "") + attempt.message, file=stream)
    for error in attempt.errors:
        print(f"  {error['text']}", file=stream)
    for pending in (
        attempt.confirmations if attempt.outcome == UploadAttempt.Outcome.NEEDS_CONFIRMATION else ()
    ):
        print(f"  待确认 {pending['id']}：{pending['text']}", file=stream)
    return 0 if attempt.outcome == UploadAttempt.Outcome.ACCEPTED else 1


def _key() -> bytes:
    from pingtai.reporting.services import template_signing_key

    return template_signing_key()


def _is_department(code: str) -> bool:
    from pingtai.accounts.models import User

    return code in User.Department.values


def open_period(args: argparse.Namespace) -> int:
    setup_django()
    from pingtai.core.dates import day_text
    from pingtai.core.refusal import Refused
    from pingtai.reporting.services import period_open, reporting_deadline

    user = city_admin(args.user)
    try:
        asked = dt.date.fromisoformat(args.deadline)
        period = period_open(args.period.upper(), user=user, deadline=asked)
    except (Refused, ValueError) as refused:
        print(f"错误：{refused}", file=sys.stderr)
        return 1
    due = reporting_deadline(asked)
    moved = f"（{day_text(asked)}为休息日，顺延）" if due != asked else ""
    print(
        f"已开启 {period.label}，报送任务 {period.requirements.count()} 项，"
        f"截止 {day_text(due)}{moved}"
    )
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("forms", help="列出报表代码")
    p.set_defaults(func=forms)

    p = sub.add_parser(
        "open-period", help="开启填报期，如 pingtai open-period 2025Q4 --deadline 2026-01-15"
    )
    p.add_argument("period")
    p.add_argument("--deadline", required=True, help="报送截止日期 YYYY-MM-DD")
    p.add_argument("--user", default="admin", help="市级管理员用户名")
    p.set_defaults(func=open_period)

    p = sub.add_parser("template", help="生成填报模板")
    p.add_argument("form")
    scope = p.add_mutually_exclusive_group(required=True)
    scope.add_argument("--platform", help="平台代码，如 LS01")
    scope.add_argument("--department", help="部门代码，如 tax")
    p.add_argument("--period", required=True, help="期别，如 2025Q4")
    p.add_argument("-o", "--output", required=True)
    p.set_defaults(func=template)

    p = sub.add_parser("import", help="导入填好的模板（全部校验通过才保存）")
    p.add_argument("file")
    p.add_argument(
        "--user",
        default=os.environ.get("PINGTAI_USER", ""),
        help="以哪个填报用户的身份导入（默认取环境变量 PINGTAI_USER）",
    )
    p.add_argument("--dry-run", action="store_true", help="只校验，不保存")
    p.add_argument("--reason", default="", help="更正已锁定数据时的更正理由")
    p.add_argument(
        "--confirm",
        action="append",
        default=[],
        metavar="ID",
        help="确认一处疑似单位错误（可重复）",
    )
    p.set_defaults(func=import_file)
