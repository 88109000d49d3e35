"""Use cases of integration planning: classification runs and their approval into registry
events, benefit-sharing agreements and yearly settlements. Every change is audited in the same
transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from pingtai.accounts.models import User
from pingtai.audit.models import AuditEvent
from pingtai.audit.services import audit_record
from pingtai.core.datafiles import read_bytes, toml_table
from pingtai.core.refusal import Refused
from pingtai.planning import rules as R
from pingtai.planning import selectors
from pingtai.planning.models import (
    Agreement,
    AgreementParty,
    ClassificationItem,
    ClassificationRun,
    Settlement,
    SettlementLine,
)
from pingtai.registry.models import (
    County,
    Enterprise,
    EnterpriseYear,
    FormerZone,
    IntegrationEvent,
    Platform,
    SubZone,
)
from pingtai.registry.selectors import _exact, available_years, platform_system_as_of

WAN_TO_YUAN = Decimal(10000)


def _require_admin(user: User) -> None:
    if not user.is_city_admin:
        raise Refused("只有市级管理员可以执行此操作")


# ---------------------------------------------------------------- 并提撤转


def classification_create(
    *, year: int, as_of: dt.date, user: User, request=None, rules: R.PlanningRules | None = None
) -> ClassificationRun:
    _require_admin(user)
    if year not in available_years():
        raise Refused(f"没有 {year} 年的企业数据")
    rules = rules or R.load_rules()
    platforms = {p.code: p for p in Platform.objects.all()}
    names = {code: p.short_name for code, p in platforms.items()}
    with transaction.atomic():
        run = ClassificationRun.objects.create(
            year=year, as_of=as_of, rules_id=rules.id, rules_version=rules.version, created_by=user
        )
        items, leaving = [], set()
        for platform, subject in selectors.platform_cases(year, rules):
            decision = R.classify_platform(subject, rules.platform, names, rules.adjacency.tie_km)
            if decision.action in ("merge", "revoke", "convert"):
                leaving.add(platform.code)
            items.append(
                _item(
                    run,
                    ClassificationItem.Subject.PLATFORM,
                    subject,
                    decision,
                    platforms,
                    platform=platform,
                    county_id=subject.county,
                    current_platform=platform,
                )
            )
        # Townships are matched only to platforms that remain main platforms under this run.
        for case in selectors.zone_cases(year, as_of, rules, exclude=leaving):
            decision = R.classify_township(
                case.subject, rules.township, names, rules.adjacency.tie_km
            )
            items.append(
                _item(
                    run,
                    ClassificationItem.Subject.ZONE,
                    case.subject,
                    decision,
                    platforms,
                    zone=case.zone,
                    county_id=case.zone.county_id,
                    current_platform=case.current_platform,
                )
            )
        ClassificationItem.objects.bulk_create(items)
        counts = {a: sum(i.action == a for i in items) for a in R.ACTIONS}
        audit_record(
            AuditEvent.Action.CREATE,
            request=request,
            actor=user,
            obj=run,
            after={
                "year": year,
                "as_of": as_of.isoformat(),
                "rules": f"{rules.id} v{rules.version}",
                "counts": counts,
            },
        )
    return run


def _item(
    run, subject_kind, subject: R.Subject, decision: R.Decision, platforms, **fields
) -> ClassificationItem:
    target, fit = R.best_adjacent(subject)
    return ClassificationItem(
        run=run,
        subject=subject_kind,
        code=subject.code,
        name=subject.name,
        area_mu=subject.area_mu,
        enterprises=subject.enterprises,
        land_mu=subject.land_mu,
        output_wan=subject.output_wan,
        tax_wan=subject.tax_wan,
        fit=fit.quantize(Decimal("0.0001")) if target else None,
        action=decision.action,
        target_platform=platforms.get(decision.target) if decision.target else None,
        reasons=list(decision.reasons),
        **fields,
    )


def classification_item_adjust(
    item: ClassificationItem, *, action: str, target: str, reason: str, user: User, request=None
) -> ClassificationItem:
    """The city administrator overrides one proposal before approval; the reason is kept with it."""
    _require_admin(user)
    if item.run.status != ClassificationRun.Status.DRAFT:
        raise Refused("该批次已审定，不能再调整")
    if action not in ClassificationItem.Action.values:
        raise Refused(f"方式“{action}”无效")
    if not reason.strip():
        raise Refused("请填写调整理由")
    platform = None
    if action in ("merge", "upgrade"):
        platform = Platform.objects.filter(code=target).first()
        if platform is None:
            raise Refused("并入或提升须指定去向平台")
        if action == "merge" and platform.pk == item.platform_id:
            raise Refused("平台不能并入自身")
    before = {
        "action": item.action,
        "target": item.target_platform.code if item.target_platform else None,
    }
    label = dict(ClassificationItem.Action.choices)
    with transaction.atomic():
        item.reasons = [
            *item.reasons,
            (
                f"市级管理员调整：{label[item.action]} → {label[action]}"
                f"{'（' + platform.short_name + '）' if platform else ''}，理由：{reason.strip()}"
            ),
        ]
        item.action, item.target_platform = action, platform
        item.save(update_fields=["action", "target_platform", "reasons"])
        audit_record(
            AuditEvent.Action.UPDATE,
            request=request,
            actor=user,
            obj=item,
            before=before,
            after={"action": action, "target": target or None},
            detail=reason.strip(),
        )
    return item


EVENT_KIND = {
    "merge": IntegrationEvent.Kind.MERGED,
    "upgrade": IntegrationEvent.Kind.UPGRADED,
    "revoke": IntegrationEvent.Kind.REVOKED,
    "convert": IntegrationEvent.Kind.CONVERTED,
}


@dataclass(frozen=True)
class Approval:
    run: ClassificationRun
    events: int
    unchanged: int


def classification_approve(
    run: ClassificationRun,
    *,
    effective_date: dt.date,
    document: str,
    user: User,
    conflict_reason: str = "",
    request=None,
) -> Approval:
    """Turn the run's proposals into dated integration events. A platform's proposal applies to
    every former zone composing it on the effective date; a zone whose latest event already says
    the same thing gets no duplicate event.

    Proposals that depart from the plan (``ClassificationItem.conflicts``) are approved only
    with ``conflict_reason`` (the 领导小组's decision it rests on); a tie still open refuses."""
    _require_admin(user)
    if not document.strip():
        raise Refused("请填写依据文件（审定文号）")
    if run.status != ClassificationRun.Status.DRAFT:  # checked again under the row lock
        raise Refused("该批次已审定，不能重复审定")
    items = list(run.items.select_related("current_platform", "target_platform"))
    open_ties = [
        i.name for i in items if i.action in ("merge", "upgrade") and i.target_platform_id is None
    ]
    if open_ties:
        raise Refused(
            f"{'、'.join(open_ties[:5])}{'等' if len(open_ties) > 5 else ''} {len(open_ties)} 项"
            "去向并列未定，请先逐项调整指定去向平台"
        )
    departing = [i for i in items if i.conflicts]
    if departing and not conflict_reason.strip():
        raise Refused(
            f"有 {len(departing)} 项建议与《总体方案》不一致（如：{departing[0].conflicts[0]}），"
            "审定须填写领导小组的审定意见（依据与理由）"
        )
    with transaction.atomic():
        run = ClassificationRun.objects.select_for_update().get(pk=run.pk)
        if run.status != ClassificationRun.Status.DRAFT:
            raise Refused("该批次已审定，不能重复审定")
        if effective_date < run.as_of:
            raise Refused("生效日期不能早于分类所依据的平台体系时点")
        system = platform_system_as_of(effective_date)
        latest = {}
        for event in IntegrationEvent.objects.filter(effective_date__lte=effective_date).order_by(
            "effective_date", "id"
        ):
            latest[event.zone_id] = event
        made = unchanged = 0
        # A zone's own 并/提/撤/转 decides for it; its platform's proposal covers the other zones
        # (including zones the administrator set to 保留, which stay with their platform).
        own = set(
            run.items.filter(subject=ClassificationItem.Subject.ZONE)
            .exclude(action=ClassificationItem.Action.KEEP)
            .values_list("zone_id", flat=True)
        )
        for item in run.items.select_related("zone", "platform", "target_platform"):
            kind = EVENT_KIND.get(item.action)
            if kind is None:
                continue
            zones = (
                [item.zone]
                if item.zone is not None
                else [
                    z
                    for comp in system.platforms
                    if comp.platform.pk == item.platform_id
                    for z in comp.zones
                    if z.pk not in own
                ]
            )
            ids = []
            for zone in zones:
                previous = latest.get(zone.pk)
                if (
                    previous is not None
                    and previous.kind == kind
                    and previous.platform_id == item.target_platform_id
                ):
                    unchanged += 1
                    continue
                event = IntegrationEvent(
                    zone=zone,
                    kind=kind,
                    platform=item.target_platform,
                    effective_date=effective_date,
                    document=document.strip(),
                    notes=f"{run.name}（{item.name}：{item.get_action_display()}）"
                    + "；".join(item.reasons[1:]),
                )
                try:
                    event.full_clean()
                except ValidationError as bad:
                    raise Refused(f"{zone.name}：{'；'.join(bad.messages)}") from bad
                event.save()
                audit_record(
                    AuditEvent.Action.CREATE,
                    request=request,
                    actor=user,
                    obj=event,
                    after={
                        "zone": zone.code,
                        "kind": kind,
                        "platform": item.target_platform.code if item.target_platform else None,
                        "effective_date": effective_date.isoformat(),
                        "run": run.pk,
                    },
                )
                ids.append(event.pk)
                made += 1
            if ids:
                item.event_ids = ids
                item.save(update_fields=["event_ids"])
        run.status = ClassificationRun.Status.APPROVED
        run.approved_by, run.approved_at = user, timezone.now()
        run.effective_date, run.document = effective_date, document.strip()
        run.save()
        audit_record(
            AuditEvent.Action.APPROVE,
            request=request,
            actor=user,
            obj=run,
            after={
                "effective_date": effective_date.isoformat(),
                "document": document.strip(),
                "events": made,
                "unchanged": unchanged,
                "departing": [i.code for i in departing],
            },
            detail=conflict_reason.strip(),
        )
    return Approval(run, made, unchanged)


# ---------------------------------------------------------------- benefit sharing

PARTY_KINDS = {
    "platform": (AgreementParty.Kind.PLATFORM, Platform, "code"),
    "sub_zone": (AgreementParty.Kind.SUB_ZONE, SubZone, "code"),
    "county": (AgreementParty.Kind.COUNTY, County, "code"),
    "township": (AgreementParty.Kind.TOWNSHIP, FormerZone, "code"),
}
PARTY_WORDS = {
    "平台": "platform",
    "片区": "sub_zone",
    "功能片区": "sub_zone",
    "县": "county",
    "乡镇": "township",
    **{k: k for k in PARTY_KINDS},
}


@dataclass(frozen=True)
class PartySpec:
    kind: str
    code: str
    tax_share: Decimal
    stats_share: Decimal
    cost_share: Decimal


def parse_parties(text: str) -> list[PartySpec]:
    """One party per line: ``类型 代码 税收% 统计% 成本%``, e.g. ``平台 LS01 60 70 50``."""
    specs = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.replace("，", " ").replace(",", " ").replace("%", " ").split()
        if len(parts) != 5:
            raise Refused(
                f"参与方第{number}行应为“类型 代码 税收% 统计% 成本%”五项，实为 {len(parts)} 项",
                field="parties",
            )
        kind = PARTY_WORDS.get(parts[0])
        if kind is None:
            raise Refused(
                f"参与方第{number}行的类型“{parts[0]}”无效，应为 平台、片区、县、乡镇 之一",
                field="parties",
            )
        try:
            shares = [Decimal(p) for p in parts[2:]]
        except ArithmeticError:
            raise Refused(f"参与方第{number}行的比例不是数字", field="parties") from None
        if any(not s.is_finite() for s in shares):
            raise Refused(f"参与方第{number}行的比例不是数字", field="parties")
        specs.append(PartySpec(kind, parts[1], *shares))
    return specs


def _party_by_name(model, name: str):
    """A party named as people name it (丽水经开区, 莲都区) rather than by its code."""
    names = Q(name=name)
    if any(f.name == "short_name" for f in model._meta.fields):
        names |= Q(short_name=name)
    found = list(model.objects.filter(names)[:2])
    return found[0] if len(found) == 1 else None


def agreement_create(
    *,
    code: str,
    title: str,
    kind: str,
    start_year: int,
    end_year: int,
    parties: list[PartySpec],
    user: User,
    zone_codes: Sequence[str] = (),
    enterprise_usccs: Sequence[str] = (),
    document: str = "",
    investment: str = "",
    request=None,
) -> Agreement:
    _require_admin(user)
    if kind not in Agreement.Kind.values:
        raise Refused(f"协议类型“{kind}”无效")
    if start_year > end_year:
        raise Refused("起始年度不能晚于终止年度")
    if len(parties) < 2:
        raise Refused("利益共享协议至少需要两个参与方", field="parties")
    if Agreement.objects.filter(code=code).exists():
        raise Refused(f"协议编号 {code} 已存在")
    try:
        for what, attr in (
            ("税收分成", "tax_share"),
            ("统计归属", "stats_share"),
            ("成本分担", "cost_share"),
        ):
            R.check_shares([getattr(p, attr) for p in parties], what)
    except Refused as bad:
        raise Refused(str(bad), field="parties") from bad
    refs = []
    for spec in parties:
        party_kind, model, key = PARTY_KINDS[spec.kind]
        ref = model._default_manager.filter(**{key: spec.code}).first() or _party_by_name(
            model, spec.code
        )
        if ref is None or (isinstance(ref, FormerZone) and ref.kind != FormerZone.Kind.TOWNSHIP):
            raise Refused(
                f"参与方“{spec.code}”不存在（类型：{party_kind.label}），请从列表中选择",
                field="parties",
            )
        refs.append((party_kind, ref))
    if len({(k, r.pk) for k, r in refs}) != len(refs):
        raise Refused("同一参与方不能重复列出", field="parties")
    zones = list(FormerZone.objects.filter(code__in=zone_codes))
    if missing := set(zone_codes) - {z.code for z in zones}:
        raise Refused(f"覆盖园区不存在：{'、'.join(sorted(missing))}", field="zones")
    enterprises = list(Enterprise.objects.filter(uscc__in=enterprise_usccs))
    if missing := set(enterprise_usccs) - {e.uscc for e in enterprises}:
        raise Refused(f"覆盖企业不在企业名录中：{'、'.join(sorted(missing))}")
    if not zones and not enterprises:
        raise Refused("请指定协议覆盖的园区或企业（结算以其实缴税金为基数）")
    covered = set(
        Enterprise.objects.filter(
            Q(pk__in=[e.pk for e in enterprises]) | Q(former_zone__in=zones)
        ).values_list("pk", flat=True)
    )
    # One enterprise's tax can be shared under one agreement per year only.
    for other in Agreement.objects.filter(start_year__lte=end_year, end_year__gte=start_year):
        overlap = covered & set(selectors.covered_enterprises(other).values_list("pk", flat=True))
        if overlap:
            raise Refused(
                f"有 {len(overlap)} 家企业在 {other.start_year}–{other.end_year} 年已由协议 "
                f"{other.code} 覆盖，同一企业同一年度只能按一个协议分成"
            )
    with transaction.atomic():
        agreement = Agreement.objects.create(
            code=code,
            title=title,
            kind=kind,
            start_year=start_year,
            end_year=end_year,
            document=document,
            investment=investment,
            created_by=user,
        )
        agreement.zones.set(zones)
        agreement.enterprises.set(enterprises)
        field_of = {
            AgreementParty.Kind.PLATFORM: "platform",
            AgreementParty.Kind.SUB_ZONE: "sub_zone",
            AgreementParty.Kind.COUNTY: "county",
            AgreementParty.Kind.TOWNSHIP: "zone",
        }
        for order, (spec, (party_kind, ref)) in enumerate(zip(parties, refs, strict=True), start=1):
            AgreementParty.objects.create(
                agreement=agreement,
                order=order,
                kind=party_kind,
                tax_share=spec.tax_share,
                stats_share=spec.stats_share,
                cost_share=spec.cost_share,
                **{field_of[party_kind]: ref},
            )
        audit_record(
            AuditEvent.Action.CREATE,
            request=request,
            actor=user,
            obj=agreement,
            after={
                "title": title,
                "kind": kind,
                "period": [start_year, end_year],
                "parties": [
                    [p.kind, p.code, str(p.tax_share), str(p.stats_share), str(p.cost_share)]
                    for p in parties
                ],
                "zones": sorted(zone_codes),
                "enterprises": len(enterprises),
            },
        )
    return agreement


def settlement_create(
    agreement: Agreement, *, year: int, cost_yuan: Decimal, user: User, request=None
) -> Settlement:
    """Settle one year: the covered enterprises' reported tax (EnterpriseYear.tax_wan) and output
    are split by the agreed shares to the cent; the lines of every column sum exactly to its total."""
    _require_admin(user)
    if not agreement.start_year <= year <= agreement.end_year:
        raise Refused(f"{year} 年不在协议期限（{agreement.start_year}–{agreement.end_year}）内")
    if cost_yuan < 0 or cost_yuan != cost_yuan.quantize(R.CENT):
        raise Refused("开发投入应为非负金额，精确到分")
    rows = EnterpriseYear.objects.filter(
        year=year, enterprise__in=selectors.covered_enterprises(agreement)
    )
    if not rows.exists():
        raise Refused(f"协议覆盖的企业没有 {year} 年的报送数据，无法结算")
    sums = rows.aggregate(tax=Sum("tax_wan"), out=Sum("output_wan"))
    tax_yuan = _exact(sums["tax"]) * WAN_TO_YUAN
    output_yuan = _exact(sums["out"]) * WAN_TO_YUAN
    parties = list(agreement.parties.all())
    try:
        tax = R.split_exact(tax_yuan, [p.tax_share for p in parties])
        output = R.split_exact(output_yuan, [p.stats_share for p in parties])
        cost = R.split_exact(cost_yuan, [p.cost_share for p in parties])
    except Refused as bad:
        raise Refused(str(bad)) from bad
    with transaction.atomic():
        if Settlement.objects.select_for_update().filter(agreement=agreement, year=year).exists():
            raise Refused(f"{agreement.code} 已有 {year} 年度结算")
        settlement = Settlement.objects.create(
            agreement=agreement,
            year=year,
            enterprise_count=rows.count(),
            tax_yuan=tax_yuan,
            output_yuan=output_yuan,
            cost_yuan=cost_yuan,
            created_by=user,
        )
        SettlementLine.objects.bulk_create(
            SettlementLine(
                settlement=settlement,
                party=p,
                tax_share=p.tax_share,
                tax_yuan=t,
                stats_share=p.stats_share,
                output_yuan=o,
                cost_share=p.cost_share,
                cost_yuan=c,
            )
            for p, t, o, c in zip(parties, tax, output, cost, strict=True)
        )
        audit_record(
            AuditEvent.Action.CREATE,
            request=request,
            actor=user,
            obj=settlement,
            after={
                "year": year,
                "tax_yuan": str(tax_yuan),
                "output_yuan": str(output_yuan),
                "cost_yuan": str(cost_yuan),
                "lines": {p.ref_code: str(t) for p, t in zip(parties, tax, strict=True)},
            },
        )
    return settlement


DEMO_AGREEMENTS = Path(__file__).with_name("demo_agreements.toml")


def _party_specs(raw: list[dict]) -> list[PartySpec]:
    try:
        specs = [
            PartySpec(
                p["kind"],
                str(p["code"]),
                Decimal(str(p["tax_share"])),
                Decimal(str(p["stats_share"])),
                Decimal(str(p["cost_share"])),
            )
            for p in raw
        ]
    except KeyError as missing:
        raise Refused(f"参与方缺少字段 {missing}") from None
    except ArithmeticError:
        raise Refused("参与方的比例不是数字") from None
    if any(not v.is_finite() for s in specs for v in (s.tax_share, s.stats_share, s.cost_share)):
        raise Refused("参与方的比例不是数字")
    if any(s.kind not in PARTY_KINDS for s in specs):
        raise Refused(f"参与方类型应为 {'、'.join(PARTY_KINDS)} 之一")
    return specs


def agreement_from_file(raw: dict, *, user: User, request=None) -> Agreement:
    """Register one agreement described as a TOML table (layout in docs/planning.md)."""
    try:
        return agreement_create(
            code=raw["code"],
            title=raw["title"],
            kind=raw["kind"],
            start_year=raw["start_year"],
            end_year=raw["end_year"],
            document=raw.get("document", ""),
            investment=raw.get("investment", ""),
            parties=_party_specs(raw["parties"]),
            zone_codes=raw.get("zones", []),
            enterprise_usccs=raw.get("enterprises", []),
            user=user,
            request=request,
        )
    except KeyError as missing:
        raise Refused(f"协议缺少字段 {missing}") from None


def agreements_load_demo(*, user: User, path: Path = DEMO_AGREEMENTS) -> tuple[int, int]:
    """Register the demo agreements that do not exist yet; returns (created, already there)."""
    path = Path(path)
    data = read_bytes(path, what="演示协议文件")
    raw = toml_table(data, what="演示协议文件", source=path.name)
    created = existing = 0
    with transaction.atomic():
        for table in raw.get("agreements", []):
            if Agreement.objects.filter(code=table.get("code")).exists():
                existing += 1
                continue
            agreement_from_file(table, user=user)
            created += 1
    return created, existing
