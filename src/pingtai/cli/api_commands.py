"""API tokens from the command line: pingtai api-token create / revoke / list."""

from __future__ import annotations

import argparse

from pingtai.cli.runner import lookup, setup_django


def create(args: argparse.Namespace) -> int:
    setup_django()
    from pingtai.accounts.models import User
    from pingtai.api.services import token_create

    user = lookup(User.objects, f"用户 {args.user}", username=args.user)
    token, raw = token_create(user, args.name, days=args.days)
    print(
        f"已为 {user.username}（{user.get_role_display()}）创建令牌 #{token.pk}「{token.name}」，"
        f"有效期至 {token.expires_at:%Y-%m-%d %H:%M} UTC。"
    )
    print("令牌只显示这一次，请立即妥善保存：")
    print(raw)
    return 0


def revoke(args: argparse.Namespace) -> int:
    setup_django()
    from pingtai.api.models import ApiToken
    from pingtai.api.services import token_revoke

    token = lookup(ApiToken.objects.select_related("user"), f"令牌 #{args.id}", pk=args.id)
    token_revoke(token)
    print(f"已吊销令牌 #{token.pk}（{token.user.username}「{token.name}」）")
    return 0


def list_tokens(args: argparse.Namespace) -> int:
    setup_django()
    from pingtai.api.models import ApiToken

    rows = ApiToken.objects.select_related("user")
    if args.user:
        rows = rows.filter(user__username=args.user)
    for t in rows:
        used = f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "从未使用"
        print(
            f"#{t.pk}\t{t.user.username}\t{t.name}\t{t.prefix}…\t{t.state}\t"
            f"到期 {t.expires_at:%Y-%m-%d}\t最近使用 {used}"
        )
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    tokens = sub.add_parser("api-token", help="数据接口令牌").add_subparsers(
        dest="api_token_command", required=True, metavar="子命令"
    )
    p = tokens.add_parser("create", help="为用户创建接口令牌（令牌只显示一次）")
    p.add_argument("--user", required=True, help="令牌所属用户名，权限与该用户相同")
    p.add_argument("--name", required=True, help="令牌名称（用途）")
    p.add_argument("--days", type=int, default=90, help="有效天数（1–365，默认 90）")
    p.set_defaults(func=create)
    p = tokens.add_parser("revoke", help="吊销接口令牌")
    p.add_argument("id", type=int, help="令牌编号（见 pingtai api-token list）")
    p.set_defaults(func=revoke)
    p = tokens.add_parser("list", help="列出接口令牌（不显示令牌本身）")
    p.add_argument("--user", help="只列出该用户的令牌")
    p.set_defaults(func=list_tokens)
