"""media/ says what happens on a connection as typed signals; the server writes their
wire messages in one place (server/wire.py), in the shape the pages and CONTRACT.md read."""

from __future__ import annotations

import ast
import typing
from datetime import UTC, datetime
from pathlib import Path

import pytest

from media import signals
from server import wire

pytestmark = pytest.mark.unit

MEDIA = Path(__file__).resolve().parent.parent / "media"
AT = datetime(2026, 3, 1, 1, 30, tzinfo=UTC)


def test_every_signal_has_its_wire_message() -> None:
    examples = {
        signals.Offer: signals.Offer("v=0"),
        signals.TrackMap: signals.TrackMap((signals.TrackPlace("1", "w", "video"),)),
        signals.Roster: signals.Roster(()),
        signals.Presence: signals.Presence("left", "w", "张三", "worker", "", AT),
        signals.Muted: signals.Muted(True),
        signals.Replaced: signals.Replaced(),
        signals.Ended: signals.Ended(),
        signals.Notice: signals.Notice({"type": "chat", "text": "你好"}),
    }
    assert set(examples) == set(typing.get_args(signals.Signal))
    types = {kind: wire.message(signal)["type"] for kind, signal in examples.items()}
    assert types == {signals.Offer: "offer", signals.TrackMap: "tracks",
                     signals.Roster: "participants", signals.Presence: "event",
                     signals.Muted: "muted", signals.Replaced: "replaced",
                     signals.Ended: "ended", signals.Notice: "chat"}
    with pytest.raises(TypeError):
        wire.message({"type": "offer"})  # type: ignore[arg-type]


def test_the_messages_keep_the_documented_fields() -> None:
    assert wire.message(signals.TrackMap((signals.TrackPlace("2", "p1", "audio"),))) == {
        "type": "tracks", "tracks": [{"mid": "2", "participant": "p1", "kind": "audio"}]}
    assert wire.message(signals.Presence("left", "p1", "张三", "worker", "", AT)) == {
        "type": "event", "event": "left", "participant": "p1", "name": "张三",
        "role": "worker", "reason": None, "at": "2026-03-01T01:30:00+00:00"}
    roster = signals.Roster((signals.Attendee("p1", "张三", "worker", "party", AT, False),
                             signals.Attendee("u1", "Wang", "inspector", "staff", None, True)))
    assert wire.message(roster) == {"type": "participants", "participants": [
        {"id": "p1", "name": "张三", "role": "worker", "kind": "party", "connected": True,
         "since": "2026-03-01T01:30:00+00:00", "muted": False},
        {"id": "u1", "name": "Wang", "role": "inspector", "kind": "staff", "connected": True,
         "since": None, "muted": True}]}


def test_media_writes_no_wire_message() -> None:
    """No module of media/ imports json or builds a dict with a "type" key."""
    found = []
    for path in sorted(MEDIA.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import) and any(a.name == "json" for a in node.names):
                found.append(f"{path.name}: import json")
            if isinstance(node, ast.Dict) and any(
                    isinstance(k, ast.Constant) and k.value == "type" for k in node.keys):
                found.append(f"{path.name}:{node.lineno}: a message dict")
    assert found == []
