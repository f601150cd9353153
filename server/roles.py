"""Staff roles: what an account may do. Here, not among the tables, so that the
command line can offer them without loading the database layer."""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    INSPECTOR = "inspector"
    LEGAL = "legal"
    ADMIN = "admin"
    SUPERVISOR = "supervisor"  # a team chief (科长/队长): approves extensions and transfers
