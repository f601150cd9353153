"""Pixel floods: small files that declare enormous pictures. Uploaded through a real
`zeromeet serve` (on the session's SeaweedFS), each is stored and answered as evidence,
with no thumbnail and a note, while the server's peak resident memory (VmHWM, reset
before each test) stays under 500 MB. A signature of 20000 x 20000 pixels gets a clear
400 at once, and signatures are decoded off the event loop."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import cv2
import numpy as np
import pytest
from PIL import Image

from evidence.sniff import JPEG, PNG
from server.settings import S3Settings
from server.uploads import headers, images
from tests.support.api import PASSWORD, Api, bearer
from tests.support.hostile import jpeg_flood, png_flood, webp_canvas_flood
from tests.support.proc import env_for, free_port, run, start_server
from tests.test_uploads import form, photo

PEAK_MB = 500
TOO_LARGE = "too large to decode for a thumbnail"


@dataclass
class Server:
    base: str
    pid: int

    def reset_peak(self) -> None:
        Path(f"/proc/{self.pid}/clear_refs").write_text("5")  # VmHWM := VmRSS

    def peak_mb(self) -> float:
        status = Path(f"/proc/{self.pid}/status").read_text().splitlines()
        line = next(s for s in status if s.startswith("VmHWM:"))
        return int(line.split()[1]) / 1024


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, s3_settings: S3Settings) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("hostile")
    env = env_for(tmp / "data", ZEROMEET_S3_ENDPOINT=s3_settings.endpoint or "",
                  ZEROMEET_S3_ACCESS_KEY=s3_settings.access_key or "",
                  ZEROMEET_S3_SECRET_KEY=s3_settings.secret_key or "",
                  ZEROMEET_S3_BUCKET="t-" + uuid.uuid4().hex[:16],
                  ZEROMEET_S3_SECURE="1" if s3_settings.secure else "0",
                  ZEROMEET_RETENTION_DAYS="1")
    added = run(["user", "add", "--role", "inspector", "--username", "wang", "--password-stdin"],
                env, PASSWORD + "\n")
    assert added.returncode == 0, added.stderr
    port = free_port()
    proc = start_server(env, port, log=tmp / "server.log")
    try:
        yield Server(f"http://127.0.0.1:{port}", proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@dataclass
class Case:
    http: aiohttp.ClientSession
    base: str
    id: str
    staff: dict[str, str]
    party: dict[str, str]

    async def upload(self, data: bytes, name: str, content_type: str,
                     who: dict[str, str] | None = None) -> dict:
        async with self.http.post(f"{self.base}/api/cases/{self.id}/evidence",
                                  headers=who or self.staff,
                                  data=form(data, name=name, content_type=content_type)) as resp:
            body = await resp.json()
            assert resp.status == 201, body
            return body

    async def content(self, item_id: str) -> bytes:
        async with self.http.get(f"{self.base}/api/evidence/{item_id}/content",
                                 headers=self.staff) as resp:
            assert resp.status == 200
            return await resp.read()


async def _case(http: aiohttp.ClientSession, base: str) -> Case:
    async def ok(path: str, status: int, body: dict, headers: dict[str, str] | None = None) -> dict:
        async with http.post(base + path, json=body, headers=headers) as resp:
            answer = await resp.json()
            assert resp.status == status, answer
            return answer

    login = await ok("/api/login", 200, {"username": "wang", "password": PASSWORD})
    staff = bearer(login["token"])
    case = await ok("/api/cases", 201, {"title": "欠薪投诉"}, staff)
    interview = await ok(f"/api/cases/{case['id']}/interviews", 201, {}, staff)
    invite = await ok(f"/api/interviews/{interview['id']}/invites", 201,
                      {"name": "张三", "role": "worker"}, staff)
    return Case(http, base, case["id"], staff, bearer(invite["token"]))


def _kept_without_thumbnail(item: dict, data: bytes, width: int, height: int) -> None:
    observed = item["observed"]
    assert item["sha256"] == hashlib.sha256(data).hexdigest() and item["size"] == len(data)
    assert observed["image"] == {"width": width, "height": height}
    assert observed["thumbnail"] is None and observed["thumbnail_note"] == TOO_LARGE


def _camera_exif() -> bytes:
    exif = Image.Exif()
    exif[271], exif[272] = "Hostile", "Cam"
    return exif.tobytes()[6:]  # the TIFF block without JPEG's "Exif\0\0"


async def test_a_png_declaring_32000_by_32000_is_kept_without_a_thumbnail(server: Server) -> None:
    """995 KB that decode to 3 GB: read from the header, never decoded; its EXIF claims
    are still read, and the bytes come back exactly."""
    data = png_flood(32000, 32000, exif=_camera_exif())
    assert len(data) < 1_000_000
    server.reset_peak()
    async with aiohttp.ClientSession() as http:
        case = await _case(http, server.base)
        started = time.monotonic()
        item = await case.upload(data, "flood.png", "image/png")
        took = time.monotonic() - started
        assert server.peak_mb() < PEAK_MB and took < 10, took
        _kept_without_thumbnail(item, data, 32000, 32000)
        assert item["claimed"]["exif"] == {"camera": "Hostile Cam"}
        assert await case.content(item["id"]) == data


async def test_two_floods_at_once_by_an_invitation_beside_a_real_photo(server: Server) -> None:
    data = png_flood(32000, 32000)
    real = photo(4000, 3000)
    server.reset_peak()
    async with aiohttp.ClientSession() as http:
        case = await _case(http, server.base)
        first, second, ordinary = await asyncio.gather(
            case.upload(data, "a.png", "image/png", case.party),
            case.upload(data, "b.png", "image/png", case.party),
            case.upload(real, "photo.jpg", "image/jpeg", case.party))
    assert server.peak_mb() < PEAK_MB
    for item in (first, second):
        _kept_without_thumbnail(item, data, 32000, 32000)
    assert ordinary["observed"]["thumbnail"]["width"] == 320


FLOODS = {
    # Pillow's PNG plugin decodes the whole image to look for EXIF after the pixels.
    "png-12000-rgba": (lambda: png_flood(12000, 12000, color_type=6), "image/png", 12000),
    # Under the 100 M-pixel guard, but libjpeg keeps 6 bytes a pixel of coefficients.
    "jpeg-progressive": (lambda: jpeg_flood(9000, 9000), "image/jpeg", 9000),
    "jpeg-sequential-scan-by-scan": (
        lambda: jpeg_flood(9000, 9000, progressive=False, first_scan=1), "image/jpeg", 9000),
    # 138 bytes; the animation decoder clears two canvases of 1 GB each.
    "webp-animated-canvas": (webp_canvas_flood, "image/webp", 16383),
}


@pytest.mark.parametrize("flood", list(FLOODS))
async def test_floods_past_the_old_pixel_guard(server: Server, flood: str) -> None:
    make, content_type, side = FLOODS[flood]
    data = make()
    server.reset_peak()
    async with aiohttp.ClientSession() as http:
        case = await _case(http, server.base)
        item = await case.upload(data, "flood", content_type, case.party)
    assert server.peak_mb() < PEAK_MB
    _kept_without_thumbnail(item, data, side, side)


# --- the thumbnailer's budget, in process --------------------------------------------------

def test_an_unreadable_header_is_never_decoded(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    decoded: list[Path] = []
    monkeypatch.setattr(images, "_decode", lambda path, flags: decoded.append(path))
    path = tmp_path / "cut.png"
    for cut in (png_flood(32000, 32000)[:20], b"\x89PNG\r\n\x1a\n" + bytes(40),
                jpeg_flood(9000, 9000)[:100]):
        path.write_bytes(cut)
        kind = PNG if cut.startswith(b"\x89PNG") else JPEG
        look = images.inspect(path, kind)
        assert (look.width, look.thumbnail) == (None, None)
        assert look.note == "the image could not be decoded"
    assert decoded == []


def test_concurrent_thumbnails_share_one_memory_budget(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Four PNGs of 4000 x 4000 at once (~62 MB of decoding each): two at a time fit."""
    path = tmp_path / "big.png"
    path.write_bytes(png_flood(4000, 4000, color_type=2))
    head = headers.read_header(path, PNG)
    assert head is not None
    cost = images.decode_cost(head, 8, path.stat().st_size)
    assert images.DECODE_BUDGET // cost == 2
    decoding, most = 0, 0
    lock = threading.Lock()
    real = images._decode

    def counted(path: Path, flags: int) -> np.ndarray | None:
        nonlocal decoding, most
        with lock:
            decoding += 1
            most = max(most, decoding)
        try:
            time.sleep(0.2)
            return real(path, flags)
        finally:
            with lock:
                decoding -= 1

    monkeypatch.setattr(images, "_decode", counted)
    threads = [threading.Thread(target=lambda: looks.append(images.inspect(path, PNG)))
               for _ in range(4)]
    looks: list[images.Inspection] = []
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert most == 2 and all(look.thumbnail is not None for look in looks), looks


