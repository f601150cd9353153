"""Live captions and the draft ready at the end: real aiortc peers speaking espeak-ng
lines, the real recorder and SeaweedFS, the real Whisper models in the live worker
process; the draft taken over from live listening, and the same as hearing the stored
segments afresh."""

from __future__ import annotations

import asyncio
import hashlib
import multiprocessing
import os
import signal
import time
from concurrent.futures import ProcessPoolExecutor

import pytest
from aiohttp.test_utils import TestClient, TestServer

from server.app import create_app
from server.appkeys import LIVE, ROOMS, STORE
from server.settings import Settings
from tests.support.api import Api
from tests.support.clock import now
from tests.support.conversation import WHO, converse, wait_for_draft
from tests.support.rooms import Interview
from tests.support.rtc import RtcClient
from tests.support.speech import ScriptedAudio, script
from tests.test_records_pipeline import ENGLISH, MAX_WER_EN, check_turns
from transcription.engine import Transcriber
from transcription.normalise import wer
from transcription.pipeline import Speaker, transcribe_party

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

DRAFT_AFTER_END_S = 15.0  # the bound, when live listening kept up


@pytest.fixture
def settings(settings: Settings, whisper_models: dict) -> Settings:
    return settings.with_(transcribe=True, live_captions=True,
                          whisper_model=str(whisper_models["tiny.en"]))


def captions_of(messages: list[dict]) -> list[dict]:
    return [m for m in messages if m["type"] == "caption"]


async def test_captions_arrive_during_the_call_and_the_draft_is_ready_at_once(
        room: Interview, whisper_models: dict) -> None:
    conv = await converse(room, ENGLISH, voice="en", language="en",
                          stay_until=lambda client: bool(captions_of(client.messages)))
    turns = conv.record["turns"]

    # Captions reached both parties over the signalling socket while the call ran, each
    # line attributed to whoever said it, with the words that were said. (A worker that
    # fell behind catches up one party at a time, so the socket may bring two out of
    # order; the pages and the API show them in order of start.)
    # On a loaded machine the live worker falls behind and the last lines are heard after a
    # party's socket closed (a fresh-clone run saw 2 of 4 arrive live; one with the loop
    # 2.3 s behind saw none within the 1.5 s the script stays, hence `stay_until`): those
    # come from the API below, and the bound on the draft's delay holds only when listening
    # kept up.
    for who in ("inspector", "worker"):
        live = sorted(captions_of(conv.messages[who]), key=lambda c: c["start"])
        assert len(live) >= 1, live
        for caption in live:
            line = min(conv.lines, key=lambda l: abs(conv.t0 + l.at - (
                conv.record_started + caption["start"])))
            name, role = WHO[line.who]
            assert (caption["speaker"], caption["role"]) == (name, role), (caption, line)
            assert caption["delay"] < 20 and caption["participant"]
    said = [text for _, text in ENGLISH]
    every = await room.api.ok("GET", f"/api/interviews/{room.id}/captions", headers=room.staff)
    heard = [c["text"] for c in every]
    assert wer([" ".join(said)], [" ".join(heard)]) <= MAX_WER_EN, heard
    kept_up = all(not c["delayed"] for c in every)  # no caption came over 6 s after its speech

    # The draft was made from what live listening heard: no second pass, seconds after the end.
    items = await room.api.ok("GET", f"/api/cases/{room.case['id']}/evidence", headers=room.staff)
    observed = next(i for i in items if i["kind"] == "record")["observed"]
    assert observed["live"] == {"parties": 2, "of": 2}, observed
    ready_s = conv.ready - conv.ended
    print(f"draft ready {ready_s:.1f} s after the end was asked for (live listening kept up: {kept_up})")
    if kept_up:
        assert ready_s <= DRAFT_AFTER_END_S
    assert check_turns(conv, ENGLISH, said, "en", filtered=observed["filtered"]) <= MAX_WER_EN

    # The captions API gives what the sockets gave, and any the worker's socket missed by
    # leaving before the last one was heard (a loaded fresh-clone run saw that).
    api_captions = await room.api.ok("GET", f"/api/interviews/{room.id}/captions", headers=room.staff)
    api_texts = [c["text"] for c in api_captions]
    for who in ("inspector", "worker"):
        socket = sorted_texts(captions_of(conv.messages[who]))
        rest = iter(api_texts)
        assert all(text in rest for text in socket), (who, socket, api_texts)  # in order
    assert len(api_texts) >= len(ENGLISH) - 1, api_texts

    # The draft names every stored segment it heard, by hash, and they are the stored
    # ones: hearing those bytes afresh, from the start, gives the same turns.
    store = room.api.client.app[STORE]
    recordings = (await room.api.ok("GET", f"/api/interviews/{room.id}",
                                    headers=room.staff))["recordings"]
    transcriber = Transcriber(whisper_models["tiny.en"], cpu_threads=2)
    afresh = []
    for rec in (r for r in recordings if r["kind"] == "audio"):
        heard_here = [h for h in observed["heard_segments"] if h["recording_id"] == rec["id"]]
        assert [h["seq"] for h in heard_here] == list(range(1, len(heard_here) + 1))
        segments = []
        for entry in heard_here:
            data = await store.get(f"interviews/{room.id}/recordings/{rec['id']}/{entry['seq']:06d}.webm")
            assert hashlib.sha256(data).hexdigest() == entry["sha256"]
            segments.append(data)
        party = Speaker(rec["id"], "", "worker", rec["id"])
        result = transcribe_party(transcriber, party, segments,
                                  [h["seq"] for h in heard_here], conv.origin_ms, "en")
        afresh += [(u.start, u.text) for u in result.utterances]
    afresh.sort()
    assert [c["text"] for c in api_captions] == [text for _, text in afresh]
    assert all(abs(c["start"] - start) <= 0.01 for c, (start, _) in zip(api_captions, afresh))
    assert room.api.client.app[LIVE].steps > 0
    assert len(turns) >= len(ENGLISH) - 1


