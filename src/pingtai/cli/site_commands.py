"""Sub-commands that need the Django site: set-up, demo data, serving, and Django's own commands."""

from __future__ import annotations

import argparse

from pingtai.cli.runner import setup_django, terminal_progress, usage
from pingtai.core.refusal import Refused


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("须为正整数")
    return value


def load_demo(args: argparse.Namespace) -> int:
    setup_django()
    from pingtai.data.lishui.generator import DEFAULT_SEED, build_dataset
    from pingtai.registry.services import registry_is_empty, registry_load_dataset

    if not registry_is_empty():
        print("数据库中已有平台数据，跳过加载默认数据集。")
        return 0
    seed = DEFAULT_SEED if args.seed is None else args.seed
    firms = getattr(args, "firms", None)
    if firms is None:
        print(f"正在生成丽水默认数据集（随机种子 {seed}）…")
    else:
        print(
            f"正在生成 {firms:,} 家企业的合成数据集（按丽水演示数据的结构放大，随机种子 {seed}）…"
        )
    report = registry_load_dataset(build_dataset(seed, firms=firms), progress=terminal_progress)
    kind = "演示数据" if firms is None else "合成数据"
    print(
        f"已加载：平台 {report.platforms} 个，整合前园区 {report.former_zones} 个，整合事件 "
        f"{report.events} 条，企业 {report.enterprises} 家（{kind}），地块 {report.parcels} 宗，"
        f"企业年度数据 {report.enterprise_years} 条。"
    )
    return 0


def demo_users(args: argparse.Namespace) -> int:
    setup_django()
    from pingtai.accounts.services import accounts_ensure_demo_users
    from pingtai.firm.demo import demo_logins

    logins = accounts_ensure_demo_users() + demo_logins()
    width = max(len(login.username) for login in logins) + 2
    print("演示账号（仅供演示，正式部署请勿创建）：")
    for login in logins:
        print(f"  {login.username:<{width}}{login.password}   {login.role}（{login.scope}）")
    return 0


def setup_demo(args: argparse.Namespace) -> int:
    """Migrate, load the default dataset if the database is empty, ensure the demo users, and
    fill every module with demo activity once (each step is skipped when already done)."""
    setup_django()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    print("数据库结构已是最新。")
    if args.firms is not None:
        from pingtai.data.lishui.generator import minimum_firms
        from pingtai.registry.services import registry_is_empty

        # A dataset of a chosen size is for measuring: mixing it into existing data would
        # measure neither, so it needs a database of its own.
        if not registry_is_empty():
            raise Refused(
                "数据库中已有数据。--firms 只能在空数据库中生成合成数据集，"
                "请换一个新数据库（DATABASE_URL）后再运行。",
                code="database_not_empty",
            )
        if args.firms < minimum_firms():
            raise usage(f"--firms 至少为 {minimum_firms()}（每个园区至少 3 家企业）")
    load_demo(args)
    if not args.registry_only:
        from pingtai.accounts.services import accounts_ensure_demo_users

        accounts_ensure_demo_users()
        # Robustness draws are for the Lishui demo's pages; a sized dataset is for measuring.
        demo_activity(robustness=args.firms is None)
    return demo_users(args)


def demo_activity(robustness: bool = True) -> None:
    """The demo's battle maps, platform quarterly reports (through the real reporting path) and
    published 亩均 and league runs, so that every page has something to show."""
    from pingtai.accounts.models import User
    from pingtai.evaluation.models import EvaluationRun
    from pingtai.evaluation.services import run_evaluation, run_publish
    from pingtai.league.demo import load_demo as load_league_demo
    from pingtai.league.models import LeagueRun
    from pingtai.league.services import run_create
    from pingtai.league.services import run_publish as league_publish
    from pingtai.runs.selectors import current_published
    from pingtai.supervision.services import demo_load as load_battle_maps

    admin = User.objects.get(username="admin")
    report = load_battle_maps()
    print(f"演示作战图：{report.platforms} 个平台，新建任务 {report.created} 项。")
    for year in (2023, 2024):
        if current_published(EvaluationRun, year=year) is None:
            run, _ = run_evaluation(
                year, "lishui-mujun-default", user=admin, robustness_draws=200 if robustness else 0
            )
            run = run_publish(run, user=admin, override_reason=_demo_override(run))
            print(f"已发布{run.name}。{_override_note(run)}")
    print("正在通过填报流程录入平台季报演示数据…", flush=True)
    load_league_demo(admin=admin)
    for cycle, period in (
        ("quarter", "2024Q3"),
        ("quarter", "2024Q4"),
        ("year", "2023"),
        ("year", "2024"),
    ):
        if current_published(LeagueRun, cycle=cycle, period_code=period, grouping="role") is None:
            league_run = run_create(
                cycle, period, user=admin, robustness_draws=300 if robustness else 0
            )
            league_run = league_publish(
                league_run, user=admin, override_reason=_demo_override(league_run)
            )
            print(f"已发布 {league_run}。{_override_note(league_run)}")
    from pingtai.ops.demo_tasks import load_demo_tasks

    for line in load_demo_tasks(admin).lines:
        print(line)
    from pingtai.firm.demo import load_demo as load_enterprise_demo

    for line in load_enterprise_demo(admin=admin):
        print(line)


