"""The OpenAPI 3 description of the HTTP API: its paths, built from small helpers; the
component schemas are in `server.openapi_schemas`."""

from __future__ import annotations

from typing import Any

from server.db.models import CaseStatus
from server.openapi_complaints import SCHEMAS as COMPLAINT_SCHEMAS, paths as complaint_paths
from server.openapi_schemas import JSON, SCHEMAS, Schema, obj as _obj, ref as _ref, string as _s


def _answer(description: str, schema: Schema | None = None, media: str = JSON) -> dict[str, Any]:
    out: dict[str, Any] = {"description": description}
    if schema is not None:
        out["content"] = {media: {"schema": schema}}
    return out


def _errors(*codes: int) -> dict[str, Any]:
    return {str(c): {"$ref": f"#/components/responses/E{c}"} for c in codes}


def _op(summary: str, ok: tuple[int, str, Schema | None], *, body: Schema | None = None,
        errors: tuple[int, ...] = (400, 401, 403, 404), auth: bool = True,
        media: str = JSON) -> dict[str, Any]:
    code, description, schema = ok
    op: dict[str, Any] = {"summary": summary,
                          "responses": {str(code): _answer(description, schema, media), **_errors(*errors)}}
    if body is not None:
        op["requestBody"] = {"required": True, "content": {JSON: {"schema": body}}}
    if not auth:
        op["security"] = []
    return op


