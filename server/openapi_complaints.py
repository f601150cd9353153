"""The complaint paths and schemas of the OpenAPI description (see `server.openapi`)."""

from __future__ import annotations

from typing import Any

from server.complaints.handling import REFERRALS
from server.complaints.kinds import CATEGORIES
from server.db.complaint_models import ComplaintState
from server.openapi_schemas import Schema, obj, ref, string

_REASON = string(minLength=1, maxLength=2000)

SCHEMAS: dict[str, Schema] = {
    "ComplaintInput": obj(
        ["channel", "name", "phone"], channel=string(maxLength=32), name=string(maxLength=64),
        phone=string(maxLength=40), employer=string(maxLength=200), district=string(maxLength=64),
        category=string(enum=list(CATEGORIES)), workers={"type": "integer", "minimum": 1},
        amount={"type": "integer", "minimum": 0}, description=string(maxLength=5000),
        confidential={"type": "boolean"},
        co_complainants={"type": "array", "items": obj(["name"], name=string(), phone=string()),
                         "description": "staff filing for a phone or window channel only"}),
    "NewComplaint": obj(["number", "token", "status_url"], number=string(), token=string(),
                        status_url=string()),
    "ComplaintStatus": obj(["number", "state", "deadlines", "history"], number=string(),
                           state=string(enum=[s.value for s in ComplaintState]),
                           deadlines={"type": "array"}, history={"type": "array"}),
    "Complaint": obj(["id", "number", "state", "deadlines"], id=string(format="uuid"),
                     number=string(), state=string(enum=[s.value for s in ComplaintState]),
                     deadlines={"type": "array", "items": obj(["kind", "due"], kind=string(), due=string())},
                     case_id={"type": ["string", "null"]}),
    "ComplaintFile": obj(["id", "sha256"], id=string(), sha256=string()),
    "Channel": obj(["channel", "unit"], channel=string(), unit={"type": ["object", "null"]}),
    "ChannelEntry": obj(["channel", "name", "medium"], channel=string(), name=string(), medium=string()),
    "Unit": obj(["code", "name"], code=string(), name=string()),
    "Transfer": obj(["unit", "reason"], unit=string(maxLength=32), reason=_REASON),
    "Reason": obj(["reason"], reason=_REASON),
    "Referral": obj(["to", "reason"], to=string(enum=list(REFERRALS)), reason=_REASON),
    "Extension": obj(["days", "reason"], days={"type": "integer", "minimum": 1, "maximum": 30},
                     reason=_REASON),
    "Counts": obj(["by", "rows"], by=string(), rows={"type": "array", "items": obj(
        ["key", "received"], key=string(), label=string(), received={"type": "integer"},
        accepted={"type": "integer"}, closed={"type": "integer"}, overdue={"type": "integer"},
        median_days_to_contact={"type": ["number", "null"]},
        median_days_to_close={"type": ["number", "null"]})}),
    "Imported": obj(["filed", "skipped"], filed={"type": "array", "items": string()},
                    skipped={"type": "array", "items": string()}),
    "Material": obj(["what"], what=_REASON),
    "Options": obj(["categories", "referrals", "results"], categories={"type": "array"},
                   referrals={"type": "array"}, results={"type": "array", "items": obj(
                       ["code"], code=string(), label={"type": ["string", "null"]})}),
    "Closure": obj(["result", "reply", "amount_recovered", "workers_covered"],
                   result=string(description="a code of GET /api/complaint-options"),
                   reply=string(minLength=1, maxLength=5000),
                   amount_recovered={"type": "integer", "minimum": 0, "description": "yuan; 0 if none"},
                   workers_covered={"type": "integer", "minimum": 0}),
}


