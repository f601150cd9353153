"""What an outside probe found in the HTTP API, each as it was reported: descriptors held
by downloads, multipart part headers that answered 500, Unicode digits in numbers,
download names that kept the client's extension, and a reverse proxy's headers. In
process, on SQLite (nothing here depends on the database's SQL)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import cv2
import numpy as np
import pytest
from aiohttp.test_utils import TestClient, TestServer

from server.app import create_app
from server.settings import Settings
from tests.support.api import Api, bearer


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'zeromeet.sqlite3'}"


def jpeg(side: int = 64) -> bytes:
    ok, data = cv2.imencode(".jpg", np.full((side, side, 3), 120, np.uint8))
    assert ok
    return data.tobytes()


async def upload(api: Api, case_id: str, headers: dict[str, str], data: bytes,
                 name: str = "photo.jpg") -> dict[str, Any]:
    body = aiohttp.FormData()
    body.add_field("file", data, filename=name, content_type="application/octet-stream")
    return await api.ok("POST", f"/api/cases/{case_id}/evidence", 201, headers=headers, data=body)


def open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


def spooled(settings: Settings) -> list[str]:
    spool = settings.data_dir / "spool"
    return [p.name for p in spool.rglob("*") if p.is_file()] if spool.exists() else []


async def test_downloads_leave_no_descriptor_open(api: Api, settings: Settings) -> None:
    """Every download used to keep one descriptor (and its deleted spool file) open."""
    wang, case, _ = await api.setup_case()
    item = await upload(api, case["id"], wang, jpeg())
    url = f"/api/evidence/{item['id']}/content"
    async with api.client.get(url, headers=wang) as resp:  # warm: pools, threads, sockets
        assert resp.status == 200
        await resp.read()
    before = open_descriptors()
    for _ in range(30):
        async with api.client.get(url, headers=wang) as resp:
            assert resp.status == 200
            assert await resp.read() == jpeg()
    assert open_descriptors() - before < 5, "downloads keep descriptors open"
    for _ in range(100):  # the last download's spool file goes once its answer is sent
        if not spooled(settings):
            break
        await asyncio.sleep(0.02)
    assert spooled(settings) == []


@pytest.mark.parametrize("part_headers", [
    b'Content-Disposition: form-data; name="fi\x01le"; filename="a.jpg"',  # control character
    b'Content-Disposition: form-data; name="file"; filename="a\x00.jpg"',  # NUL in a filename
    b'Content-Disposition: form-data; name="file"; filename="a.jpg"\r\nno colon here',
    b'Content-Disposition: form-data; name="file"; filename="a.jpg"\r\nX-Long: ' + b"x" * 9000,
    b'Content-Disposition: form-data; name="file"; filename="a.jpg"\r\n'
    + b"".join(b"X-H%d: v\r\n" % i for i in range(300)).rstrip(),
], ids=["control-in-name", "nul-in-filename", "no-colon", "line-over-8190", "300-headers"])
async def test_unreadable_part_headers_are_a_clear_400(api: Api, settings: Settings,
                                                       part_headers: bytes) -> None:
    wang, case, interview = await api.setup_case()
    invite = await api.invite(wang, interview["id"])
    body = (b"--b\r\n" + part_headers + b"\r\nContent-Type: image/jpeg\r\n\r\n" + jpeg()
            + b"\r\n--b--\r\n")
    url = f"/api/cases/{case['id']}/evidence"
    async with api.client.post(url, data=body, headers={
            **bearer(invite["token"]), "Content-Type": "multipart/form-data; boundary=b"}) as resp:
        answer = await resp.json()
    assert resp.status == 400, answer
    assert answer["error"] in {"bad_multipart", "invalid_input", "unknown_field"}, answer
    assert spooled(settings) == []
    assert await api.ok("GET", url, headers=wang) == []


@pytest.mark.parametrize("digits", ["%C2%B9", "%D9%A1", "%EF%BC%91", "+1", "%201", "1_0"],
                         ids=["superscript", "arabic-indic", "fullwidth", "plus", "space", "underscore"])
async def test_numbers_in_urls_are_ascii_digits_only(api: Api, digits: str) -> None:
    """`str.isdigit()` took "¹" and `int()` then failed: 500. `int()` also took "١"."""
    wang, case, interview = await api.setup_case()
    base = f"/api/interviews/{interview['id']}"
    for path in (f"{base}/record?version={digits}", f"{base}/record.pdf?version={digits}",
                 f"{base}/record/diff?from={digits}&to=1", f"{base}/record/diff?from=1&to={digits}"):
        status, answer = await api.call("GET", path, headers=wang)
        assert status == 400 and answer["error"] == "invalid_input", (path, status, answer)


async def test_recording_numbers_are_ascii_digits_only(api: Api) -> None:
    """The segment number and the playback range: no recording is needed to see the
    parser refuse, since a number that is not one is refused before the lookup."""
    wang, _, _ = await api.setup_case()
    for digits in ("%D9%A1", "%EF%BC%91", "1_0"):
        status, answer = await api.call(
            "GET", f"/api/recordings/{'0' * 8}-0000-0000-0000-{'0' * 12}/segments/{digits}",
            headers=wang)
        assert status in (400, 404) and status != 500, (digits, status, answer)


async def test_a_bundle_ticket_with_unicode_digits_is_refused_not_a_500(api: Api) -> None:
    wang, case, _ = await api.setup_case()
    for ticket in ("%C2%B9.abc", "%C2%B9%C2%B9.%E4%B8%AD", "1.%E4%B8%AD"):
        status, answer = await api.call("GET", f"/api/cases/{case['id']}/bundle?ticket={ticket}",
                                        headers=wang)
        assert status in (403, 410), (ticket, status, answer)


@pytest.mark.parametrize("sent, shown", [
    ("evil.html", "evil.html.jpg"),
    ("photo\u202egpj.html", "photogpj.html.jpg"),  # right-to-left override: stripped
    ("工资条.JPEG", "工资条.JPEG"),
    ("scan.jpg", "scan.jpg"),
    ("", None),
])
async def test_download_names_end_in_the_type_found_in_the_bytes(api: Api, sent: str,
                                                                  shown: str | None) -> None:
    wang, case, _ = await api.setup_case()
    item = await upload(api, case["id"], wang, jpeg(), name=sent or "x")
    if not sent:  # an item stored without a name (older uploads, snapshots)
        from server.appkeys import SESSIONS
        from server.db.models import EvidenceItem
        async with api.app[SESSIONS]() as session, session.begin():
            row = await session.get(EvidenceItem, item["id"])
            row.claimed = "{}"
        shown = f"upload-{item['id']}.jpg"
    async with api.client.get(f"/api/evidence/{item['id']}/content", headers=wang) as resp:
        disposition = resp.headers["Content-Disposition"]
    assert disposition.startswith("inline;"), disposition
    from urllib.parse import unquote
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == shown
    assert "\u202e" not in disposition


async def test_pdfs_download_as_attachments(api: Api) -> None:
    wang, case, _ = await api.setup_case()
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    item = await upload(api, case["id"], wang, pdf, name="合同.pdf")
    async with api.client.get(f"/api/evidence/{item['id']}/content", headers=wang) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Disposition"].startswith("attachment;")
        assert resp.headers["Content-Type"] == "application/pdf"


@pytest.fixture
async def behind_proxy(settings: Settings) -> AsyncIterator[Api]:
    """The test client connects from 127.0.0.1, named here as the reverse proxy (one that
    writes X-Forwarded-*, as nginx does)."""
    async with proxied(settings, "x-forwarded") as api:
        yield api


@asynccontextmanager
async def proxied(settings: Settings, headers: str) -> AsyncIterator[Api]:
    settings = settings.with_(trusted_proxies=Settings.from_env(
        {"ZEROMEET_TRUSTED_PROXIES": "127.0.0.1"}).trusted_proxies, proxy_headers=headers,
        login_max_failures=3)
    async with TestClient(TestServer(create_app(settings))) as client:
        yield Api(client)


FORWARDED_HTTPS = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}


async def login(api: Api, password: str, headers: dict[str, str],
                username: str = "wang") -> aiohttp.ClientResponse:
    async with api.client.post("/api/login", json={"username": username, "password": password},
                               headers=headers) as resp:
        await resp.read()
        return resp


async def test_behind_a_trusted_proxy_cookies_are_secure_and_hsts_is_sent(behind_proxy: Api) -> None:
    api = behind_proxy
    await api.user("wang")
    resp = await login(api, "correct horse battery", FORWARDED_HTTPS)
    assert resp.status == 200
    cookies = resp.headers.getall("Set-Cookie")
    assert cookies and all("Secure" in c for c in cookies), cookies
    assert resp.headers["Strict-Transport-Security"].startswith("max-age=")
    plain = await login(api, "correct horse battery", {"X-Forwarded-Proto": "http"})
    assert not any("Secure" in c for c in plain.headers.getall("Set-Cookie"))
    assert "Strict-Transport-Security" not in plain.headers


async def test_behind_a_trusted_proxy_the_login_limit_is_per_client(behind_proxy: Api) -> None:
    """Every login came from the proxy's address, so one client's failures (on any
    accounts) locked everybody out."""
    api = behind_proxy
    await api.user("wang")
    for n in range(16):  # more than one address may fail (5 × login_max_failures)
        await login(api, "wrong", {"X-Forwarded-For": "203.0.113.7"}, username=f"guess{n}")
    assert (await login(api, "correct horse battery", {"X-Forwarded-For": "203.0.113.7"})).status == 429
    # The proxy appends the address it saw; a client cannot pick its own by sending one.
    chained = {"X-Forwarded-For": "198.51.100.9, 203.0.113.7"}
    assert (await login(api, "correct horse battery", chained)).status == 429
    other = await login(api, "correct horse battery", {"X-Forwarded-For": "203.0.113.8"})
    assert other.status == 200


async def test_a_client_cannot_pick_its_address_through_the_other_header_family(
        behind_proxy: Api) -> None:
    """nginx sets X-Forwarded-For and passes a client's own `Forwarded` through."""
    api = behind_proxy
    await api.user("wang")
    for n in range(16):
        spoofed = {"Forwarded": f"for=198.51.100.{n};proto=https",
                   "X-Forwarded-For": "203.0.113.7"}
        await login(api, "wrong", spoofed, username=f"guess{n}")
    assert (await login(api, "correct horse battery", {"X-Forwarded-For": "203.0.113.7"})).status == 429
    # Junk where an address should be: the proxy's own address is kept, not the junk.
    junk = await login(api, "correct horse battery", {"X-Forwarded-For": "unknown"})
    assert junk.status == 200