def _param(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": _s()}


def _array(schema: Schema) -> Schema:
    return {"type": "array", "items": schema}


_ADMIN_ACTIONS = {
    "disable": "Disable an account (administrators): its sessions are revoked and its "
               "interview connections closed at once; 409 for one's own",
    "enable": "Let a disabled account log in again (administrators)",
    "unlock": "Forget the account's failed logins, lifting a login lock (administrators)",
    "password": "Set a new password (administrators); the account's sessions are revoked",
    "badge": "Set the account's enforcement certificate number, 执法证号 (administrators); "
             "\"\" removes it",
}

PATHS: dict[str, Any] = {
    "/api/login": {"post": _op("Log in as staff; sets the session cookie too",
                               (200, "Logged in", _ref("LoginResult")), body=_ref("Login"),
                               errors=(400, 401, 429), auth=False)},
    "/api/logout": {"post": _op("End this session (403 for an invitation token)",
                                (200, "Logged out", None), errors=(401, 403))},
    "/api/me": {"get": _op("The logged-in staff member (403 for an invitation token)",
                           (200, "The user", None), errors=(401, 403))},
    "/api/admin/users": {"get": _op("Staff accounts with state and last login (administrators)",
                                    (200, "Accounts", _array(_ref("Account"))), errors=(401, 403))},
    **{f"/api/admin/users/{{username}}/{action}": {
        "parameters": [_param("username")],
        "post": _op(summary, (200, "The account", _ref("Account")),
                    body=({"password": _ref("NewPassword"), "badge": _ref("Badge")}).get(action),
                    errors=(400, 401, 403, 404, 409) if action == "disable" else (400, 401, 403, 404)),
    } for action, summary in _ADMIN_ACTIONS.items()},
    "/api/cases": {
        "get": {**_op("Cases the caller has access to, most recently active first",
                      (200, "Cases", _array(_ref("Case"))), errors=(400, 401, 403)),
                "parameters": [
                    {"name": "q", "in": "query", "required": False, "schema": _s()},
                    {"name": "status", "in": "query", "required": False,
                     "schema": {"type": "string", "enum": [s.value for s in CaseStatus]}},
                    {"name": "member", "in": "query", "required": False, "schema": _s()},
                    {"name": "awaiting_signature", "in": "query", "required": False,
                     "schema": {"type": "string", "enum": ["1", "true"]}}]},
        "post": _op("Open a case (inspectors)", (201, "Created", _ref("Case")), body=_ref("CaseInput")),
    },
    "/api/cases/{case_id}": {
        "parameters": [_param("case_id")],
        "get": _op("One case with its interviews", (200, "The case", _ref("Case"))),
        "patch": _op("Change a case (inspectors on the case)", (200, "Changed", _ref("Case")),
                     body=_ref("CaseChange"), errors=(400, 401, 403, 404, 409)),
    },
    "/api/cases/{case_id}/members": {
        "parameters": [_param("case_id")],
        "post": _op("Give an inspector or legal staff access to the case",
                    (201, "Granted", _ref("User")), body=_ref("Grant"), errors=(400, 401, 403, 404, 409)),
    },
    "/api/cases/{case_id}/interviews": {
        "parameters": [_param("case_id")],
        "get": _op("Interviews of a case", (200, "Interviews", _array(_ref("Interview")))),
        "post": _op("Schedule a remote interview (inspectors)", (201, "Created", _ref("Interview")),
                    body=_ref("InterviewInput")),
    },
    "/api/interviews/{interview_id}": {
        "parameters": [_param("interview_id")],
        "get": _op("An interview with participants and recordings",
                   (200, "The interview", _ref("InterviewDetail"))),
    },
    "/api/interviews/{interview_id}/end": {
        "parameters": [_param("interview_id")],
        "post": _op("End the interview", (200, "Ended", _ref("Interview")),
                    errors=(401, 403, 404, 409)),
    },
    "/api/interviews/{interview_id}/reschedule": {
        "parameters": [_param("interview_id")],
        "post": _op("Move an interview nobody has joined, or change its purpose", (200, "Moved", _ref("Interview")),
                    body=_ref("Reschedule"), errors=(400, 401, 403, 404, 409)),
    },
    "/api/interviews/{interview_id}/cancel": {
        "parameters": [_param("interview_id")],
        "post": _op("Call off an interview nobody has joined, with a reason", (200, "Cancelled", _ref("Interview")),
                    body=_ref("Cancellation"), errors=(400, 401, 403, 404, 409)),
    },
    "/api/interviews/{interview_id}/invites": {
        "parameters": [_param("interview_id")],
        "get": _op("Invitations of an interview (without tokens)",
                   (200, "Invitations", _array(_ref("Invitation")))),
        "post": _op("Invite a party; the answer holds the link, once",
                    (201, "Created", _ref("NewInvitation")), body=_ref("InvitationInput"),
                    errors=(400, 401, 403, 404, 409)),
    },
    "/api/interviews/{interview_id}/ws": {
        "parameters": [_param("interview_id")],
        "get": {**_op("Join the interview's room: WebSocket signalling (docs/signalling.md); "
                      "the first message is hello with a staff or invitation token",
                      (101, "Switching protocols to WebSocket", None), errors=(400, 404),
                      auth=False),
                "description": "A plain GET without `Upgrade: websocket` is a 400."},
    },
    "/api/invites/{invitation_id}/revoke": {
        "parameters": [_param("invitation_id")],
        "post": _op("Withdraw an invitation link", (200, "Revoked", _ref("Invitation"))),
    },
    "/api/invitation": {
        "get": _op("For an invited party: its own invitation (bearer = invitation token)",
                   (200, "The invitation", _ref("OwnInvitation")), errors=(401, 403, 410)),
    },
    "/api/invitation/evidence": {
        "get": _op("What this party has sent to its case (its own uploads only), for the join page",
                   (200, "Uploads", _array(_obj(["id", "sha256"], id=_s(), filename=_s(), size={"type": "integer"},
                                                sha256=_s(), content_type=_s(), created_at=_s()))),
                   errors=(401, 403, 410)),
    },
    "/api/interviews/{interview_id}/captions": {
        "parameters": [_param("interview_id")],
        "get": _op("What was heard so far, during the call (live captions) and after (the "
                   "machine draft's turns), in order of start",
                   (200, "Captions", _array(_ref("Caption")))),
    },
    "/api/interviews/{interview_id}/chat": {
        "parameters": [_param("interview_id")],
        "get": _op("The interview's text chat so far, in order: each message as the server "
                   "stamped and kept it, with its hash-chain link (docs/signalling.md)",
                   (200, "Messages", _array(_obj(
                       ["seq", "at", "from", "text", "to", "prev", "hash"], seq={"type": "integer"},
                       at=_s(), text=_s(), to={"type": "string", "enum": ["all", "staff"]},
                       prev=_s(), hash=_s(),
                       **{"from": _obj(["id", "name", "role"], id=_s(), name=_s(), role=_s())})))),
    },
    "/api/interviews/{interview_id}/record": {
        "parameters": [_param("interview_id"),
                       {"name": "version", "in": "query", "schema": {"type": "integer"}}],
        "get": _op("The inquiry record (latest version, or ?version=N); status pending until "
                   "the machine draft exists", (200, "The record", _ref("Record"))),
    },
    "/api/interviews/{interview_id}/record/versions": {
        "parameters": [_param("interview_id")],
        "post": _op("Save an edited record as a new version (inspectors)",
                    (201, "The record at the new version", _ref("Record")),
                    body=_ref("RecordEdit"), errors=(400, 401, 403, 404, 409, 413)),
    },
    "/api/interviews/{interview_id}/record/diff": {
        "parameters": [_param("interview_id"),
                       {"name": "from", "in": "query", "required": True, "schema": {"type": "integer"}},
                       {"name": "to", "in": "query", "required": True, "schema": {"type": "integer"}}],
        "get": _op("Turn-by-turn differences between two versions",
                   (200, "Changes", {"type": "object"})),
    },
    "/api/interviews/{interview_id}/record/send": {
        "parameters": [_param("interview_id")],
        "post": _op("Send the latest version to a party (by invitation) to confirm",
                    (201, "The request", {"type": "object"}), body=_ref("RecordSend"),
                    errors=(400, 401, 403, 404, 409)),
    },
    "/api/interviews/{interview_id}/record/retry": {
        "parameters": [_param("interview_id")],
        "post": _op("Queue a failed transcription job again", (202, "Queued", {"type": "object"}),
                    errors=(401, 403, 404, 409)),
    },
    "/api/interviews/{interview_id}/record.pdf": {
        "parameters": [_param("interview_id"),
                       {"name": "version", "in": "query", "schema": {"type": "integer"}}],
        "get": _op("The record as PDF (embedded CJK font, its SHA-256 on every page); the "
                   "stored PDF of a confirmed version, else a draft rendering",
                   (200, "PDF", None), errors=(400, 401, 403, 404, 409), media="application/pdf"),
    },
    "/api/interviews/{interview_id}/record/sign": {
        "parameters": [_param("interview_id")],
        "post": _op("The officer's own signature beside the interviewee's (询问人签名), for a "
                    "version whose header names the caller",
                    (201, "The signature", None), body=_ref("PartyConfirm"), errors=(400, 401, 403, 404, 409)),
    },
    "/api/interviews/{interview_id}/record/verify": {
        "parameters": [_param("interview_id")],
        "post": _op("Re-read and check every version, confirmation and signature image",
                    (200, "What was found", _ref("RecordVerification"))),
    },
    "/api/invitation/record": {
        "get": _op("For an invited party: the record version sent to it to read",
                   (200, "The record", _ref("PartyRecord")), errors=(401, 403, 404, 410)),
    },
    "/api/invitation/record.pdf": {
        "get": _op("For an invited party that signed: its copy, the stored PDF of its "
                   "confirmation (a custody event); 404 no_copy before it signed",
                   (200, "PDF", None), errors=(401, 403, 404, 409, 410), media="application/pdf"),
    },
    "/api/invitation/record/confirm": {
        "post": _op("For an invited party: confirm the record with a drawn signature",
                    (201, "The confirmation", _ref("Confirmation")), body=_ref("PartyConfirm"),
                    errors=(400, 401, 403, 404, 409, 410, 413)),
    },
    "/api/invitation/record/refuse": {
        "post": _op("For an invited party: refuse to confirm, with a reason",
                    (201, "The refusal", _ref("Confirmation")), body=_ref("PartyRefuse"),
                    errors=(400, 401, 403, 404, 409, 410)),
    },
    "/api/recordings/{recording_id}": {
        "parameters": [_param("recording_id")],
        "get": _op("A recording with its segments, chain links and playable spans",
                   (200, "The recording", _ref("RecordingDetail"))),
    },
    "/api/recordings/{recording_id}/segments/{seq}": {
        "parameters": [_param("recording_id"), _param("seq")],
        "get": _op("One segment's bytes exactly as stored (checked against its SHA-256)",
                   (200, "WebM", None), errors=(400, 401, 403, 404, 409), media="video/webm"),
    },
    "/api/recordings/{recording_id}/media": {
        "parameters": [_param("recording_id"),
                       {"name": "from", "in": "query", "schema": {"type": "integer"}},
                       {"name": "to", "in": "query", "schema": {"type": "integer"}},
                       {"name": "download", "in": "query", "schema": {"type": "string", "enum": ["1"]},
                        "description": "as a file to save (Content-Disposition, a Duration in "
                                       "its header: the bundle's playable file)"}],
        "get": _op("Segments from..to as one WebM stream for playback (re-muxed, not "
                   "transcoded); time 0 is the start of segment `from`",
                   (200, "WebM", None), errors=(400, 401, 403, 404, 409), media="video/webm"),
    },
    "/api/recordings/{recording_id}/verify": {
        "parameters": [_param("recording_id")],
        "post": _op("Re-hash every stored segment and the manifest; check the chain and seal",
                    (200, "What was found", _ref("Verification"))),
    },
    "/api/cases/{case_id}/evidence": {
        "parameters": [_param("case_id")],
        "get": _op("The case's evidence items", (200, "Items", _array(_ref("EvidenceItem")))),
        "post": {**_op("Upload one evidence file (an inspector on the case, or a party with "
                       "its invitation token, to its own case only)",
                       (201, "The stored item; its type is sniffed from the bytes",
                        _ref("EvidenceItem")), errors=(400, 401, 403, 404, 410, 413, 415)),
                 "requestBody": {"required": True, "content": {
                     "multipart/form-data": {"schema": _ref("EvidenceUpload")}}}},
    },
    "/api/interviews/{interview_id}/snapshots": {
        "parameters": [_param("interview_id")],
        "post": _op("A snapshot: the server stores the latest frame of a participant's live "
                    "video as it decoded it, as a full-size PNG evidence item (inspectors on "
                    "the case); 409 no_video when it has none from that person",
                    (201, "The stored item", _ref("EvidenceItem")),
                    body=_obj(["participant"], participant=_s(description="participant id")),
                    errors=(400, 401, 403, 404, 409)),
    },
    "/api/evidence/{item_id}/content": {
        "parameters": [_param("item_id")],
        "get": _op("An evidence item's bytes as stored, checked against its SHA-256 "
                   "(staff with access to the case)", (200, "The original bytes", None),
                   errors=(401, 403, 404, 409), media="application/octet-stream"),
    },
    "/api/cases/{case_id}/bundle": {
        "parameters": [_param("case_id"), {
            "name": "audience", "in": "query", "required": False,
            "schema": {"type": "string", "enum": ["employer"]},
            "description": "employer: leave out what a confidential complainant sent"}],
        "post": _op("Export the case's evidence as a signed BagIt bag in a zip, streamed "
                    "(inspector or legal staff on the case); a custody event",
                    (200, "The bundle; X-Payload-Bytes says how much evidence it holds", None),
                    errors=(400, 401, 403, 404), media="application/zip"),
        "get": {**_op("The same bundle as a browser's own download, with a ticket this session "
                      "got from POST …/bundle/ticket (once, within two minutes)",
                      (200, "The bundle", None), errors=(400, 401, 403, 404, 410),
                      media="application/zip"),
                "parameters": [{"name": "ticket", "in": "query", "required": True,
                                "schema": _s()}]},
    },
    "/api/cases/{case_id}/bundle/ticket": {
        "parameters": [_param("case_id")],
        "post": _op("A two-minute ticket to download the bundle with GET, streamed to disk by "
                    "the browser", (201, "ticket, url, progress_url, expires_at", {"type": "object"}),
                    errors=(401, 403, 404)),
    },
    "/api/cases/{case_id}/bundle/progress": {
        "parameters": [_param("case_id"),
                       {"name": "ticket", "in": "query", "required": True, "schema": _s()}],
        "get": _op("How far a ticket's download has got, on the server sending it",
                   (200, "state (issued, running, done, failed), written, payload_bytes, name, error",
                    {"type": "object"}), errors=(401, 403, 404)),
    },
    "/api/evidence/{item_id}/verify": {
        "parameters": [_param("item_id")],
        "post": _op("Re-hash one item in the object store against its SHA-256 on arrival",
                    (200, "ok, sha256, problem, checked_at", {"type": "object"})),
    },
    "/api/cases/{case_id}/custody": {
        "parameters": [_param("case_id")],
        "get": _op("The case's custody log, checked (hash chain and signed checkpoints); "
                   "?item= narrows the events to one item",
                   (200, "Events, checkpoints and problems", {"type": "object"})),
    },
    "/api/keys": {"get": _op("Public key(s) that sign bundles", (200, "PEM", _s()),
                             errors=(), auth=False, media="application/x-pem-file")},
    "/api/openapi.json": {"get": _op("This document", (200, "OpenAPI 3", {"type": "object"}),
                                     errors=(), auth=False)},
}

_ERROR_TEXT = {400: "Malformed or invalid request", 401: "Not authenticated",
               403: "Not allowed", 404: "Not found (or no access)", 409: "Conflicts with current state",
               410: "Invitation expired or revoked", 413: "Request body too large",
               415: "File type not accepted",
               408: "The request body stopped arriving",
               429: "Too many attempts"}


PATHS.update(complaint_paths(_op, _param, _array))


def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "zeromeet", "version": "0.1.0",
                 "description": "Remote video inspection and evidence capture."},
        "paths": PATHS,
        "security": [{"bearer": []}, {"cookie": []}],
        "components": {
            "schemas": {**SCHEMAS, **COMPLAINT_SCHEMAS},
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer",
                           "description": "A staff session token or an invitation token."},
                "cookie": {"type": "apiKey", "in": "cookie", "name": "zm_session",
                           "description": "Writes also need header X-CSRF-Token = cookie zm_csrf."},
            },
            "responses": {f"E{c}": _answer(t, _ref("Error")) for c, t in _ERROR_TEXT.items()},
        },
    }
