"""Access tokens for the HTTP API. Only a SHA-256 of the token is stored: the token itself is
shown once when it is created and cannot be recovered from the database."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="api_tokens", verbose_name="所属用户"
    )
    name = models.CharField("名称（用途）", max_length=80)
    prefix = models.CharField("令牌前缀（用于识别）", max_length=12)
    token_hash = models.CharField("令牌哈希（SHA-256）", max_length=64, unique=True)
    created_at = models.DateTimeField("创建时间", default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="创建人",
    )
    expires_at = models.DateTimeField("到期时间")
    last_used_at = models.DateTimeField("最近使用时间", null=True, blank=True)
    revoked_at = models.DateTimeField("吊销时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "接口令牌"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user} {self.name}（{self.prefix}…）"

    def is_valid(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and now < self.expires_at and self.user.is_active

    @property
    def state(self) -> str:
        if self.revoked_at is not None:
            return "已吊销"
        if timezone.now() >= self.expires_at:
            return "已过期"
        return "有效"
