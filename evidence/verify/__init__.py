"""Checking an evidence bundle offline: no server, no database, only the bundle and,
ideally, a public key obtained elsewhere.

Checks, each discrepancy an `evidence.discrepancy.Discrepancy` (its kind, the file or
item it concerns, what is wrong):
- the bag: required files, the signature over the tag manifest, every tag and payload
  hash, no file that is not listed, Payload-Oxum;
- every item of the index against its bytes (the SHA-256 taken on arrival);
- every recording's hash chain, its segments' bytes and its signed seal, and its
  playable file: made from the chain's segments, and their join (`evidence.playable`);
- every record confirmation and officer's signature against the version and the stored
  text it binds (the text as it was when the version was saved), and its signature image;
- every interview's text chat log: its hash chain, its length and head as recorded;
- the custody log's chain and its signed checkpoints, the last of which must cover the
  whole log;
- each complaint log the bundle carries: its chain, pinned by the export event, linked
  to the case's log at acceptance, and its working day of acceptance counted again.

Every file is read through `evidence.reader`: once, and no further than the bundle claims.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from evidence.discrepancy import Discrepancy, Kind
from evidence.reader import READ_LIMIT, SIGNATURE_LIMIT
from evidence.sources import open_source
from evidence.verify.checker import Checker
from evidence.verify.report import Report, printable

__all__ = ["READ_LIMIT", "SIGNATURE_LIMIT", "Report", "printable", "verify"]


def verify(path: Path, public_key_pem: bytes | None = None, *,
           render_text: Callable[[dict[str, Any]], str] | None = None) -> Report:
    """Every discrepancy in the bundle at `path` (a zip or a folder). Never raises on
    what the bundle holds: whatever breaks a check is itself a discrepancy.

    `render_text` renders a record version's text for a bundle made before texts were
    stored (`zeromeet verify` passes `transcription.record.render_text`); without it such
    a confirmation is named as naming no stored text."""
    report = Report()
    try:
        source = open_source(path)
    except Exception as exc:  # zipfile raises many kinds of error on a hostile archive
        report.add(Discrepancy(Kind.MALFORMED, str(path), f"not a readable zip or folder ({exc})"))
        return report
    for problem in source.problems:
        report.add(problem)
    Checker(source, report, public_key_pem, render_text).run()
    return report
