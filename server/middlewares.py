"""Request logging, error mapping, authentication and security headers."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import posixpath
import re
import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from evidence.errors import EvidenceError, IntegrityError, ObjectNotFound, StoreUnavailable
from server.appkeys import SETTINGS
from server.auth import Party, Staff
from server.errors import RequestTimeout, ServerError, TooManyRequests
from server.identity import IDENTITY
from transcription.errors import TranscriptionError

log = logging.getLogger("zeromeet.http")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# An invitation link's token follows /j/, a complaint's status link's /s/; any token's
# prefix is zms_, zmi_ or zmc_.
_JOIN_PATH = re.compile(r"^/([js])/[^/]*", re.IGNORECASE)
_TOKEN = re.compile(r"zm[sic]_[A-Za-z0-9_\-]*", re.IGNORECASE)

_SECURE_BY_PROXY = web.RequestKey("secure_by_proxy", bool)

_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
        "connect-src 'self'; style-src 'self'; script-src 'self'; object-src 'none'; "
        "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(self), microphone=(self), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def error_response(status: int, code: str, message: str, *, field: str | None = None,
                   **headers: str) -> web.Response:
    """The answer's body is exactly CONTRACT.md's {"error", "message"}; the request field
    at fault, when there is one, goes in `X-Error-Field` for the pages to word it."""
    if field is not None and field.isascii() and field.isprintable():
        headers = {**headers, "X-Error-Field": field[:64]}
    return web.json_response({"error": code, "message": message}, status=status, headers=headers)


def redact_path(path: str) -> str:
    """Invitation links carry their token in the path: never log it. The path is first
    normalised as a router or a proxy might (`//j/x`, `/J/x`, `/static/../j/x`), and
    anything shaped like a token is redacted wherever it stands."""
    normal = posixpath.normpath("/" + path.replace("\\", "/").lstrip("/"))
    return _TOKEN.sub("<redacted>", _JOIN_PATH.sub(r"/\1/<redacted>", normal))


@web.middleware
async def forwarded(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Behind a reverse proxy named in ZEROMEET_TRUSTED_PROXIES: the client's address and
    the scheme as that proxy saw them, from the one header family the proxy is set to
    write (ZEROMEET_PROXY_HEADERS: `X-Forwarded-For` and `-Proto`, or `Forwarded`). The
    other family is ignored, since a proxy passes a client's own copy of it through. The
    host is never taken from a header: set ZEROMEET_PUBLIC_URL. From anyone else these
    headers mean nothing."""
    settings = request.app[SETTINGS]
    if not settings.trusted_proxies or not _trusted(request.remote, settings.trusted_proxies):
        return await handler(request)
    hops = _rfc_hops(request) if settings.proxy_headers == "forwarded" else _x_hops(request)
    changes: dict[str, str] = {}
    client = _client(hops, settings.trusted_proxies)
    if client:
        changes["remote"] = client
    proto = hops[-1].get("proto", "").lower() if hops else ""
    if proto in ("http", "https"):
        changes["scheme"] = proto
        # aiohttp prepares a returned response with the request it made, not this clone.
        request[_SECURE_BY_PROXY] = proto == "https"
    return await handler(request.clone(**changes) if changes else request)


def _client(hops: list[dict[str, str]], proxies: tuple) -> str | None:
    """The address nearest to us that is not one of our proxies: each proxy appends the
    address it saw, so only the entries right of the first unknown one can be believed.
    None (keep the proxy's own address) when an entry is not an IP address at all."""
    for hop in reversed(hops):
        address = _ip(hop.get("for", ""))
        if address is None:
            return None
        if not _trusted(address, proxies):
            return address
    return None


def _rfc_hops(request: web.Request) -> list[dict[str, str]]:
    """RFC 7239: one element per proxy, nearest last."""
    return [dict(hop) for hop in request.forwarded]


def _x_hops(request: web.Request) -> list[dict[str, str]]:
    """`X-Forwarded-For: client, proxy1, …` (nearest last) and the nearest proxy's
    `X-Forwarded-Proto`."""
    hops = [{"for": a.strip()} for a in
            ",".join(request.headers.getall("X-Forwarded-For", [])).split(",") if a.strip()]
    protos = [v.strip() for v in request.headers.get("X-Forwarded-Proto", "").split(",") if v.strip()]
    if protos:
        if not hops:
            hops.append({})
        hops[-1]["proto"] = protos[-1]
    return hops


def _ip(address: str) -> str | None:
    """`[2001:db8::1]:443`, `"[::1]"`, `10.0.0.1:5000` or `10.0.0.1` as a bare address;
    None for `unknown`, an obfuscated `_name` or anything else that is not one."""
    address = address.strip().strip('"')
    if address.startswith("["):
        address = address[1:].split("]", 1)[0]
    elif address.count(":") == 1:
        address = address.rsplit(":", 1)[0]
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def _trusted(address: str | None, proxies: tuple) -> bool:
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(ip in network for network in proxies)


