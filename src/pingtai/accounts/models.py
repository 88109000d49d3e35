from __future__ import annotations

from django.contrib.auth.hashers import check_password
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone


class User(AbstractUser):
    """A person with exactly one role; platform and department users are scoped to one unit,
    an enterprise user to one firm (one 统一社会信用代码, docs/enterprise.md)."""

    class Role(models.TextChoices):
        CITY_ADMIN = "city_admin", "市级管理员"
        PLATFORM = "platform", "平台用户"
        DEPARTMENT = "department", "部门用户"
        LEADER = "leader", "领导"
        ENTERPRISE = "enterprise", "企业用户"

    class Department(models.TextChoices):
        """The data sources of the indicator catalogue (catalogue/forms.toml [sources])."""

        ECONOMY = "economy", "经信"
        STATISTICS = "statistics", "统计"
        TAX = "tax", "税务"
        NATURAL_RESOURCES = "natural_resources", "自然资源"
        POWER = "power", "电力"
        ECOLOGY = "ecology", "生态环境"

    role = models.CharField("角色", max_length=16, choices=Role.choices, default=Role.LEADER)
    platform = models.ForeignKey(
        "registry.Platform",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        verbose_name="所属平台",
    )
    department = models.CharField("所属部门", max_length=20, choices=Department.choices, blank=True)
    enterprise = models.ForeignKey(
        "registry.Enterprise",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="accounts",
        verbose_name="所属企业",
    )
    password_changed_at = models.DateTimeField("密码修改时间", null=True, blank=True)
    # An account created with a one-time password must choose its own before anything else.
    must_change_password = models.BooleanField("首次登录须修改密码", default=False)

    class Meta:
        verbose_name = verbose_name_plural = "用户"

    def clean(self) -> None:
        super().clean()
        if self.role == self.Role.PLATFORM and self.platform_id is None:
            raise ValidationError({"platform": "平台用户必须指定所属平台"})
        if self.role != self.Role.PLATFORM and self.platform_id is not None:
            raise ValidationError({"platform": "只有平台用户可以指定所属平台"})
        if self.role == self.Role.DEPARTMENT and not self.department:
            raise ValidationError({"department": "部门用户必须指定所属部门"})
        if self.role != self.Role.DEPARTMENT and self.department:
            raise ValidationError({"department": "只有部门用户可以指定所属部门"})
        if self.role == self.Role.ENTERPRISE and self.enterprise_id is None:
            raise ValidationError({"enterprise": "企业用户必须指定所属企业"})
        if self.role != self.Role.ENTERPRISE and self.enterprise_id is not None:
            raise ValidationError({"enterprise": "只有企业用户可以指定所属企业"})

    def set_password(self, raw_password: str | None) -> None:
        """A new password starts a new validity period; setting the current one again does not
        (the validators refuse it, and no other path may restart the period with it)."""
        unchanged = bool(raw_password and self.password) and check_password(
            raw_password, self.password
        )
        super().set_password(raw_password)
        if not unchanged:
            self.password_changed_at = timezone.now()
            self.must_change_password = False

    @property
    def is_city_admin(self) -> bool:
        return self.role == self.Role.CITY_ADMIN

    @property
    def is_enterprise(self) -> bool:
        return self.role == self.Role.ENTERPRISE

    @property
    def sees_all_platforms(self) -> bool:
        return self.role in (self.Role.CITY_ADMIN, self.Role.LEADER, self.Role.DEPARTMENT)


class LoginThrottle(models.Model):
    """Failed logins within the cool-off time, counted per username and address (the account
    lock) and per address alone (the address throttle). Counted before the password is checked,
    so that simultaneous guesses cannot all slip past the limit (docs/deployment.md)."""

    class Scope(models.TextChoices):
        ACCOUNT = "account", "账号（按来源地址）"
        ADDRESS = "address", "来源地址"

    scope = models.CharField("范围", max_length=8, choices=Scope.choices)
    username = models.CharField("用户名", max_length=150, blank=True)
    ip = models.CharField("来源地址", max_length=45)
    failures = models.PositiveIntegerField("失败次数", default=0)
    last_failure_at = models.DateTimeField("最近失败时间")

    class Meta:
        verbose_name = verbose_name_plural = "登录失败计数"
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "username", "ip"], name="one_login_counter_per_key"
            )
        ]

    def __str__(self) -> str:
        who = f"{self.username}@{self.ip}" if self.scope == self.Scope.ACCOUNT else self.ip
        return f"{who}：{self.failures} 次"
