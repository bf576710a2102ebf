"""Who a request came from when a proxy passed it on: X-Forwarded-For and X-Forwarded-Proto are
believed only from the proxies LEADGEN_TRUSTED_PROXIES names (loopback by default). From anyone
else they are the client's own words, and the per-address login limit would trust them."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from starlette.types import ASGIApp, Receive, Scope, Send

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class TrustedProxies:
    def __init__(self, networks: Iterable[Network]) -> None:
        self.networks = tuple(networks)

    def __contains__(self, host: object) -> bool:
        if not isinstance(host, str) or not self.networks:
            return False
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(address in network for network in self.networks)

    def client(self, forwarded_for: str) -> str | None:
        """The address the nearest proxy we do not trust saw, reading X-Forwarded-For from the
        right (each proxy adds the address it heard from); None when there is none."""
        hosts = [_host_of(value) for value in forwarded_for.split(",")]
        hosts = [host for host in hosts if host]
        for host in reversed(hosts):
            if host not in self:
                return host
        return hosts[0] if hosts else None  # every one a proxy of ours: the first of them


def _host_of(value: str) -> str:
    """`1.2.3.4`, `1.2.3.4:5678`, `[::1]:5678` or `::1`: the address alone."""
    value = value.strip()
    if value.startswith("["):
        return value[1:].partition("]")[0]
    if value.count(":") == 1:
        return value.partition(":")[0]
    return value


class ForwardedHeaders:
    """Sets the request's client address and scheme from the headers a trusted proxy sends,
    in the scope itself, so everything after (the limits, the logs) sees the same."""

    def __init__(self, app: ASGIApp, proxies: TrustedProxies) -> None:
        self.app = app
        self.proxies = proxies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        peer = scope.get("client")
        if scope["type"] == "http" and peer and peer[0] in self.proxies:
            forwarded_for: list[str] = []
            for name, value in scope["headers"]:
                if name == b"x-forwarded-for":
                    forwarded_for.append(value.decode("latin-1"))
                elif name == b"x-forwarded-proto":
                    proto = value.decode("latin-1").strip().lower()
                    if proto in ("http", "https"):
                        scope["scheme"] = proto
            client = self.proxies.client(",".join(forwarded_for))
            if client is not None:
                scope["client"] = (client, 0)
        await self.app(scope, receive, send)
