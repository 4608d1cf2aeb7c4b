"""Which addresses a callback may connect to (pure: no DNS, no sockets).

A callback URL comes from an API client, so it must not become a way into the operator's network.
Every address a host resolves to is checked; one refused address refuses the URL (a name that
answers both a public and a private address is a rebinding attempt, not a receiver). Refused:

- IPv4: this-network 0/8, private 10/8 172.16/12 192.168/16, shared (CGNAT) 100.64/10,
  loopback 127/8, link-local 169.254/16 (cloud metadata), IETF 192.0.0/24, documentation and
  benchmarking ranges, 6to4 relay 192.88.99/24, multicast 224/4, reserved 240/4, broadcast.
- IPv6: unspecified ::, loopback ::1, IPv4-compatible ::/96, discard 100::/64, IETF 2001::/23
  (Teredo included), documentation, unique-local fc00::/7, link-local fe80::/10, site-local
  fec0::/10, multicast ff00::/8, local-use NAT64 64:ff9b:1::/48, SRv6 5f00::/16.
- IPv6 forms that carry an IPv4 address — IPv4-mapped ::ffff:0:0/96, IPv4-translated
  ::ffff:0:0:0/96, NAT64 64:ff9b::/96 and 6to4 2002::/16 — are judged by the IPv4 address inside.

`Allowlist` lets an operator open CIDRs (receivers on a private network; tests on 127.0.0.0/8) and
host names (`hooks.internal`, or `*.internal` for every name under it).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def _nets(*pairs: tuple[str, str]) -> tuple[tuple[IPNetwork, str], ...]:
    return tuple((ipaddress.ip_network(cidr), label) for cidr, label in pairs)


_REFUSED_V4 = _nets(
    ("0.0.0.0/8", "this-network"),
    ("10.0.0.0/8", "private"),
    ("100.64.0.0/10", "shared address space (CGNAT)"),
    ("127.0.0.0/8", "loopback"),
    ("169.254.0.0/16", "link-local"),
    ("172.16.0.0/12", "private"),
    ("192.0.0.0/24", "IETF protocol assignments"),
    ("192.0.2.0/24", "documentation"),
    ("192.88.99.0/24", "6to4 relay anycast"),
    ("192.168.0.0/16", "private"),
    ("198.18.0.0/15", "benchmarking"),
    ("198.51.100.0/24", "documentation"),
    ("203.0.113.0/24", "documentation"),
    ("224.0.0.0/4", "multicast"),
    ("255.255.255.255/32", "broadcast"),
    ("240.0.0.0/4", "reserved"),
)

_REFUSED_V6 = _nets(
    ("::/128", "unspecified"),
    ("::1/128", "loopback"),
    ("::/96", "IPv4-compatible (deprecated)"),
    ("64:ff9b:1::/48", "local-use NAT64"),
    ("100::/64", "discard-only"),
    ("2001::/23", "IETF protocol assignments"),
    ("2001:db8::/32", "documentation"),
    ("3fff::/20", "documentation"),
    ("5f00::/16", "SRv6 SIDs"),
    ("fc00::/7", "unique-local (private)"),
    ("fe80::/10", "link-local"),
    ("fec0::/10", "site-local (deprecated)"),
    ("ff00::/8", "multicast"),
)

_MAPPED = ipaddress.ip_network("::ffff:0:0/96")
_TRANSLATED = ipaddress.ip_network("::ffff:0:0:0/96")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_SIX_TO_FOUR = ipaddress.ip_network("2002::/16")


def embedded_ipv4(address: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address, str] | None:
    """The IPv4 address an IPv6 address carries, and the form that carries it."""
    value = int(address)
    if address in _MAPPED:
        return ipaddress.IPv4Address(value & 0xFFFFFFFF), "IPv4-mapped"
    if address in _TRANSLATED:
        return ipaddress.IPv4Address(value & 0xFFFFFFFF), "IPv4-translated"
    if address in _NAT64:
        return ipaddress.IPv4Address(value & 0xFFFFFFFF), "NAT64"
    if address in _SIX_TO_FOUR:
        return ipaddress.IPv4Address((value >> 80) & 0xFFFFFFFF), "6to4"
    return None


def refusal(address: IPAddress) -> str | None:
    """Why `address` is not a public destination, or None when it is one."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id:
            address = ipaddress.IPv6Address(int(address))
        inner = embedded_ipv4(address)
        if inner is not None:
            ipv4, form = inner
            reason = refusal(ipv4)
            return f"{form} form of {ipv4}, which is {reason}" if reason else None
        table: tuple[tuple[IPNetwork, str], ...] = _REFUSED_V6
    else:
        table = _REFUSED_V4
    for network, label in table:
        if address in network:
            return label
    return None


def connect_form(address: IPAddress) -> IPAddress:
    """The address to dial: an IPv4-mapped IPv6 address is dialled as the IPv4 address itself."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


@dataclass(frozen=True)
class Allowlist:
    """CIDRs and host names that may be reached although they are not public."""

    networks: tuple[IPNetwork, ...] = ()
    hosts: frozenset[str] = frozenset()
    suffixes: tuple[str, ...] = ()

    @classmethod
    def parse(cls, entries: Iterable[str]) -> Allowlist:
        """From `MJRELAY_CALLBACK_ALLOWLIST` entries: CIDRs, addresses, names or `*.suffix`."""
        networks: list[IPNetwork] = []
        hosts: set[str] = set()
        suffixes: list[str] = []
        for raw in entries:
            entry = raw.strip().lower()
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
                continue
            except ValueError:
                pass
            name = entry[2:] if entry.startswith("*.") else entry
            if not _is_host_name(name):
                raise ValueError(f"not a CIDR, address or host name: {raw.strip()!r}")
            if entry.startswith("*."):
                suffixes.append("." + name)
            else:
                hosts.add(name)
        return cls(tuple(networks), frozenset(hosts), tuple(suffixes))

    def allows_host(self, host: str) -> bool:
        name = host.lower().rstrip(".")
        return name in self.hosts or any(name.endswith(s) for s in self.suffixes)

    def allows_address(self, address: IPAddress) -> bool:
        candidates: list[IPAddress] = [address]
        if isinstance(address, ipaddress.IPv6Address):
            inner = embedded_ipv4(address)
            if inner is not None:
                candidates.append(inner[0])
        return any(
            candidate.version == network.version and candidate in network
            for candidate in candidates
            for network in self.networks
        )


def _is_host_name(name: str) -> bool:
    labels = name.rstrip(".").split(".")
    return bool(name) and all(
        label and len(label) <= 63 and all(c.isalnum() or c == "-" for c in label)
        for label in labels
    )


def check_destination(host: str, address: IPAddress, allowlist: Allowlist) -> str | None:
    """Why `host` (resolved to `address`) must not be dialled, or None when it may be."""
    if allowlist.allows_host(host) or allowlist.allows_address(address):
        return None
    reason = refusal(address)
    return f"{address} is {reason}" if reason else None
