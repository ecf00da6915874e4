"""Which network addresses a URL given by a remote user may point at: never this machine or its LAN."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from tools.errors import InvalidField


def is_url(text: str) -> bool:
    """Whether a source is an http(s) URL rather than a path."""
    return urlsplit(text.strip()).scheme.lower() in ("http", "https")


def _private(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def check_public_url(url: str, field: str = "sources") -> None:
    """Refuse (InvalidField) a URL whose host is, or resolves to, a private, loopback, link-local or
    reserved address: a request from outside must not make this server fetch from its own network."""
    host = urlsplit(url.strip()).hostname
    if not host:
        raise InvalidField(field, f"the URL {url!r} has no host; give a full http(s) address")
    try:
        found = {info[4][0] for info in socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)}
    except (socket.gaierror, UnicodeError):
        problem = f"the host {host!r} of {url!r} does not resolve; check the address"
        raise InvalidField(field, problem) from None
    private = sorted(address for address in found if _private(str(address)))
    if private:
        raise InvalidField(
            field,
            f"the URL {url!r} points at a private address ({private[0]}); give a public address, "
            "or allow private ones with REELFORGE_ALLOW_PRIVATE_SOURCES=on",
        )
