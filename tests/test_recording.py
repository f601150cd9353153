"""Recording with real aiortc participants, a real SeaweedFS and the real chain checks."""

from __future__ import annotations

import asyncio
import io
import json

import av
import pytest
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from sqlalchemy import update

from evidence import chain
from evidence.hashing import sha256_bytes
from evidence.s3client import minio_client
from media.recorder import GAP_US
from server.appkeys import SESSIONS, STORE
from server.db.models import Recording, Segment
from server.settings import Settings
from tests.support.rooms import Interview
from tests.support.rtc import PrecodedTrack, RtcClient, ToneAudio
from tests.support.stalls import LoopWatch

# Frames sent just before the end that never reach a recording: what aiortc's jitter
# buffer still holds when the connection closes (up to 4 audio packets, its prefetch, or
# the last video frame), plus what is still in flight — on a loaded machine up to three
# video frames between the sender's encoder thread and its socket (a full-suite run
# recorded 210 of 214). That the server records every frame it received is asserted
# exactly in tests/test_forwarding.py.
HELD = {"audio": 5, "video": 4}

SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def sent(client: RtcClient) -> dict[str, int]:
    if isinstance(client.audio, PrecodedTrack):
        return {"video": client.video.sent, "audio": client.audio.sent}
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


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
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
        assert {s["codec"] for s in full["segments"]} == {rec["codec"]}
        for segment in full["segments"]:
            data = await store.get(segment["key"])
            assert sha256_bytes(data) == segment["sha256"] and len(data) == segment["size"]
            with av.open(io.BytesIO(data)) as container:
                stream = container.streams[0]
                assert stream.codec_context.name in ("vp8", "libvpx", "opus", "libopus")
                decoded = list(container.decode(stream))
            assert decoded, segment
            if rec["kind"] == "video":
                assert decoded[0].width == 320 and decoded[0].height == 240
            frames += len(decoded)
        # Every frame the participant sent before the end is in the recording.
        assert frames >= who[rec["participant"]["id"]][rec["kind"]] - HELD[rec["kind"]], rec
        # Playback joins the stored segments into one stream, starting at 0, frame for frame.
        async with room.api.client.get(f"/api/recordings/{rec['id']}/media", headers=room.staff) as resp:
            assert int(resp.headers["X-Start-Ms"]) == full["segments"][0]["start_ms"]
            with av.open(io.BytesIO(await resp.read())) as container:
                played = list(container.decode(container.streams[0]))
        assert len(played) == frames and float(played[0].time) < 0.05
        assert (await room.api.ok("POST", f"/api/recordings/{rec['id']}/verify", headers=room.staff)) == {
            "ok": True, "problems": [], "discrepancies": [], "segments": rec["segments"],
            "state": "sealed"}
    evidence = await room.api.ok("GET", f"/api/cases/{room.case['id']}/evidence", headers=room.staff)
    assert sorted(e["recording_id"] for e in evidence) == sorted(r["id"] for r in recordings)
    assert all(e["kind"] == "recording" and len(e["sha256"]) == 64 for e in evidence)


async def recordings_of(room: Interview) -> list[dict]:
    detail = await room.api.ok("GET", f"/api/interviews/{room.id}", headers=room.staff)
    return [await room.api.ok("GET", f"/api/recordings/{r['id']}", headers=room.staff)
            for r in detail["recordings"]]


