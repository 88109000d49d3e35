"""The who/when/why field groups the objection records share, as abstract Django models
(docs/objections.md). A model names its own table and columns (they are the ones its
migrations made); only the words a person reads next to a field differ between models, and
a model gives them in ``field_words``."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models.signals import class_prepared
from django.dispatch import receiver
from django.utils import timezone


class Worded(models.Model):
    """``field_words`` maps an inherited field to the label this model's pages have always
    shown for it (e.g. the firm's objection is 答复 by the department, a league objection is
    处理 by the city); the label is applied when the model class is ready."""

    field_words: ClassVar[dict[str, str]] = {}

    class Meta:
        abstract = True


@receiver(class_prepared)
def _apply_field_words(sender: type[models.Model], **kwargs: object) -> None:
    if issubclass(sender, Worded) and not sender._meta.abstract:
        for name, words in sender.field_words.items():
            field = sender._meta.get_field(name)
            assert isinstance(field, models.Field)
            # Each model holds its own copy of an inherited field. The label is set both where
            # pages read it and where the migration state reads it (Field.deconstruct reads
            # the label as it was given), so the migrations keep the label they recorded.
            field.verbose_name = words
            setattr(field, "_verbose_name", words)  # noqa: B010 -- private, not in the stubs


class Filed(Worded):
    """Who raised the matter, and when."""

    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="提出人"
    )
    filed_at = models.DateTimeField("提出时间", default=timezone.now)

    class Meta:
        abstract = True


class Decided(Worded):
    """Who decided, and when; both empty until the decision."""

    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="处理人",
    )
    decided_at = models.DateTimeField("处理时间", null=True, blank=True)

    class Meta:
        abstract = True


class Decision(Decided):
    """Who decided, when, and the reason given (a decision without a reason is refused by the
    services)."""

    decision_reason = models.TextField("处理理由", blank=True)

    class Meta:
        abstract = True


class ObjectionRecord(Filed, Decision):
    """An objection: filed by someone at some time, decided later by someone with a reason;
    its status follows pingtai.objection.lifecycle."""

    class Meta:
        abstract = True