def sorted_texts(captions: list[dict]) -> list[str]:
    return [c["text"] for c in sorted(captions, key=lambda c: (c["start"], c["participant"]))]


async def speak_lines(api: Api, staff: dict, interview_id: str, worker_token: str,
                      lines: list[tuple[str, str]], *, wait: float = 60,
                      sources: dict | None = None) -> list[dict]:
    """Inspector and worker join (real aiortc peers), say `lines`, and stay until the last
    one has been captioned; the captions the inspector's socket received. `sources` gets
    the server's Source of each (participant id, kind)."""
    said = script(lines, "en")
    voices = {who: ScriptedAudio([line for line in said if line.who == who]) for who in WHO}
    base = str(api.client.make_url("/"))
    inspector = RtcClient(base, interview_id, staff["Authorization"].split()[1], label=1,
                          audio=voices["inspector"], width=160, height=120)
    worker = RtcClient(base, interview_id, worker_token, label=2, audio=voices["worker"],
                       width=160, height=120)
    try:
        await inspector.connect()
        await worker.connect()
        await worker.wait_for(lambda c: c.received.get(inspector.you, {}).get("audio") is not None)
        await inspector.wait_for(lambda c: c.received.get(worker.you, {}).get("audio") is not None)
        t0 = now() + 0.3
        for voice in voices.values():
            voice.start(t0)
        if sources is not None:
            peers = api.client.app[ROOMS].find(interview_id).peers
            sources.update({(peer.participant.id, kind): source for peer in peers.values()
                            for kind, source in peer.incoming.items()})
        await inspector.wait_for(lambda c: len(captions_of(c.messages)) >= len(lines), timeout=wait)
        return sorted(captions_of(inspector.messages), key=lambda c: c["start"])
    finally:
        await asyncio.gather(inspector.close(), worker.close(), return_exceptions=True)


async def test_a_server_restart_mid_interview_still_gives_a_complete_draft(
        settings: Settings) -> None:
    before = [("inspector", "How long have you worked for this company?")]
    after = [("worker", "They have not paid me since March.")]
    async with TestClient(TestServer(create_app(settings))) as client:
        api = Api(client)
        staff, case, interview = await api.setup_case()
        interview = await api.interview(staff, case["id"], language="en")
        invite = await api.invite(staff, interview["id"], name="李工人", role="worker")
        first = await speak_lines(api, staff, interview["id"], invite["token"], before)
    # The server stopped mid-interview: what it heard live is gone with it.
    async with TestClient(TestServer(create_app(settings))) as client:
        api = Api(client)
        staff = await api.login("wang")
        second = await speak_lines(api, staff, interview["id"], invite["token"], after)
        await api.ok("POST", f"/api/interviews/{interview['id']}/end", headers=staff)
        record = await wait_for_draft(api, staff, interview["id"])
        items = await api.ok("GET", f"/api/cases/{case['id']}/evidence", headers=staff)
    observed = next(i for i in items if i["kind"] == "record")["observed"]
    texts = [t["text"] for t in record["turns"]]
    print(texts, observed["live"])
    assert [c["text"] for c in first] + [c["text"] for c in second] == texts
    assert [t["speaker"] for t in record["turns"]] == ["Wang", "李工人"]
    # Four recordings (two per server run); the second run's were heard live, the first
    # run's by the job, from the store.
    assert observed["live"] == {"parties": 2, "of": 4}



