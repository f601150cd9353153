"""Checking an evidence bundle offline: no server, no database, only the bundle and,
ideally, a public key obtained elsewhere.

Checks, each discrepancy named by the file or item it concerns:
- the bag: required files, the signature over the tag manifest, every tag and payload
  hash, no file that is not listed, Payload-Oxum;
- every item of the index against its bytes (the SHA-256 taken on arrival);
- every recording's hash chain, its segments' bytes and its signed seal, and its
  playable file: made from the chain's segments, and their join (`evidence.playable`);
- every record confirmation and officer's signature against the version and the stored
  text it binds (the text as it was when the version was saved), and its signature image;
- every interview's text chat log: its hash chain, its length and head as recorded;
- the custody log's chain and its signed checkpoints, the last of which must cover the
  whole log;
- each complaint log the bundle carries: its chain, pinned by the export event, linked
  to the case's log at acceptance, and its working day of acceptance counted again.

Every file is read through `evidence.reader`: once, and no further than the bundle claims.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from evidence import bundle as bag
from evidence import chain, chat, complaint_check, confirmation, custody, playable
from evidence.reader import KEY_LIMIT, READ_LIMIT, SIGNATURE_LIMIT, BundleReader, _dicts
from evidence.sources import Source, open_source, too_large


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    case: str = ""
    key_source: str = ""
    key_sha256: str = ""
    notes: list[str] = field(default_factory=list)  # what the bundle proves, beyond "intact"

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, problem: str) -> None:
        self.problems.append(printable(problem))

    def summary(self) -> str:
        parts = ", ".join(f"{v} {k}" for k, v in self.counts.items())
        return "\n".join([f"OK {printable(self.case)}: {parts}; signed by Ed25519 key "
                          f"sha256:{self.key_sha256[:16]}… ({self.key_source})",
                          *(printable(n) for n in self.notes)])


def printable(text: str) -> str:
    """`text` with every control, format or other invisible character written as an
    escape (\\n, \\x1b, \\u202e): names come from the bundle, and one must not be able to
    start a line of its own, move the cursor or reorder what the reader sees."""
    return "".join(c if c.isprintable() or unicodedata.category(c) == "Zs" else repr(c)[1:-1]
                   for c in text)


def verify(path: Path, public_key_pem: bytes | None = None, *,
           render_text: Callable[[dict[str, Any]], str] | None = None) -> Report:
    """Every discrepancy in the bundle at `path` (a zip or a folder). Never raises on
    what the bundle holds: whatever breaks a check is itself a discrepancy.

    `render_text` renders a record version's text for a bundle made before texts were
    stored (`zeromeet verify` passes `transcription.record.render_text`); without it such
    a confirmation is named as naming no stored text."""
    report = Report()
    try:
        source = open_source(path)
    except Exception as exc:  # zipfile raises many kinds of error on a hostile archive
        report.add(f"{path}: not a readable zip or folder ({exc})")
        return report
    for problem in source.problems:
        report.add(problem)
    _Checker(source, report, public_key_pem, render_text).run()
    return report


class _Checker(BundleReader):
    def __init__(self, source: Source, report: Report, given_key: bytes | None,
                 render_text: Callable[[dict[str, Any]], str] | None = None) -> None:
        # Each recording, record and confirmation is checked once however often it is listed.
        super().__init__(source, report.add)
        self.report, self.given_key = report, given_key
        self.manifests: dict[str, str] = {}  # manifest path: the recording checked with it
        self.texts: dict[str, str | Exception] = {}  # record version: its text's hash
        self.render_text = render_text
        self.key: Ed25519PublicKey | None = None
        self.custody_events: list[Any] = []

    def run(self) -> None:
        required = ("bagit.txt", "bag-info.txt", "manifest-sha256.txt", bag.SIGNED, bag.SIGNATURE,
                    bag.INDEX, bag.PUBLIC_KEY)
        for name in required:
            if name not in self.present:
                self.problem(f"{name}: missing")
        self.guarded("public key", self._key)
        self.guarded(bag.SIGNATURE, self._signature)
        index = self._document(bag.INDEX)
        self.guarded(bag.INDEX, self._claims, index)
        tags = self.guarded(bag.SIGNED, self._manifest, bag.SIGNED, _is_tag_file)
        payload = self.guarded("manifest-sha256.txt", self._manifest, "manifest-sha256.txt", _is_payload)
        if tags is not None and payload is not None:
            self.guarded("bag-info.txt", self._oxum, payload)
        if index is None:
            return
        case = self.json_object(bag.INDEX, '"case"', index.get("case"))
        self.report.case = str(case.get("number", ""))
        for item in self.json_objects(bag.INDEX, '"export_problems"', index.get("export_problems")):
            self.problem(f"{item.get('path')}: left out at export: {item.get('problem')}")
        for item in self.json_objects(bag.INDEX, '"store_problems"', index.get("store_problems")):
            self.problem(f"{item.get('path')}: in the object store at export, {item.get('problem')} "
                         "(the bundle holds the version stored on arrival)")
        items = self.json_objects(bag.INDEX, '"items"', index.get("items"))
        recordings = self.json_objects(bag.INDEX, '"recordings"', index.get("recordings"))
        self.guarded("items", self._items, items)
        for entry in recordings:
            self.guarded(f"recording {entry.get('id')}", self._recording, entry)
        self.guarded("records", self._records, items)
        self.guarded("chat logs", self._chats, items)
        self.guarded(bag.CUSTODY_EVENTS, self._custody, str(case.get("id", "")))
        complaints = self.json_objects(bag.INDEX, '"complaints"', index.get("complaints"))
        if complaints:
            self.guarded("complaints", self._complaints, complaints)
        self.report.counts = {
            "files": len([p for p in self.present if p.startswith("data/")]),
            "items": len(items), "recordings": len(recordings),
            "segments": sum(len(r["segments"]) for r in recordings if isinstance(r.get("segments"), list)),
            "confirmations": sum(1 for i in items if i.get("kind") == "confirmation"),
            "custody events": self.report.counts.get("custody events", 0),
        }
        playables = sum(1 for r in recordings if isinstance(r.get("playable"), dict))
        if playables:
            self.report.counts["playable files"] = playables
        if complaints:
            self.report.counts["complaints"] = len(complaints)

    # --- the bag --------------------------------------------------------------------

    def _key(self) -> None:
        inside = self.read(bag.PUBLIC_KEY, KEY_LIMIT) if bag.PUBLIC_KEY in self.present else None
        pem = self.given_key or inside
        self.report.key_source = "the key given" if self.given_key else \
            "the key inside the bundle; pass --public-key to check against a key you trust"
        if pem is None:
            return
        if len(pem) > KEY_LIMIT:
            self.problem(f"public key: {too_large(len(pem), KEY_LIMIT)}")
            return
        self.report.key_sha256 = hashlib.sha256(pem).hexdigest()
        try:
            key = serialization.load_pem_public_key(pem)
        except ValueError:
            self.problem("public key: not a PEM public key")
            return
        except UnsupportedAlgorithm:  # a key, e.g. on the SM2 curve, but not one this check knows
            key = None
        if not isinstance(key, Ed25519PublicKey):
            self.problem("public key: not an Ed25519 key")
            return
        self.key = key
        if self.given_key and inside is not None and _raw(inside) != _raw(self.given_key):
            self.problem(f"{bag.PUBLIC_KEY}: not the public key given (the bundle names another signer)")

    def _signature(self) -> None:
        if self.key is None or bag.SIGNED not in self.present or bag.SIGNATURE not in self.present:
            return
        signature, signed = self.read(bag.SIGNATURE, KEY_LIMIT), self.read(bag.SIGNED, READ_LIMIT)
        if signature is None or signed is None:
            return
        try:
            self.key.verify(signature, signed)
        except (InvalidSignature, ValueError):
            self.problem(f"{bag.SIGNATURE}: the signature over {bag.SIGNED} does not verify "
                         "with the public key")

    def _manifest(self, name: str, covers: Callable[[str], bool]) -> dict[str, str] | None:
        text = self.read(name, READ_LIMIT) if name in self.present else None
        if text is None:
            return None
        listed: dict[str, str] = {}
        for number, line in enumerate(text.decode("utf-8", "replace").splitlines(), 1):
            if not line.strip():
                continue
            digest, _, path = line.strip().partition(" ")
            path = path.strip().lstrip("*")
            if not path or len(digest) != 64:
                self.problem(f"{name}: line {number} is not '<sha256> <path>'")
                continue
            listed[path] = digest.lower()
        for path, digest in sorted(listed.items()):
            if path not in self.present:
                self.problem(f"{path}: listed in {name} but missing")
            elif self._differs(path, digest):
                self.problem(f"{path}: its SHA-256 does not match {name} (altered)")
        for path in sorted(self.present):
            if covers(path) and path not in listed:
                self.problem(f"{path}: a file that {name} does not list")
        return listed

    def _oxum(self, payload: dict[str, str]) -> None:
        if "bag-info.txt" not in self.present or self.unreadable & payload.keys():
            return  # an unreadable file is named already; its size is not known
        info = self.read("bag-info.txt", READ_LIMIT) or b""
        for line in info.decode("utf-8", "replace").splitlines():
            if line.startswith("Payload-Oxum:"):
                size = sum(self.sizes.get(p, 0) for p in payload)
                if line.split(":", 1)[1].strip() != f"{size}.{len(payload)}":
                    self.problem("bag-info.txt: Payload-Oxum does not match the payload")

    # --- items, recordings, records -------------------------------------------------

    def _items(self, items: list[dict[str, Any]]) -> None:
        for item in items:
            path, where = str(item.get("path", "")), f"{item.get('kind')} item {item.get('id')}"
            if path not in self.present:
                self.problem(f"{path}: missing ({where})")
            elif self._differs(path, item.get("sha256")):
                self.problem(f"{path}: its bytes are not those hashed on arrival ({where})")
        for path, count in Counter(i["path"] for i in items if isinstance(i.get("path"), str)).items():
            if count > 1:
                self.problem(f"{path}: named by {count} items of the index (each file is one item); "
                             "checked once")

    def _recording(self, entry: dict[str, Any]) -> None:
        path = str(entry.get("manifest", ""))
        if path in self.manifests:
            self.problem(f"recording {entry.get('id')}: its manifest {path} is also recording "
                         f"{self.manifests[path]}'s; not checked again")
            return
        self.manifests[path] = str(entry.get("id"))
        manifest = self._document(path)
        if manifest is None:
            return
        where = f"recording {entry.get('id')} ({entry.get('participant')}, {entry.get('kind')})"
        about = self.json_object(path, '"recording"', manifest.get("recording"))
        segments = self.json_objects(path, '"segments"', manifest.get("segments"))
        seal_fields = {k: v for k, v in self.json_object(path, '"seal"', manifest.get("seal")).items()
                       if k != "algorithm"}
        try:
            seal = chain.Seal(**seal_fields) if seal_fields else None
        except TypeError:
            seal = None
        if about.get("id") != entry.get("id"):
            self.problem(f"{where}: its manifest is for another recording")
        participant = self.json_object(path, '"participant"', about.get("participant"))
        problems = chain.check_chain(
            str(about.get("id")), str(about.get("interview_id")), str(participant.get("id")),
            str(about.get("kind")), segments, seal, self.key)
        for problem in problems:
            self.problem(f"{where}: {problem}")
        # Where each segment is in the bag: the index says (a bundle names its recordings'
        # folders for people); a bundle from before that keeps them under their keys.
        paths = {s["seq"]: s["path"] for s in _dicts(entry.get("segments"))
                 if type(s.get("seq")) is int and isinstance(s.get("path"), str)}
        located: dict[int, str] = {}
        for segment in segments:
            seq = segment.get("seq")
            file = paths[seq] if type(seq) is int and seq in paths else f"data/{segment.get('key')}"
            if type(seq) is int:
                located[seq] = file
            if file not in self.present:
                self.problem(f"{file}: missing ({where}, segment {segment.get('seq')})")
            elif self._hash(file) is None:
                continue  # named already
            elif self.hashes[file] != segment.get("sha256") or self.sizes[file] != segment.get("size"):
                self.problem(f"{file}: its bytes are not the segment its chain names "
                             f"({where}, segment {segment.get('seq')})")
        made = self.json_object(bag.INDEX, f"recording {entry.get('id')}'s playable", entry.get("playable"))
        if made:
            playable.check(self, made, segments, located, where, self.report.notes)

    def _records(self, items: list[dict[str, Any]]) -> None:
        versions: dict[str, dict[str, Any]] = {}
        for path in _paths(items, "record"):
            content = self._document(path)
            if content:
                versions[chain.canonical_sha256(content)] = content
        signatures = {i["sha256"]: str(i.get("path")) for i in items
                      if i.get("kind") == "signature" and isinstance(i.get("sha256"), str)}
        # Each version's text as stored when it was saved (its bytes are checked against
        # this hash with every item's): what its parties read, never rendered again here.
        for item in items:
            observed = item.get("observed") if isinstance(item.get("observed"), dict) else {}
            if (item.get("kind") == "record-text" and isinstance(observed.get("record_sha256"), str)
                    and isinstance(item.get("sha256"), str)):
                self.texts.setdefault(observed["record_sha256"], item["sha256"])
        for path in _paths(items, "confirmation"):
            self.guarded(path, self._confirmation, path, versions, signatures)
        for path in _paths(items, "officer-signature"):
            self.guarded(path, self._confirmation, path, versions, signatures, True)

    def _confirmation(self, path: str, versions: dict[str, dict[str, Any]],
                      signatures: dict[str, str], officer: bool = False) -> None:
        """A party's confirmation or refusal, or an officer's signature beside it (the same
        checks, without a decision)."""
        document = self._document(path)
        if document is None:
            return
        stated = self.json_object(path, '"statement"', document.get("statement"))
        if officer:
            who = stated.get("officer") if isinstance(stated.get("officer"), dict) else {}
            what = f"signed by officer {who.get('name')}"
        else:
            what = f"{stated.get('decision')} by {stated.get('name')}"
        where = f"{path}: {what} (version {stated.get('version')})"
        record = str(stated.get("record_sha256"))
        png_path = signatures.get(str(stated.get("signature_sha256")))
        png = self.read(png_path, SIGNATURE_LIMIT) if png_path in self.present else None
        if self.key is None:
            return
        check = confirmation.check_officer if officer else confirmation.check
        problems = check(
            stated, str(document.get("server_signature", "")), self.key,
            record_sha256=record if record in versions else "",
            text_sha256=self._text_sha256(record, versions[record]) if record in versions else "",
            signature_png=png)
        for problem in problems:
            self.problem(f"{where}: {problem}")

    def _chats(self, items: list[dict[str, Any]]) -> None:
        """Each interview's text chat: its lines chained from the interview's own start, as
        many as its item recorded, ending at the head it named."""
        for item in items:
            path = str(item.get("path"))
            if item.get("kind") != "chat" or path not in self.present:
                continue  # a missing file is named with the items
            data = self.read(path, READ_LIMIT)
            observed = item.get("observed") if isinstance(item.get("observed"), dict) else {}
            count = observed.get("messages") if type(observed.get("messages")) is int else None
            head = observed.get("head") if isinstance(observed.get("head"), str) else None
            if data is not None:
                for problem in chat.check(str(item.get("interview_id")), data, count=count, head=head):
                    self.problem(f"{path}: chat log: {problem}")

    def _text_sha256(self, record: str, content: dict[str, Any]) -> str:
        """The hash of a version's stored text. A bundle made before texts were stored has
        none: the text is then rendered, once however many confirmations name it (and if it
        cannot be, named by each of them, still rendered once)."""
        if record not in self.texts:
            if self.render_text is None:
                raise ValueError("the bundle holds no stored text of the version it confirms")
            try:
                text = self.render_text(content)
                self.texts[record] = hashlib.sha256(text.encode("utf-8")).hexdigest()
            except Exception as exc:  # hostile content; raised again for each confirmation
                self.texts[record] = exc
        text = self.texts[record]
        if isinstance(text, Exception):
            raise text
        return text

    def _custody(self, case_id: str) -> None:
        if bag.CUSTODY_EVENTS not in self.present:
            self.problem(f"{bag.CUSTODY_EVENTS}: missing")
            return
        events = self._lines(bag.CUSTODY_EVENTS)
        if events is None:
            return
        self.custody_events = events
        points = self.json_objects(bag.CUSTODY_CHECKPOINTS, "its content",
                                   self._json(bag.CUSTODY_CHECKPOINTS))
        self.report.counts["custody events"] = len(events)
        for problem in custody.check_log(case_id, events, points, self.key):
            self.problem(f"{bag.CUSTODY_EVENTS}: {problem}")
        last = max((p["seq"] for p in points if custody.is_seq(p.get("seq"))), default=0)
        if len(events) > last:
            self.problem(f"{bag.CUSTODY_EVENTS}: events {last + 1}–{len(events)} come after the last "
                         "signed checkpoint (added after export?)")


    def _lines(self, path: str) -> list[Any] | None:
        """The JSON values of a JSON-lines file (each line that is not JSON named)."""
        text = self.read(path, READ_LIMIT)
        if text is None:
            return None
        out: list[Any] = []
        for number, line in enumerate(text.decode("utf-8", "replace").splitlines(), 1):
            try:
                out.append(json.loads(line))
            except (ValueError, RecursionError):
                self.problem(f"{path}: line {number} is not JSON")
        return out

    def _complaints(self, complaints: list[dict[str, Any]]) -> None:
        calendar = None
        document = self._document(bag.CALENDAR) if bag.CALENDAR in self.present else None
        if document is None:
            self.problem(f"{bag.CALENDAR}: missing (the working days of the complaints' deadlines)")
        else:
            try:
                calendar = complaint_check.read_calendar(document)
            except ValueError as exc:
                self.problem(f"{bag.CALENDAR}: {exc}")
        exports = [e for e in self.custody_events if isinstance(e, dict) and e.get("action") == "exported"]
        detail = self.json_object(bag.CUSTODY_EVENTS, "the export event's detail",
                                  exports[-1].get("detail") if exports else None)
        pinned = {str(p.get("id")): p for p in self.json_objects(
            bag.CUSTODY_EVENTS, "the export event's complaints", detail.get("complaints"))}
        linked = {str(e["detail"].get("complaint_id")): e["detail"] for e in self.custody_events
                  if isinstance(e, dict) and e.get("action") == "complaint_linked"
                  and isinstance(e.get("detail"), dict)}
        for entry in complaints:
            cid, path = str(entry.get("id")), str(entry.get("events"))
            where = f"complaint {entry.get('number')}"
            if not path.startswith("data/complaints/") or path not in self.present:
                self.problem(f"{path}: missing ({where}'s log)")
                continue
            events = self._lines(path)
            if events is None:
                continue
            points_path = str(entry.get("checkpoints"))
            points = self.json_objects(points_path, "its content", self._json(points_path)) \
                if points_path.startswith("data/complaints/") and points_path in self.present else []
            problems, note = complaint_check.check(cid, events, points=points, key=self.key,
                                                   pinned=pinned.get(cid), linked=linked.get(cid),
                                                   calendar=calendar)
            for problem in problems:
                self.problem(f"{path}: {problem} ({where})")
            if note:
                self.report.notes.append(f"{where}: {note}")


def _paths(items: list[dict[str, Any]], kind: str) -> list[str]:
    """The files of the items of `kind`, each once (a repeat is named in `_items`)."""
    return list(dict.fromkeys(str(i.get("path")) for i in items if i.get("kind") == kind))


def _is_tag_file(path: str) -> bool:
    return not path.startswith("data/") and path not in (bag.SIGNED, bag.SIGNATURE)


def _is_payload(path: str) -> bool:
    return path.startswith("data/")


def _raw(pem: bytes) -> bytes:
    try:
        key = serialization.load_pem_public_key(pem)
        return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        return pem
