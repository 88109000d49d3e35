"""Publish, supersede and reproduce — the same rules for every kind of frozen run.

Each kind (亩均 evaluation, league, allocation) describes itself once in a ``RunKind``: how to
read its stored result rows, how to parse its result file into the same shape, how to
recompute the result from the frozen inputs, which reports must be approved before it may be
published. Everything else — the state rules, the one-current-result rule, the publish gate,
four eyes on corrections, the reproduction report, the audit records — lives here, once
(docs/runs.md).
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from django.db import IntegrityError, transaction
from django.utils import timezone

from pingtai.audit.models import AuditEvent
from pingtai.audit.services import audit_record
from pingtai.core.refusal import Refused
from pingtai.engine.version import ENGINE_VERSION
from pingtai.runs.models import DerivedFlag, FrozenRun, RunStatus

Rows = dict[str, dict[str, str]]
"""Result rows in canonical text: entity id → field → value as shown in the result file."""

R = TypeVar("R", bound=FrozenRun)

WHOLE_ROW = "（整行）"


@dataclass(frozen=True)
class Finding:
    """One difference between what is stored and what it should be."""

    entity: str
    name: str
    field: str
    stored: str
    expected: str

    def text(self) -> str:
        who = f"{self.name}（{self.entity}）" if self.entity else ""
        return (
            f"{who}“{self.field}”：现为 {self.stored or '（空）'}，应为 {self.expected or '（空）'}"
        )


@dataclass
class Reproduction:
    """What ``reproduce`` found, reported in two parts (docs/runs.md).

    ``integrity``: the stored rows and files equal what was recorded — must always hold.
    ``recompute``: the frozen inputs give the stored result again; when the engine has changed
    since the run was made, differences are information (``engine_changed``), not failures.
    """

    run_label: str
    rows_checked: int
    integrity: list[Finding] = field(default_factory=list)
    recomputed: bool = False
    recompute: list[Finding] = field(default_factory=list)
    engine_changed: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def integrity_ok(self) -> bool:
        return not self.integrity

    @property
    def recompute_ok(self) -> bool:
        return self.recomputed and (not self.recompute or self.engine_changed)

    @property
    def ok(self) -> bool:
        return self.integrity_ok and self.recompute_ok

    def first_problem(self) -> str:
        if self.integrity:
            return "完整性：" + self.integrity[0].text()
        if not self.recomputed:
            return "无法重算：" + "；".join(self.notes)
        if self.recompute and not self.engine_changed:
            return "重算结果不同：" + self.recompute[0].text()
        return ""

    def lines(self) -> list[str]:
        """The report as printed by the CLI and shown on the run page."""
        out = [f"{self.run_label}：核对结果行 {self.rows_checked} 行"]
        if self.integrity:
            out.append(
                f"完整性：不一致（{len(self.integrity)} 处），首处 {self.integrity[0].text()}"
            )
            out += [f"  - {f.text()}" for f in self.integrity[1:20]]
        else:
            out.append("完整性：一致（结果行、结果文件、发布记录均与发布时相同）")
        if not self.recomputed:
            out.append("重算：未能重算（" + "；".join(self.notes) + "）")
        elif not self.recompute:
            out.append("重算：一致（用冻结的输入重新计算，结果相同）")
        elif self.engine_changed:
            out.append(
                f"重算：计算程序已更新，用现行程序重算会有 {len(self.recompute)} 处不同（仅供参考），"
                f"首处 {self.recompute[0].text()}"
            )
        else:
            out.append(f"重算：不一致（{len(self.recompute)} 处），首处 {self.recompute[0].text()}")
        out += [n for n in self.notes if self.recomputed]
        return out


class RunKind(ABC, Generic[R]):
    """How one kind of run reads, parses and recomputes its results. Subclass per kind; a
    kind that leaves out one of the abstract methods cannot be created."""

    model: type[R]
    #: what the rows are about, e.g. "企业", "平台", "对象"
    entity_noun = "对象"
    #: canonical field → the word shown in findings and diffs
    field_labels: dict[str, str] = {}
    #: fields compared between an old and a new result when one supersedes the other
    diff_fields: tuple[str, ...] = ("score", "class", "rank")

    @abstractmethod
    def key_label(self, run: R) -> str:
        """The run's key in words, e.g. “2024年度”."""

    @abstractmethod
    def recorded_rows(self, run: R, result: bytes) -> Rows:
        """Rows as the result file records them."""

    @abstractmethod
    def stored_rows(self, run: R) -> Rows:
        """Rows as pages, notices, exports and the API read them."""

    def names(self, run: R, rows: Rows) -> dict[str, str]:
        return {entity: row.get("name", "") for entity, row in rows.items()}

    @abstractmethod
    def recompute(self, run: R) -> bytes:
        """The result file computed again from the frozen inputs; ``Refused`` when impossible."""

    def missing_reports(self, run: R) -> list[str]:
        """Required reports of the run's period and scope not yet approved (the publish gate)."""
        return []

    def open_questions(self, run: R) -> list[str]:
        """Decisions a person must record before the run may be published (e.g. a tie that
        decides a list), each in words; publishing is refused while any is open."""
        return []

    def correction_deciders(self, run: R) -> set[int]:
        """Users who accepted corrected data that this run uses: they may not also publish it."""
        return set()

    def document_findings(self, run: R) -> list[Finding]:
        """Differences between issued documents of the run and their recorded hashes."""
        from pingtai.reports.services import document_findings

        return document_findings(run)

    def on_superseded(self, old: R, new: R, *, user: Any, request: Any) -> None:
        """Flag what was derived from ``old`` (allocations, pay pools, lists …)."""

    def on_published(self, run: R, *, user: Any, request: Any) -> None:
        """What follows the publication of ``run`` for this kind (e.g. result letters made
        available to the firms); called last, inside the publishing transaction, so it must be
        cheap and a failure undoes the publication."""


