"""What a reviewer sees before approving: every submitted value beside its references.

References are like with like (docs/reporting.md, "Review"): a year-to-date indicator (the
catalogue's ``cumulative``) is compared with the same period of the previous year only; a
period-end stock (staff, area) also with the previous period. The peer median is the median of
the same indicator reported by the other units for the same period (platform forms) or by the
other rows of the same file (enterprise and parcel forms). A value is *suspected* when the unit
slip rules of the upload check (``xlsx.validate.slip``: ×10, ×100, ×10,000, 亩↔公顷 ×15,
元↔万元 …) match it against one of those references; such a version cannot be approved unless
the reviewer confirms, with a reason, that the values were checked (``workflow``).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from pingtai.catalogue import Indicator, default_catalogue, parse_period
from pingtai.reporting.models import Submission, SubmissionVersion
from pingtai.xlsx.validate import slip

PEER_MIN_COUNT = 5  # the upload check's rule: a median of fewer units says little
SHOW_ALL_UP_TO = 400  # larger files list only the suspected values (the file is downloadable)
NAME_COLUMNS = ("platform_name", "enterprise_name")


def amount_text(
    value: Decimal | int | None, indicator: Indicator, places: int | None = None
) -> str:
    """A value in the form's unit as an official reads it: 612,000 万元, never 612000.000000.
    Without ``places``, as many decimals as the value needs (up to the form's); with it, that
    many, so that the references beside a submitted value show as many as it does."""
    if value is None:
        return "—"
    most = 0 if indicator.dtype == "int" else (indicator.decimals or 0)
    number = Decimal(value).quantize(
        Decimal(1).scaleb(-(most if places is None else min(places, most))),
        rounding=ROUND_HALF_UP,
    )
    text = f"{number:,}"
    if places is None and "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text} {indicator.unit}".rstrip()


def _places(text: str) -> int:
    """Decimals shown in a text from ``amount_text``."""
    number = text.split(" ")[0]
    return len(number.split(".")[1]) if "." in number else 0


@dataclass(frozen=True)
class Reference:
    label: str
    value: Decimal | None
    text: str
    suspicion: str  # "" when the value is not suspicious against this reference


@dataclass(frozen=True)
class ReviewRow:
    key: str
    key_name: str
    indicator: str
    name: str
    value_text: str
    references: tuple[Reference, ...]
    confirmations: tuple[str, ...]  # what the uploader confirmed for this cell

    @property
    def suspicions(self) -> list[str]:
        return [f"与{r.label}比：{r.suspicion}" for r in self.references if r.suspicion]

    @property
    def suspected(self) -> bool:
        return any(r.suspicion for r in self.references)


@dataclass
class Review:
    version: SubmissionVersion | None
    reference_labels: tuple[str, ...]
    # Every numeric cell of a file of up to SHOW_ALL_UP_TO of them, else the suspected ones.
    rows: list[ReviewRow] = field(default_factory=list)
    total: int = 0  # numeric cells checked
    notes: list[str] = field(default_factory=list)

    @property
    def suspected(self) -> list[ReviewRow]:
        return [r for r in self.rows if r.suspected]

    @property
    def shown(self) -> list[ReviewRow]:
        return self.rows if self.total <= SHOW_ALL_UP_TO else self.suspected

    @property
    def hidden(self) -> int:
        return self.total - len(self.shown)


def _values(version: SubmissionVersion | None) -> dict[tuple[str, str], Decimal]:
    if version is None:
        return {}
    return {
        (key, ind): value
        for key, ind, value in version.facts.exclude(value=None).values_list(
            "key", "indicator", "value"
        )
        if value is not None  # excluded above; this tells the type checker
    }


def _approved(requirement, period_code: str) -> SubmissionVersion | None:
    scope = (
        {"requirement__platform_id": requirement.platform_id}
        if requirement.platform_id
        else {"requirement__department": requirement.department}
    )
    sub = (
        Submission.objects.filter(
            requirement__form_code=requirement.form_code,
            requirement__period__code=period_code,
            approved_version__isnull=False,
            **scope,
        )
        .select_related("approved_version")
        .first()
    )
    return sub.approved_version if sub else None


def _peer_medians(requirement, own: dict[tuple[str, str], Decimal], level: str) -> dict:
    """indicator → median of the other units' (platform forms) or rows' (others) values."""
    pools: dict[str, list[Decimal]] = {}
    if level == "platform":
        peers = Submission.objects.filter(
            requirement__period_id=requirement.period_id,
            requirement__form_code=requirement.form_code,
            latest_version__isnull=False,
            status__in=(
                Submission.Status.SUBMITTED,
                Submission.Status.APPROVED,
                Submission.Status.LOCKED,
            ),
        ).exclude(requirement_id=requirement.pk)
        for sub in peers.select_related("latest_version"):
            version = sub.approved_version or sub.latest_version
            for (_, ind), value in _values(version).items():
                pools.setdefault(ind, []).append(value)
    else:
        for (_, ind), value in own.items():
            pools.setdefault(ind, []).append(value)
    medians = {}
    for ind, values in pools.items():
        positive = [Decimal(v) for v in values if v > 0]
        if len(positive) >= PEER_MIN_COUNT:
            medians[ind] = statistics.median(positive)
    return medians


def _uploader_confirmations(version: SubmissionVersion) -> dict[tuple[str, str], list[str]]:
    attempt = getattr(version, "attempt", None)
    confirmed = set(version.confirmations or [])
    out: dict[tuple[str, str], list[str]] = {}
    for c in attempt.confirmations if attempt is not None else []:
        if c.get("id") in confirmed:
            out.setdefault((c["key"], c["indicator"]), []).append(c["text"])
    return out


def review_of(requirement, version: SubmissionVersion | None = None) -> Review:
    """The review table of a requirement's version (default: the latest upload)."""
    version = version or requirement.submission.latest_version
    catalogue = default_catalogue()
    form = catalogue.form(requirement.form_code)
    period = parse_period(requirement.period.code)
    previous, last_year = period.previous(), period.same_period_last_year()
    labels = (f"上期（{previous.label}）", f"上年同期（{last_year.label}）", "同类中位数")
    review = Review(version, labels)
    if version is None:
        return review
    own = _values(version)
    refs_previous = _values(_approved(requirement, previous.code))
    refs_last_year = _values(_approved(requirement, last_year.code))
    medians = _peer_medians(requirement, own, form.level)
    names = dict(version.facts.filter(indicator__in=NAME_COLUMNS).values_list("key", "text"))
    confirmations = _uploader_confirmations(version)
    if not refs_previous and not refs_last_year:
        review.notes.append("上期和上年同期均无审核通过的数据，只能与同类中位数比较")
    if any(catalogue.indicators[c].cumulative for c in form.columns):
        review.notes.append("累计值指标只与上年同期比较（与上期比较仅作参考，不据以判断单位错误）")
    numeric = {c for c in form.columns if catalogue.indicators[c].numeric}
    cells = sorted(((key, code), v) for (key, code), v in own.items() if code in numeric)
    review.total = len(cells)
    # A large file lists only its suspected values (``Review.shown``): the other cells are
    # checked but not made into rows (a 100,000-row enterprise file has 500,000 of them).
    every_row = review.total <= SHOW_ALL_UP_TO
    for (key, code), value in cells:
        ind = catalogue.indicators[code]
        compared = []
        for label, ref, comparable, peers in (
            (labels[0], refs_previous.get((key, code)), not ind.cumulative, False),
            (labels[1], refs_last_year.get((key, code)), True, False),
            (labels[2], medians.get(code), True, True),
        ):
            hit = slip(ind, Decimal(value), Decimal(ref), peers) if ref is not None else None
            suspicion = ""
            if hit and comparable:
                suspicion = hit[1].replace("参照值", label.split("（")[0])
            compared.append((label, ref, suspicion))
        if not every_row and not any(suspicion for _, _, suspicion in compared):
            continue
        value_text = amount_text(value, ind)
        places = _places(value_text)
        review.rows.append(
            ReviewRow(
                key=key,
                key_name=names.get(key, ""),
                indicator=code,
                name=ind.name,
                value_text=value_text,
                references=tuple(
                    Reference(label, ref, amount_text(ref, ind, places), suspicion)
                    for label, ref, suspicion in compared
                ),
                confirmations=tuple(confirmations.get((key, code), ())),
            )
        )
    return review
