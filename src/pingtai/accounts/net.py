"""The address a request came from, for the login lockout and the audit log.

``REMOTE_ADDR`` is the peer of the TCP connection. Behind the TLS terminator that peer is the
proxy, so the proxy's ``X-Forwarded-For`` is believed, but only when the connection really
comes from an address listed in ``PINGTAI_TRUSTED_PROXIES``: anyone else could write any
address into that header (docs/deployment.md, "Behind nginx").
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(configured: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(item, strict=False) for item in configured)


def _trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in _networks(tuple(settings.PINGTAI_TRUSTED_PROXIES)))


def _valid(address: str) -> bool:
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return False
    return True


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address: ``REMOTE_ADDR``, or, when that is a trusted proxy, the nearest
    address in ``X-Forwarded-For`` that is not itself a trusted proxy.

    The header is read from the right (the hop our proxy appended) to the left, so a client
    that sends its own ``X-Forwarded-For`` can only add entries to the left of the real one.
    """
    if request is None:
        return None
    remote = request.META.get("REMOTE_ADDR") or None
    if remote is None or not _trusted(remote):
        return remote
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    address = remote
    for hop in reversed([h for h in hops if h]):
        if not _valid(hop):
            break  # a garbled entry: keep the last address a trusted proxy vouched for
        address = hop
        if not _trusted(hop):
            break
    return address
