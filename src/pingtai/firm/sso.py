"""Single sign-on with the provincial apps (浙政钉 for officials, 浙里办 for firms): the adapter
interface only. Local login (password, optional TOTP, lockout) is the default and the only
login wired in; an adapter maps a provider's verified identity to an existing pingtai account
and never creates accounts or widens a scope (docs/enterprise.md, "Single sign-on")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class ExternalIdentity:
    """What a provider vouches for after its own login."""

    provider: str  # e.g. "zlb" (浙里办) or "zzd" (浙政钉)
    subject: str  # the provider's stable id of the person
    uscc: str = ""  # for a legal-person login (浙里办 法人): the firm's 统一社会信用代码
    person_name: str = ""


class IdentityProvider(Protocol):
    """One provincial login. ``start`` sends the browser to the provider; ``finish`` checks the
    provider's answer (signature, state, expiry) and returns the identity, or raises
    ``pingtai.core.refusal.Refused`` with a Chinese message."""

    name: str
    label: str  # shown on the login page, e.g. "浙里办（法人）登录"

    def start(self, *, state: str, return_url: str) -> str: ...

    def finish(self, *, params: dict[str, str], state: str) -> ExternalIdentity: ...


def account_for(identity: ExternalIdentity):
    """The pingtai account an identity signs in as: for a firm, the enterprise account bound to
    the same 统一社会信用代码; nothing otherwise (no account is created on the fly)."""
    from pingtai.accounts.models import User

    if not identity.uscc:
        return None
    return User.objects.filter(
        role=User.Role.ENTERPRISE, enterprise__uscc=identity.uscc.upper(), is_active=True
    ).first()
