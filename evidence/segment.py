"""A recording's segment, in the two shapes it has.

`SegmentClosed` is what a track recorder hands over when it closes a segment: the file in
the spool, hashed as it was written, and what the recorder saw of it. `SegmentStored` is
the same segment once it holds a place in its recording's chain: its sequence number and
link added. The spool's sidecar, the `segments` row, the recording's manifest entry and
the API's segment all hold a `SegmentStored`, field for field (the manifest entry and the
row add where the bytes are kept), so a new field is written here, in its table and in
what shows it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from evidence import chain


@dataclass(frozen=True, kw_only=True)
class _Facts:
    """What the recorder saw of a segment, in both shapes. Arrival times are µs since the
    epoch on the interview clock; RTP timestamps are unwrapped and counted from the
    connection's first packet (-1: not known, e.g. a segment recovered after a crash).
    `start_ms` is the first block's timestamp, `end_ms` the last block's plus one frame."""

    sha256: str
    size: int
    frames: int
    first_arrival_us: int
    last_arrival_us: int
    rtp_first: int
    rtp_last: int
    start_ms: int
    end_ms: int
    gap: bool
    width: int = 0
    height: int = 0


@dataclass(frozen=True, kw_only=True)
class SegmentClosed(_Facts):
    """A segment as the recorder closed it: its bytes in the spool file `path`, hashed as
    they were written."""

    path: Path
    codec: str

    def chained(self, seq: int, previous: str, *, recovered: bool = False) -> SegmentStored:
        """This segment as number `seq` of a chain whose last link is `previous`.
        `recovered`: a torn segment finished after a crash."""
        shared = {f.name: getattr(self, f.name) for f in fields(SegmentStored)
                  if hasattr(self, f.name)}
        unlinked = SegmentStored(**shared, seq=seq, recovered=recovered, link="")
        return replace(unlinked, link=chain.link(previous, unlinked))


@dataclass(frozen=True, kw_only=True)
class SegmentStored(_Facts):
    """A segment in its recording's chain. `link` binds the fields in `chain.LINKED`;
    `codec` is "" for a segment stored before segments kept their own."""

    seq: int
    recovered: bool
    link: str
    codec: str = ""

    @classmethod
    def from_dict(cls, value: Mapping[str, Any]) -> SegmentStored:
        """From a sidecar or a manifest entry; keys it does not have are left out, and a
        missing one raises TypeError."""
        return cls(**{f.name: value[f.name] for f in fields(cls) if f.name in value})

    @classmethod
    def of(cls, row: Any) -> SegmentStored:
        """From anything with these attributes (a `segments` row)."""
        return cls(**{f.name: getattr(row, f.name) for f in fields(cls)})

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def manifest_entry(self, key: str) -> dict[str, Any]:
        """As the recording's manifest lists it: where its bytes are kept added."""
        return {**asdict(self), "key": key}
