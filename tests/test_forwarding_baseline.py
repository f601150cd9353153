"""The old path, kept behind ZEROMEET_FORWARDING=transcode as the benchmark's baseline:
received media is decoded and encoded again for each receiver, and still recorded as
received."""

from __future__ import annotations

import pytest

from media.fanout import FanoutTrack
from server.appkeys import ROOMS
from server.settings import Settings
from tests.support.rooms import Interview

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_(forwarding="transcode")


async def test_transcoding_decodes_and_encodes_again_and_still_records(room: Interview) -> None:
    inspector = await room.inspector()
    worker = await room.join((await room.invite("张三"))["token"], label=2)
    for client, other in ((inspector, worker), (worker, inspector)):
        await client.wait_for(lambda c, o=other: c.received[o.you]["video"].frames >= 15
                              and (320, 240) in c.received[o.you]["video"].sizes
                              and c.received[o.you]["audio"].frames >= 20)
    for peer in room.api.app[ROOMS].find(room.id).peers.values():
        assert set(peer.decoded) == {"audio", "video"}
        assert all(source.tap.decoded > 0 for source in peer.incoming.values())
        assert all(isinstance(slot.track, FanoutTrack) for slot in peer.slots)
    await room.api.ok("POST", f"/api/interviews/{room.id}/end", headers=room.staff)
    detail = await room.api.ok("GET", f"/api/interviews/{room.id}", headers=room.staff)
    assert sorted(r["kind"] for r in detail["recordings"]) == ["audio", "audio", "video", "video"]
    assert all(r["state"] == "sealed" and r["segments"] >= 1 for r in detail["recordings"])
