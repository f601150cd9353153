"""The text a party confirms is stored when its version is saved and read back wherever it
is checked: a later change to the renderer (wording, labels, time zone) must never make
an earlier confirmation fail, nor change what the party's page shows. Versions saved
before texts were stored get theirs at the next start, rendered then and said so. Real
SeaweedFS and SQLite; the bundle is verified offline."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import delete, select, update

from evidence.bundle import INDEX
from evidence.s3client import minio_client
from evidence.verify import verify as verify_bundle
from server.appkeys import SESSIONS, STORE
from server.db.models import EvidenceItem
from server.db.record_models import RecordVersion
from server.records import store_missing_texts
from server.settings import Settings
from tests.support.api import Api
from tests.support.records import confirmed_record
from transcription import record as text_of

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def reword(monkeypatch: pytest.MonkeyPatch) -> None:
    """Today's renderer words the header differently from the one that saved the version."""
    monkeypatch.setitem(text_of._LABELS["en"], "time", "Date and time")
    monkeypatch.setitem(text_of._LABELS["en"], "case_number", "Case no.")


async def bundle(api: Api, headers: dict[str, str], case_id: str, dest: Path) -> Path:
    async with api.client.post(f"/api/cases/{case_id}/bundle", headers=headers) as resp:
        assert resp.status == 200, await resp.text()
        dest.write_bytes(await resp.read())
    return dest


async def text_items(api: Api) -> list[EvidenceItem]:
    async with api.app[SESSIONS]() as session:
        return list(await session.scalars(select(EvidenceItem).where(EvidenceItem.kind == "record-text")))


async def forget_texts(api: Api) -> None:
    """The database as one from before migration 0010 holds it: no text items."""
    async with api.app[SESSIONS]() as session, session.begin():
        await session.execute(update(RecordVersion).values(text_item_id=None))
        await session.execute(delete(EvidenceItem).where(EvidenceItem.kind == "record-text"))


async def test_a_later_renderer_leaves_earlier_confirmations_verifiable(
        api: Api, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    wang, case, path, draft, worker = await confirmed_record(api)
    shown = await api.ok("GET", "/api/invitation/record", headers=worker)
    [item] = await text_items(api)
    assert item.content_type.startswith("text/plain") and item.sha256 == shown["text_sha256"]
    assert json.loads(item.observed)["rendered"] == "when the version was saved"
    reword(monkeypatch)
    assert text_of.render_text(draft) != shown["text"]  # the renderer did change
    verdict = await api.ok("POST", f"{path}/verify", headers=wang)
    assert (verdict["ok"], verdict["problems"]) == (True, [])
    # The party and the staff still see the very text that was confirmed.
    assert (await api.ok("GET", "/api/invitation/record", headers=worker))["text"] == shown["text"]
    assert (await api.ok("GET", path, headers=wang))["text"] == shown["text"]
    zipped = await bundle(api, wang, case["id"], tmp_path / "bundle.zip")
    with zipfile.ZipFile(zipped) as z:
        root = z.namelist()[0].split("/")[0]
        assert z.read(f"{root}/data/{item.object_key}").decode() == shown["text"]
    report = verify_bundle(zipped)
    assert report.problems == [] and report.counts.get("confirmations", 1) >= 1


async def test_versions_saved_before_texts_were_stored_get_them_once_said_so(
        api: Api, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    wang, case, path, _, worker = await confirmed_record(api)
    shown = await api.ok("GET", "/api/invitation/record", headers=worker)
    sessions, store = api.app[SESSIONS], api.app[STORE]
    await forget_texts(api)
    assert await store_missing_texts(sessions, store) == (1, False)
    assert await store_missing_texts(sessions, store) == (0, False)  # once
    [newest] = await text_items(api)
    assert json.loads(newest.observed)["rendered"].startswith("afterwards, at ")
    async with sessions() as session:
        version = await session.scalar(select(RecordVersion))
    assert version.text_item_id == newest.id and newest.derived_from == version.item_id
    reword(monkeypatch)  # from now on the stored text is read, not rendered
    assert (await api.ok("POST", f"{path}/verify", headers=wang))["ok"] is True
    assert (await api.ok("GET", "/api/invitation/record", headers=worker))["text"] == shown["text"]
    assert verify_bundle(await bundle(api, wang, case["id"], tmp_path / "b.zip")).problems == []


async def test_a_text_that_cannot_be_recovered_is_named_not_invented(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    wang, _, path, _, worker = await confirmed_record(api)
    sessions = api.app[SESSIONS]
    await forget_texts(api)
    reword(monkeypatch)  # the code changed before the text was stored
    assert await store_missing_texts(sessions, api.app[STORE]) == (0, False)
    verdict = await api.ok("POST", f"{path}/verify", headers=wang)
    assert verdict["ok"] is False
    assert sorted(verdict["problems"]) == [
        "confirmed by Zhang San (version 1): the text it binds is not the text of the stored version",
        "version 1: its text was never stored, and rendered today it is not the text it was saved with",
    ]
    status, body = await api.call("GET", "/api/invitation/record", headers=worker)
    assert (status, body["error"]) == (409, "text_unavailable"), body


async def test_a_stored_text_altered_in_the_store_is_named_never_a_500(
        api: Api, settings: Settings) -> None:
    wang, _, path, _, worker = await confirmed_record(api)
    [item] = await text_items(api)
    forged = b"Inquiry record\nA: I never worked there.\n"
    s3 = settings.s3
    client = minio_client(s3.endpoint, s3.access_key, s3.secret_key, secure=s3.secure, region=s3.region)
    version_id = client.put_object(s3.bucket, item.object_key, io.BytesIO(forged), len(forged),
                                   metadata={"sha256": item.sha256}).version_id
    async with api.app[SESSIONS]() as session, session.begin():  # the row pointed at the forgery
        await session.execute(update(EvidenceItem).where(EvidenceItem.id == item.id)
                              .values(version_id=version_id))
    verdict = await api.ok("POST", f"{path}/verify", headers=wang)
    assert verdict["ok"] is False
    assert sorted(verdict["problems"]) == [
        "confirmed by Zhang San (version 1): the text it binds is not the text of the stored version",
        f"version 1's text: {item.object_key} does not match its SHA-256 (altered)",
    ]
    status, body = await api.call("GET", "/api/invitation/record", headers=worker)
    assert (status, body["error"]) == (409, "integrity_error"), body


async def test_a_bundle_from_before_stored_texts_verifies_with_zeromeet_verify(
        api: Api, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Such a bundle holds no text items: the offline verifier renders each confirmed
    version once with the renderer its caller gives, which `zeromeet verify` does; the
    evidence package alone, which imports no renderer, names the confirmation instead."""
    wang, case, _, _, _ = await confirmed_record(api)
    await forget_texts(api)  # and no sweep ran before the export
    zipped = await bundle(api, wang, case["id"], tmp_path / "old.zip")
    with zipfile.ZipFile(zipped) as z:
        index = json.loads(next(z.read(n) for n in z.namelist() if n.endswith("/" + INDEX)))
    assert not [i for i in index["items"] if i["kind"] == "record-text"]
    assert verify_bundle(zipped, render_text=text_of.render_text).problems == []
    problems = verify_bundle(zipped).lines()
    assert problems and all("no stored text" in p for p in problems), problems
    from server.cli import main
    assert main(["verify", str(zipped)]) == 0, capsys.readouterr()
