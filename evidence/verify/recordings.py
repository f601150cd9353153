"""Every item of the index against its bytes, and every recording: its hash chain, its
segments' bytes, its signed seal and its playable file."""

from __future__ import annotations

from collections import Counter
from typing import Any

from evidence import bundle as bag
from evidence import chain, playable
from evidence import manifest as recording_manifest
from evidence.discrepancy import Discrepancy, Kind
from evidence.reader import _dicts
from evidence.verify.state import CheckerState


class RecordingChecks(CheckerState):
    def _items(self, items: list[dict[str, Any]]) -> None:
        for item in items:
            path, where = str(item.get("path", "")), f"{item.get('kind')} item {item.get('id')}"
            if path not in self.present:
                self.problem(Discrepancy(Kind.MISSING, path, f"missing ({where})"))
            elif self._differs(path, item.get("sha256")):
                self.problem(Discrepancy(Kind.ALTERED, path,
                                         f"its bytes are not those hashed on arrival ({where})"))
        for path, count in Counter(i["path"] for i in items if isinstance(i.get("path"), str)).items():
            if count > 1:
                self.problem(Discrepancy(Kind.MALFORMED, path, f"named by {count} items of the index "
                                         "(each file is one item); checked once"))

    def _recording(self, entry: dict[str, Any]) -> None:
        path = str(entry.get("manifest", ""))
        if path in self.manifests:
            self.problem(Discrepancy(Kind.MALFORMED, f"recording {entry.get('id')}",
                                     f"its manifest {path} is also recording {self.manifests[path]}'s; "
                                     "not checked again"))
            return
        self.manifests[path] = str(entry.get("id"))
        manifest = self._document(path)
        if manifest is None:
            return
        where = f"recording {entry.get('id')} ({entry.get('participant')}, {entry.get('kind')})"
        about = self.json_object(path, '"recording"', manifest.get("recording"))
        segments = self.json_objects(path, '"segments"', manifest.get("segments"))
        seal = recording_manifest.seal_of(self.json_object(path, '"seal"', manifest.get("seal")))
        if about.get("id") != entry.get("id"):
            self.problem(Discrepancy(Kind.DIFFERS, where, "its manifest is for another recording"))
        participant = self.json_object(path, '"participant"', about.get("participant"))
        problems = chain.check_chain(
            str(about.get("id")), str(about.get("interview_id")), str(participant.get("id")),
            str(about.get("kind")), segments, seal, self.key)
        for problem in problems:
            self.problem(problem.within(where))
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
                self.problem(Discrepancy(Kind.MISSING, file,
                                         f"missing ({where}, segment {segment.get('seq')})"))
            elif self._hash(file) is None:
                continue  # named already
            elif self.hashes[file] != segment.get("sha256") or self.sizes[file] != segment.get("size"):
                self.problem(Discrepancy(Kind.ALTERED, file, "its bytes are not the segment its chain names "
                                         f"({where}, segment {segment.get('seq')})"))
        made = self.json_object(bag.INDEX, f"recording {entry.get('id')}'s playable", entry.get("playable"))
        if made:
            playable.check(self, made, segments, located, where, self.report.notes)
