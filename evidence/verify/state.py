"""What the checks of one bundle share: the reader, the report, the key once it is
read, and what one check hands on to another."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from evidence.reader import BundleReader
from evidence.sources import Source

if TYPE_CHECKING:
    from evidence.verify.report import Report


class CheckerState(BundleReader):
    """The base of each group of checks (`evidence.verify.bag`, `.recordings`, `.records`,
    `.logs`); `evidence.verify.checker.Checker` is all of them."""

    def __init__(self, source: Source, report: Report, given_key: bytes | None,
                 render_text: Callable[[dict[str, Any]], str] | None = None) -> None:
        # Each recording, record and confirmation is checked once however often it is listed.
        super().__init__(source, report.add)
        self.report, self.given_key = report, given_key
        self.manifests: dict[str, str] = {}  # manifest path: the recording checked with it
        self.texts: dict[str, str | Exception] = {}  # record version: its text's hash
        self.render_text = render_text
        self.key: Ed25519PublicKey | None = None
        self.custody_events: list[Any] = []
