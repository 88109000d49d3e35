"""The who/when/why field groups the objection records share, as abstract Django models
(docs/objections.md). Both kinds of objection are answered (答复) — by the data-owning
department or the city administrator — so the fields carry one set of words
(docs/glossary.md: one term per concept)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Filed(models.Model):
    """Who raised the matter, and when."""

    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="提出人"
    )
    filed_at = models.DateTimeField("提出时间", default=timezone.now)

    class Meta:
        abstract = True


class Decided(models.Model):
    """Who decided, and when; both empty until the decision."""

    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="答复人",
    )
    decided_at = models.DateTimeField("答复时间", null=True, blank=True)

    class Meta:
        abstract = True


class Decision(Decided):
    """Who decided, when, and the reason given (a decision without a reason is refused by the
    services)."""

    decision_reason = models.TextField("答复理由", blank=True)

    class Meta:
        abstract = True


class ObjectionRecord(Filed, Decision):
    """An objection: filed by someone at some time, decided later by someone with a reason;
    its status follows pingtai.objection.lifecycle."""

    class Meta:
        abstract = True
