"""The check of everything stored for an interview's inquiry record: every version,
confirmation statement and signature re-read from the object store (the recorded
version), their hashes, and the server's signatures. Each problem is named; nothing
stored is ever a 500."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from aiohttp import web

from evidence import confirmation
from evidence.chain import canonical_json
from evidence.discrepancy import Discrepancy, Kind
from evidence.errors import IntegrityError, ObjectNotFound, StoreError
from server.appkeys import SIGNING_KEY, STORE
from server.db.record_models import RecordConfirmation, RecordVersion
from server.identity import require_staff
from server.services import cases, evidence, records
from server.views.common import transaction
from server.views.parse import path_id
from transcription import record as text_of

routes = web.RouteTableDef()


@routes.post("/api/interviews/{interview_id}/record/verify")
async def verify(request: web.Request) -> web.Response:
    """Re-read every version, confirmation and signature from the object store and check
    hashes and the server's signatures. Names each problem."""
    staff = await require_staff(request)
    async with transaction(request) as session:
        interview = await cases.interview_case(session, staff, path_id(request, "interview_id"))
        state = await records.load(session, interview)
        items = {i.id: i for i in await records.items_of(session, interview.id)}
    problems: list[Discrepancy] = []
    texts: dict[int, tuple[str, str]] = {}
    for version in state.versions:
        problems.extend(await _check_version(request, version, items.get(version.item_id)))
        text_sha, found = await _check_text(request, version, items)
        problems.extend(found)
        texts[version.version] = (text_of.content_sha256(records.content_of(version)), text_sha)
    public = request.app[SIGNING_KEY].public_key()
    for answer in state.confirmations:
        where = f"{answer.decision} by {answer.name} (version {answer.version})"
        stated, found = await _statement(request, answer, items)
        problems.extend(p.within(where) for p in found)
        png = None
        if answer.signature_item_id:
            png = await _stored(request, items.get(answer.signature_item_id), problems, where)
        record_sha, text_sha = texts.get(answer.version, ("", ""))
        problems.extend(p.within(where) for p in confirmation.check(
            stated, answer.server_signature, public, record_sha256=record_sha,
            text_sha256=text_sha, signature_png=png))
    for item in (i for i in items.values() if i.kind == "officer-signature"):
        problems.extend(await _check_officer(request, item, items, texts, public))
    return web.json_response({"ok": not problems, "problems": [str(p) for p in problems],
                              "discrepancies": [p.as_dict() for p in problems],
                              "versions": len(state.versions),
                              "confirmations": len(state.confirmations)})


async def _check_officer(request: web.Request, item: Any, items: dict[str, Any],
                         texts: dict[int, tuple[str, str]], public: Any) -> list[Discrepancy]:
    """An officer's signature: its stored statement, the server's signature over it, the
    version and text it binds, and its image."""
    observed = json.loads(item.observed)
    where = f"signed by officer {observed.get('officer', {}).get('name')} (version {observed.get('version')})"
    problems: list[Discrepancy] = []
    data = await _stored(request, item, problems, f"{where}: statement")
    document = _json_object(data) if data is not None else None
    if data is not None and document is None:
        problems.append(Discrepancy(Kind.MALFORMED, where, "the stored statement is not a JSON object"))
    stated = document.get("statement") if document and isinstance(document.get("statement"), dict) else {}
    png = await _stored(request, items.get(observed.get("image", "")), problems, where)
    record_sha, text_sha = texts.get(stated.get("version") if stated else -1, ("", ""))
    if document is not None:
        problems.extend(p.within(where) for p in confirmation.check_officer(
            stated, str(document.get("server_signature", "")), public, record_sha256=record_sha,
            text_sha256=text_sha, signature_png=png))
    return problems


