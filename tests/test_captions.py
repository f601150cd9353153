"""Live captions and the draft ready at the end: real aiortc peers speaking espeak-ng
lines, the real recorder and SeaweedFS, the real Whisper models in the live worker
process; the draft taken over from live listening, and the same as hearing the stored
segments afresh."""

from __future__ import annotations

import hashlib

import pytest

from server.appkeys import LIVE, STORE
from server.settings import Settings
from tests.support.conversation import WHO, converse
from tests.support.rooms import Interview
from tests.test_records_pipeline import ENGLISH, MAX_WER_EN, check_turns
from transcription.engine import Transcriber
from transcription.normalise import wer
from transcription.pipeline import Party, transcribe_party

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
    conv = await converse(room, ENGLISH, voice="en", language="en")
    turns = conv.record["turns"]

    # Captions reached both parties over the signalling socket while the call ran, each
    # line attributed to whoever said it, in order, with the words that were said.
    for who in ("inspector", "worker"):
        live = captions_of(conv.messages[who])
        assert len(live) >= len(ENGLISH) - 1, live
        assert [c["start"] for c in live] == sorted(c["start"] for c in live)
        for caption in live:
            line = min(conv.lines, key=lambda l: abs(conv.t0 + l.at - (
                conv.record_started + caption["start"])))
            name, role = WHO[line.who]
            assert (caption["speaker"], caption["role"]) == (name, role), (caption, line)
            assert caption["delay"] < 20 and caption["participant"]
    said = [text for _, text in ENGLISH]
    heard = [c["text"] for c in captions_of(conv.messages["inspector"])]
    assert wer([" ".join(said)], [" ".join(heard)]) <= MAX_WER_EN, heard

    # The draft was made from what live listening heard: no second pass, seconds after the end.
    items = await room.api.ok("GET", f"/api/cases/{room.case['id']}/evidence", headers=room.staff)
    observed = next(i for i in items if i["kind"] == "record")["observed"]
    assert observed["live"] == {"parties": 2, "of": 2}, observed
    ready_s = conv.ready - conv.ended
    print(f"draft ready {ready_s:.1f} s after the end was asked for")
    assert ready_s <= DRAFT_AFTER_END_S
    assert check_turns(conv, ENGLISH, said, "en", filtered=observed["filtered"]) <= MAX_WER_EN

    # The captions API gives what the sockets gave.
    api_captions = await room.api.ok("GET", f"/api/interviews/{room.id}/captions",
                                     headers=room.staff)
    assert [c["text"] for c in api_captions] == sorted_texts(captions_of(conv.messages["worker"]))

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
        party = Party(rec["id"], "", "worker", rec["id"])
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