def paths(op: Any, param: Any, array: Any) -> dict[str, Any]:
    """The paths, written with `server.openapi`'s helpers."""
    one = [param("complaint_id")]
    actions = {
        "claim": ("Claim a complaint of one's unit: the claimer becomes its first responder", None),
        "transfer": ("Transfer it to another unit (the owner); that unit takes it within a "
                     "working day or it comes back", ref("Transfer")),
        "take": ("Take a transfer (staff of the receiving unit)", None),
        "accept": ("Accept it (the owner): a case opens with its files as evidence", None),
        "refuse": ("Refuse it with a reason (the owner)", ref("Reason")),
        "refer": ("Refer it elsewhere with a reason (the owner)", ref("Referral")),
        "ask": ("Ask the complainant for more material (the owner, before a decision): the 5 "
                "days to decide start again when it arrives or the owner resumes", ref("Material")),
        "suspend": ("Suspend an accepted complaint with a reason (the owner): its closing clock "
                    "stops", ref("Reason")),
        "resume": ("Resume (the owner): after a suspension the closing deadline moves on by the "
                   "working days it lasted", ref("Reason")),
        "extend": ("Extend the closing deadline (a supervisor of the unit), 30 working days "
                   "at most in all", ref("Extension")),
        "close": ("Close it with a result, the amount recovered, the workers covered and a reply "
                  "the complainant sees (the owner)", ref("Closure")),
    }
    out: dict[str, Any] = {
        "/api/complaints": {
            "get": op("The complaints of the caller's unit (a supervisor's: and those under it); "
                      "?overdue=1 for the overdue and alerted ones, ?at_risk=1 for those due within 2 "
                      "working days, ?unit=CODE for one unit",
                      (200, "Complaints", array(ref("Complaint"))), errors=(401, 403, 404)),
            "post": op("File a complaint (anyone, limited per address and phone; staff may file for "
                       "a caller with co_complainants)", (201, "Filed; the token is shown once",
                                                           ref("NewComplaint")),
                       body=ref("ComplaintInput"), errors=(400, 401, 403, 404, 413, 429), auth=False),
        },
        "/api/complaints/import": {
            "post": {**op("Import clues from another platform (12345, the national wage-arrears clue "
                          "platform) from a CSV file with a header row; number, name and phone "
                          "required; each keeps its number as source:number; a bad row refuses the "
                          "whole file; clues imported before are skipped",
                          (201, "The numbers filed and the clue numbers skipped", ref("Imported")),
                          errors=(400, 401, 403, 404, 413)),
                     "parameters": [
                         {"name": "channel", "in": "query", "required": True, "schema": string()},
                         {"name": "source", "in": "query", "required": True,
                          "schema": string(pattern=r"^[\w\-]{1,24}$")}],
                     "requestBody": {"required": True, "content": {"text/csv": {"schema": string()}}}},
        },
        "/api/complaint-channels/{channel}": {
            "parameters": [param("channel")],
            "get": op("A public channel and the unit it reaches", (200, "The channel", ref("Channel")),
                      errors=(404,), auth=False),
        },
        "/api/complaint": {
            "get": op("The complainant's view, with the status token as bearer",
                      (200, "The status", ref("ComplaintStatus")), errors=(401,)),
        },
        "/api/complaint/evidence": {
            "post": {**op("Add a photo or document while the complaint is open (status token)",
                          (201, "Stored", ref("ComplaintFile")), errors=(400, 401, 408, 409, 413, 415)),
                     "requestBody": {"required": True, "content": {"multipart/form-data": {
                         "schema": obj(["file"], file=string(format="binary"), note=string())}}}},
        },
        "/api/complaint-counts": {"get": {**op(
            "Counts of the caller's complaints per unit, channel, category or month: received, "
            "accepted, closed, overdue, median days to first contact and to closure",
            (200, "Counts", ref("Counts")), errors=(400, 401, 403)),
            "parameters": [{"name": "by", "in": "query", "required": False,
                            "schema": {"type": "string", "enum": ["unit", "channel", "category", "month"]}}]}},
        "/api/complaint-channels": {"get": op("The channels of the caller's units",
                                              (200, "Channels", array(ref("ChannelEntry"))), errors=(401, 403))},
        "/api/complaint-options": {"get": op("What staff choose from: categories, referrals, the "
                                             "bureau's results", (200, "Options", ref("Options")),
                                             errors=(401, 403))},
        "/api/units": {"get": op("Units (for transfers)", (200, "Units", array(ref("Unit"))),
                                 errors=(401, 403))},
        "/api/complaints/{complaint_id}": {
            "parameters": one,
            "get": op("One complaint with its deadlines, files and log",
                      (200, "The complaint", ref("Complaint"))),
        },
    }
    for action, (summary, body) in actions.items():
        out[f"/api/complaints/{{complaint_id}}/{action}"] = {
            "parameters": one,
            "post": op(summary, (200, "The complaint after it", ref("Complaint")), body=body,
                       errors=(400, 401, 403, 404, 409)),
        }
    return out