async def test_a_proxy_that_writes_forwarded(settings: Settings) -> None:
    async with proxied(settings, "forwarded") as api:
        await api.user("wang")
        rfc = await login(api, "correct horse battery",
                          {"Forwarded": 'for="[2001:db8::5]:443";proto=https'})
        assert rfc.status == 200 and all("Secure" in c for c in rfc.headers.getall("Set-Cookie"))
        ignored = await login(api, "correct horse battery", {"X-Forwarded-Proto": "https"})
        assert not any("Secure" in c for c in ignored.headers.getall("Set-Cookie"))


async def test_the_host_is_never_taken_from_a_header(behind_proxy: Api) -> None:
    """Invitation links are built from the request's host when ZEROMEET_PUBLIC_URL is
    unset: a client's X-Forwarded-Host must not choose where they point."""
    api = behind_proxy
    wang, case, interview = await api.setup_case()
    invite = await api.ok("POST", f"/api/interviews/{interview['id']}/invites", 201,
                          headers={**wang, "X-Forwarded-Host": "evil.example"},
                          json={"name": "张三", "role": "worker"})
    assert "evil.example" not in invite["url"]


async def test_forwarded_headers_from_anyone_else_mean_nothing(api: Api) -> None:
    await api.user("wang")
    resp = await login(api, "correct horse battery", FORWARDED_HTTPS)
    assert resp.status == 200
    assert not any("Secure" in c for c in resp.headers.getall("Set-Cookie"))
    assert "Strict-Transport-Security" not in resp.headers
