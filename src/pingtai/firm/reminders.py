"""The daily job (``pingtai reminders``): deadlines become in-application reminders, outcomes are
told to the firms, and after a window closes "no answer counts as confirmed" is applied —
recorded per firm, told to the firm and audited (docs/enterprise.md, "Reminders")."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from pingtai.accounts.models import User
from pingtai.audit.models import AuditEvent
from pingtai.audit.services import audit_record
from pingtai.firm.calendar import calendar, date_text
from pingtai.firm.models import Confirmation, Objection, PublicityWindow, Reminder
from pingtai.firm.windows import setting


@dataclass
class Report:
    reminders: int = 0
    deemed: int = 0
    windows_settled: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"新提醒 {self.reminders} 条"]
        for text in self.windows_settled:
            out.append(text)
        return out


def remind(user: User, key: str, text: str, url: str = "", due_on: dt.date | None = None) -> bool:
    """One reminder per user and key; False when it was already given."""
    try:
        with transaction.atomic():
            Reminder.objects.create(user=user, key=key, text=text[:500], url=url, due_on=due_on)
    except IntegrityError:
        return False
    return True


def reminders_for(user: User) -> QuerySet[Reminder]:
    """A user's own reminders; nobody reads another's."""
    if not user.is_authenticated:
        return Reminder.objects.none()
    return Reminder.objects.filter(user=user)


def _handlers(obj: Objection) -> QuerySet[User]:
    users = User.objects.filter(is_active=True)
    if obj.stage == Objection.Stage.PLATFORM:
        return users.filter(role=User.Role.PLATFORM, platform_id=obj.enterprise.platform_id)
    if obj.stage == Objection.Stage.DEPARTMENT:
        return users.filter(role=User.Role.DEPARTMENT, department=obj.department)
    return users.filter(role=User.Role.CITY_ADMIN)


def _firm_users(enterprise_ids) -> QuerySet[User]:
    return User.objects.filter(
        role=User.Role.ENTERPRISE, enterprise_id__in=enterprise_ids, is_active=True
    )


def _soon(today: dt.date, due: dt.date) -> bool:
    """Due today or on the next working day."""
    return due <= calendar().closing_day(today, 2)


def run_reminders(*, user: User, today: dt.date | None = None) -> Report:
    """Everything the day's job does; safe to run again the same day."""
    today = today or timezone.localdate()
    report = Report()
    office = reverse("publicity:index")
    # 1. Objection steps due soon or overdue: remind whoever holds the step; overdue at the
    #    department also goes to the city administrator, who may decide instead.
    for obj in Objection.objects.exclude(stage=Objection.Stage.DONE).exclude(due_on=None):
        url = reverse("publicity:objection", args=[obj.number])
        due = obj.due_on
        if due is None:
            continue
        late = due < today
        if not late and not _soon(today, due):
            continue
        state = "已逾期" if late else "即将到期"
        text = (
            f"异议 {obj.number}（{obj.enterprise.name}）{obj.get_stage_display()}{state}，"
            f"期限 {date_text(due)}"
        )
        targets = list(_handlers(obj))
        if late and obj.stage == Objection.Stage.DEPARTMENT:
            targets += list(User.objects.filter(role=User.Role.CITY_ADMIN, is_active=True))
        for target in targets:
            key = f"objection:{obj.number}:{obj.stage}:{obj.due_on}:{state}"
            report.reminders += remind(target, key, text, url, obj.due_on)
    # 2. Outcomes: the firm is told its objection was decided or returned.
    for obj in Objection.objects.filter(stage=Objection.Stage.DONE).select_related("enterprise"):
        for target in _firm_users([obj.enterprise_id]):
            report.reminders += remind(
                target,
                f"objection:{obj.number}:outcome",
                f"异议 {obj.number} 已办结：{obj.get_status_display()}。{obj.decision_reason}",
                reverse("firm:objection", args=[obj.number]),
            )
    # 3. Windows closing soon: firms that have not answered are reminded.
    for window in PublicityWindow.objects.select_related("run").filter(
        opens_on__lte=today, closes_on__gte=today
    ):
        if not _soon(today, window.closes_on) or window.run.status == "superseded":
            continue
        answered = Confirmation.objects.filter(run=window.run).values("enterprise_id")
        waiting = window.run.results.exclude(enterprise_id__in=answered).values("enterprise_id")
        for target in _firm_users(waiting):
            report.reminders += remind(
                target,
                f"window:{window.pk}:closing",
                f"{window} 将于{date_text(window.closes_on)}截止，请确认本企业数据或提出异议；"
                "逾期未答复视为确认",
                reverse("firm:sheet", args=[window.run_id]),
                window.closes_on,
            )
    # 4. After the closing day: no answer counts as confirmed (if the city so decides).
    for window in PublicityWindow.objects.select_related("run").filter(
        closes_on__lt=today, settled_at=None
    ):
        if window.run.status == "superseded":
            continue
        deemed = 0
        if setting("no_answer_counts_as_confirmed", window.run.method_id):
            deemed = _deem_confirmed(window, user)
        window.settled_at = timezone.now()
        window.save(update_fields=["settled_at"])
        report.deemed += deemed
        report.windows_settled.append(
            f"{window}已于{date_text(window.closes_on)}截止：{deemed} 家企业逾期未答复，视为确认"
        )
        for admin in User.objects.filter(role=User.Role.CITY_ADMIN, is_active=True):
            report.reminders += remind(
                admin,
                f"window:{window.pk}:settled",
                f"{window}已截止，{deemed} 家企业逾期未答复，按规定视为确认",
                office,
            )
    return report


def _deem_confirmed(window: PublicityWindow, user: User) -> int:
    run = window.run
    with transaction.atomic():
        answered = set(Confirmation.objects.filter(run=run).values_list("enterprise_id", flat=True))
        firms = [
            e for e in run.results.values_list("enterprise_id", flat=True) if e not in answered
        ]
        Confirmation.objects.bulk_create(
            [
                Confirmation(run=run, enterprise_id=e, status=Confirmation.Status.DEEMED)
                for e in firms
            ],
            ignore_conflicts=True,
        )
        audit_record(
            AuditEvent.Action.UPDATE,
            actor=user,
            obj=window,
            after={"deemed_confirmed": len(firms)},
            detail=f"{window}截止：{len(firms)} 家企业逾期未答复，视为确认",
        )
    for target in _firm_users(firms):
        remind(
            target,
            f"window:{window.pk}:deemed",
            f"{window}已于{date_text(window.closes_on)}截止，本企业未答复，按规定视为确认",
            reverse("firm:sheet", args=[run.pk]),
        )
    return len(firms)
