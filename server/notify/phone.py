"""Mainland China mobile numbers: accepted as people write them, kept as 11 digits, shown
masked (138****5678) wherever they are logged."""

from __future__ import annotations

import re

_MOBILE = re.compile(r"1[3-9][0-9]{9}")  # ASCII digits: \d would take any script's
_SEPARATORS = re.compile(r"[\s\-()（）]")


def mobile_number(raw: str) -> str:
    """The 11 digits of a mainland mobile number written with spaces, dashes or a +86 /
    0086 prefix; ValueError for anything else."""
    digits = _SEPARATORS.sub("", raw)
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            digits = digits[len(prefix):]
            break
    if not _MOBILE.fullmatch(digits):
        raise ValueError("not a mainland China mobile number")
    return digits


def masked(phone: str) -> str:
    """138****5678: enough to tell two numbers apart, not enough to call one."""
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 8 else "****"
