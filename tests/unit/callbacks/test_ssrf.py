from __future__ import annotations

import ipaddress

import pytest

from app.callbacks.ssrf import (
    Allowlist,
    check_destination,
    connect_form,
    embedded_ipv4,
    refusal,
)

REFUSED = [
    ("127.0.0.1", "loopback"),
    ("127.255.255.254", "loopback"),
    ("::1", "loopback"),
    ("10.0.0.1", "private"),
    ("10.255.255.255", "private"),
    ("172.16.0.1", "private"),
    ("172.31.255.255", "private"),
    ("192.168.1.1", "private"),
    ("169.254.169.254", "link-local"),
    ("100.64.0.1", "CGNAT"),
    ("100.127.255.255", "CGNAT"),
    ("0.0.0.0", "this-network"),
    ("0.1.2.3", "this-network"),
    ("240.0.0.1", "reserved"),
    ("255.255.255.255", "broadcast"),
    ("224.0.0.251", "multicast"),
    ("192.0.2.1", "documentation"),
    ("198.18.0.1", "benchmarking"),
    ("fc00::1", "unique-local"),
    ("fd12:3456::1", "unique-local"),
    ("fe80::1", "link-local"),
    ("fe80::1%eth0", "link-local"),
    ("ff02::1", "multicast"),
    ("::", "unspecified"),
    ("::ffff:127.0.0.1", "IPv4-mapped form of 127.0.0.1, which is loopback"),
    ("::ffff:10.1.2.3", "IPv4-mapped form of 10.1.2.3, which is private"),
    ("::ffff:169.254.169.254", "link-local"),
    ("::ffff:0:7f00:1", "IPv4-translated form of 127.0.0.1"),
    ("64:ff9b::7f00:1", "NAT64 form of 127.0.0.1, which is loopback"),
    ("64:ff9b::a9fe:a9fe", "NAT64 form of 169.254.169.254"),
    ("64:ff9b:1::1", "local-use NAT64"),
    ("2002:7f00:1::", "6to4 form of 127.0.0.1, which is loopback"),
    ("2002:c0a8:101::1", "6to4 form of 192.168.1.1, which is private"),
    ("2002:0a00:0001::", "6to4 form of 10.0.0.1"),
    ("::127.0.0.1", "IPv4-compatible"),
    ("2001::1", "IETF"),  # Teredo
    ("2001:db8::1", "documentation"),
    ("100::1", "discard"),
    ("fec0::1", "site-local"),
]

PUBLIC = [
    "8.8.8.8",
    "1.1.1.1",
    "93.184.216.34",
    "100.63.255.255",  # just below CGNAT
    "100.128.0.0",  # just above CGNAT
    "172.15.255.255",
    "172.32.0.0",
    "169.253.255.255",
    "11.0.0.1",
    "2606:4700:4700::1111",
    "::ffff:8.8.8.8",
    "64:ff9b::808:808",  # NAT64 of 8.8.8.8
    "2002:808:808::1",  # 6to4 of 8.8.8.8
]


@pytest.mark.parametrize(("address", "why"), REFUSED, ids=[a for a, _ in REFUSED])
def test_refusal__not_public(address: str, why: str) -> None:
    reason = refusal(ipaddress.ip_address(address))
    assert reason is not None
    assert why in reason


@pytest.mark.parametrize("address", PUBLIC)
def test_refusal__public(address: str) -> None:
    assert refusal(ipaddress.ip_address(address)) is None


def test_embedded_ipv4_forms() -> None:
    ip6 = ipaddress.IPv6Address
    assert embedded_ipv4(ip6("::ffff:1.2.3.4")) == (ipaddress.IPv4Address("1.2.3.4"), "IPv4-mapped")
    assert embedded_ipv4(ip6("64:ff9b::102:304"))[0] == ipaddress.IPv4Address("1.2.3.4")
    assert embedded_ipv4(ip6("2002:102:304::"))[0] == ipaddress.IPv4Address("1.2.3.4")
    assert embedded_ipv4(ip6("2606:4700::1")) is None


def test_connect_form_dials_mapped_addresses_as_ipv4() -> None:
    assert connect_form(ipaddress.ip_address("::ffff:8.8.8.8")) == ipaddress.ip_address("8.8.8.8")
    assert connect_form(ipaddress.ip_address("2606:4700::1")) == ipaddress.ip_address(
        "2606:4700::1"
    )


def test_allowlist_cidr_opens_exactly_its_range() -> None:
    allow = Allowlist.parse(["127.0.0.0/8", "10.1.0.0/16"])
    assert check_destination("x", ipaddress.ip_address("127.0.0.1"), allow) is None
    assert check_destination("x", ipaddress.ip_address("127.9.9.9"), allow) is None
    assert check_destination("x", ipaddress.ip_address("10.1.2.3"), allow) is None
    assert "private" in check_destination("x", ipaddress.ip_address("10.2.0.1"), allow)
    assert "loopback" in check_destination("x", ipaddress.ip_address("::1"), allow)
    # The IPv4 inside an IPv6 form is what the allowlist is matched against.
    assert check_destination("x", ipaddress.ip_address("::ffff:127.0.0.1"), allow) is None


def test_allowlist_host_names_and_suffixes() -> None:
    allow = Allowlist.parse(["hooks.internal", "*.corp.example"])
    private = ipaddress.ip_address("10.0.0.5")
    assert check_destination("hooks.internal", private, allow) is None
    assert check_destination("HOOKS.internal.", private, allow) is None
    assert check_destination("a.b.corp.example", private, allow) is None
    assert check_destination("corp.example", private, allow) is not None
    assert check_destination("evilcorp.example", private, allow) is not None
    assert check_destination("other.internal", private, allow) is not None


def test_empty_allowlist_refuses_and_allows_public() -> None:
    assert check_destination("a", ipaddress.ip_address("127.0.0.1"), Allowlist()) is not None
    assert check_destination("a", ipaddress.ip_address("8.8.8.8"), Allowlist()) is None
