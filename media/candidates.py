"""Which of a participant's ICE candidates the server may contact.

Every candidate in a participant's description is an address the server sends STUN
checks to, on the participant's word alone. Only unicast IP addresses reachable over a
network are kept: loopback, link-local (a cloud's metadata service at 169.254.169.254
among them), unspecified, multicast and reserved addresses would make the server probe
itself or its own network. Names are dropped too, mDNS `.local` ones included: resolving
one has the server ask its own network, and any host there may answer with any address.
Nothing is lost by dropping them: a participant's own checks to the server's candidates
teach the server the address they really come from (a peer-reflexive candidate).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

MAX_CANDIDATES = 32  # UDP ones per connection: each one checked costs the server STUN exchanges
_PREFIX = "a=candidate:"
_THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")
_NOT_UDP = "not UDP"  # the server checks over UDP only (browsers add TCP ones to every description)
# ASCII digits only, and few of them: str.isdigit() takes "¹", which int() refuses, and
# int() takes "١" and "１"; aioice int()s these fields itself. 10 digits hold a priority.
_NUMBER = re.compile(r"[0-9]{1,10}")
_NUMBERED = (1, 3, 5)  # component, priority, port
_NUMBERED_EXTENSIONS = ("rport", "generation")


@dataclass(frozen=True)
class Screened:
    """A description with the refused candidate lines taken out.

    `signalled` holds every distinct UDP candidate it named, refused ones included (what
    the limit counts); `dropped` says which of those the server may not check, and why, for
    the log. TCP candidates, which the server never checks, are taken out without a word.
    """

    sdp: str
    signalled: frozenset[str]
    dropped: tuple[str, ...]


def screen(sdp: str) -> Screened:
    """Take the candidates the server may not contact out of `sdp` (unchanged if none)."""
    lines = sdp.splitlines()
    kept: list[str] = []
    signalled: set[str] = set()
    dropped: list[str] = []
    for line in lines:
        if line.startswith(_PREFIX):
            value = line[len(_PREFIX):]
            why = refusal(value)
            if why != _NOT_UDP:
                signalled.add(_identity(value))
            if why is not None:
                if why != _NOT_UDP:
                    dropped.append(f"{' '.join(value.split()[4:6])[:80]!r} ({why})")
                continue
        kept.append(line)
    if len(kept) == len(lines):
        return Screened(sdp, frozenset(signalled), ())
    return Screened("\r\n".join(kept) + "\r\n", frozenset(signalled), tuple(dropped))


def refusal(candidate: str) -> str | None:
    """Why the server will not contact this candidate (an `a=candidate:` value), or None."""
    bits = candidate.split()
    if len(bits) < 8 or bits[6] != "typ" or not _numbers_are_numbers(bits):
        return "malformed"
    if bits[2].lower() != "udp":
        return _NOT_UDP
    if bits[7] not in ("host", "srflx", "relay"):
        return f"type {bits[7][:16]}"
    if not 0 < int(bits[5]) < 65536:
        return "no such port"
    return _address_refusal(bits[4])


def _numbers_are_numbers(bits: list[str]) -> bool:
    """Every field that aioice reads as an integer is plain decimal: the fixed ones, and
    the values of the extensions (name-value pairs after the type, as aioice pairs them)."""
    values = [bits[i] for i in _NUMBERED]
    values += [bits[i + 1] for i in range(8, len(bits) - 1, 2) if bits[i] in _NUMBERED_EXTENSIONS]
    return all(_NUMBER.fullmatch(value) for value in values)


def _address_refusal(host: str) -> str | None:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return "a name, not an address"
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    for refused, why in ((address.is_loopback, "loopback"), (address.is_link_local, "link-local"),
                         (address.is_unspecified, "unspecified"), (address.is_multicast, "multicast"),
                         (address.is_reserved, "reserved")):
        if refused:
            return why
    if address.version == 4 and address in _THIS_NETWORK:
        return "unspecified"
    return None


def _identity(candidate: str) -> str:
    # One transport address, however often it is repeated (in each bundled m-line).
    bits = candidate.split()
    return " ".join((bits[2].lower(), *bits[4:6])) if len(bits) >= 6 else candidate