def test_no_room_in_the_budget_means_no_thumbnail_not_a_wait_forever(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "photo.jpg"
    path.write_bytes(photo())
    monkeypatch.setattr(images, "DECODE_WAIT_S", 0.05)
    with images._BUDGET.hold(images.DECODE_BUDGET, 1) as held:
        assert held
        look = images.inspect(path, JPEG)
    assert look.thumbnail is None and look.note == "the server was too busy to make a thumbnail"
    assert images.inspect(path, JPEG).thumbnail is not None


def test_a_jpeg_with_stray_bytes_between_segments_keeps_its_thumbnail(tmp_path: Path) -> None:
    """libjpeg skips a few stray bytes before a marker (with a warning); so does the header
    reader, and a photo from a sloppy writer still gets its thumbnail. Many are not
    believed."""
    data = photo()
    end_of_app0 = 4 + int.from_bytes(data[4:6], "big")
    path = tmp_path / "stray.jpg"
    path.write_bytes(data[:end_of_app0] + b"\x00\x13\x37" + data[end_of_app0:])
    look = images.inspect(path, JPEG)
    assert (look.width, look.height, look.note) == (1200, 900, "") and look.thumbnail is not None
    path.write_bytes(data[:end_of_app0] + bytes(1000) + data[end_of_app0:])
    assert images.inspect(path, JPEG).note == "the image could not be decoded"


# --- signatures --------------------------------------------------------------------------

def _data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


def _signature(width: int = 600, height: int = 200) -> bytes:
    image = np.full((height, width, 4), 255, np.uint8)
    cv2.line(image, (10, height - 10), (width - 10, 10), (0, 0, 0, 255), 4)
    ok, data = cv2.imencode(".png", image)
    assert ok
    return data.tobytes()


async def _party(api: Api) -> dict[str, str]:
    wang, _, interview = await api.setup_case()
    return bearer((await api.invite(wang, interview["id"]))["token"])


async def _loop_lag_while(work: asyncio.Future) -> float:
    """The longest the event loop went without running a 10 ms ticker while `work` ran."""
    worst, last = 0.0, time.monotonic()
    while not work.done():
        await asyncio.sleep(0.01)
        now = time.monotonic()
        worst, last = max(worst, now - last), now
    return worst


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_20000_pixel_signature_is_refused_at_once_and_the_loop_runs_on(api: Api) -> None:
    party = await _party(api)
    png = png_flood(20000, 20000)
    assert len(png) < 512 * 1024
    body = {"version": 1, "text_sha256": "0" * 64, "signature": _data_url(png)}
    started = time.monotonic()
    sent = asyncio.ensure_future(api.call("POST", "/api/invitation/record/confirm",
                                          headers=party, json=body))
    lag = await _loop_lag_while(sent)
    status, answer = await sent
    assert time.monotonic() - started < 1 and lag < 0.25, lag
    assert (status, answer["error"]) == (400, "invalid_signature")
    assert "20000 x 20000" in answer["message"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_signatures_are_checked_by_header_then_decoded_off_the_loop(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    party = await _party(api)
    threads: list[bool] = []
    real = cv2.imdecode

    def watched(*args: object) -> object:
        threads.append(threading.current_thread() is threading.main_thread())
        return real(*args)

    monkeypatch.setattr(cv2, "imdecode", watched)

    async def confirm(png: bytes) -> tuple[int, dict]:
        body = {"version": 1, "text_sha256": "0" * 64, "signature": _data_url(png)}
        return await api.call("POST", "/api/invitation/record/confirm", headers=party, json=body)

    # A sensible signature passes (no record was sent yet, hence 404) and so is decoded
    # in a worker thread, as is a blank one; oversized ones are refused unread.
    status, answer = await confirm(_signature())
    assert (status, answer["error"]) == (404, "no_record")
    blank = cv2.imencode(".png", np.full((200, 600), 255, np.uint8))[1].tobytes()
    status, answer = await confirm(blank)
    assert (status, answer["error"]) == (400, "empty_signature")
    assert threads == [False, False]
    for width, height in ((4097, 16), (16, 15), (4096, 4096)):
        status, answer = await confirm(png_flood(width, height))
        assert (status, answer["error"]) == (400, "invalid_signature"), (width, height)
        assert f"{width} x {height}" in answer["message"]
    assert threads == [False, False]

