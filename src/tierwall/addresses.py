"""IP address parsing, memoised: a 10,000-pod cluster parses each address many times over
(validation, indexes, ipBlock checks), and ``ipaddress`` parsing is pure Python."""

from __future__ import annotations

import ipaddress
from functools import lru_cache

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@lru_cache(maxsize=None)
def parse_ip(text: str) -> IPAddress:
    """``ipaddress.ip_address`` with a cache; raises ValueError like it."""
    return ipaddress.ip_address(text)


def canonical_ip(text: str) -> str:
    """The canonical text of an address (``text`` itself when it is not one)."""
    try:
        return str(parse_ip(text))
    except ValueError:
        return text
