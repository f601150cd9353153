"""One bundle's checks in order: the bag, the items, the recordings, the records, the
chat logs, the custody log and the complaints."""

from __future__ import annotations

from evidence import bundle as bag
from evidence.discrepancy import Discrepancy, Kind
from evidence.verify.bag import BagChecks, is_payload, is_tag_file
from evidence.verify.logs import LogChecks
from evidence.verify.recordings import RecordingChecks
from evidence.verify.records import RecordChecks


class Checker(BagChecks, RecordingChecks, RecordChecks, LogChecks):
    def run(self) -> None:
        required = ("bagit.txt", "bag-info.txt", "manifest-sha256.txt", bag.SIGNED, bag.SIGNATURE,
                    bag.INDEX, bag.PUBLIC_KEY)
        for name in required:
            if name not in self.present:
                self.problem(Discrepancy(Kind.MISSING, name, "missing"))
        self.guarded("public key", self._key)
        self.guarded(bag.SIGNATURE, self._signature)
        index = self._document(bag.INDEX)
        self.guarded(bag.INDEX, self._claims, index)
        tags = self.guarded(bag.SIGNED, self._manifest, bag.SIGNED, is_tag_file)
        payload = self.guarded("manifest-sha256.txt", self._manifest, "manifest-sha256.txt", is_payload)
        if tags is not None and payload is not None:
            self.guarded("bag-info.txt", self._oxum, payload)
        if index is None:
            return
        case = self.json_object(bag.INDEX, '"case"', index.get("case"))
        self.report.case = str(case.get("number", ""))
        for item in self.json_objects(bag.INDEX, '"export_problems"', index.get("export_problems")):
            self.problem(Discrepancy(Kind.MISSING, str(item.get("path")),
                                     f"left out at export: {item.get('problem')}"))
        for item in self.json_objects(bag.INDEX, '"store_problems"', index.get("store_problems")):
            self.problem(Discrepancy(Kind.UNEXPECTED, str(item.get("path")),
                                     f"in the object store at export, {item.get('problem')} "
                                     "(the bundle holds the version stored on arrival)"))
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
