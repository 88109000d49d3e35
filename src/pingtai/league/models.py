"""Platform league records. A run is frozen when it is made: its input snapshot, method version,
rules version and result are stored as bytes with their hashes. A published run never changes;
corrected data produce a new run, which may be published in its place."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from pingtai.engine.robustness import flag_labels
from pingtai.objection import lifecycle
from pingtai.objection.records import ObjectionRecord
from pingtai.runs.models import EngineRun


class LeagueRun(EngineRun):
    CURRENT_KEY = ("cycle", "period_code", "grouping")
    LATEST_ORDER = ("-year", "-quarter")
    TITLE = "平台考评"

    class Cycle(models.TextChoices):
        QUARTER = "quarter", "季度比评"
        HALF = "half", "年中督查"
        YEAR = "year", "年终考核"

    class Grouping(models.TextChoices):
        ROLE = "role", "一心两翼三片区"
        SIZE = "size", "产值规模梯队"

    cycle = models.CharField("周期", max_length=8, choices=Cycle.choices)
    period_code = models.CharField("期别", max_length=8)
    year = models.PositiveSmallIntegerField("年度")
    quarter = models.PositiveSmallIntegerField("截至季度", help_text="年内累计到第几季度")
    grouping = models.CharField("分组方式", max_length=8, choices=Grouping.choices)
    rules_version = models.CharField("规则版本", max_length=20)
    rules_hash = models.CharField("规则文件哈希", max_length=64)

    class Meta:
        verbose_name = verbose_name_plural = "平台评价批次"
        ordering = ["-year", "-quarter", "-created_at"]
        indexes = [models.Index(fields=["cycle", "period_code", "grouping", "status"])]
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "period_code", "grouping"],
                condition=models.Q(status="published"),
                name="league_one_current_per_period",
            )
        ]

    def __str__(self) -> str:
        return f"{self.period_label} {self.get_cycle_display()}（{self.get_grouping_display()}，{self.get_status_display()}）"

    @property
    def period_label(self) -> str:
        if self.cycle == self.Cycle.QUARTER:
            return f"{self.year}年第{'一二三四'[self.quarter - 1]}季度"
        if self.cycle == self.Cycle.HALF:
            return f"{self.year}年上半年"
        return f"{self.year}年度"

    @property
    def label(self) -> str:
        """The period and the cycle as one phrase, as titles and file names write it:
        2024年第四季度比评, 2024年年中督查, 2024年度年终考核 (never 第四季度季度比评)."""
        if self.cycle == self.Cycle.QUARTER:
            return f"{self.period_label}比评"
        if self.cycle == self.Cycle.HALF:
            return f"{self.year}年年中督查"
        return f"{self.period_label}{self.get_cycle_display()}"


class PlatformResult(models.Model):
    """One platform in one run, denormalised for pages and exports."""

    run = models.ForeignKey(LeagueRun, models.CASCADE, related_name="results", verbose_name="批次")
    platform = models.ForeignKey(
        "registry.Platform", models.PROTECT, related_name="league_results", verbose_name="平台"
    )
    platform_code = models.CharField("平台代码", max_length=8)
    tier = models.CharField("运行时的竞争梯队", max_length=20)
    group = models.CharField("分组", max_length=40)
    group_size = models.PositiveSmallIntegerField("组内平台数")
    score = models.FloatField("综合得分")
    klass = models.CharField("等级", max_length=8)
    rank = models.PositiveSmallIntegerField("组内排名")
    rank_order = models.PositiveSmallIntegerField("组内位次（同分按代码）")
    overall_rank = models.PositiveSmallIntegerField("全市位次（同分并列）")
    directions = models.JSONField("各方向得分", default=dict)
    values = models.JSONField("指标值与单项得分", default=dict)
    rank_p05 = models.FloatField("排名5%分位", null=True, blank=True)
    rank_median = models.FloatField("排名中位数", null=True, blank=True)
    rank_p95 = models.FloatField("排名95%分位", null=True, blank=True)
    p_last = models.FloatField("末位概率", null=True, blank=True)
    robust_flag = models.CharField(
        "稳健性提示（代码）",
        max_length=40,
        blank=True,
        help_text="class_unstable 等，显示时译为中文",
    )

    class Meta:
        verbose_name = verbose_name_plural = "平台评价结果"
        ordering = ["run", "group", "rank_order"]
        constraints = [
            models.UniqueConstraint(fields=["run", "platform"], name="league_one_result_per_run")
        ]

    def __str__(self) -> str:
        return f"{self.platform_code} {self.score:.2f}"

    @property
    def is_last(self) -> bool:
        """Last in its group, sharing the place with equal scores (never by code order)."""
        return not self.run.results.filter(group=self.group, score__lt=self.score).exists()

    @property
    def robust_labels(self) -> str:
        """The engine's robustness codes in words (engine/robustness.py)."""
        return flag_labels(self.robust_flag)


