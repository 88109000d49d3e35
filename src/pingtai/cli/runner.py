"""What every sub-command shares: Django set-up, the acting user, looking objects up,
progress on the terminal, and how a refusal becomes a message and an exit code.

A command function returns 0 on success or raises ``Refused``; ``pingtai.cli.main`` prints
the refusal as ``错误：…`` on standard error and exits with ``EXIT_USAGE`` when the command
could not run as asked (an unknown object, a user without the right role: ``code="usage"``),
otherwise with ``EXIT_REFUSED`` (the rules said no). Scripts rely on these codes.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

from pingtai.core.refusal import Refused

if TYPE_CHECKING:
    from pingtai.accounts.models import User

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_USAGE = 2
USAGE = "usage"


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pingtai.settings")
    import django

    django.setup()


def usage(message: str) -> Refused:
    """A refusal meaning the command cannot run as asked (exit code 2)."""
    return Refused(message, USAGE)


def exit_code(refused: Refused) -> int:
    return EXIT_USAGE if refused.code == USAGE else EXIT_REFUSED


def report(refused: Refused) -> int:
    """Print a refusal as the command line shows every refusal, and give its exit code."""
    print(f"错误：{refused.message}", file=sys.stderr)
    return exit_code(refused)


def permission_denied(exc: BaseException) -> Refused | None:
    """A service's "not yours to do" (Django's PermissionDenied, which the web turns into 403)
    as a refusal, or None. Engine commands never load Django, so it is looked up lazily."""
    exceptions = sys.modules.get("django.core.exceptions")
    if exceptions is not None and isinstance(exc, exceptions.PermissionDenied):
        return Refused(str(exc) or "您的角色无权执行此操作", "forbidden")
    return None


def acting_user(username: str, *roles: str) -> User:
    """The active user of that name (with one of ``roles`` when given). Jobs that change data
    run as a named person, so that the audit log names who did it."""
    from pingtai.accounts.models import User

    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise usage(f"用户 {username} 不存在或已停用")
    if roles and user.role not in roles:
        wanted = "、".join(str(User.Role(r).label) for r in roles)
        raise usage(f"{username} 不是{wanted}")
    return user


def city_admin(username: str) -> User:
    from pingtai.accounts.models import User

    return acting_user(username, User.Role.CITY_ADMIN)


def lookup(queryset: Any, label: str, **filters: Any) -> Any:
    """The one object the filters select, or a usage refusal naming it (``平台 LS99 不存在``)."""
    found = queryset.filter(**filters).first()
    if found is None:
        raise usage(f"{label} 不存在")
    return found


def terminal_progress(done: int, total: int, label: str) -> None:
    """Progress on standard error, so that standard output stays what scripts read: on a
    terminal one line rewritten in place, in a log one line per step."""
    if not total:
        return
    if sys.stderr.isatty():
        end = "" if done < total else "\n"
        print(f"\r  {label}（{done}/{total}）".ljust(40), end=end, flush=True, file=sys.stderr)
    else:
        print(f"  [{done}/{total}] {label}", file=sys.stderr)
