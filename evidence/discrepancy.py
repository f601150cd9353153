"""What every verifier reports: a discrepancy of one kind, where it was found, and what
is wrong, in words. Modelled on bagit-python's ChecksumMismatch, FileMissing and
UnexpectedFile.

The offline bundle verifier (`evidence.verify` and the checks it calls), the server's
recording and record checks and `zeromeet verify` all report these. `str()` of one is the
line a person reads (`zeromeet verify` prints it, the endpoints list it under "problems");
`kind` is for a program, which should never have to match the English.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    """What sort of discrepancy, each in one line."""

    MISSING = "missing"  # something the evidence lists or needs is not there (bagit's FileMissing)
    ALTERED = "altered"  # bytes or contents do not hash to the SHA-256 recorded for them (ChecksumMismatch)
    UNEXPECTED = "unexpected"  # present but listed nowhere: a file, stray zip bytes, a version put over one
    CHAIN = "chain"  # a hash-chain link, sequence number, owner, head or count does not hold
    SIGNATURE = "signature"  # a signature does not verify, or the key is not the one given
    DIFFERS = "differs"  # two copies that must agree do not (database and store, index and manifest)
    MALFORMED = "malformed"  # unreadable, too large, or not the shape or type it must have
    UNSEALED = "unsealed"  # not sealed, or not covered by a signed checkpoint
    UNCHECKED = "unchecked"  # the object store could not be asked (unreachable, refused): not shown wrong


@dataclass(frozen=True)
class Discrepancy:
    """One problem found by a verifier. `where` names what it concerns (a file, an item, a
    segment; "" when the message says it all), `message` what is wrong with it."""

    kind: Kind
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message

    def within(self, where: str) -> Discrepancy:
        """The same discrepancy found inside `where`: "segment 2: …" within "recording 1"
        reads "recording 1: segment 2: …"."""
        if not where:
            return self
        return Discrepancy(self.kind, f"{where}: {self.where}" if self.where else where, self.message)

    def noting(self, aside: str) -> Discrepancy:
        """The same discrepancy with `aside` after its message, in parentheses."""
        return Discrepancy(self.kind, self.where, f"{self.message} ({aside})")

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "where": self.where, "message": self.message}
