"""Request logging, error mapping, authentication and security headers."""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from evidence.errors import EvidenceError, StoreUnavailable
from server.auth import Party, Staff
from server.errors import ServerError, TooManyRequests
from server.identity import IDENTITY

log = logging.getLogger("zeromeet.http")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_SECRET_PATH = re.compile(r"^/j/[^/]+")

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


def error_response(status: int, code: str, message: str, **headers: str) -> web.Response:
    return web.json_response({"error": code, "message": message}, status=status, headers=headers)


def redact_path(path: str) -> str:
    """Invitation links carry their token in the path: never log it."""
    return _SECRET_PATH.sub("/j/<redacted>", path)


@web.middleware
async def request_log(request: web.Request, handler: Handler) -> web.StreamResponse:
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        identity = request.get(IDENTITY)
        log.info(
            "request",
            extra={
                "method": request.method,
                "path": redact_path(request.path),
                "status": status,
                "ms": round((time.perf_counter() - started) * 1000, 1),
                "user": identity.username if isinstance(identity, Staff) else None,
                "invitation": identity.invitation_id if isinstance(identity, Party) else None,
                "remote": request.remote,
            },
        )


@web.middleware
async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Domain errors and HTTP errors become JSON `{"error","message"}`; a 5xx is a bug."""
    try:
        return await handler(request)
    except TooManyRequests as exc:
        return error_response(exc.status, exc.code, exc.message, **{"Retry-After": str(exc.retry_after)})
    except ServerError as exc:
        return error_response(exc.status, exc.code, exc.message)
    except StoreUnavailable as exc:
        log.warning("object store unavailable", extra={"reason": str(exc)})
        return error_response(503, "store_unavailable", "Evidence storage is unreachable; try again shortly.")
    except EvidenceError as exc:
        log.exception("evidence error")
        return error_response(500, "evidence_error", str(exc))
    except web.HTTPException as exc:
        if exc.status < 400 or not request.path.startswith("/api/"):
            raise
        return error_response(exc.status, _http_code(exc), _http_message(exc), **_kept_headers(exc))
    except json.JSONDecodeError:
        return error_response(400, "invalid_json", "The request body is not valid JSON.")
    except Exception:
        log.exception("unhandled error", extra={"path": redact_path(request.path)})
        return error_response(500, "internal", "Something went wrong on the server; it has been logged.")


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
    if request.secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if request.path.startswith("/api/"):
        response.headers.setdefault("Cache-Control", "no-store")
