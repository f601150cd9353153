"""The custody log's chain and its signed checkpoints, and each complaint log the bundle
carries."""

from __future__ import annotations

import json
from typing import Any

from evidence import bundle as bag
from evidence import complaint_check, custody
from evidence.discrepancy import Discrepancy, Kind
from evidence.reader import READ_LIMIT
from evidence.verify.state import CheckerState


class LogChecks(CheckerState):
    def _custody(self, case_id: str) -> None:
        if bag.CUSTODY_EVENTS not in self.present:
            self.problem(Discrepancy(Kind.MISSING, bag.CUSTODY_EVENTS, "missing"))
            return
        events = self._lines(bag.CUSTODY_EVENTS)
        if events is None:
            return
        self.custody_events = events
        points = self.json_objects(bag.CUSTODY_CHECKPOINTS, "its content",
                                   self._json(bag.CUSTODY_CHECKPOINTS))
        self.report.counts["custody events"] = len(events)
        for problem in custody.check_log(case_id, events, points, self.key):
            self.problem(problem.within(bag.CUSTODY_EVENTS))
        last = max((p["seq"] for p in points if custody.is_seq(p.get("seq"))), default=0)
        if len(events) > last:
            self.problem(Discrepancy(Kind.UNSEALED, bag.CUSTODY_EVENTS, f"events {last + 1}–{len(events)} "
                                     "come after the last signed checkpoint (added after export?)"))

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
                self.problem(Discrepancy(Kind.MALFORMED, path, f"line {number} is not JSON"))
        return out

    def _complaints(self, complaints: list[dict[str, Any]]) -> None:
        calendar = None
        document = self._document(bag.CALENDAR) if bag.CALENDAR in self.present else None
        if document is None:
            self.problem(Discrepancy(Kind.MISSING, bag.CALENDAR,
                                     "missing (the working days of the complaints' deadlines)"))
        else:
            try:
                calendar = complaint_check.read_calendar(document)
            except ValueError as exc:
                self.problem(Discrepancy(Kind.MALFORMED, bag.CALENDAR, str(exc)))
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
                self.problem(Discrepancy(Kind.MISSING, path, f"missing ({where}'s log)"))
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
                self.problem(problem.noting(where).within(path))
            if note:
                self.report.notes.append(f"{where}: {note}")
