"""Bearer-token authentication: the request then runs as the token's user, with that user's
role and scope, exactly as if the user were logged in on the web."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer

from pingtai.api.services import token_authenticate


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        user = token_authenticate(token)
        if user is not None:
            # audit_record and the scope functions read request.user, as on the web.
            request.user = user
        return user
