"""Checking a recording's playable file offline: the one WebM the export joined from the
recording's segments (re-muxed, never transcoded; `server.bundle_playable`).

Its bytes are checked against the index and the bag's manifests like any file's. Beyond
that, it must be made from segments of its recording's chain (each it names has the
SHA-256 the chain gives that segment) and be exactly their join: the segments are joined
again here (`evidence.join`, the same code) and the result's SHA-256, length and block count
compared. A playable file made by a join this verifier does not know is not joined again,
and said so.
"""

from __future__ import annotations

import hashlib
from typing import Any

from evidence.discrepancy import Discrepancy, Kind
from evidence.reader import BundleReader
from evidence.join import JOIN_METHOD, Joiner


def check(reader: BundleReader, playable: dict[str, Any], chain: list[dict[str, Any]],
          paths: dict[int, str], where: str, notes: list[str]) -> None:
    """Name each discrepancy of `playable` (the index's entry for it) through
    `reader.problem`. `chain`: the segments of the recording's manifest, checked by the
    caller; `paths`: each segment's file in the bag, by sequence number; `notes`: what
    the report says beyond discrepancies."""
    path = str(playable.get("path", ""))
    what = f"the playable file of {where}"
    if not path.startswith("data/") or path not in reader.present:
        reader.problem(Discrepancy(Kind.MISSING, path, f"missing ({what})"))
        return
    if reader._differs(path, playable.get("sha256")) or reader.sizes.get(path) != playable.get("size"):
        reader.problem(Discrepancy(Kind.ALTERED, path,
                                   f"its bytes are not those the index lists ({what}; altered)"))
        return
    sources = reader.json_objects(path, "its segments (made_from)", playable.get("made_from"))
    chained = {s.get("seq"): s.get("sha256") for s in chain}
    for source in sources:
        if source.get("seq") not in chained or chained[source.get("seq")] != source.get("sha256"):
            reader.problem(Discrepancy(Kind.DIFFERS, path, f"made from segment {source.get('seq')} with "
                                       f"SHA-256 {str(source.get('sha256'))[:16]}…, which is not the "
                                       f"chain's ({what})"))
            return
    if playable.get("method") != JOIN_METHOD:
        notes.append(f"{path}: made by {playable.get('method')!r}, a join this verifier does "
                     "not know; its bytes are checked, not joined again")
        return
    _join_again(reader, path, playable, sources, paths, what)


def _join_again(reader: BundleReader, path: str, playable: dict[str, Any],
                sources: list[dict[str, Any]], paths: dict[int, str], what: str) -> None:
    origin, duration = playable.get("origin_ms"), playable.get("duration_ms")
    if type(origin) is not int or type(duration) is not int or not sources:
        reader.problem(Discrepancy(Kind.MALFORMED, path, "its origin, duration or segments are missing "
                                   f"from the index ({what})"))
        return
    joiner = Joiner(origin_ms=origin, duration_ms=duration)
    digest, size = hashlib.sha256(), 0
    for source in sources:
        seq = source.get("seq")
        data = reader.again(paths[seq]) if type(seq) is int and seq in paths else None
        if data is None:
            return  # the segment is missing or unreadable, which is named with the recording
        try:
            chunk = joiner.feed(data)
        except ValueError as exc:
            reader.problem(Discrepancy(Kind.MALFORMED, path, f"segment {source.get('seq')} cannot be "
                                       f"joined ({exc}) ({what})"))
            return
        digest.update(chunk)
        size += len(chunk)
    made = (digest.hexdigest(), size, joiner.duration_ms, joiner.blocks)
    listed = (playable.get("sha256"), playable.get("size"), duration, playable.get("blocks"))
    if made != listed:
        reader.problem(Discrepancy(Kind.DIFFERS, path, f"not the join of the segments it names ({what}): "
                                   f"joined again they give {size} bytes, {joiner.blocks} blocks, "
                                   f"{joiner.duration_ms} ms, SHA-256 {made[0][:16]}…"))