@web.middleware
async def request_log(request: web.Request, handler: Handler) -> web.StreamResponse:
    started = time.perf_counter()
    status: int | None = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    except ConnectionError:  # reset, broken pipe, or aiohttp's "Connection lost"
        if not _client_gone(request):
            raise
        status = None  # logged as an abort; the answer has nowhere to go
        return web.Response(status=499)
    except asyncio.CancelledError:
        status = None
        raise
    finally:
        identity = request.get(IDENTITY)
        log.info(
            "request",
            extra={
                "method": request.method,
                "path": redact_path(request.path),
                "status": status,
                **({"aborted": "the client closed the connection"} if status is None else {}),
                "ms": round((time.perf_counter() - started) * 1000, 1),
                "user": identity.username if isinstance(identity, Staff) else None,
                "invitation": identity.invitation_id if isinstance(identity, Party) else None,
                "remote": request.remote,
            },
        )


@web.middleware
async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Domain errors and HTTP errors become JSON `{"error","message"}`; a 5xx is a bug.
    Each package's root error is mapped here, once: `ServerError` (the server's own, with
    their status), `EvidenceError` (stored evidence altered or missing: 409; the store
    away: 503) and `TranscriptionError` (a record that cannot be rendered: 409)."""
    try:
        return await handler(request)
    except TooManyRequests as exc:
        return error_response(exc.status, exc.code, exc.message, **{"Retry-After": str(exc.retry_after)})
    except ServerError as exc:
        response = error_response(exc.status, exc.code, exc.message, field=exc.field)
        if isinstance(exc, RequestTimeout):  # the rest of the body may still come: hang up
            response.force_close()
        return response
    except StoreUnavailable as exc:
        log.warning("object store unavailable", extra={"reason": str(exc)})
        return error_response(503, "store_unavailable", "Evidence storage is unreachable; try again shortly.")
    except IntegrityError:
        log.error("stored evidence no longer matches its SHA-256", extra={"path": redact_path(request.path)})
        return error_response(409, "integrity_error", "Stored evidence no longer matches its "
                              "SHA-256: it was altered where it is kept.")
    except ObjectNotFound:
        log.error("stored evidence is missing from the store", extra={"path": redact_path(request.path)})
        return error_response(409, "missing", "Stored evidence is missing from the object store.")
    except TranscriptionError as exc:
        log.warning("a record cannot be rendered: %s", exc)
        return error_response(409, "transcription_error", str(exc))
    except EvidenceError as exc:
        log.exception("evidence error")
        return error_response(500, "evidence_error", str(exc))
    except web.HTTPException as exc:
        if exc.status < 400 or not request.path.startswith("/api/"):
            raise
        return error_response(exc.status, _http_code(exc), _http_message(exc), **_kept_headers(exc))
    except json.JSONDecodeError:
        return error_response(400, "invalid_json", "The request body is not valid JSON.")
    except ConnectionError:  # reset, broken pipe, or aiohttp's "Connection lost"
        if _client_gone(request):
            raise  # an abort, not a bug: `request_log` notes it
        log.exception("unhandled error", extra={"path": redact_path(request.path)})
        return error_response(500, "internal", "Something went wrong on the server; it has been logged.")
    except Exception:
        log.exception("unhandled error", extra={"path": redact_path(request.path)})
        return error_response(500, "internal", "Something went wrong on the server; it has been logged.")


def _client_gone(request: web.Request) -> bool:
    transport = request.transport
    return transport is None or transport.is_closing()


def _http_code(exc: web.HTTPException) -> str:
    return {404: "not_found", 405: "method_not_allowed", 413: "too_large"}.get(
        exc.status, exc.reason.lower().replace(" ", "_")
    )


def _http_message(exc: web.HTTPException) -> str:
    if exc.status == 413:
        return "The request body is too large."
    if exc.status == 404:
        return "There is no such API endpoint."
    if exc.status == 405:
        return f"This endpoint does not accept {exc.method if hasattr(exc, 'method') else 'that method'}."
    return exc.text or exc.reason


def _kept_headers(exc: web.HTTPException) -> dict[str, str]:
    return {k: v for k, v in exc.headers.items() if k in {"Allow", "Retry-After"}}


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """`on_response_prepare` hook: covers handlers, errors and static files alike."""
    for name, value in _SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.secure or request.get(_SECURE_BY_PROXY):
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if request.path.startswith("/api/"):
        response.headers.setdefault("Cache-Control", "no-store")
