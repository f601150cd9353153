"""One middleware maps every package's root error to a clear answer: the server's own
errors keep their status, stored evidence that was altered or lost is a 409 (never a
500), the store being away a 503, a record that cannot be rendered a 409; only a bug is
a 500, and it is logged."""

from __future__ import annotations

import logging

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from evidence.errors import EvidenceError, IntegrityError, ObjectNotFound, StoreUnavailable
from server.errors import Conflict, InvalidInput
from server import middlewares
from transcription.errors import AudioError
from transcription.pdf import FontMissing

RAISED = {
    "invalid": InvalidInput("'title' is required.", code="missing_field"),
    "conflict": Conflict("Already answered.", code="already_answered"),
    "altered": IntegrityError("sha256 mismatch for interviews/1/record/v1.json"),
    "lost": ObjectNotFound("interviews/1/record/v1.json"),
    "away": StoreUnavailable("connection refused"),
    "font": FontMissing("The Chinese font for the record's PDF is not installed."),
    "audio": AudioError("The audio cannot be decoded."),
    "evidence": EvidenceError("something else the evidence layer raised"),
    "bug": ZeroDivisionError("division by zero"),
}
EXPECTED = {
    "invalid": (400, "missing_field"), "conflict": (409, "already_answered"),
    "altered": (409, "integrity_error"), "lost": (409, "missing"),
    "away": (503, "store_unavailable"), "font": (409, "transcription_error"),
    "audio": (409, "transcription_error"), "evidence": (500, "evidence_error"),
    "bug": (500, "internal"),
}


async def test_each_package_error_has_one_clear_answer(caplog: pytest.LogCaptureFixture) -> None:
    async def handler(request: web.Request) -> web.Response:
        raise RAISED[request.match_info["what"]]

    app = web.Application(middlewares=[middlewares.errors])
    app.router.add_get("/api/raise/{what}", handler)
    answers = {}
    with caplog.at_level(logging.WARNING):
        async with TestClient(TestServer(app)) as client:
            for what in RAISED:
                async with client.get(f"/api/raise/{what}") as resp:
                    body = await resp.json()
                    assert set(body) == {"error", "message"}, body
                    answers[what] = (resp.status, body["error"])
    assert answers == EXPECTED
    unhandled = [r for r in caplog.records if r.getMessage() == "unhandled error"]
    assert len(unhandled) == 1 and unhandled[0].exc_info[0] is ZeroDivisionError