_KINDS: dict[type[FrozenRun], RunKind[Any]] = {}


def register(kind: RunKind[R]) -> RunKind[R]:
    _KINDS[kind.model] = kind
    return kind


def kind_of(run: FrozenRun | type[FrozenRun]) -> RunKind[Any]:
    model = run if isinstance(run, type) else type(run)
    try:
        return _KINDS[model]
    except KeyError:
        raise LookupError(f"{model.__name__} is not a registered run kind") from None


def digest_rows(rows: Rows) -> str:
    text = json.dumps(rows, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def compare_rows(
    kind: RunKind[Any], expected: Rows, actual: Rows, names: dict[str, str]
) -> list[Finding]:
    """Every difference, in the order of ``expected`` (the result file's order)."""
    found: list[Finding] = []
    for entity, want in expected.items():
        have = actual.get(entity)
        name = names.get(entity, "")
        if have is None:
            found.append(Finding(entity, name, WHOLE_ROW, "缺失", "应有此行"))
            continue
        for key, value in want.items():
            if have.get(key, "") != value:
                label = kind.field_labels.get(key, key)
                found.append(Finding(entity, name, label, have.get(key, ""), value))
    for entity in actual.keys() - expected.keys():
        found.append(Finding(entity, names.get(entity, ""), WHOLE_ROW, "多出此行", "不应有"))
    return found


def _file_findings(run: FrozenRun) -> list[Finding]:
    found = []
    for label, stored in (("结果文件", run.result), ("输入快照", run.input_snapshot)):
        actual = hashlib.sha256(bytes(stored.content)).hexdigest()
        if actual != stored.sha256:
            found.append(Finding("", "", f"{label}的内容", actual, stored.sha256))
    if run.result.sha256 != run.result_hash:
        found.append(Finding("", "", "结果文件", run.result.sha256, run.result_hash))
    return found


def _publication_findings(run: FrozenRun, stored_digest: str) -> list[Finding]:
    """A published (or superseded) run must match its publication record in the audit log."""
    if run.published_at is None:
        return []
    found = []
    if run.rows_digest and run.rows_digest != stored_digest:
        found.append(Finding("", "", "结果行摘要", stored_digest, run.rows_digest))
    event = (
        AuditEvent.objects.filter(
            action=AuditEvent.Action.PUBLISH,
            object_type=run._meta.label,
            object_id=str(run.pk),
        )
        .order_by("-id")
        .first()
    )
    if event is None:
        found.append(Finding("", "", "发布记录（审计日志）", "无", "应有"))
        return found
    recorded = event.after or {}
    if recorded.get("result_hash") not in (None, run.result_hash):
        found.append(
            Finding("", "", "结果哈希（与发布记录相比）", run.result_hash, recorded["result_hash"])
        )
    if recorded.get("rows_digest") not in (None, stored_digest):
        found.append(
            Finding("", "", "结果行（与发布记录相比）", stored_digest, recorded["rows_digest"])
        )
    return found


def reproduce(run: FrozenRun, *, recompute: bool = True) -> Reproduction:
    """Check integrity (always) and recompute from the frozen inputs (unless told not to)."""
    kind = kind_of(run)
    stored = kind.stored_rows(run)
    report = Reproduction(run.name, rows_checked=len(stored))
    if run.result is None or run.input_snapshot is None:
        report.integrity.append(
            Finding("", "", "结果文件与输入快照", "无（生成于冻结机制之前）", "应有")
        )
        report.notes.append("该批次生成于冻结机制之前，没有输入快照，无法重算")
        return report
    recorded = kind.recorded_rows(run, bytes(run.result.content))
    names = kind.names(run, recorded)
    report.integrity += _file_findings(run)
    report.integrity += compare_rows(kind, recorded, stored, names)
    report.integrity += _publication_findings(run, digest_rows(stored))
    report.integrity += kind.document_findings(run)
    if not recompute:
        report.notes.append("未要求重算")
        return report
    report.engine_changed = bool(run.engine_version) and run.engine_version != ENGINE_VERSION
    if report.engine_changed:
        report.notes.append(f"批次由计算程序 {run.engine_version} 生成，现为 {ENGINE_VERSION}")
    try:
        again = kind.recompute(run)
    except Refused as refused:
        report.notes.append(refused.message)
        return report
    report.recomputed = True
    report.recompute = compare_rows(kind, recorded, kind.recorded_rows(run, again), names)
    if not report.recompute and hashlib.sha256(again).hexdigest() != run.result_hash:
        report.recompute.append(
            Finding(
                "", "", "结果文件（逐字节）", hashlib.sha256(again).hexdigest(), run.result_hash
            )
        )
    return report


def diff_runs(old: FrozenRun, new: FrozenRun) -> list[dict[str, Any]]:
    """Which entities changed score, class or rank: one dict per entity that changed."""
    kind = kind_of(new)
    before, after = kind.stored_rows(old), kind.stored_rows(new)
    names = {**kind.names(old, before), **kind.names(new, after)}
    changes = []
    for entity in sorted(before.keys() | after.keys()):
        a, b = before.get(entity, {}), after.get(entity, {})
        changed = {
            f: [a.get(f, ""), b.get(f, "")]
            for f in kind.diff_fields
            if a.get(f, "") != b.get(f, "")
        }
        if changed:
            changes.append({"entity": entity, "name": names.get(entity, ""), "changes": changed})
    return changes


def _lock_current(model: type[R], key: dict[str, object], exclude: int) -> R | None:
    return (
        model._default_manager.select_for_update()
        .filter(status=RunStatus.PUBLISHED, **key)
        .exclude(pk=exclude)
        .first()
    )


def publish(
    run: R,
    *,
    user: Any,
    supersede: int | FrozenRun | None = None,
    reason: str = "",
    override_reason: str = "",
    request: Any = None,
) -> R:
    """Publish a preview (or 公示) run; it becomes the current result of its key.

    Refused, with a message naming what to do, when: the user is not the city administrator;
    the run is not a preview; a decision the kind asks for is still open; the key already has a current result and ``supersede`` does not
    name it with a ``reason``; the person publishing a correction also accepted corrected data
    in it; required reports are missing and no ``override_reason`` is given; the run does not
    reproduce.
    """
    kind = kind_of(run)
    model = type(run)
    if not getattr(user, "is_city_admin", False):
        raise Refused("只有市级管理员可以发布结果", code="forbidden")
    reason, override_reason = reason.strip(), override_reason.strip()
    supersede_pk = supersede.pk if isinstance(supersede, FrozenRun) else supersede
    with transaction.atomic():
        locked = model._default_manager.select_for_update().get(pk=run.pk)
        label = locked.name
        if not locked.can_publish:
            raise Refused(
                f"{label}状态为“{locked.get_status_display()}”，不能发布", code="not_preview"
            )
        questions = kind.open_questions(locked)
        if questions:
            listed = "\n".join(f"  - {q}" for q in questions)
            raise Refused(
                f"{label}有 {len(questions)} 项须先决定的事项，不能发布：\n{listed}",
                code="undecided",
            )
        current = _lock_current(model, locked.current_key(), exclude=locked.pk)
        key_label = kind.key_label(locked)
        if current is not None:
            if supersede_pk is None:
                raise Refused(
                    f"{key_label}已有现行结果：{current.name}"
                    f"（{timezone.localtime(current.published_at):%Y-%m-%d %H:%M} 发布）。"
                    f"如需以本批次更正，须说明理由并明确取代该批次"
                    f"（命令行：--supersede {current.pk} --reason 理由）",
                    code="current_exists",
                )
            if supersede_pk != current.pk:
                raise Refused(
                    f"{model.name_of(supersede_pk)}不是{key_label}的现行结果，现行结果为{current.name}",
                    code="wrong_supersede",
                )
            if not reason:
                raise Refused(
                    "取代现行结果必须填写更正理由", code="reason_required", field="reason"
                )
            if user.pk in kind.correction_deciders(locked):
                raise Refused(
                    "更正须由两人完成：受理本批次所用更正数据的人不能再发布更正后的结果，请由另一位市级管理员发布",
                    code="four_eyes",
                )
        elif supersede_pk is not None:
            raise Refused(f"{key_label}尚无现行结果，无需取代", code="nothing_to_supersede")
        missing = kind.missing_reports(locked)
        if missing and not override_reason:
            listed = "\n".join(f"  - {m}" for m in missing[:30])
            more = f"\n  …… 另有 {len(missing) - 30} 项" if len(missing) > 30 else ""
            raise Refused(
                f"以下 {len(missing)} 项报送尚未审核通过，不能发布：\n{listed}{more}\n"
                "如确需在报送未齐时发布，市级管理员须填写理由（命令行：--override-reason 理由）",
                code="gate",
                field="override_reason",
            )
        check = reproduce(locked)
        if check.engine_changed:
            raise Refused(f"{label}由旧版计算程序生成，请重新运行后再发布", code="not_reproducible")
        if not check.ok:
            raise Refused(
                f"发布前复核未通过，不能发布。{check.first_problem()}", code="not_reproducible"
            )
        stored_digest = digest_rows(kind.stored_rows(locked))
        now = timezone.now()
        if current is not None:
            locked.supersedes = current
            locked.supersede_reason = reason
            locked.supersede_diff = diff_runs(current, locked)
            current.status, current.superseded_at = RunStatus.SUPERSEDED, now
            current.save(update_fields=["status", "superseded_at"])
            audit_record(
                AuditEvent.Action.UPDATE,
                request=request,
                actor=user,
                obj=current,
                before={"status": RunStatus.PUBLISHED},
                after={"status": RunStatus.SUPERSEDED, "superseded_by": locked.pk},
                detail=f"被{locked.name}取代：{reason}",
            )
        locked.status, locked.published_by, locked.published_at = RunStatus.PUBLISHED, user, now
        locked.rows_digest = stored_digest
        locked.override_reason = override_reason if missing else ""
        try:
            with transaction.atomic():
                locked.save(
                    update_fields=[
                        "status",
                        "published_by",
                        "published_at",
                        "rows_digest",
                        "override_reason",
                        "supersedes",
                        "supersede_reason",
                        "supersede_diff",
                    ]
                )
        except IntegrityError:
            raise Refused(
                f"{key_label}刚刚有另一批次发布，请刷新后重试", code="current_exists"
            ) from None
        audit_record(
            AuditEvent.Action.PUBLISH,
            request=request,
            actor=user,
            obj=locked,
            after={
                "input_hash": locked.input_hash,
                "result_hash": locked.result_hash,
                "rows_digest": stored_digest,
                "engine_version": locked.engine_version,
                "supersedes": current.pk if current is not None else None,
                "override_reason": locked.override_reason or None,
                "missing_reports": len(missing),
            },
            detail=reason or override_reason,
        )
        if current is not None:
            kind.on_superseded(current, locked, user=user, request=request)
            # Issued documents stay as issued and are marked 已更正 (docs/notices.md).
            from pingtai.reports.services import mark_superseded

            mark_superseded(current, locked, user=user, note=reason)
        kind.on_published(locked, user=user, request=request)
    return locked


def flag_derived(
    old: FrozenRun,
    new: FrozenRun,
    derived: Any,
    affected: dict[str, str],
    *,
    user: Any,
    request: Any = None,
) -> DerivedFlag:
    """Mark ``derived`` (made from ``old``) as resting on a superseded result (docs/runs.md)."""
    flag = DerivedFlag.objects.create(
        source_type=old._meta.label,
        source_id=old.pk,
        superseding_id=new.pk,
        object_type=derived._meta.label,
        object_id=str(derived.pk),
        object_repr=str(derived)[:300],
        affected=[{"code": c, "name": affected[c]} for c in sorted(affected)],
    )
    audit_record(
        AuditEvent.Action.CREATE,
        request=request,
        actor=user,
        obj=flag,
        after={"source": old.pk, "superseding": new.pk, "affected": flag.affected},
        detail=f"依据已更正：{flag.object_repr}",
    )
    return flag


def resolve_flag(flag: DerivedFlag, *, user: Any, note: str, request: Any = None) -> DerivedFlag:
    """The city administrator records what was done about a derived object (re-run, kept …)."""
    if not getattr(user, "is_city_admin", False):
        raise Refused("只有市级管理员可以处理依据已更正的提示", code="forbidden")
    if not note.strip():
        raise Refused("请填写处理说明（如：已按更正结果重新配置并发布方案）", field="note")
    with transaction.atomic():
        flag = DerivedFlag.objects.select_for_update().get(pk=flag.pk)
        if flag.status != DerivedFlag.Status.OPEN:
            raise Refused("该提示已处理", code="resolved")
        flag.status, flag.resolved_by, flag.resolved_at = (
            DerivedFlag.Status.RESOLVED,
            user,
            timezone.now(),
        )
        flag.note = note.strip()
        flag.save(update_fields=["status", "resolved_by", "resolved_at", "note"])
        audit_record(
            AuditEvent.Action.UPDATE,
            request=request,
            actor=user,
            obj=flag,
            before={"status": "open"},
            after={"status": "resolved"},
            detail=flag.note,
        )
    return flag


def correction_flags(run: FrozenRun) -> list[DerivedFlag]:
    """Open flags raised by a correction of ``run`` or by ``run`` correcting another."""
    from django.db.models import Q

    label = run._meta.label
    return list(
        DerivedFlag.objects.filter(
            Q(source_type=label, source_id=run.pk) | Q(source_type=label, superseding_id=run.pk),
            status=DerivedFlag.Status.OPEN,
        )
    )


def open_flags(obj: Any) -> list[DerivedFlag]:
    """Open flags on one derived object, for its page."""
    return list(
        DerivedFlag.objects.filter(
            object_type=obj._meta.label, object_id=str(obj.pk), status=DerivedFlag.Status.OPEN
        )
    )