def spin(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


async def test_live_listening_under_load_falls_behind_and_catches_up_losing_no_frame(
        api: Api) -> None:
    """The machine is busy (both cores spun by other processes) and the live worker is
    held up for 20 s: captions come late, say so, and all come; the call and the
    recording lose nothing to it."""
    staff, case, _ = await api.setup_case()
    interview = await api.interview(staff, case["id"], language="en")
    invite = await api.invite(staff, interview["id"], name="李工人", role="worker")
    live = api.client.app[LIVE]
    pool = await live._ensure_pool("en")
    await asyncio.wrap_future(pool.submit(spin, 0))  # the model is loaded
    # The worker is busy for longer than joining and the first line take (about 6 s), so
    # that line's caption is late by more than DELAYED_S however fast the joins are.
    held = pool.submit(time.sleep, 20)  # stuck, not computing: the hogs below load the cores
    hogs = ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn"))
    load = [hogs.submit(spin, 15) for _ in range(2)]
    sources: dict = {}
    lines = [("inspector", "How long have you worked for this company?"),
             ("worker", "I have worked here for two years."),
             ("inspector", "When were you last paid your wages?")]
    try:
        captions = await speak_lines(api, staff, interview["id"], invite["token"], lines,
                                     wait=90, sources=sources)
    finally:
        hogs.shutdown(cancel_futures=True)
    assert held.done() and all(f.done() for f in load)
    # Caught up a party at a time: the socket may bring them out of order; the pages and
    # the API put them in order of start.
    captions.sort(key=lambda c: c["start"])
    print([(c["text"], c["delay"]) for c in captions])
    assert len(captions) == len(lines)
    assert any(c["delayed"] for c in captions), captions  # held up, and said so
    assert wer([t for _, t in lines], [c["text"] for c in captions]) <= MAX_WER_EN
    await api.ok("POST", f"/api/interviews/{interview['id']}/end", headers=staff)
    record = await wait_for_draft(api, staff, interview["id"])
    assert [t["text"] for t in record["turns"]] == [c["text"] for c in captions]
    detail = await api.ok("GET", f"/api/interviews/{interview['id']}", headers=staff)
    for rec in detail["recordings"]:
        full = await api.ok("GET", f"/api/recordings/{rec['id']}", headers=staff)
        kept = sum(s["frames"] for s in full["segments"])
        source = sources[(rec["participant"]["id"], rec["kind"])]
        recorder = source._listeners[0][0].__self__
        assert kept + recorder.skipped == source.frames, (rec["kind"], kept, source.frames)
        assert recorder.skipped == 0 and source.shed == 0, (rec["kind"], recorder.skipped, source.shed)


async def test_a_live_worker_that_dies_is_replaced_and_nothing_is_lost(api: Api) -> None:
    staff, case, _ = await api.setup_case()
    interview = await api.interview(staff, case["id"], language="en")
    invite = await api.invite(staff, interview["id"], name="李工人", role="worker")
    live = api.client.app[LIVE]
    first = await speak_lines(api, staff, interview["id"], invite["token"],
                              [("inspector", "How long have you worked for this company?")])
    # The worker process is killed between two lines (the OOM killer, a crash in a library).
    pid = next(iter(live._pool._processes))
    os.kill(pid, signal.SIGKILL)
    second = await speak_lines(api, staff, interview["id"], invite["token"],
                               [("worker", "They have not paid me since March.")])
    assert next(iter(live._pool._processes)) != pid  # a new worker heard the second line
    await api.ok("POST", f"/api/interviews/{interview['id']}/end", headers=staff)
    record = await wait_for_draft(api, staff, interview["id"])
    texts = [t["text"] for t in record["turns"]]
    assert texts == [c["text"] for c in first + second], (texts, first, second)