class TierProposal(models.Model):
    """A 进退档 proposal from a year-end run; only the city administrator's approval changes
    the platform's tier."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", "待审批"
        APPROVED = "approved", "已批准"
        REJECTED = "rejected", "未批准"

    run = models.ForeignKey(
        LeagueRun, models.PROTECT, related_name="tier_proposals", verbose_name="年终考核批次"
    )
    platform = models.ForeignKey(
        "registry.Platform", models.PROTECT, related_name="tier_proposals", verbose_name="平台"
    )
    from_tier = models.CharField("现梯队", max_length=20)
    to_tier = models.CharField("建议梯队", max_length=20)
    rule_id = models.CharField("规则", max_length=40)
    reason = models.CharField("理由", max_length=200)
    years = models.JSONField("满足条件的年度", default=list)
    mean_score = models.FloatField("相关年度平均得分")
    status = models.CharField(
        "状态", max_length=10, choices=Status.choices, default=Status.PROPOSED
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="审批人",
    )
    decided_at = models.DateTimeField("审批时间", null=True, blank=True)
    note = models.TextField("审批意见", blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "进退档建议"
        ordering = ["run", "platform__code"]
        constraints = [
            models.UniqueConstraint(fields=["run", "platform"], name="league_one_proposal_per_run")
        ]

    def __str__(self) -> str:
        return f"{self.platform} {self.from_tier}→{self.to_tier}（{self.get_status_display()}）"


class PayPool(models.Model):
    """A performance-pay pool (绩效薪酬, 托低限高) split by a published run's scores."""

    run = models.ForeignKey(
        LeagueRun, models.PROTECT, related_name="pay_pools", verbose_name="依据批次"
    )
    total_wan = models.DecimalField("总额（万元）", max_digits=14, decimal_places=2)
    floor_wan = models.DecimalField("托底额（万元）", max_digits=14, decimal_places=2)
    cap_wan = models.DecimalField("限高额（万元）", max_digits=14, decimal_places=2)
    rules_version = models.CharField("规则版本", max_length=20)
    rules_hash = models.CharField("规则文件哈希", max_length=64)
    note = models.CharField("说明", max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="创建人"
    )
    created_at = models.DateTimeField("创建时间", default=timezone.now)

    class Meta:
        verbose_name = verbose_name_plural = "绩效薪酬池"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.run} 薪酬池 {self.total_wan} 万元"


class PayShare(models.Model):
    pool = models.ForeignKey(PayPool, models.CASCADE, related_name="shares", verbose_name="薪酬池")
    platform = models.ForeignKey(
        "registry.Platform", models.PROTECT, related_name="+", verbose_name="平台"
    )
    score = models.FloatField("综合得分")
    amount_wan = models.DecimalField("分配额（万元）", max_digits=14, decimal_places=2)
    at_floor = models.BooleanField("触及托底", default=False)
    at_cap = models.BooleanField("触及限高", default=False)

    class Meta:
        verbose_name = verbose_name_plural = "绩效薪酬分配"
        ordering = ["pool", "-amount_wan"]
        constraints = [
            models.UniqueConstraint(fields=["pool", "platform"], name="league_one_share_per_pool")
        ]

    def __str__(self) -> str:
        return f"{self.platform} {self.amount_wan}"


# --- Follow-through of sanctions: 约谈, 整改, 异议 (docs/league.md, "Follow-through") ------------


class InterviewMeeting(models.Model):
    """A 约谈 held with a platform on a run's 约谈名单: date, attendees, the minutes as a file,
    and the deadline for its 整改措施 (the notice's "15日内")."""

    run = models.ForeignKey(
        LeagueRun, models.PROTECT, related_name="meetings", verbose_name="依据批次"
    )
    platform = models.ForeignKey(
        "registry.Platform", models.PROTECT, related_name="league_meetings", verbose_name="平台"
    )
    held_on = models.DateField("约谈日期")
    attendees = models.TextField("参加人员")
    minutes = models.ForeignKey(
        "reporting.StoredFile", models.PROTECT, related_name="+", verbose_name="约谈纪要"
    )
    minutes_name = models.CharField("纪要文件名", max_length=200)
    minutes_type = models.CharField("纪要文件类型", max_length=60)
    rectify_by = models.DateField("整改措施报送期限")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="记录人"
    )
    recorded_at = models.DateTimeField("记录时间", default=timezone.now)

    class Meta:
        verbose_name = verbose_name_plural = "约谈记录"
        ordering = ["-held_on", "platform__code"]
        constraints = [
            models.UniqueConstraint(fields=["run", "platform"], name="league_one_meeting_per_run")
        ]

    def __str__(self) -> str:
        return f"{self.platform} {self.held_on} 约谈"


