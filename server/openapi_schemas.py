"""The component schemas of the OpenAPI description (`server.openapi` holds the paths),
and the small helpers both are written with."""

from __future__ import annotations

from typing import Any

from evidence.discrepancy import Kind
from server.db.models import CaseStatus, InterviewState, PartyRole, Role

JSON = "application/json"
Schema = dict[str, Any]


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(required: list[str], **props: Schema) -> Schema:
    return {"type": "object", "required": required, "properties": props}


def string(**extra: Any) -> Schema:
    return {"type": "string", **extra}


TIME = string(format="date-time")
OPT_TIME = {"type": ["string", "null"], "format": "date-time"}

_RECORDING_REQUIRED = ["id", "participant", "kind", "state", "segments", "duration", "head"]
_RECORDING: dict[str, Schema] = dict(
    id=string(), participant=obj(["id"], id=string(), name=string(), role=string(), kind=string()),
    kind=string(enum=["audio", "video"]), codec={"type": ["string", "null"]},
    state=string(enum=["recording", "sealing", "sealed", "interrupted"]),
    duration={"type": "number", "description": "seconds"}, bytes={"type": "integer"},
    head={"type": ["string", "null"], "description": "the chain head (SHA-256, hex)"},
    start={"type": ["number", "null"], "description": "seconds on the interview clock"},
    end={"type": ["number", "null"]}, started_at=TIME, sealed_at=OPT_TIME,
    interrupted_at=OPT_TIME, manifest={"type": ["object", "null"]},
    seal={"type": ["object", "null"]},
    health={"oneOf": [ref("RecordingHealth"), {"type": "null"}]})

