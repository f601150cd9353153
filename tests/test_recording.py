"""Recording with real aiortc participants, a real SeaweedFS and the real chain checks."""

from __future__ import annotations

import asyncio
import io
import json

import av
import pytest
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from evidence import chain
from evidence.hashing import sha256_bytes
from server.appkeys import STORE
from tests.support.rooms import Interview
from tests.support.rtc import RtcClient, ToneAudio

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def sent(client: RtcClient) -> dict[str, int]:
    return {"video": client.video.sent, "audio": client.audio._sent // ToneAudio.SAMPLES}


async def talk(room: Interview, seconds: float) -> tuple[dict, dict]:
    """An inspector and a worker in a call for `seconds`; the interview is then ended.
    Also returns, per participant, how many frames it had sent just before the end."""
    invite = await room.invite("张三")
    inspector = await room.inspector()
    worker = await room.join(invite["token"], label=2)
    await worker.wait_for(lambda c: c.received.get(inspector.you, {}).get("video") is not None)
    await asyncio.sleep(seconds)
    before = {c.you: sent(c) for c in (inspector, worker)}
    await room.api.ok("POST", f"/api/interviews/{room.id}/end", headers=room.staff)
    detail = await room.api.ok("GET", f"/api/interviews/{room.id}", headers=room.staff)
    return detail, before


async def test_every_track_is_stored_as_a_sealed_verified_chain(room: Interview) -> None:
    detail, who = await talk(room, 7)
    recordings = detail["recordings"]
    assert sorted((r["participant"]["id"], r["kind"]) for r in recordings) == sorted(
        (p, k) for p in who for k in ("audio", "video"))
    store = room.api.client.app[STORE]
    public_key = load_pem_public_key((await room.api.ok("GET", "/api/keys")).encode())
    for rec in recordings:
        assert rec["state"] == "sealed", rec
        assert rec["segments"] >= 3 and rec["duration"] > 4, rec
        full = await room.api.ok("GET", f"/api/recordings/{rec['id']}", headers=room.staff)
        manifest = json.loads(await store.get(rec["manifest"]["key"]))
        assert sha256_bytes(chain.canonical_json(manifest)) == rec["manifest"]["sha256"]
        seal = chain.Seal(**{k: v for k, v in manifest["seal"].items() if k != "algorithm"})
        assert chain.check_chain(rec["id"], room.id, rec["participant"]["id"], rec["kind"],
                                 manifest["segments"], seal, public_key) == []
        assert seal.head == rec["head"] == full["segments"][-1]["link"]
        frames = 0
        for segment in full["segments"]:
            data = await store.get(segment["key"])
            assert sha256_bytes(data) == segment["sha256"] and len(data) == segment["size"]
            with av.open(io.BytesIO(data)) as container:
                stream = container.streams[0]
                assert stream.codec_context.name in ("vp8", "libvpx", "opus", "libopus")
                decoded = list(container.decode(stream))
            assert decoded, segment
            if rec["kind"] == "video":
                assert decoded[0].width == 640 and decoded[0].height == 480
            frames += len(decoded)
        # Every frame the participant sent before the end is in the recording.
        assert frames >= who[rec["participant"]["id"]][rec["kind"]], rec
        assert (await room.api.ok("POST", f"/api/recordings/{rec['id']}/verify", headers=room.staff)) == {
            "ok": True, "problems": [], "segments": rec["segments"], "state": "sealed"}
    evidence = await room.api.ok("GET", f"/api/cases/{room.case['id']}/evidence", headers=room.staff)
    assert sorted(e["recording_id"] for e in evidence) == sorted(r["id"] for r in recordings)
    assert all(e["kind"] == "recording" and len(e["sha256"]) == 64 for e in evidence)