class Rectification(models.Model):
    """The platform's 整改措施 after a 约谈: submitted by the platform, reviewed by the city,
    tracked to closure. One per meeting; a returned one is revised in place (history in the
    audit log)."""

    class Status(models.TextChoices):
        AWAITING = "awaiting", "待报送"
        SUBMITTED = "submitted", "待审核"
        RETURNED = "returned", "已退回"
        ACCEPTED = "accepted", "整改中"
        CLOSED = "closed", "已销号"

    meeting = models.OneToOneField(
        InterviewMeeting, models.PROTECT, related_name="rectification", verbose_name="约谈"
    )
    status = models.CharField(
        "状态", max_length=10, choices=Status.choices, default=Status.AWAITING
    )
    measures = models.TextField("整改措施", blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="报送人",
    )
    submitted_at = models.DateTimeField("报送时间", null=True, blank=True)
    late = models.BooleanField("逾期报送", default=False)
    review_note = models.TextField("审核意见", blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="审核人",
    )
    reviewed_at = models.DateTimeField("审核时间", null=True, blank=True)
    closing_note = models.TextField("销号说明", blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="销号人",
    )
    closed_at = models.DateTimeField("销号时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "整改措施"
        ordering = ["meeting__rectify_by"]

    def __str__(self) -> str:
        return f"{self.meeting.platform} 整改（{self.get_status_display()}）"

    @property
    def overdue(self) -> bool:
        """Not yet submitted (or returned and not resubmitted) after the deadline."""
        return (
            self.status in (self.Status.AWAITING, self.Status.RETURNED)
            and timezone.localdate() > self.meeting.rectify_by
        )


class Objection(ObjectionRecord):
    """A platform's objection to a published league result, filed within the window the
    notice promises (10 working days) and decided by the city administrator with a reason; its
    status follows the shared life cycle without the routed steps (docs/objections.md)."""

    Status = lifecycle.Status

    run = models.ForeignKey(
        LeagueRun, models.PROTECT, related_name="objections", verbose_name="批次"
    )
    platform = models.ForeignKey(
        "registry.Platform", models.PROTECT, related_name="league_objections", verbose_name="平台"
    )
    text = models.TextField("异议内容及依据")
    window_ends = models.DateField("异议期截止日")
    status = models.CharField(
        "状态",
        max_length=10,
        choices=lifecycle.choices(Status.PENDING, Status.UPHELD, Status.REJECTED),
        default=Status.PENDING,
    )

    class Meta:
        verbose_name = verbose_name_plural = "评价结果异议"
        ordering = ["-filed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "platform"],
                condition=models.Q(status="pending"),
                name="league_one_pending_objection",
            )
        ]

    def __str__(self) -> str:
        return f"{self.platform} 对{self.run} 的异议（{self.get_status_display()}）"


class TieDecision(models.Model):
    """The city administrator's decision of a tie that decides a list of a run: which of the
    tied platforms take the contested places, and why (docs/league.md, "Lists"). Recorded
    before publication and never changed; reproduction checks it against its audit record."""

    run = models.ForeignKey(
        LeagueRun, models.PROTECT, related_name="tie_decisions", verbose_name="批次"
    )
    place = models.CharField("并列位次", max_length=60, help_text="如 末位:两翼、前列:全市")
    platforms = models.JSONField("列入的平台（代码）", default=list)
    candidates = models.JSONField("并列的平台（代码）", default=list)
    reason = models.TextField("理由")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="决定人"
    )
    decided_at = models.DateTimeField("决定时间", default=timezone.now)

    class Meta:
        verbose_name = verbose_name_plural = "并列位次决定"
        ordering = ["run", "place"]
        constraints = [
            models.UniqueConstraint(fields=["run", "place"], name="league_one_decision_per_tie")
        ]

    def __str__(self) -> str:
        return f"{self.run.name}“{self.place}”"
