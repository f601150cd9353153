"""`zeromeet unit add`, `zeromeet channel add` (with a printable QR code) and
`zeromeet calendar load`: the parts of complaint intake an administrator sets up."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from server.cli_users import _in_db
from server.complaints.kinds import CATEGORIES, MEDIA
from server.errors import ConfigError

if TYPE_CHECKING:
    from server.settings import Settings

DEFAULT_BASE = "http://127.0.0.1:8080"


def add_complaint_commands(commands: Any) -> None:  # argparse's subparsers action has no public type
    unit = commands.add_parser("unit", help="units: the city bureau and its district teams") \
        .add_subparsers(title="unit")
    add = unit.add_parser("add", help="add a unit; the first top-level one also becomes the "
                                      "unit of existing cases and staff")
    add.add_argument("--code", required=True)
    add.add_argument("--name", required=True)
    add.add_argument("--parent", help="the code of the unit above (none for the city bureau)")
    add.add_argument("--district", action="append", default=[],
                     help="a district whose complaints this unit receives (repeatable)")
    add.add_argument("--category", action="append", default=[], choices=list(CATEGORIES),
                     help="a kind of complaint this unit takes (repeatable; none: every kind)")
    add.set_defaults(run=_unit_add)

    channel = commands.add_parser("channel", help="standing public complaint links of a unit") \
        .add_subparsers(title="channel")
    add = channel.add_parser("add", help="add a link; prints it last and writes its QR code")
    add.add_argument("--unit", required=True, help="the unit's code")
    add.add_argument("--name", required=True, help="where it is used, e.g. 'site posters'")
    add.add_argument("--medium", default="qr", choices=list(MEDIA))
    add.add_argument("--qr-dir", type=Path, default=Path("."),
                     help="where to write channel-<id>.png and .svg (default: here)")
    add.set_defaults(run=_channel_add)

    calendar = commands.add_parser("calendar", help="the working-day calendar") \
        .add_subparsers(title="calendar")
    load = calendar.add_parser("load", help="load holidays and make-up working days (调休) "
                                            "from a CSV file: date,holiday|workday[,note]")
    load.add_argument("file", type=Path)
    load.set_defaults(run=_calendar_load)


def _unit_add(args: argparse.Namespace, settings: Settings) -> int:
    from server.complaints import units

    async def work(session: Any) -> str:
        unit = await units.add_unit(session, code=args.code.strip(), name=args.name.strip(),
                                    parent=args.parent, districts=[d.strip() for d in args.district],
                                    categories=args.category)
        return unit.code
    print(f"added unit {_in_db(settings, work)}")
    return 0


def _channel_add(args: argparse.Namespace, settings: Settings) -> int:
    import segno

    from server.complaints import units

    async def work(session: Any) -> str:
        channel = await units.add_channel(session, unit=args.unit, name=args.name.strip(),
                                          medium=args.medium)
        return channel.id
    channel_id = _in_db(settings, work)
    url = f"{(settings.public_url or DEFAULT_BASE).rstrip('/')}/r/{channel_id}"
    code = segno.make(url, error="m")
    args.qr_dir.mkdir(parents=True, exist_ok=True)
    png, svg = args.qr_dir / f"channel-{channel_id}.png", args.qr_dir / f"channel-{channel_id}.svg"
    code.save(png, scale=12, border=4)
    code.save(svg, scale=12, border=4, title=f"zeromeet {channel_id}")
    print(f"QR code: {png} {svg}")
    print(url)
    return 0


def _calendar_load(args: argparse.Namespace, settings: Settings) -> int:
    from server.complaints import units
    from server.complaints.workdays import CalendarFileError, parse_calendar

    try:
        days = parse_calendar(args.file.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise ConfigError(f"cannot read {args.file}: {exc.strerror}") from None
    except (CalendarFileError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{args.file}: {exc}") from None

    async def work(session: Any) -> int:
        return await units.load_calendar(session, days)
    print(f"loaded {_in_db(settings, work)} days from {args.file}")
    return 0
