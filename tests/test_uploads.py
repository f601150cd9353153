"""Evidence uploads and snapshots through the real stack (SeaweedFS, SQLite and
PostgreSQL): who may send, what is refused, what is observed and what merely claimed,
thumbnails, custody events, and the download of exactly what arrived."""

from __future__ import annotations

import asyncio
import hashlib
import io
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import aiohttp
import cv2
import numpy as np
import pytest
from PIL import Image

from server.appkeys import SESSIONS
from server.services import custody
from server.services.uploads import display_name
from server.settings import Settings
from tests.support.api import Api, bearer
from tests.support.rooms import Interview

MB = 1024 * 1024


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_(max_upload_mb=1)


def photo(width: int = 1200, height: int = 900, *, gps: bool = False) -> bytes:
    """A JPEG with a gradient (and, if asked, EXIF time and GPS as a phone writes them)."""
    image = np.zeros((height, width, 3), np.uint8)
    image[..., 1] = np.linspace(0, 255, width, dtype=np.uint8)
    cv2.putText(image, "ZM", (50, height // 2), cv2.FONT_HERSHEY_SIMPLEX, 8, (255, 255, 255), 12)
    if not gps:
        ok, data = cv2.imencode(".jpg", image)
        assert ok
        return data.tobytes()
    exif = Image.Exif()
    exif.get_ifd(0x8769)[36867] = "2026:03:01 09:30:00"
    exif.get_ifd(0x8825).update({1: "N", 2: (31.0, 14.0, 24.0), 3: "E", 4: (121.0, 28.0, 12.0)})
    out = io.BytesIO()
    Image.fromarray(image[..., ::-1]).save(out, "JPEG", exif=exif)
    return out.getvalue()


def form(data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg",
         **fields: str) -> aiohttp.FormData:
    body = aiohttp.FormData()
    for key, value in fields.items():
        body.add_field(key, value)
    body.add_field("file", data, filename=name, content_type=content_type)
    return body


async def upload(api: Api, case_id: str, headers: dict[str, str], data: bytes,
                 **kwargs: Any) -> tuple[int, Any]:
    return await api.call("POST", f"/api/cases/{case_id}/evidence", headers=headers,
                          data=form(data, **kwargs))


@dataclass
class Download:
    status: int
    headers: Any
    body: bytes


async def download(api: Api, item_id: str, headers: dict[str, str]) -> Download:
    async with api.client.get(f"/api/evidence/{item_id}/content", headers=headers) as resp:
        return Download(resp.status, resp.headers, await resp.read())


async def actions(api: Api, case_id: str) -> list[tuple[str, str | None]]:
    async with api.app[SESSIONS]() as session:
        return [(e["action"], e.get("item_id")) for e in await custody.events(session, case_id)]


def spooled(settings: Settings) -> list[str]:
    spool = settings.data_dir / "spool"
    return [p.name for p in spool.rglob("*") if p.is_file()] if spool.exists() else []


async def test_inspector_uploads_a_photo_with_its_thumbnail(api: Api, settings: Settings) -> None:
    wang, case, interview = await api.setup_case()
    data = photo(gps=True)
    item = await api.ok("POST", f"/api/cases/{case['id']}/evidence", 201, headers=wang,
                        data=form(data, name="工资条 2026-03.jpg", content_type="image/png",
                                  note="三月工资条", device_time="2026-03-01T09:31:00+08:00",
                                  interview_id=interview["id"]))
    assert item["sha256"] == hashlib.sha256(data).hexdigest() and item["size"] == len(data)
    assert (item["kind"], item["content_type"], item["interview_id"]) == (
        "upload", "image/jpeg", interview["id"])
    assert item["object_key"] == f"cases/{case['id']}/uploads/{item['id']}/original"
    observed, claimed = item["observed"], item["claimed"]
    assert observed["type"] == "image/jpeg" and observed["sha256"] == item["sha256"]
    assert observed["uploader"]["kind"] == "staff" and observed["uploader"]["name"] == "Wang"
    assert observed["image"] == {"width": 1200, "height": 900} and observed["address"]
    assert claimed["filename"] == "工资条 2026-03.jpg" and claimed["content_type"] == "image/png"
    assert claimed["note"] == "三月工资条" and claimed["device_time"].startswith("2026-03-01")
    assert claimed["exif"]["datetime_original"] == "2026:03:01 09:30:00"
    assert claimed["exif"]["gps"] == {"latitude": pytest.approx(31.24, abs=1e-6),
                                      "longitude": pytest.approx(121.47, abs=1e-6)}
    assert "exif" not in observed and "filename" not in observed

    listed = await api.ok("GET", f"/api/cases/{case['id']}/evidence", headers=wang)
    by_id = {i["id"]: i for i in listed}
    thumb = by_id[observed["thumbnail"]["id"]]
    assert item["id"] in by_id and thumb["kind"] == "thumbnail"
    assert thumb["derived_from"] == item["id"] and thumb["content_type"] == "image/jpeg"

    original = await download(api, item["id"], wang)
    assert original.status == 200 and original.body == data
    assert original.headers["Content-Type"] == "image/jpeg"
    assert original.headers["X-Content-Type-Options"] == "nosniff"
    assert original.headers["Content-Disposition"].startswith("inline;")
    assert "filename*=UTF-8''%E5%B7%A5" in original.headers["Content-Disposition"]
    small = await download(api, thumb["id"], wang)
    image = cv2.imdecode(np.frombuffer(small.body, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None and max(image.shape[:2]) == 320 and image.shape[:2] == (240, 320)
    assert await actions(api, case["id"]) == [
        ("captured", item["id"]), ("derived", thumb["id"]),
        ("downloaded", item["id"])]  # previews (thumbnails) are not custody events
    assert spooled(settings) == []


async def test_party_uploads_to_its_own_case_and_can_read_nothing(api: Api) -> None:
    wang, case, interview = await api.setup_case()
    other = await api.case(wang, "另一个案件")
    invite = await api.invite(wang, interview["id"])
    party = bearer(invite["token"])
    data = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"

    status, item = await upload(api, case["id"], party, data, name="劳动合同.pdf",
                                content_type="application/pdf")
    assert status == 201, item
    assert item["sha256"] == hashlib.sha256(data).hexdigest() and item["kind"] == "upload"
    assert item["interview_id"] == interview["id"] and item["content_type"] == "application/pdf"
    assert item["observed"]["uploader"] == {"kind": "party", "id": invite["id"], "name": "张三",
                                            "role": "worker"}
    assert "thumbnail" not in item["observed"]
    assert (await upload(api, other["id"], party, data))[0] == 404
    for path in (f"/api/cases/{case['id']}/evidence", f"/api/evidence/{item['id']}/content",
                 f"/api/cases/{case['id']}", "/api/cases"):
        status, answer = await api.call("GET", path, headers=party)
        assert (status, answer["error"]) == (403, "staff_only"), path
    status, answer = await upload(api, case["id"], party, photo(), kind="snapshot",
                                  interview_id=interview["id"])
    assert (status, answer["error"]) == (400, "snapshot_by_server")
    status, answer = await upload(api, case["id"], party, photo(), participant=invite["id"])
    assert (status, answer["error"]) == (400, "unknown_field")
    assert [a for a, _ in await actions(api, case["id"])] == ["captured"]

    await api.ok("POST", f"/api/invites/{invite['id']}/revoke", headers=wang)
    status, answer = await upload(api, case["id"], party, data)
    assert (status, answer["error"]) == (410, "invitation_revoked")


async def test_legal_staff_download_but_do_not_upload(api: Api) -> None:
    wang, case, _ = await api.setup_case()
    li = await api.staff("li", "legal")
    zhao = await api.staff("zhao")
    data = photo(400, 300)
    assert (await upload(api, case["id"], li, data))[0] == 404
    await api.ok("POST", f"/api/cases/{case['id']}/members", 201, headers=wang,
                 json={"username": "li"})
    status, answer = await upload(api, case["id"], li, data)
    assert (status, answer["error"]) == (403, "forbidden")
    status, answer = await upload(api, case["id"], zhao, data)
    assert (status, answer["error"]) == (404, "not_found")
    item = (await upload(api, case["id"], wang, data))[1]
    assert (await download(api, item["id"], zhao)).status == 404
    got = await download(api, item["id"], li)
    assert got.status == 200 and got.body == data
    api.client.session.cookie_jar.clear()  # the last login's session cookie
    assert (await api.call("GET", f"/api/evidence/{item['id']}/content"))[0] == 401
    assert (await upload(api, case["id"], {}, data))[0] == 401


async def test_refused_files_are_not_stored(api: Api, settings: Settings) -> None:
    wang, case, _ = await api.setup_case()
    exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(2048)
    status, answer = await upload(api, case["id"], wang, exe, name="photo.jpg")
    assert (status, answer["error"]) == (415, "unsupported_type") and "JPEG" in answer["message"]
    status, answer = await upload(api, case["id"], wang, b"hello\n" * 10 + bytes(64),
                                  name="notes.txt", content_type="text/plain")
    assert (status, answer["error"]) == (415, "unsupported_type")
    big = b"\xff\xd8\xff\xe0" + bytes(MB + 10)
    status, answer = await upload(api, case["id"], wang, big)
    assert (status, answer["error"]) == (413, "too_large") and "1 MB" in answer["message"]
    status, answer = await upload(api, case["id"], wang, b"")
    assert (status, answer["error"]) == (400, "empty_file")
    status, answer = await api.call("POST", f"/api/cases/{case['id']}/evidence", headers=wang,
                                    data=aiohttp.FormData({"note": "no file"}))
    assert status == 400
    status, answer = await upload(api, case["id"], wang, photo(64, 64), colour="red")
    assert (status, answer["error"]) == (400, "unknown_field")
    assert await api.ok("GET", f"/api/cases/{case['id']}/evidence", headers=wang) == []
    assert await actions(api, case["id"]) == []
    assert spooled(settings) == []

    text = "工资欠条：欠张三 2026 年 1-3 月工资 12000 元。\n".encode()
    status, item = await upload(api, case["id"], wang, text, name="欠条.txt",
                                content_type="text/plain")
    assert status == 201 and item["content_type"] == "text/plain; charset=utf-8"
    got = await download(api, item["id"], wang)
    assert got.headers["Content-Disposition"].startswith("attachment;")
    assert got.body == text


async def test_names_are_sanitised_and_never_reach_keys(api: Api) -> None:
    wang, case, _ = await api.setup_case()
    ok, png = cv2.imencode(".png", np.full((50, 80, 3), 200, np.uint8))
    status, item = await upload(api, case["id"], wang, png.tobytes(), name="../../etc/passwd")
    assert status == 201 and item["claimed"]["filename"] == "passwd"
    # As it came on the wire: aiohttp's client percent-escapes it, browsers do not.
    assert unquote(item["claimed"]["filename_sent"]) == "../../etc/passwd"
    assert "passwd" not in item["object_key"] and ".." not in item["object_key"]
    status, item = await upload(api, case["id"], wang, png.tobytes(),
                                name='..\\a\u202e"gpj.exe')
    assert status == 201 and item["claimed"]["filename"] == "agpj.exe"
    got = await download(api, item["id"], wang)
    assert got.headers["Content-Type"] == "image/png"
    # Its name is kept as claimed; the download ends in the type found in the bytes.
    assert got.headers["Content-Disposition"] == (
        "inline; filename=\"agpj.exe.png\"; filename*=UTF-8''agpj.exe.png")


def test_display_names() -> None:
    assert display_name("C:\\Users\\张三\\Desktop\\合同.pdf") == "合同.pdf"
    assert display_name("a\x00b\r\n\u200bc .jpg") == "abc .jpg"
    assert display_name("....hidden") == "hidden" and display_name("../..") == ""
    assert display_name("%E6%AC%A0%E6%9D%A1.jpg") == "欠条.jpg"
    long = display_name("工" * 300 + ".jpeg")
    assert len(long) == 120 and long.endswith("工.jpeg")


async def test_corrupt_photo_is_kept_without_thumbnail(api: Api) -> None:
    wang, case, _ = await api.setup_case()
    broken = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 40
    status, item = await upload(api, case["id"], wang, broken)
    assert status == 201 and item["sha256"] == hashlib.sha256(broken).hexdigest()
    assert item["observed"]["thumbnail"] is None
    assert item["observed"]["thumbnail_note"] == "the image could not be decoded"
    listed = await api.ok("GET", f"/api/cases/{case['id']}/evidence", headers=wang)
    assert [i["kind"] for i in listed] == ["upload"]
    assert (await download(api, item["id"], wang)).body == broken


async def test_a_snapshot_is_the_servers_own_frame_of_the_party(room: Interview) -> None:
    """The server takes the frame from the worker's video as it decoded it: the console
    names whom, never supplies the picture."""
    api, wang = room.api, room.staff
    invite = await room.invite("张三")
    await room.inspector()
    url = f"/api/interviews/{room.id}/snapshots"
    status, answer = await api.call("POST", url, headers=wang, json={"participant": invite["id"]})
    assert (status, answer["error"]) == (409, "no_video") and "张三" in answer["message"]
    await room.join(invite["token"], label=2, width=640, height=480)  # its pattern is tinted 140 in blue
    for _ in range(100):
        status, item = await api.call("POST", url, headers=wang, json={"participant": invite["id"]})
        if status != 409:
            break
        await asyncio.sleep(0.1)
    assert status == 201, item
    assert item["kind"] == "snapshot" and item["content_type"] == "image/png"
    observed = item["observed"]
    assert observed["participant"] == {"id": invite["id"], "name": "张三", "role": "worker",
                                       "kind": "party"}
    assert observed["frame"]["width"] == 640 and observed["frame"]["height"] == 480
    assert observed["image"] == {"width": 640, "height": 480}
    assert observed["thumbnail"]["width"] == 320
    body = (await download(api, item["id"], wang)).body
    assert hashlib.sha256(body).hexdigest() == item["sha256"]
    image = cv2.imdecode(np.frombuffer(body, np.uint8), cv2.IMREAD_COLOR)
    assert image.shape == (480, 640, 3)
    assert abs(float(image[..., 0].mean()) - 140) < 12  # the worker's picture, not the inspector's
    rows = image[..., 2].mean(axis=1)
    assert rows[-1] - rows[0] > 200  # the pattern's vertical ramp survived, full size

    legal = await api.staff("li", "legal")
    await api.ok("POST", f"/api/cases/{room.case['id']}/members", 201, headers=wang,
                 json={"username": "li"})
    for headers, body, status, code in (
            (legal, {"participant": invite["id"]}, 403, None),
            (bearer(invite["token"]), {"participant": invite["id"]}, 403, "staff_only"),
            (wang, {"participant": str(uuid.uuid4())}, 400, "unknown_participant"),
            (wang, {"participant": invite["id"], "picture": "mine"}, 400, None),
            (wang, {}, 400, "missing_field")):
        got, answer = await api.call("POST", url, headers=headers, json=body)
        assert got == status and (code is None or answer["error"] == code), (body, answer)
    stranger = await api.staff("zhao")
    assert (await api.call("POST", url, headers=stranger, json={"participant": invite["id"]}))[0] == 404


async def test_a_phone_that_drops_mid_upload_leaves_nothing_behind(api: Api, settings: Settings) -> None:
    """The connection dies with half the file sent: no item, no event, no spool file, and
    the server goes on answering."""
    wang, case, interview = await api.setup_case()
    invite = await api.invite(wang, interview["id"])
    boundary = "zm-boundary"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"工资条.jpg\"\r\n"
            "Content-Type: image/jpeg\r\n\r\n").encode()
    half = photo(1200, 900)[:40_000]
    url = api.client.make_url(f"/api/cases/{case['id']}/evidence")
    _, writer = await asyncio.open_connection(url.host, url.port)
    writer.write((f"POST {url.path} HTTP/1.1\r\nHost: {url.host}:{url.port}\r\n"
                  f"Authorization: Bearer {invite['token']}\r\n"
                  f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
                  f"Content-Length: {len(head) + 200_000}\r\n\r\n").encode() + head + half)
    await writer.drain()
    for _ in range(50):  # until the server has the first bytes in its spool
        if spooled(settings):
            break
        await asyncio.sleep(0.05)
    assert spooled(settings), "the server should be receiving the upload"
    writer.transport.abort()  # the phone's network is gone
    for _ in range(100):
        if not spooled(settings):
            break
        await asyncio.sleep(0.05)
    assert spooled(settings) == []
    assert await api.ok("GET", f"/api/cases/{case['id']}/evidence", headers=wang) == []
    assert await actions(api, case["id"]) == []
    status, item = await upload(api, case["id"], bearer(invite["token"]), photo(64, 64))
    assert status == 201, item


async def test_malformed_multipart_bodies_get_a_clear_400(api: Api, settings: Settings) -> None:
    wang, case, interview = await api.setup_case()
    invite = await api.invite(wang, interview["id"])
    url = f"/api/cases/{case['id']}/evidence"
    part = (b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n'
            b"Content-Type: image/jpeg\r\n\r\n" + photo(64, 64))
    for content_type, body in (
            ("multipart/form-data", part + b"\r\n--b--\r\n"),  # no boundary
            ("multipart/form-data; boundary=" + "b" * 80, part),  # longer than RFC 2046 allows
            ("multipart/form-data; boundary=b", b"garbage, not a part at all"),
            ("multipart/form-data; boundary=b", part)):  # cut off before its closing boundary
        async with api.client.post(url, data=body, headers={
                **bearer(invite["token"]), "Content-Type": content_type}) as resp:
            answer = await resp.json()
            assert resp.status == 400, (content_type, body[:40], answer)
            assert answer["error"] in {"bad_multipart", "missing_file"}, answer
    assert spooled(settings) == []
    assert await api.ok("GET", url, headers=wang) == []
