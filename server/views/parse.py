"""Reading request bodies into checked values. Every refusal is an `InvalidInput`."""

from __future__ import annotations

import asyncio
import json
import re
import unicodedata
import uuid
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from server.appkeys import SETTINGS
from server.errors import InvalidInput, NotFound, RequestTimeout

_DIGITS = re.compile(r"[0-9]{1,9}", re.ASCII)


async def json_object(request: web.Request, *, allow_empty: bool = True,
                      max_size: int | None = None) -> dict[str, Any]:
    """The body as a JSON object. An empty body reads as `{}` where that is allowed.
    `max_size` raises the application's small JSON limit for the few bodies that need it
    (a whole record, a drawn signature)."""
    raw = await body_bytes(request, max_size or request.client_max_size)
    return json_from(raw, request.content_type, allow_empty=allow_empty)


def json_from(raw: bytes, content_type: str, *, allow_empty: bool = True) -> dict[str, Any]:
    """A body already read, as a JSON object (for handlers that keep the bytes too)."""
    if not raw.strip():
        if allow_empty:
            return {}
        raise InvalidInput("The request needs a JSON body.", code="invalid_json")
    if content_type not in ("application/json", "application/octet-stream", ""):
        raise InvalidInput("Send the body as application/json.", code="unsupported_media_type")
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise InvalidInput("The request body is not valid JSON.", code="invalid_json") from None
    if not isinstance(body, dict):
        raise InvalidInput("The request body must be a JSON object.", code="invalid_json")
    return body


async def body_bytes(request: web.Request, limit: int) -> bytes:
    """The whole body, at most `limit` bytes (413 beyond), given up with a 408 when the
    client sends nothing for a while (ZEROMEET_CLIENT_TIMEOUT_SECONDS × 3): a phone on
    a slow network is slow but never silent that long."""
    if request.content_length is not None and request.content_length > limit:
        raise web.HTTPRequestEntityTooLarge(max_size=limit, actual_size=request.content_length)
    idle = request.app[SETTINGS].body_idle_timeout
    data = bytearray()
    while True:
        try:
            async with asyncio.timeout(idle):
                chunk = await request.content.readany()
        except TimeoutError:
            raise RequestTimeout(f"The request body stopped: nothing arrived for {idle:.0f} s.") from None
        if not chunk:
            return bytes(data)
        data += chunk
        if len(data) > limit:
            raise web.HTTPRequestEntityTooLarge(max_size=limit, actual_size=len(data))


def text(
    body: dict[str, Any], name: str, *, required: bool = False, max_length: int = 200,
    default: str = "",
) -> str:
    """A trimmed, NFC-normalised string without control characters."""
    value = body.get(name)
    if value is None:
        if required:
            raise InvalidInput(f"'{name}' is required.", code="missing_field", field=name)
        return default
    if not isinstance(value, str):
        raise InvalidInput(f"'{name}' must be a string.", field=name)
    value = unicodedata.normalize("NFC", value).strip()
    if any(unicodedata.category(c) in ("Cc", "Cs") and c not in "\n\t" for c in value):
        raise InvalidInput(f"'{name}' contains control characters or broken Unicode.", field=name)
    if required and not value:
        raise InvalidInput(f"'{name}' must not be empty.", code="missing_field", field=name)
    if len(value) > max_length:
        raise InvalidInput(f"'{name}' is longer than {max_length} characters.", field=name)
    return value


def choice(body: dict[str, Any], name: str, allowed: set[str], *, default: str | None = None,
           required: bool = False) -> str | None:
    value = body.get(name)
    if value is None:
        if required:
            raise InvalidInput(f"'{name}' is required; one of {', '.join(sorted(allowed))}.",
                               code="missing_field", field=name)
        return default
    if not isinstance(value, str) or value not in allowed:
        raise InvalidInput(f"'{name}' must be one of {', '.join(sorted(allowed))}.", field=name)
    return value


def timestamp(body: dict[str, Any], name: str) -> datetime | None:
    """An ISO 8601 time with a zone (a time without one would be ambiguous)."""
    value = body.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"'{name}' must be an ISO 8601 time string.", field=name)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"'{name}' is not an ISO 8601 time.", field=name) from None
    if parsed.tzinfo is None:
        raise InvalidInput(f"'{name}' needs a time zone, e.g. 2026-11-23T09:00:00+08:00.", field=name)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        raise InvalidInput(f"'{name}' is out of range.", field=name) from None


def whole_number(raw: str, name: str, what: str = "a whole number") -> int:
    """A count, sequence or version number from a URL: ASCII digits only, at most nine.
    `int()` and `str.isdigit()` also take "١٢", "¹", " 7" or "1_0"; a URL never should."""
    if not _DIGITS.fullmatch(raw):
        raise InvalidInput(f"'{name}' must be {what}.", field=name)
    return int(raw)


def count(body: dict[str, Any], name: str, *, most: int, least: int = 0,
          required: bool = False) -> int | None:
    """A whole number within bounds, or None when absent (JSON true is not a number)."""
    value = body.get(name)
    if value is None or value == "":
        if required:
            raise InvalidInput(f"'{name}' is required (0 if none).", code="missing_field", field=name)
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not least <= value <= most:
        raise InvalidInput(f"'{name}' must be a whole number from {least} to {most}.", field=name)
    return value


def flag(body: dict[str, Any], name: str, *, default: bool) -> bool:
    value = body.get(name, default)
    if not isinstance(value, bool):
        raise InvalidInput(f"'{name}' must be true or false.", field=name)
    return value


def only(body: dict[str, Any], allowed: set[str]) -> None:
    unknown = set(body) - allowed
    if unknown:
        raise InvalidInput(f"Unknown field(s): {', '.join(sorted(unknown))}.", code="unknown_field")


def path_id(request: web.Request, name: str) -> str:
    """An id from the URL. Ids are UUIDs; anything else names nothing that exists."""
    value = request.match_info[name]
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise NotFound("No such item.") from None
