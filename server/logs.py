"""Structured logging: one JSON object per line, on standard error."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from aiohttp.http_exceptions import HttpProcessingError

# Libraries' INFO lines: alembic, each migration; fontTools, every table of every font
# subset in a record PDF, and the glyphs it kept (which tell what characters the record
# holds); faster_whisper, each utterance's duration (in the transcription worker); aioice,
# every candidate pair of every call, with the parties' addresses.
_CHATTY = ("alembic", "fontTools", "faster_whisper", "aioice")
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def setup_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # aiohttp's own access log would print links with tokens; ours redacts them.
    logging.getLogger("aiohttp.access").disabled = True
    # Routine chatter of libraries; what matters from them reaches us as exceptions.
    for name in _CHATTY:
        logging.getLogger(name).setLevel(logging.WARNING)
    logging.getLogger("urllib3").setLevel(logging.ERROR)
    # A library's warnings.warn() would print plain text: log it as JSON instead.
    logging.captureWarnings(True)
    # aiohttp's parser errors quote the raw line, which may be a Cookie or Authorization.
    logging.getLogger("aiohttp.server").addFilter(_no_raw_request_lines)


def _no_raw_request_lines(record: logging.LogRecord) -> bool:
    """Keep the record, without the exception text of an HTTP parser error."""
    exc = record.exc_info[1] if record.exc_info else None
    if isinstance(exc, HttpProcessingError):
        record.exc_info, record.exc_text = None, None
        record.fault = type(exc).__name__
    return True
