"""The ICE candidates a participant names: the server contacts only the ones it may."""

from __future__ import annotations

import asyncio
import socket

import aiohttp
import pytest
from aiortc import RTCPeerConnection

from media.candidates import MAX_CANDIDATES, refusal, screen
from server.appkeys import ROOMS
from tests.support.rooms import Interview
from tests.support.rtc import PatternVideo, ToneAudio

sqlite = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.mark.parametrize("host", [
    "127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1",  # loopback
    "169.254.169.254", "fe80::1", "fe80::1%eth0",  # link-local (a cloud's metadata service)
    "0.0.0.0", "0.1.2.3", "::",  # unspecified, "this network"
    "224.0.0.251", "239.255.255.250", "ff02::1",  # multicast
    "255.255.255.255", "240.0.0.1",  # broadcast, reserved
    "a1b2c3d4-0000-4000-8000-000000000000.local", "localhost", "example.org",  # names
    "1.2.3.4.5", "",
])
def test_addresses_the_server_will_not_contact(host: str) -> None:
    assert refusal(f"1 1 udp 2130706431 {host} 5000 typ host") is not None


@pytest.mark.parametrize("candidate", [
    "1 1 udp 2130706431 192.168.1.20 5000 typ host",  # a LAN deployment's parties
    "1 1 udp 2130706431 10.8.0.3 5000 typ host",
    "1 1 udp 1694498815 203.0.113.7 61000 typ srflx raddr 0.0.0.0 rport 0",
    "1 1 udp 16777215 198.51.100.9 3478 typ relay raddr 203.0.113.7 rport 61000",
    "1 1 UDP 2130706431 2001:db8::7 5000 typ host generation 0",
    "1 1 udp 2130706431 fd00::7 5000 typ host",
])
def test_addresses_the_server_contacts(candidate: str) -> None:
    assert refusal(candidate) is None


@pytest.mark.parametrize("candidate", [
    "1 1 tcp 1518280447 192.168.1.20 9 typ host tcptype active",  # never checked by this server
    "1 1 udp 2130706431 192.168.1.20 0 typ host",
    "1 1 udp 2130706431 192.168.1.20 70000 typ host",
    "1 1 udp 2130706431 192.168.1.20 5000 typ prflx",
    "1 1 udp 2130706431 192.168.1.20",
])
def test_malformed_or_unusable_candidates_are_refused(candidate: str) -> None:
    assert refusal(candidate) is not None


# Digits that str.isdigit() takes: "¹" (int() refuses it), "١" and "１" (int() takes them).
NOT_ASCII_DIGITS = ["¹", "١", "１"]
UNICODE_NUMBERS = [
    *(f"1 1 udp 2130706431 192.168.1.20 500{d} typ host" for d in NOT_ASCII_DIGITS),  # port
    *(f"1 1 udp 213070643{d} 192.168.1.20 5000 typ host" for d in NOT_ASCII_DIGITS),  # priority
    *(f"1 {d} udp 2130706431 192.168.1.20 5000 typ host" for d in NOT_ASCII_DIGITS),  # component
    *(f"1 1 udp 1694498815 203.0.113.7 61000 typ srflx raddr 0.0.0.0 rport {d}"
      for d in NOT_ASCII_DIGITS),
    *(f"1 1 udp 2130706431 192.168.1.20 5000 typ host generation {d}" for d in NOT_ASCII_DIGITS),
    f"1 {'¹' * 3} tcp 1518280447 192.168.1.20 9 typ host tcptype active",
    "1 1 udp 2130706431 192.168.1.20 " + "5" * 5000 + " typ host",  # past int()'s 4300 digits
    "1 1 udp 21307064310000 192.168.1.20 5000 typ host",
]


@pytest.mark.parametrize("candidate", UNICODE_NUMBERS)
def test_numbers_in_anything_but_ascii_digits_are_refused(candidate: str) -> None:
    assert refusal(candidate) == "malformed"
    screened = screen(f"v=0\r\na=candidate:{candidate}\r\na=end-of-candidates\r\n")
    assert screened.sdp == "v=0\r\na=end-of-candidates\r\n"


def test_screening_drops_only_refused_lines_and_counts_every_candidate() -> None:
    sdp = ("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 96\r\n"
           "a=candidate:1 1 udp 2130706431 192.168.1.20 5000 typ host\r\n"
           "a=candidate:2 1 udp 2130706431 127.0.0.1 5000 typ host\r\n"
           "a=candidate:2 1 udp 2130706431 127.0.0.1 5000 typ host\r\n"
           "a=end-of-candidates\r\n")
    screened = screen(sdp)
    assert "127.0.0.1" not in screened.sdp and "192.168.1.20 5000" in screened.sdp
    assert screened.sdp.endswith("a=end-of-candidates\r\n")
    assert len(screened.signalled) == 2 and len(screened.dropped) == 2
    # TCP candidates (every browser description has them) go quietly and count for nothing.
    tcp = "a=candidate:3 1 tcp 1518280447 192.168.1.20 9 typ host tcptype active\r\n"
    quiet = screen(sdp.replace("a=end-of-candidates", tcp + "a=end-of-candidates"))
    assert "tcp" not in quiet.sdp and quiet.signalled == screened.signalled
    assert quiet.dropped == screened.dropped
    plain = sdp.replace("a=candidate:2 1 udp 2130706431 127.0.0.1 5000 typ host\r\n", "")
    assert screen(plain).sdp == plain and screen(plain).dropped == ()