SCHEMAS: dict[str, Schema] = {
    "Error": obj(["error", "message"], error=string(), message=string()),
    "User": obj(["username", "role"], username=string(), display_name=string(),
                 role=string(enum=[r.value for r in Role])),
    "Account": obj(
        ["username", "role", "state"], username=string(), display_name=string(),
        role=string(enum=[r.value for r in Role]), state=string(enum=["active", "locked", "disabled"]),
        disabled_at=OPT_TIME, last_login_at=OPT_TIME,
        failed_logins={"type": "integer", "description": "within the login limit's window"},
        badge_number=string(description="执法证号, the enforcement certificate number records name")),
    "Badge": obj(["badge_number"], badge_number=string(maxLength=32)),
    "NewPassword": obj(["password"], password=string(format="password", minLength=8, maxLength=1024)),
    "Login": obj(["username", "password"], username=string(), password=string(format="password")),
    "LoginResult": obj(["token", "user"], token=string(), csrf=string(), user=ref("User")),
    "CaseInput": obj(["title"], title=string(maxLength=200), employer=string(maxLength=200),
                      description=string(maxLength=10000)),
    "CaseChange": obj([], title=string(), employer=string(), description=string(),
                       status=string(enum=[s.value for s in CaseStatus])),
    "Case": obj(
        ["id", "number", "title", "status"], id=string(format="uuid"),
        number=string(pattern=r"^ZM-\d{4}-\d{6}$"), title=string(), employer=string(), description=string(),
        status=string(enum=[s.value for s in CaseStatus]), created_at=TIME, updated_at=TIME,
        members={"type": "array", "items": ref("User")},
        interviews={"type": "array", "items": ref("Interview")}, last_activity_at=TIME,
    ),
    "Grant": obj(["username"], username=string()),
    "InterviewInput": obj([], title=string(maxLength=200), language=string(enum=["zh", "en"]),
                           scheduled_for=TIME, purpose=string(maxLength=500)),
    "Interview": obj(
        ["id", "case_id", "state"], id=string(format="uuid"), case_id=string(format="uuid"),
        title=string(), language=string(enum=["zh", "en"]),
        state=string(enum=[s.value for s in InterviewState]), scheduled_for=OPT_TIME,
        created_at=TIME, started_at=OPT_TIME, ended_at=OPT_TIME, purpose=string(),
        cancelled_at=OPT_TIME, cancel_reason={"type": ["string", "null"]},
    ),
    "InterviewDetail": {"allOf": [ref("Interview"), obj(
        ["participants", "recordings"], case_number=string(),
        participants={"type": "array", "items": obj(
            ["id", "name", "role", "kind", "connected"], id=string(), name=string(),
            role=string(enum=[r.value for r in PartyRole] + ["inspector"]),
            kind=string(enum=["staff", "party"]), connected={"type": "boolean"}, since=OPT_TIME,
            connections={"type": "array", "items": obj(
                ["connected_at"], connected_at=TIME, disconnected_at=OPT_TIME,
                end_reason={"type": ["string", "null"]})})},
        recordings={"type": "array", "items": ref("Recording")},
    )]},
    "RecordingHealth": obj(
        ["id", "participant", "kind", "state", "stored", "waiting", "alarms"], id=string(),
        participant=string(), kind=string(enum=["audio", "video"]), state=string(), stored={"type": "integer"},
        waiting={"type": "integer", "description": "closed segments not yet in the store"},
        waiting_bytes={"type": "integer"}, last_frame_age={"type": ["number", "null"]},
        alarms={"type": "array", "items": obj(["code", "message"], code=string(), message=string(),
                                                since={"type": "number"})}),
    # In a list `segments` counts them; one recording's detail lists them.
    "Recording": obj(_RECORDING_REQUIRED, **_RECORDING, segments={"type": "integer"}),
    "Segment": obj(
        ["seq", "sha256", "size", "link", "gap"], seq={"type": "integer"}, key=string(),
        sha256=string(), size={"type": "integer"}, frames={"type": "integer"},
        first_arrival_us={"type": "integer"}, last_arrival_us={"type": "integer"},
        rtp_first={"type": "integer"}, rtp_last={"type": "integer"},
        start_ms={"type": "integer"}, end_ms={"type": "integer"}, start={"type": "number"},
        end={"type": "number"}, gap={"type": "boolean"}, recovered={"type": "boolean"},
        width={"type": "integer"}, height={"type": "integer"}, link=string(), stored_at=TIME),
    "RecordingDetail": obj(
        [*_RECORDING_REQUIRED, "spans"], **_RECORDING,
        segments={"type": "array", "items": ref("Segment")},
        spans={"type": "array", "items": obj(
            ["from", "to", "start", "end"], **{"from": {"type": "integer"}},
            to={"type": "integer"}, start={"type": "number"}, end={"type": "number"},
            start_ms={"type": "integer"})}),
    "Verification": obj(["ok", "problems"], ok={"type": "boolean"},
                         problems={"type": "array", "items": string()},
                         discrepancies={"type": "array", "items": ref("Discrepancy")},
                         segments={"type": "integer"}, state=string()),
    "Discrepancy": obj(["kind", "where", "message"],
                       kind=string(enum=[k.value for k in Kind]), where=string(), message=string()),
    "EvidenceItem": obj(
        ["id", "kind", "sha256", "size", "created_at"], id=string(), kind=string(), sha256=string(),
        size={"type": "integer"}, created_at=TIME, case_id=string(),
        interview_id={"type": ["string", "null"]}, recording_id={"type": ["string", "null"]}, object_key=string(), content_type=string(),
        observed={"type": "object"}, claimed={"type": "object"},
        derived_from={"type": ["string", "null"]}),
    "EvidenceUpload": obj(
        ["file"], file=string(format="binary", description="JPEG, PNG, WebP, HEIC/HEIF, PDF or "
                                                      "UTF-8 text; at most ZEROMEET_MAX_UPLOAD_MB"),
        kind=string(enum=["upload"]), interview_id=string(format="uuid"),
        device_time=string(description="the client's clock, kept as claimed"),
        note=string(maxLength=2000)),
    "InvitationInput": obj(["name", "role"], name=string(maxLength=128),
                            role=string(enum=[r.value for r in PartyRole]),
                            phone=string(maxLength=32, description=(
                                "The party's mainland China mobile number (13812345678; spaces, "
                                "dashes and +86 are accepted): the link goes to it by text "
                                "message (ZEROMEET_NOTIFY), then a reminder before the scheduled "
                                "start and the request to sign. 400 invalid_phone otherwise"))),
    "Invitation": obj(
        ["id", "name", "role", "expires_at", "state"], id=string(format="uuid"),
        interview_id=string(format="uuid"), name=string(), role=string(enum=[r.value for r in PartyRole]),
        created_at=TIME, expires_at=TIME, revoked_at=OPT_TIME, used_at=OPT_TIME,
        state=string(enum=["active", "expired", "revoked"]),
        phone_masked={"type": ["string", "null"], "description": "138****5678; null: no phone"},
    ),
    "NewInvitation": {"allOf": [ref("Invitation"), obj(
        ["url", "token"], url=string(format="uri", description="The link to send; carries the token."),
        token=string(description="Shown once; the server keeps only its hash (and, with a "
                                 "phone number, the link sealed for the later messages)."),
        notified=ref("Notified"))]},
    "Notified": obj(
        ["state"], state=string(enum=["sent", "failed", "off", "no_phone"], description=(
            "sent; failed (the invitation or request stands: send the link another way); "
            "off (ZEROMEET_NOTIFY=off); no_phone (none was given for this invitation)")),
        provider=string(enum=["file", "sms"]), phone=string(description="masked: 138****5678"),
        message_id=string(description="the provider's"), reason=string()),
    "OwnInvitation": obj(
        ["name", "role", "interview", "case"], name=string(), role=string(), expires_at=TIME,
        interview=obj(["id", "state"], id=string(), state=string(), language=string(),
                      purpose={"type": ["string", "null"]}, scheduled_for=OPT_TIME,
                      cancelled={"type": "boolean"}, cancel_reason={"type": ["string", "null"]}),
        case=obj(["id", "number"], id=string(format="uuid"), number=string()),
        bureau=obj(["name", "phone"], name=string(), phone=string()),
        inspectors={"type": "array", "items": string()},
    ),
    "Reschedule": obj([], scheduled_for={"type": ["string", "null"], "format": "date-time"},
                      purpose=string(maxLength=500)),
    "Cancellation": obj(["reason"], reason=string(minLength=1, maxLength=500)),
    "Caption": obj(
        ["participant", "role", "start", "end", "text"], participant={"type": ["string", "null"]},
        speaker=string(), role=string(), start={"type": "number"}, end={"type": "number"},
        text=string(), delay={"type": "number"}, delayed={"type": "boolean"}),
    "Turn": obj(
        ["speaker", "role", "start", "end", "text"], speaker=string(),
        role=string(enum=["inspector", *[r.value for r in PartyRole]]),
        kind=string(enum=["question", "answer"]), start={"type": "number"}, end={"type": "number"},
        text=string(), confidence={"type": ["number", "null"]}, low_confidence={"type": "boolean"},
        participant_id={"type": ["string", "null"]}, audio={"type": ["object", "null"]},
        audio_url=string(), flags={"type": "array", "items": string(enum=["echo"])}),
    "Record": obj(
        ["interview_id", "status", "turns"], interview_id=string(),
        status=string(enum=["pending", "draft", "confirmed", "refused"]),
        job={"type": ["object", "null"], "properties": {
            "state": string(enum=["queued", "running", "done", "failed"]),
            "progress": {"type": "number"}, "stage": string(), "message": string(),
            "attempts": {"type": "integer"}}},
        version={"type": "integer"}, latest_version={"type": ["integer", "null"]}, sha256=string(),
        text_sha256=string(), header={"type": "object"}, notice=string(), closing=string(),
        text={"type": ["string", "null"], "description": "The version's stored text, exactly "
              "as a party reads it; null while the object store cannot give it"},
        turns={"type": "array", "items": ref("Turn")},
        officer_signatures={"type": "array", "items": {"type": "object"},
                            "description": "Officers who signed a version (询问人签名)"},
        versions={"type": "array", "items": {"type": "object"}},
        requests={"type": "array", "items": {"type": "object"}},
        confirmations={"type": "array", "items": ref("Confirmation")}),
    "RecordEdit": obj(
        ["based_on", "turns"], based_on={"type": "integer"},
        turns={"type": "array", "items": ref("Turn"), "maxItems": 2000}, notice=string(),
        closing=string(), correction_reason=string(description="Required to correct a confirmed version")),
    "RecordSend": obj(["invitation_id"], invitation_id=string(), version={"type": "integer"}),
    "Confirmation": obj(
        ["id", "version", "decision", "at"], id=string(), version={"type": "integer"},
        decision=string(enum=["confirmed", "refused"]), name=string(), role=string(), reason=string(),
        text_sha256=string(), record_sha256=string(), at=TIME,
        signature_sha256={"type": ["string", "null"]}),
    "PartyRecord": obj(
        ["version", "text", "text_sha256", "state"], version={"type": "integer"}, sha256=string(),
        text=string(description="Exactly the text the party reads and confirms"), text_sha256=string(),
        language=string(), header={"type": "object"}, turns={"type": "array", "items": ref("Turn")},
        state=string(enum=["awaiting", "confirmed", "refused"]),
        confirmation={"anyOf": [ref("Confirmation"), {"type": "null"}]}),
    "PartyConfirm": obj(["version", "text_sha256", "signature"], version={"type": "integer"},
                         text_sha256=string(), signature=string(description="data:image/png;base64,…")),
    "PartyRefuse": obj(["version", "text_sha256", "reason"], version={"type": "integer"},
                        text_sha256=string(), reason=string(maxLength=2000)),
    "RecordVerification": obj(["ok", "problems"], ok={"type": "boolean"},
                               problems={"type": "array", "items": string()},
                               discrepancies={"type": "array", "items": ref("Discrepancy")},
                               versions={"type": "integer"}, confirmations={"type": "integer"}),
}
