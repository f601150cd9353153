"""`zeromeet user add | list | disable | enable | reset-password | unlock`: staff accounts
straight in the database. A running server ends the interview connections of a disabled
account (or of a session revoked here) within a few seconds (server/live_logins.py)."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from server.errors import ConfigError
from server.roles import Role

# Each command imports what it uses when it runs, so that building the parser (for every
# command, `zeromeet verify` and `--help` included) loads no database layer.
if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from server.settings import Settings

log = logging.getLogger("zeromeet.admin")
T = TypeVar("T")


def add_user_commands(commands: Any) -> None:  # argparse's subparsers action has no public type
    user = commands.add_parser("user", help="manage staff accounts").add_subparsers(title="user")
    add = user.add_parser("add", help="create a staff account; the password is read from stdin")
    add.add_argument("--role", required=True, choices=[r.value for r in Role])
    add.add_argument("--username", required=True)
    _password_stdin(add)
    add.add_argument("--display-name", default="")
    add.add_argument("--unit", help="the code of the unit the account belongs to")
    add.add_argument("--badge", default="", help="an inspector's enforcement certificate number (执法证号)")
    add.set_defaults(run=_add)
    badge = user.add_parser("badge", help="set an account's enforcement certificate number "
                                          "(执法证号), which records name; '' removes it")
    badge.add_argument("username")
    badge.add_argument("number")
    badge.set_defaults(run=_badge)

    listing = user.add_parser("list", help="every staff account: username, role, display name, "
                                           "state (active, locked, disabled), last login")
    listing.set_defaults(run=_list)
    for name, run, text in (
        ("disable", _disable, "disable an account: its sessions and interview connections end"),
        ("enable", _enable, "let a disabled account log in again"),
        ("unlock", _unlock, "forget an account's failed logins (lifts a login lock)"),
        ("reset-password", _reset_password,
         "set a new password (read from stdin); the account's sessions end"),
    ):
        command = user.add_parser(name, help=text)
        command.add_argument("username")
        if name == "reset-password":
            _password_stdin(command)
        command.set_defaults(run=run)


def _password_stdin(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--password-stdin", action="store_true", required=True,
                        help="read the password from the first line of standard input")


def _read_password() -> str:
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise ConfigError("No password on standard input.")
    return password


def _actor() -> str:
    """Who made a change from the command line, for the log line."""
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):  # no login name and no passwd entry (some containers)
        return "cli"


def _in_db(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run `work` in one transaction, after applying migrations."""
    from server.db.engine import make_engine, sessionmaker_for, upgrade
    from server.logs import setup_logging

    async def run() -> T:
        engine = make_engine(settings.database_url)
        try:
            await upgrade(engine)
            async with sessionmaker_for(engine)() as session, session.begin():
                return await work(session)
        finally:
            await engine.dispose()

    setup_logging(settings.log_level)  # each change is a JSON log line on stderr
    return asyncio.run(run())


def _add(args: argparse.Namespace, settings: Settings) -> int:
    from server.complaints.units import set_user_unit
    from server.services import staff_admin
    from server.services.accounts import create_user

    password = _read_password()

    async def work(session: AsyncSession) -> None:
        user = await create_user(session, username=args.username, password=password,
                                 role=Role(args.role), display_name=args.display_name)
        if args.unit:
            await set_user_unit(session, user.username, args.unit)
        if args.badge:
            await staff_admin.set_badge(session, user.username, args.badge, actor=_actor())
        log.info("account created", extra={"action": "add", "username": user.username,
                                           "role": user.role.value, "by": _actor()})

    _in_db(settings, work)
    print(f"created {args.role} '{args.username.strip().lower()}'")
    return 0


def _list(args: argparse.Namespace, settings: Settings) -> int:
    from server.services import staff_admin

    limits = staff_admin.Limits(settings.login_max_failures, settings.login_window)
    accounts = _in_db(settings, lambda session: staff_admin.list_accounts(session, limits))
    print("username\trole\tdisplay name\tstate\tlast login\tbadge")
    for a in accounts:
        last = a.last_login_at.isoformat(timespec="seconds") if a.last_login_at else "never"
        print(f"{a.username}\t{a.role.value}\t{_printable(a.display_name)}\t{a.state}\t{last}"
              f"\t{_printable(a.badge_number) or '-'}")
    return 0


def _badge(args: argparse.Namespace, settings: Settings) -> int:
    from server.services import staff_admin

    user = _in_db(settings, lambda s: staff_admin.set_badge(s, args.username, args.number,
                                                             actor=_actor()))
    print(f"'{user.username}': enforcement certificate number "
          f"{_printable(user.badge_number) or 'removed'}")
    return 0


def _disable(args: argparse.Namespace, settings: Settings) -> int:
    from server.services import staff_admin

    user = _in_db(settings, lambda s: staff_admin.disable(s, args.username, actor=_actor()))
    print(f"disabled {user.role.value} '{user.username}': its sessions are revoked; a running "
          f"server closes its interview connections within seconds")
    return 0


def _enable(args: argparse.Namespace, settings: Settings) -> int:
    from server.services import staff_admin

    user = _in_db(settings, lambda s: staff_admin.enable(s, args.username, actor=_actor()))
    print(f"enabled {user.role.value} '{user.username}'")
    return 0


def _unlock(args: argparse.Namespace, settings: Settings) -> int:
    from server.services import staff_admin

    user = _in_db(settings, lambda s: staff_admin.unlock(s, args.username, actor=_actor()))
    print(f"unlocked '{user.username}': its failed logins are forgotten")
    return 0


def _reset_password(args: argparse.Namespace, settings: Settings) -> int:
    from server.services import staff_admin

    hashed = asyncio.run(staff_admin.new_password_hash(_read_password()))
    user = _in_db(settings, lambda s: staff_admin.reset_password(s, args.username, hashed,
                                                                  actor=_actor()))
    print(f"new password set for '{user.username}': its sessions are revoked")
    return 0


def _printable(text: str) -> str:
    """One field, one line, whatever was typed as a display name."""
    return text if text.isprintable() and "\t" not in text else ascii(text)