@SQLITE
async def test_a_segment_written_over_or_hidden_is_named_and_its_original_served(
        room: Interview, settings: Settings) -> None:
    await talk(room, 5)
    video, audio = sorted((r for r in await recordings_of(room)
                           if r["participant"]["role"] == "worker"), key=lambda r: r["kind"] != "video")
    assert video["kind"] == "video" and audio["kind"] == "audio"
    # Someone with the store's keys writes over one segment and deletes another. Object
    # lock keeps the originals as old versions, and the server reads the versions it wrote;
    # what was put over them is tampering all the same, and named.
    store = room.api.client.app[STORE]
    raw = minio_client(settings.s3.endpoint, settings.s3.access_key, settings.s3.secret_key)
    altered, hidden = video["segments"][1], audio["segments"][-1]
    original = await store.get(altered["key"])
    hidden_original = await store.get(hidden["key"])
    forged = bytearray(original)
    forged[len(forged) // 2] ^= 0xFF
    forgery = raw.put_object(settings.s3.bucket, altered["key"], io.BytesIO(bytes(forged)),
                             len(forged), metadata={"sha256": altered["sha256"]})
    raw.remove_object(settings.s3.bucket, hidden["key"])
    manifest_key = audio["manifest"]["key"]
    manifest = json.loads(await store.get(manifest_key))
    manifest["segments"][0]["gap"] = True  # a rewritten manifest, links and all
    forged_manifest = json.dumps(manifest).encode()
    raw.put_object(settings.s3.bucket, manifest_key, io.BytesIO(forged_manifest),
                   len(forged_manifest), metadata={"sha256": sha256_bytes(forged_manifest)})

    checked = await room.api.ok("POST", f"/api/recordings/{video['id']}/verify", headers=room.staff)
    assert checked["ok"] is False
    assert checked["problems"] == [f"segment 2 ({altered['key']}): a newer version was written over it"]
    checked = await room.api.ok("POST", f"/api/recordings/{audio['id']}/verify", headers=room.staff)
    assert checked["problems"] == [
        f"manifest {manifest_key}: a newer version was written over it",
        f"segment {hidden['seq']} ({hidden['key']}): a delete marker hides it"]
    assert [d["kind"] for d in checked["discrepancies"]] == ["unexpected", "unexpected"]
    # Playback serves the segments as recorded, not what was put over them.
    for recording, seq, data in ((video, 2, original), (audio, hidden["seq"], hidden_original)):
        async with room.api.client.get(f"/api/recordings/{recording['id']}/segments/{seq}",
                                       headers=room.staff) as resp:
            assert resp.status == 200 and await resp.read() == data
    frames = 0
    for segment in audio["segments"]:
        with av.open(io.BytesIO(await store.get(segment["key"]))) as container:  # the original
            frames += len(list(container.decode(container.streams[0])))
    async with room.api.client.get(f"/api/recordings/{audio['id']}/media", headers=room.staff) as resp:
        with av.open(io.BytesIO(await resp.read())) as container:
            assert len(list(container.decode(container.streams[0]))) == frames

    # With the database's keys too, the row is pointed at the forgery: its bytes are named
    # as altered, and playback refuses them instead of playing them.
    async with room.api.app[SESSIONS]() as session, session.begin():
        await session.execute(update(Segment).where(
            Segment.recording_id == video["id"], Segment.seq == 2).values(version_id=forgery.version_id))
    checked = await room.api.ok("POST", f"/api/recordings/{video['id']}/verify", headers=room.staff)
    assert checked["problems"] == [f"segment 2 ({altered['key']}): its bytes do not match its "
                                   "SHA-256 (altered)"]
    assert checked["discrepancies"] == [{"kind": "altered", "where": f"segment 2 ({altered['key']})",
                                         "message": "its bytes do not match its SHA-256 (altered)"}]
    status, body = await room.api.call(
        "GET", f"/api/recordings/{video['id']}/segments/2", headers=room.staff)
    assert status == 409 and body["error"] == "integrity_error"


@SQLITE
async def test_a_recording_sealed_before_segments_kept_their_codec_still_verifies(
        room: Interview) -> None:
    """Its rows were given "" by migration 0013 and its manifest lists no codec: the two
    still agree, and a change to either is still named."""
    await talk(room, 3)
    rec = next(r for r in await recordings_of(room) if r["kind"] == "audio")
    store = room.api.client.app[STORE]
    old = json.loads(await store.get(rec["manifest"]["key"]))
    for entry in old["segments"]:
        del entry["codec"]
    raw = chain.canonical_json(old)
    key = rec["manifest"]["key"].replace("manifest.json", "manifest-before-0013.json")
    written = await store.put(key, raw, sha256=sha256_bytes(raw), content_type="application/json")
    async with room.api.app[SESSIONS]() as session, session.begin():
        await session.execute(update(Segment).where(Segment.recording_id == rec["id"]).values(codec=""))
        await session.execute(update(Recording).where(Recording.id == rec["id"]).values(
            manifest_key=key, manifest_sha256=sha256_bytes(raw), manifest_size=len(raw),
            manifest_version_id=written.version_id))
    verify = f"/api/recordings/{rec['id']}/verify"
    assert (await room.api.ok("POST", verify, headers=room.staff))["problems"] == []
    async with room.api.app[SESSIONS]() as session, session.begin():
        await session.execute(update(Segment).where(
            Segment.recording_id == rec["id"], Segment.seq == 1).values(codec="opus"))
    assert (await room.api.ok("POST", verify, headers=room.staff))["problems"] == [
        "the stored manifest's segments differ from the database's"]


@SQLITE
async def test_a_rejoining_party_continues_its_recording_after_a_gap(
        room: Interview, loop_watch: LoopWatch) -> None:
    invite = await room.invite("李四")
    await room.inspector()
    worker = await room.join(invite["token"], label=2)
    await asyncio.sleep(3)
    await worker.close()
    await asyncio.sleep(3)
    await room.join(invite["token"], label=2)
    await asyncio.sleep(3)
    await room.api.ok("POST", f"/api/interviews/{room.id}/end", headers=room.staff)
    mine = [r for r in await recordings_of(room) if r["participant"]["id"] == invite["id"]]
    assert sorted(r["kind"] for r in mine) == ["audio", "video"]  # one chain per track, not two
    # On a loaded machine this process's loop (server and peers alike) may stand still for
    # over a second: a gap of its own, and only then (a fresh-clone run saw one).
    stalled = loop_watch.longest() * 1e6 > GAP_US * 0.9
    for rec in mine:
        gaps = [s for s in rec["segments"] if s["gap"]]
        assert len(gaps) == 1 or (stalled and len(gaps) > 1), (rec["segments"], loop_watch.describe())
        spans = rec["spans"]
        assert len(spans) == 2 or (stalled and len(spans) > 2), spans
        pauses = [b["start"] - a["end"] for a, b in zip(spans, spans[1:], strict=False)]
        assert any(2.5 <= pause <= 4.5 for pause in pauses), spans  # the party's absence
        assert rec["state"] == "sealed"
        verified = await room.api.ok("POST", f"/api/recordings/{rec['id']}/verify", headers=room.staff)
        assert verified["ok"], verified


@SQLITE
async def test_tracks_that_start_apart_are_placed_apart_on_the_interview_clock(room: Interview) -> None:
    """A phone whose camera starts 2 s after its microphone: each track's first segment
    starts when that track's first frame was sent (same machine, same clock). The
    microphone starts a second after connecting, so that no frame is sent before the
    server can receive it."""
    invite = await room.invite("王五")
    await room.inspector()
    worker = await room.join(invite["token"], label=2, audio_delay=1.0, video_delay=3.0)
    await asyncio.sleep(6)
    await room.api.ok("POST", f"/api/interviews/{room.id}/end", headers=room.staff)
    mine = {r["kind"]: r for r in await recordings_of(room) if r["participant"]["id"] == invite["id"]}
    audio_at = mine["audio"]["segments"][0]["start_ms"] / 1000
    video_at = mine["video"]["segments"][0]["start_ms"] / 1000
    assert abs(audio_at - worker.audio.first_sent_at) <= 0.1
    assert abs(video_at - worker.video.first_sent_at) <= 0.1
    assert abs((video_at - audio_at) - 2.0) <= 0.1 + abs(
        (worker.video.first_sent_at - worker.audio.first_sent_at) - 2.0)


@SQLITE
async def test_recordings_are_for_staff_of_the_case_only(room: Interview) -> None:
    invite = await room.invite("赵六")
    await talk(room, 3)
    rec = (await recordings_of(room))[0]
    api, paths = room.api, [f"/api/recordings/{rec['id']}", f"/api/recordings/{rec['id']}/media",
                            f"/api/recordings/{rec['id']}/segments/1"]
    stranger = await api.staff("zhao")
    party = {"Authorization": f"Bearer {invite['token']}"}
    for path in paths:
        assert (await api.call("GET", path, headers=stranger))[0] == 404
        assert (await api.call("GET", path, headers=party))[0] == 403
    assert (await api.call("POST", f"/api/recordings/{rec['id']}/verify", headers=stranger))[0] == 404
    assert (await api.call("GET", f"/api/cases/{room.case['id']}/evidence", headers=stranger))[0] == 404
    # Legal staff granted the case may look, play and verify.
    legal = await api.staff("li", "legal")
    await api.ok("POST", f"/api/cases/{room.case['id']}/members", 201, headers=room.staff,
                 json={"username": "li"})
    assert (await api.ok("POST", f"/api/recordings/{rec['id']}/verify", headers=legal))["ok"]
    async with api.client.get(paths[1], headers=legal) as resp:
        assert resp.status == 200 and resp.content_type == f"{rec['kind']}/webm"
        assert len(await resp.read()) > 1000
    # Playing from the start, however it is spelled, and taking a segment are custody events.
    async with api.client.get(f"{paths[1]}?from=0", headers=legal) as resp:
        assert resp.status == 200
    async with api.client.get(paths[2], headers=legal) as resp:
        assert resp.headers["X-Content-SHA256"] == rec["segments"][0]["sha256"]
    evidence = await api.ok("GET", f"/api/cases/{room.case['id']}/evidence", headers=legal)
    item = next(e["id"] for e in evidence if e["recording_id"] == rec["id"])
    events = (await api.ok("GET", f"/api/cases/{room.case['id']}/custody", headers=legal))["events"]
    assert [(e["action"], e["item_id"], e["detail"].get("segment")) for e in events
            if e["actor"].get("username") == "li"] == [
        ("viewed", item, None), ("viewed", item, None), ("downloaded", item, 1)]
    for bad, code in (("/segments/x", 400), ("/segments/99", 404), ("/media?from=x", 400),
                      ("/media?from=99", 404)):
        assert (await api.call("GET", f"/api/recordings/{rec['id']}{bad}", headers=legal))[0] == code
    assert (await api.call("GET", "/api/recordings/not-a-uuid", headers=legal))[0] == 404
