from __future__ import annotations

from dataclasses import dataclass, field

from django.apps import apps
from django.http import HttpRequest
from django.urls import reverse

from pingtai.accounts.scope import OFFICIALS, role_home

# The menu by job (docs/navigation.md): seven groups in this order; an entry's group is found by
# its URL name, a module not listed here joins 数据. 待办 stands on its own, first.
GROUPS = ("数据", "评价", "考评", "配置", "规划", "督查", "驾驶舱")
GROUP_OF = {
    "platforms": "数据",
    "as_of": "数据",
    "reporting:index": "数据",
    "platform_enterprises": "数据",
    "evaluation:index": "评价",
    "publicity:index": "评价",
    "reports:index": "评价",
    "entitlements:index": "评价",
    "league:index": "考评",
    "league:targets": "考评",
    "allocation:index": "配置",
    "allocation:proposals": "配置",
    "planning:index": "规划",
    "planning:simulate": "规划",
    "planning:chains": "规划",
    "planning:agreements": "规划",
    "supervision:index": "督查",
    "dashboard:cockpit": "驾驶舱",
    "dashboard:map": "驾驶舱",
}
STANDALONE = ("reporting:inbox",)


@dataclass
class MenuGroup:
    label: str
    entries: list[tuple[str, str]] = field(default_factory=list)

    @property
    def single(self) -> bool:
        return len(self.entries) == 1


def _entries(user) -> list[tuple[str, str, str]]:
    """(label, href, URL name) of every module entry this role may open, in INSTALLED_APPS order
    (each app's ``nav`` on its AppConfig)."""
    found = [
        ("平台体系", reverse("platforms"), "platforms"),
        ("整合沿革", reverse("as_of"), "as_of"),
    ]
    for config in apps.get_app_configs():
        entries = [
            (label, reverse(url_name), url_name)
            for label, url_name, *roles in getattr(config, "nav", ())
            if user.role in (roles[0] if roles else OFFICIALS)
        ]
        # An app may put a count beside its first entry (待办: what waits for this user).
        counter = getattr(config, "nav_count", None)
        if entries and counter is not None and (count := counter(user)):
            label, href, name = entries[0]
            entries[0] = (f"{label}（{count}）", href, name)
        found += entries
    if user.role == "platform" and user.platform_id:
        found.append(
            (
                "本平台企业",
                reverse("platform_enterprises", args=[user.platform.code]),
                "platform_enterprises",
            )
        )
    return found


def user_menu(user) -> list[tuple[str, str]]:
    """The user menu: own account first, then administration for those who administer."""
    from pingtai.accounts.users import can_manage_users

    items = [
        ("修改密码", reverse("password_change")),
        ("两步验证设置", reverse("totp_setup")),
        ("使用帮助", reverse("help")),
    ]
    if can_manage_users(user):
        items.append(("用户管理", reverse("users")))
    if user.is_staff and user.role == "city_admin":
        items.append(("管理后台", reverse("admin:index")))
    return items


def navigation(request: HttpRequest) -> dict:
    """Menu entries: only modules that exist and only those the user's role may open, grouped
    by job. ``nav`` is the flat list (every link, for tests and the phone menu); ``nav_groups``
    the grouped menu the header shows; ``nav_top`` the entries outside any group (待办)."""
    user = getattr(request, "user", None)
    empty: dict = {"nav": [], "nav_groups": [], "nav_top": [], "user_menu": []}
    if user is None or not user.is_authenticated:
        return empty
    empty["role_home"] = role_home(user)
    if user.role == "enterprise" and user.enterprise_id:
        # The enterprise role's own menu: its firm's pages only (docs/enterprise.md).
        firm = [("本企业", reverse("firm:home")), (_reminders(user), reverse("firm:reminders"))]
        return {**empty, "nav": firm, "nav_top": firm, "user_menu": _firm_user_menu()}
    if user.role not in OFFICIALS:
        return empty
    entries = _entries(user)
    groups = {label: MenuGroup(label) for label in GROUPS}
    top = []
    for label, href, name in entries:
        if name in STANDALONE:
            top.append((label, href))
        else:
            groups[GROUP_OF.get(name, "数据")].entries.append((label, href))
    # Deadline reminders of the enterprise side (docs/enterprise.md, "Reminders").
    reminder = (_reminders(user), reverse("publicity:reminders"))
    top.append(reminder)
    return {
        "nav": [(label, href) for label, href, _ in entries] + [reminder],
        "nav_groups": [g for g in groups.values() if g.entries],
        "nav_top": top,
        "user_menu": user_menu(user),
        "role_home": empty["role_home"],
    }


def _firm_user_menu() -> list[tuple[str, str]]:
    return [("修改密码", reverse("password_change")), ("两步验证设置", reverse("totp_setup"))]


def _reminders(user) -> str:
    from pingtai.firm.models import Reminder

    unread = Reminder.objects.filter(user=user, read_at=None).count()
    return f"提醒（{unread}）" if unread else "提醒"
