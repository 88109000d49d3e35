from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "开发区（园区）整合提升平台管理系统"
admin.site.site_title = "平台管理后台"
admin.site.index_title = "数据管理"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("pingtai.accounts.urls")),
    path("reporting/", include("pingtai.reporting.urls")),
    path("audit/", include("pingtai.audit.urls")),
    path("evaluation/", include("pingtai.evaluation.urls")),
    path("dashboard/", include("pingtai.dashboard.urls")),
    path("", include("pingtai.web.urls")),
]
