"""The API instance: token authentication on every operation, errors as JSON in Chinese, and
documentation served from the application's own static files (no CDN on the intranet)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.openapi.docs import DocsBase

from pingtai.api import (
    entitlement_routes,
    evaluation_routes,
    firm_routes,
    registry_routes,
    reporting_routes,
)
from pingtai.api.auth import TokenAuth
from pingtai.core.refusal import Refused


class OfflineSwagger(DocsBase):
    """Swagger UI from the vendored swagger-ui-dist files in this app's static/ folder."""

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs) -> HttpResponse:
        return render(
            request,
            "api/docs.html",
            {
                "api": api,
                "openapi_url": self.get_openapi_url(api, kwargs),
            },
        )


class PingtaiAPI(NinjaAPI):
    def create_response(
        self, request: HttpRequest, data, *, status=None, temporal_response=None
    ) -> HttpResponse:
        response = super().create_response(
            request, data, status=status, temporal_response=temporal_response
        )
        # Responses carry restricted data: no proxy or browser cache may keep them (ASVS 14.3.2).
        response["Cache-Control"] = "no-store"
        return response


api = PingtaiAPI(
    title="开发区（园区）整合提升平台 数据接口",
    version="1",
    description=(
        "以接口令牌（Authorization: Bearer pt_…）访问。令牌属于某个用户，权限与该用户在网页上完全相同："
        "平台用户只能看到本平台的数据，领导只读，越权访问的对象一律返回 404。"
        "令牌用命令 `pingtai api-token create --user 用户名 --name 用途` 创建。"
    ),
    auth=TokenAuth(),
    urls_namespace="api",
    docs=OfflineSwagger(),
    docs_url="/docs",
)


def _error(
    request: HttpRequest,
    status: int,
    detail: str,
    errors: list | None = None,
    code: str | None = None,
) -> HttpResponse:
    body: dict[str, object] = {"detail": detail}
    if errors is not None:
        body["errors"] = errors
    if code is not None:
        body["code"] = code
    return api.create_response(request, body, status=status)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    response = _error(request, 401, "未提供有效的接口令牌，或令牌已过期、已吊销")
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(Http404)
def _not_found(request, exc):
    return _error(request, 404, str(exc) or "没有找到该对象，或您无权查看")


@api.exception_handler(PermissionDenied)
def _denied(request, exc):
    return _error(request, 403, str(exc) or "您的角色无权执行此操作")


@api.exception_handler(ValidationError)
def _invalid(request, exc):
    errors = [
        {
            "loc": [str(part) for part in e.get("loc", ())],
            "message": str(e.get("msg", "")),
            "type": str(e.get("type", "")),
        }
        for e in exc.errors
    ]
    return _error(request, 422, "请求参数不正确", errors)


# ninja's own messages are English; the ones it raises itself are replaced by Chinese ones.
NINJA_MESSAGES = {400: "请求内容无法解析，请检查 JSON 或表单格式"}


@api.exception_handler(HttpError)
def _http_error(request, exc):
    message = str(exc)
    if not any("\u4e00" <= ch <= "\u9fff" for ch in message):
        message = NINJA_MESSAGES.get(exc.status_code, message)
    return _error(request, exc.status_code, message)


@api.exception_handler(Refused)
def _refused(request, exc: Refused):
    return _error(request, 409, exc.message, code=exc.code)


api.add_router("/", registry_routes.router, tags=["登记信息"])
api.add_router("/", reporting_routes.router, tags=["数据直报"])
api.add_router("/", evaluation_routes.router, tags=["亩均评价"])
api.add_router("/", entitlement_routes.router, tags=["免申即享"])
api.add_router("/", firm_routes.router, tags=["企业端（一企一单、异议）"])