async def _check_version(request: web.Request, version: RecordVersion, item: Any) -> list[Discrepancy]:
    where = f"version {version.version}"
    content = records.content_of(version)
    problems = []
    if text_of.content_sha256(content) != version.sha256:
        problems.append(Discrepancy(Kind.ALTERED, where, "its content does not match its SHA-256 (altered)"))
    if item is None:
        problems.append(Discrepancy(Kind.MISSING, where, "its evidence item is missing"))
        return problems
    data = await _stored(request, item, problems, where)
    if data is not None and data != canonical_json(content):
        problems.append(Discrepancy(Kind.DIFFERS, where, "the stored JSON differs from the database copy"))
    return problems


async def _check_text(request: web.Request, version: RecordVersion,
                      items: dict[str, Any]) -> tuple[str, list[Discrepancy]]:
    """The hash of the version's stored text (what its parties read), read back from the
    store, never rendered again: today's renderer may word things differently. Only a
    version saved before texts were stored, whose text is not stored yet, is rendered."""
    where = f"version {version.version}"
    problems: list[Discrepancy] = []
    if version.text_item_id is None:
        if text_of.text_sha256(records.content_of(version)) == version.text_sha256:
            return version.text_sha256, problems
        problems.append(Discrepancy(Kind.DIFFERS, where, "its text was never stored, and rendered today "
                                                         "it is not the text it was saved with"))
        return "", problems
    item = items.get(version.text_item_id)
    data = await _stored(request, item, problems, f"{where}'s text")
    if item is not None and item.sha256 != version.text_sha256:
        problems.append(Discrepancy(Kind.DIFFERS, where, "its stored text is not the text it was saved with"))
    return (item.sha256 if item is not None and data is not None else ""), problems


async def _stored(request: web.Request, item: Any, problems: list[Discrepancy],
                  where: str) -> bytes | None:
    if item is None:
        problems.append(Discrepancy(Kind.MISSING, where, "its evidence item is missing"))
        return None
    store = request.app[STORE]
    altered = Discrepancy(Kind.ALTERED, where, f"{item.object_key} does not match its SHA-256 (altered)")
    data = None
    try:
        data = await store.get(item.object_key, item.version_id)
    except IntegrityError:  # not what the store recorded with it: no bytes to compare
        problems.append(altered)
    except StoreError as exc:
        kind = Kind.MISSING if isinstance(exc, ObjectNotFound) else Kind.UNCHECKED
        problems.append(Discrepancy(kind, where, f"{item.object_key} cannot be read from the object "
                                                 f"store ({exc})"))
        return None
    else:
        if hashlib.sha256(data).hexdigest() != item.sha256:
            problems.append(altered)
    shadow = await evidence.shadow(store, item.object_key, item.version_id)
    if shadow:  # what was read is the recorded version; the key's latest is not
        problems.append(Discrepancy(shadow.kind, where, f"{item.object_key} in the object store: "
                                                        f"{shadow.message}"))
    return data


async def _statement(request: web.Request, answer: RecordConfirmation,
                     items: dict[str, Any]) -> tuple[dict[str, Any], list[Discrepancy]]:
    """The statement as stored in the object store (what was signed), compared with the
    database row's copy."""
    problems: list[Discrepancy] = []
    stated = json.loads(answer.statement)
    data = await _stored(request, items.get(answer.item_id), problems, "statement")
    stored = _json_object(data) if data is not None else None
    if data is not None and stored is None:  # altered bytes need not even be JSON
        problems.append(Discrepancy(Kind.MALFORMED, "", "the stored statement is not a JSON object"))
    if stored is not None:
        if stored.get("statement") != stated:
            problems.append(Discrepancy(Kind.DIFFERS, "", "the database copy of the statement differs "
                                                          "from the stored one"))
        if stored.get("server_signature") != answer.server_signature:
            problems.append(Discrepancy(Kind.DIFFERS, "", "the database copy of the server's signature "
                                                          "differs from the stored one"))
    for field in ("decision", "reason", "version", "text_sha256", "record_sha256",
                  "signature_sha256", "name"):
        if stated.get(field) != getattr(answer, field):
            problems.append(Discrepancy(Kind.DIFFERS, "", f"its {field} differs from what the party signed"))
    return stated, problems


def _json_object(data: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(data)
    except ValueError:  # UnicodeDecodeError included
        return None
    return value if isinstance(value, dict) else None
