"""The `file` plug-in: each message is one JSON line appended to a file (tests, and an
embedded install whose messages another program picks up)."""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import Mapping
from pathlib import Path

from server.db.types import utcnow
from server.notify import Kind, NotifyError
from server.notify.texts import render

FILE_NAME = "notifications.jsonl"


class FileNotifier:
    name = "file"

    def __init__(self, path: Path) -> None:
        self.path = path

    async def send(self, phone: str, kind: Kind, params: Mapping[str, str]) -> str:
        message_id = uuid.uuid4().hex
        line = json.dumps({"id": message_id, "at": utcnow().isoformat(), "to": phone,
                           "kind": kind.value, "params": dict(params), "text": render(kind, params)},
                          ensure_ascii=False)
        try:
            await asyncio.to_thread(self._append, line)
        except OSError as exc:
            raise NotifyError(f"the message file could not be written: {exc.strerror}") from None
        return message_id

    def _append(self, line: str) -> None:
        # One write of one line with O_APPEND: lines of two processes never interleave.
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.write(fd, (line + "\n").encode())
        finally:
            os.close(fd)