def _demo_override(run) -> str:
    """The demo publishes honestly: when required reports are missing it says so, with the
    reason 演示数据, instead of pretending they were approved."""
    from pingtai.runs import kernel

    missing = kernel.kind_of(run).missing_reports(run)
    return f"演示数据：{len(missing)} 项报送未审核通过，按演示需要发布" if missing else ""


def _override_note(run) -> str:
    return f"（报送未齐，已记录理由：{run.override_reason}）" if run.override_reason else ""


def serve(args: argparse.Namespace) -> int:
    """Serve the site with gunicorn: several worker processes, each with a few threads, so a
    small office (50 people at once) gets answers while a long request runs (docs/deployment.md,
    "The demo server"). On SQLite the database runs in WAL mode with a busy timeout (settings)."""
    setup_django()
    from django.db import connections
    from gunicorn.app.base import BaseApplication

    from pingtai.wsgi import application

    options = {
        "bind": args.addr,
        "workers": args.workers,
        "threads": args.threads,
        "worker_class": "gthread",
        # Evaluation runs with robustness draws are computed within the request.
        "timeout": 600,
        "graceful_timeout": 10,
        "accesslog": "-",
        "errorlog": "-",
    }

    class Server(BaseApplication):
        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self):
            return application

    connections.close_all()  # the workers are forked: none may inherit the master's connection
    print(
        f"服务地址：http://{args.addr}/  （{args.workers} 个进程 × {args.threads} 个线程；"
        "按 Ctrl+C 停止）",
        flush=True,
    )
    Server().run()
    return 0


def manage(args: argparse.Namespace) -> int:
    setup_django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["pingtai manage", *args.rest])
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("load-demo", help="数据库为空时加载丽水默认数据集（含合成的演示企业）")
    p.add_argument(
        "--seed", type=int, default=None, help="生成演示企业的随机种子（默认为固定种子）"
    )
    p.set_defaults(func=load_demo)

    p = sub.add_parser("demo-users", help="创建演示账号并打印登录信息")
    p.set_defaults(func=demo_users)

    p = sub.add_parser("setup-demo", help="迁移数据库、加载默认数据集并创建演示账号（可重复执行）")
    p.add_argument(
        "--seed", type=int, default=None, help="生成演示企业的随机种子（默认为固定种子）"
    )
    p.add_argument(
        "--registry-only",
        action="store_true",
        help="只加载平台体系和企业数据，不生成作战图、季报和评价批次等演示活动",
    )
    p.add_argument(
        "--firms",
        type=_positive,
        default=None,
        metavar="N",
        help="生成 N 家企业的合成数据集（按丽水演示数据的结构放大，标为合成数据）；只能用于空数据库",
    )
    p.set_defaults(func=setup_demo)

    p = sub.add_parser("serve", help="启动网页服务（演示用，多进程）")
    p.add_argument(
        "addr", nargs="?", default="127.0.0.1:8000", help="监听地址，默认 127.0.0.1:8000"
    )
    p.add_argument("--workers", type=_positive, default=4, help="进程数（默认 4）")
    p.add_argument("--threads", type=_positive, default=4, help="每个进程的线程数（默认 4）")
    p.set_defaults(func=serve)

    p = sub.add_parser("manage", help="运行 Django 管理命令，如 pingtai manage migrate")
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=manage)
