"""How a team register's connection is secured: verified TLS to any other machine, unless said otherwise.

A connection over the network to another machine defaults to `sslmode=verify-full` (encrypted, and the
server's certificate must be signed by a trusted authority and name the host). The trusted authorities are
the administrator's root certificate (`sslrootcert=…` in the address, or ~/.postgresql/root.crt), else the
operating system's. Anything weaker must be written in the address and is reported as a warning each time
the register is opened. Local connections (Unix socket, loopback) never leave the computer.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from consentdesk.core.store.locator import redact_password

VERIFIED = "verify-full"
_WEAKER = ("disable", "allow", "prefer", "require", "verify-ca")


@dataclass(frozen=True, slots=True)
class SecuredAddress:
    url: str
    warning: str | None = None


def is_local(host: str | None) -> bool:
    """A Unix socket folder or a loopback address: traffic that never leaves this computer."""
    if not host or host.startswith("/") or host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def secure(url: str) -> SecuredAddress:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    hosts = [h for h in (query.get("host") or parts.hostname or "").split(",") if h] or [None]
    if all(is_local(h) for h in hosts):
        return SecuredAddress(url)
    mode = query.get("sslmode")
    if mode is None:
        query["sslmode"] = VERIFIED
        if "sslrootcert" not in query and not (Path.home() / ".postgresql" / "root.crt").exists():
            query["sslrootcert"] = "system"  # the operating system's trusted authorities
        return SecuredAddress(urlunsplit(parts._replace(query=urlencode(query))))
    if mode in _WEAKER:
        what = "not encrypted" if mode in ("disable", "allow") else "not verified against the server's name"
        if mode == "prefer":
            what = "possibly not encrypted and not verified"
        return SecuredAddress(
            url,
            f"the connection to {redact_password(url).split('?')[0]} is {what} (sslmode={mode}); anyone on the "
            "network path could read or change what is sent. Ask your administrator for verified TLS.",
        )
    return SecuredAddress(url)
