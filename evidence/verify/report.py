"""What a check of a bundle found: its discrepancies, what it counted, the key it
used, and what it proves beyond "intact"."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from evidence.discrepancy import Discrepancy


@dataclass
class Report:
    problems: list[Discrepancy] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    case: str = ""
    key_source: str = ""
    key_sha256: str = ""
    notes: list[str] = field(default_factory=list)  # what the bundle proves, beyond "intact"

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, problem: Discrepancy) -> None:
        """Keep `problem`, its names and words made printable (they come from the bundle)."""
        self.problems.append(Discrepancy(problem.kind, printable(problem.where), printable(problem.message)))

    def lines(self) -> list[str]:
        """What `zeromeet verify` prints when the bundle does not verify: one line a problem."""
        return [str(problem) for problem in self.problems]

    def summary(self) -> str:
        parts = ", ".join(f"{v} {k}" for k, v in self.counts.items())
        return "\n".join([f"OK {printable(self.case)}: {parts}; signed by Ed25519 key "
                          f"sha256:{self.key_sha256[:16]}… ({self.key_source})",
                          *(printable(n) for n in self.notes)])


def printable(text: str) -> str:
    """`text` with every control, format or other invisible character written as an
    escape (\\n, \\x1b, \\u202e): names come from the bundle, and one must not be able to
    start a line of its own, move the cursor or reorder what the reader sees."""
    return "".join(c if c.isprintable() or unicodedata.category(c) == "Zs" else repr(c)[1:-1]
                   for c in text)
