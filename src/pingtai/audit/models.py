"""The audit log cannot be changed through the application: saves of existing rows, deletes and
bulk updates raise, and database triggers (migrations 0002 and 0005) refuse UPDATE, DELETE,
TRUNCATE and an INSERT that would replace an existing row.

Each event is one link of a chain: ``hash`` is an HMAC (key outside the database, epoch
``key_epoch``) over the event and the previous link's hash. The one-row ``AuditChainHead`` is
the chain's head; writers lock it, so that exactly one writer extends the chain at a time
(docs/audit.md)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class AppendOnlyError(RuntimeError):
    pass


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("审计日志只能追加，不能修改")

    def delete(self):
        raise AppendOnlyError("审计日志只能追加，不能删除")


class AuditEvent(models.Model):
    class Action(models.TextChoices):
        LOGIN = "login", "登录"
        LOGIN_FAILED = "login_failed", "登录失败"
        LOGOUT = "logout", "退出"
        CREATE = "create", "新增"
        UPDATE = "update", "修改"
        DELETE = "delete", "删除"
        OPEN_PERIOD = "open_period", "开启填报期"
        CLOSE_PERIOD = "close_period", "关闭填报期"
        UPLOAD = "upload", "上传"
        IMPORT_REFUSED = "import_refused", "导入被拒"
        SUBMIT = "submit", "提交"
        RETURN = "return", "退回"
        APPROVE = "approve", "审核通过"
        LOCK = "lock", "锁定"
        CORRECT = "correct", "更正"
        DOWNLOAD = "download", "下载"
        EXPORT = "export", "导出"
        PUBLISH = "publish", "发布"
        DENIED = "denied", "越权访问被拒"

    at = models.DateTimeField("时间", default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.DO_NOTHING,
        null=True,
        blank=True,
        db_constraint=False,
        related_name="+",
        verbose_name="操作人",
    )
    actor_username = models.CharField("用户名", max_length=150, blank=True)
    ip = models.GenericIPAddressField("来源地址", null=True, blank=True)
    action = models.CharField("操作", max_length=20, choices=Action.choices, db_index=True)
    object_type = models.CharField("对象类型", max_length=60, blank=True)
    object_id = models.CharField("对象编号", max_length=64, blank=True)
    object_repr = models.CharField("对象", max_length=300, blank=True)
    before = models.JSONField("变更前", null=True, blank=True)
    after = models.JSONField("变更后", null=True, blank=True)
    detail = models.TextField("说明", blank=True)
    seq = models.BigIntegerField("链上序号", unique=True)
    key_epoch = models.PositiveIntegerField("密钥代号", default=1)
    prev_hash = models.CharField("前一条哈希", max_length=64)
    hash = models.CharField("本条哈希", max_length=64, unique=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "审计日志"
        ordering = ["-id"]
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_username} {self.get_action_display()}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("审计日志只能追加，不能修改")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("审计日志只能追加，不能删除")


class AuditChainHead(models.Model):
    """The newest link of the audit chain, one row (id 1), locked by every writer of the chain.

    Locking the newest *event* does not serialise writers under READ COMMITTED: two writers
    can lock two different "newest" rows. This row is the same row for everybody, and a writer
    re-reads it after the lock is granted (PostgreSQL returns the newest committed version to
    SELECT … FOR UPDATE), so the previous hash it links to is the true head."""

    SINGLETON = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON)
    chain = models.CharField("审计链标识", max_length=32)
    seq = models.BigIntegerField("最新序号", default=0)
    hash = models.CharField("最新哈希", max_length=64)
    key_epoch = models.PositiveIntegerField("最新密钥代号", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "审计链头"
        default_permissions = ()

    def __str__(self) -> str:
        return f"第{self.seq}条 {self.hash}"
