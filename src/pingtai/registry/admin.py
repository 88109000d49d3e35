from django.contrib import admin

from pingtai.audit.admin_mixins import AuditedAdmin
from pingtai.registry import models as m
from pingtai.summaries.services import summaries_refresh_figures


class LeadingIndustryInline(admin.TabularInline):
    model = m.LeadingIndustry
    extra = 0


class SubZoneInline(admin.TabularInline):
    model = m.SubZone
    extra = 0


class IntegrationEventInline(admin.TabularInline):
    model = m.IntegrationEvent
    fk_name = "zone"
    extra = 0


@admin.register(m.Platform)
class PlatformAdmin(AuditedAdmin):
    list_display = ["code", "name", "level", "spatial_role", "spatial_group", "tier", "staff_count"]
    list_filter = ["level", "spatial_role", "tier"]
    search_fields = ["code", "name", "short_name"]
    filter_horizontal = ["counties", "sources"]
    inlines = [LeadingIndustryInline, SubZoneInline]
    readonly_fields = ["approved_area_km2", "planned_area_km2", "developable_area_km2"]

    @admin.display(description="核准面积（平方公里）")
    def approved_area_km2(self, obj: m.Platform):
        return obj.approved_area_km2

    @admin.display(description="规划面积（平方公里）")
    def planned_area_km2(self, obj: m.Platform):
        return obj.planned_area_km2

    @admin.display(description="可开发面积（平方公里）")
    def developable_area_km2(self, obj: m.Platform):
        return obj.developable_area_km2


@admin.register(m.FormerZone)
class FormerZoneAdmin(AuditedAdmin):
    list_display = ["code", "name", "kind", "county", "area_mu", "name_generated"]
    list_filter = ["kind", "county", "name_generated"]
    search_fields = ["code", "name"]
    inlines = [IntegrationEventInline]


@admin.register(m.IntegrationEvent)
class IntegrationEventAdmin(AuditedAdmin):
    list_display = ["effective_date", "zone", "kind", "platform", "document", "assumed"]
    list_filter = ["kind", "platform", "assumed"]
    date_hierarchy = "effective_date"


class RefreshesSummaries(AuditedAdmin):
    """A correction here changes the pages' sums: they are refreshed in the same transaction
    (the admin saves and deletes inside one) for the years the object touches before and after
    the change (docs/dashboard.md, "Summaries")."""

    def save_model(self, request, obj, form, change):
        before = _years(type(obj).objects.get(pk=obj.pk)) if change else set()
        super().save_model(request, obj, form, change)
        summaries_refresh_figures(before | _years(obj))

    def delete_model(self, request, obj):
        years = _years(obj)
        super().delete_model(request, obj)
        summaries_refresh_figures(years)


def _years(obj: m.Enterprise | m.EnterpriseYear) -> set[int]:
    """The years whose sums contain the object: a firm's figures count in its platform and
    county, so a firm counts in every year it has figures for."""
    if isinstance(obj, m.EnterpriseYear):
        return {obj.year}
    return set(m.EnterpriseYear.objects.filter(enterprise=obj).values_list("year", flat=True))


@admin.register(m.Enterprise)
class EnterpriseAdmin(RefreshesSummaries):
    list_display = ["uscc", "name", "platform", "county", "industry_code", "synthetic"]
    list_filter = ["platform", "county", "synthetic"]
    search_fields = ["uscc", "name"]
    list_select_related = ["platform", "county"]
    raw_id_fields = ["former_zone", "chain_link"]


@admin.register(m.EnterpriseYear)
class EnterpriseYearAdmin(RefreshesSummaries):
    list_display = [
        "enterprise",
        "year",
        "size_class",
        "land_mu",
        "output_wan",
        "tax_wan",
        "synthetic",
    ]
    list_filter = ["year", "size_class"]
    search_fields = ["enterprise__uscc", "enterprise__name"]
    raw_id_fields = ["enterprise"]


@admin.register(m.LandParcel)
class LandParcelAdmin(AuditedAdmin):
    list_display = ["parcel_id", "holder", "user", "tenure", "area_mu"]
    list_filter = ["tenure"]
    search_fields = ["parcel_id", "holder__name", "user__name"]
    raw_id_fields = ["holder", "user"]


class ChainLinkInline(admin.TabularInline):
    model = m.ChainLink
    extra = 0


@admin.register(m.Chain)
class ChainAdmin(AuditedAdmin):
    list_display = ["code", "name"]
    inlines = [ChainLinkInline]


admin.site.register([m.County, m.Source, m.SubZone], AuditedAdmin)
