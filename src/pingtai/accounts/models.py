from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone


class User(AbstractUser):
    """A person with exactly one role; platform and department users are scoped to one unit."""

    class Role(models.TextChoices):
        CITY_ADMIN = "city_admin", "市级管理员"
        PLATFORM = "platform", "平台用户"
        DEPARTMENT = "department", "部门用户"
        LEADER = "leader", "领导"

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
    password_changed_at = models.DateTimeField("密码修改时间", null=True, blank=True)

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

    def set_password(self, raw_password: str | None) -> None:
        super().set_password(raw_password)
        self.password_changed_at = timezone.now()

    @property
    def is_city_admin(self) -> bool:
        return self.role == self.Role.CITY_ADMIN

    @property
    def sees_all_platforms(self) -> bool:
        return self.role in (self.Role.CITY_ADMIN, self.Role.LEADER, self.Role.DEPARTMENT)