class Listener(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.received: list[bytes] = []

    def datagram_received(self, data: bytes, addr: object) -> None:
        self.received.append(data)


def _with_candidates(sdp: str, lines: list[str]) -> str:
    """`lines` added to the first media section (the one the others are bundled on)."""
    extra = "".join(f"a=candidate:{line}\r\n" for line in lines)
    return sdp.replace("a=end-of-candidates\r\n", extra + "a=end-of-candidates\r\n", 1)


async def _party(room: Interview, http: aiohttp.ClientSession) -> tuple[aiohttp.ClientWebSocketResponse,
                                                                          RTCPeerConnection]:
    ws = await room.raw_socket(http)
    await ws.send_json({"type": "hello", "token": (await room.invite("张三"))["token"]})
    assert (await ws.receive_json())["type"] == "welcome"
    pc = RTCPeerConnection()
    pc.addTransceiver(ToneAudio(), direction="sendonly")
    pc.addTransceiver(PatternVideo(), direction="sendonly")
    await pc.setLocalDescription(await pc.createOffer())
    return ws, pc


async def _reply(ws: aiohttp.ClientWebSocketResponse) -> dict:
    while True:
        message = await ws.receive_json(timeout=10)
        if message["type"] in ("answer", "error"):
            return message


@sqlite
async def test_an_offer_cannot_make_the_server_probe_itself(room: Interview) -> None:
    loop = asyncio.get_running_loop()
    listeners = []
    for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
        transport, listener = await loop.create_datagram_endpoint(Listener, local_addr=(host, 0),
                                                                  family=family)
        listeners.append((transport, listener, transport.get_extra_info("sockname")[1]))
    (_, _, port4), (_, _, port6) = listeners
    refused = [f"127.0.0.1 {port4}", f"::1 {port6}", f"::ffff:127.0.0.1 {port4}",
               "169.254.169.254 80", "0.0.0.0 9", "224.0.0.251 5353", "ff02::1 5353",
               "fe80::1 9", "d1b6c0de-1111-4222-8333-444455556666.local 9", "localhost 9"]
    # Above any real candidate's priority: these would be checked first.
    lines = [f"{9 + i} 1 udp 4294967295 {where} typ host" for i, where in enumerate(refused)]
    async with aiohttp.ClientSession() as http:
        ws, pc = await _party(room, http)
        await ws.send_json({"type": "offer", "sdp": _with_candidates(pc.localDescription.sdp, lines)})
        answer = await _reply(ws)
        assert answer["type"] == "answer", answer
        await pc.setRemoteDescription(type(pc.localDescription)(answer["sdp"], "answer"))
        server_side = next(iter(room.api.app[ROOMS].find(room.id).peers.values()))
        for _ in range(200):
            if server_side.pc.connectionState == "connected":
                break
            await asyncio.sleep(0.05)
        assert server_side.pc.connectionState == "connected"  # on the candidates it may use
        await asyncio.sleep(1.5)  # checks are paced 20 ms apart and retried: plenty of time
        ice = server_side.pc.getTransceivers()[0].receiver.transport.transport
        remote = {c.ip for c in ice.getRemoteCandidates()}
        await pc.close()
        await ws.close()
    for transport, _, _ in listeners:
        transport.close()
    assert [len(listener.received) for _, listener, _ in listeners] == [0, 0]
    assert remote and not remote & {"127.0.0.1", "::1", "::ffff:127.0.0.1", "169.254.169.254",
                                     "0.0.0.0", "224.0.0.251", "ff02::1", "fe80::1"}
    assert all(not ip.endswith(".local") and ip != "localhost" for ip in remote)


@sqlite
async def test_an_offer_naming_too_many_candidates_is_refused(room: Interview) -> None:
    lines = [f"{i} 1 udp 2130706431 192.0.2.{100 + i} 9 typ host" for i in range(MAX_CANDIDATES + 8)]
    async with aiohttp.ClientSession() as http:
        ws, pc = await _party(room, http)
        sdp = pc.localDescription.sdp
        await ws.send_json({"type": "offer", "sdp": _with_candidates(sdp, lines)})
        refused = await _reply(ws)
        assert refused["type"] == "error" and refused["error"] == "bad_sdp", refused
        assert f"at most {MAX_CANDIDATES} ICE candidates" in refused["message"]
        # Not fatal: the same connection may offer again, within the limit.
        await ws.send_json({"type": "offer", "sdp": sdp})
        assert (await _reply(ws))["type"] == "answer"
        await pc.close()
        await ws.close()


@sqlite
async def test_an_offer_with_unicode_digits_in_its_candidates_is_answered(room: Interview) -> None:
    """Screening used to raise ValueError on "¹" (outside the SDP parser's error handling)."""
    async with aiohttp.ClientSession() as http:
        ws, pc = await _party(room, http)
        sdp = _with_candidates(pc.localDescription.sdp, UNICODE_NUMBERS[:3])
        await ws.send_json({"type": "offer", "sdp": sdp})
        answer = await _reply(ws)
        assert answer["type"] == "answer", answer
        server_side = next(iter(room.api.app[ROOMS].find(room.id).peers.values()))
        ice = server_side.pc.getTransceivers()[0].receiver.transport.transport
        assert "192.168.1.20" not in {c.ip for c in ice.getRemoteCandidates()}
        await pc.close()
        await ws.close()
