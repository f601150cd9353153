"""Checking an evidence bundle offline: no server, no database, only the bundle and,
ideally, a public key obtained elsewhere.

Checks, each discrepancy named by the file or item it concerns:
- the bag: required files, the signature over the tag manifest, every tag and payload
  hash, no file that is not listed, Payload-Oxum;
- every item of the index against its bytes (the SHA-256 taken on arrival);
- every recording's hash chain, its segments' bytes and its signed seal;
- every record confirmation against the version and the text it binds, and its
  signature image;
- the custody log's chain and its signed checkpoints, the last of which must cover the
  whole log.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from evidence import bundle as bag
from evidence import chain, confirmation, custody
from transcription.record import content_sha256, text_sha256

CHUNK = 1 << 20


class Source(Protocol):
    def files(self) -> list[str]: ...
    def read(self, path: str) -> bytes: ...
    def chunks(self, path: str) -> Iterator[bytes]: ...


class ZipSource:
    """A zipped bag: its files relative to the bag's folder inside the zip."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self._zip = zipfile.ZipFile(path)
        names = [n for n in self._zip.namelist() if not n.endswith("/")]
        self._root = _bag_root(names)
        self._names: dict[str, str] = {}
        for name in names:
            relative = name[len(self._root):]
            parts = PurePosixPath(relative).parts
            if name.startswith("/") or ".." in parts:
                problems.append(f"{name}: a path that leaves the bag")
            elif relative in self._names:
                problems.append(f"{relative}: appears twice in the zip")
            elif not name.startswith(self._root):
                problems.append(f"{name}: outside the bag's folder")
            else:
                self._names[relative] = name

    def files(self) -> list[str]:
        return sorted(self._names)

    def read(self, path: str) -> bytes:
        return self._zip.read(self._names[path])

    def chunks(self, path: str) -> Iterator[bytes]:
        with self._zip.open(self._names[path]) as member:
            while chunk := member.read(CHUNK):
                yield chunk


class DirSource:
    """An extracted bag: the folder itself, or the one folder inside it that is a bag."""

    def __init__(self, path: Path) -> None:
        inner = [p for p in path.iterdir() if p.is_dir() and (p / "bagit.txt").exists()]
        self._root = path if (path / "bagit.txt").exists() or len(inner) != 1 else inner[0]

    def files(self) -> list[str]:
        return sorted(p.relative_to(self._root).as_posix() for p in self._root.rglob("*")
                      if p.is_file() or p.is_symlink())

    def read(self, path: str) -> bytes:
        return (self._root / path).read_bytes()

    def chunks(self, path: str) -> Iterator[bytes]:
        with open(self._root / path, "rb") as handle:
            while chunk := handle.read(CHUNK):
                yield chunk


def _bag_root(names: list[str]) -> str:
    if "bagit.txt" in names:
        return ""
    tops = {n.split("/", 1)[0] for n in names}
    if len(tops) == 1:
        return f"{tops.pop()}/"
    return ""


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    case: str = ""
    key_source: str = ""
    key_sha256: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        parts = ", ".join(f"{v} {k}" for k, v in self.counts.items())
        return (f"OK {self.case}: {parts}; signed by Ed25519 key sha256:{self.key_sha256[:16]}… "
                f"({self.key_source})")


def verify(path: Path, public_key_pem: bytes | None = None) -> Report:
    report = Report()
    try:
        source: Source = DirSource(path) if path.is_dir() else ZipSource(path, report.problems)
    except (zipfile.BadZipFile, OSError) as exc:
        report.problems.append(f"{path}: not a readable zip or folder ({exc})")
        return report
    _Checker(source, report, public_key_pem).run()
    return report


class _Checker:
    def __init__(self, source: Source, report: Report, given_key: bytes | None) -> None:
        self.source, self.report, self.given_key = source, report, given_key
        self.present = set(source.files())
        self.hashes: dict[str, str] = {}
        self.sizes: dict[str, int] = {}
        self.key: Ed25519PublicKey | None = None

    def problem(self, text: str) -> None:
        self.report.problems.append(text)

    def run(self) -> None:
        required = ("bagit.txt", "bag-info.txt", "manifest-sha256.txt", bag.SIGNED, bag.SIGNATURE,
                    bag.INDEX, bag.PUBLIC_KEY)
        for name in required:
            if name not in self.present:
                self.problem(f"{name}: missing")
        self._key()
        self._signature()
        tags = self._manifest(bag.SIGNED, lambda p: not p.startswith("data/")
                              and p not in (bag.SIGNED, bag.SIGNATURE))
        payload = self._manifest("manifest-sha256.txt", lambda p: p.startswith("data/"))
        if tags is not None and payload is not None:
            self._oxum(payload)
        index = self._json(bag.INDEX)
        if not isinstance(index, dict):
            return
        self.report.case = str((index.get("case") or {}).get("number", ""))
        for item in index.get("export_problems") or []:
            self.problem(f"{item.get('path')}: left out at export: {item.get('problem')}")
        items = [i for i in index.get("items") or [] if isinstance(i, dict)]
        self._items(items)
        self._recordings(index.get("recordings") or [])
        self._records(items)
        self._custody(str((index.get("case") or {}).get("id", "")))
        self.report.counts = {
            "files": len([p for p in self.present if p.startswith("data/")]),
            "items": len(items), "recordings": len(index.get("recordings") or []),
            "segments": sum(len(r.get("segments") or []) for r in index.get("recordings") or []),
            "confirmations": sum(1 for i in items if i.get("kind") == "confirmation"),
            "custody events": self.report.counts.get("custody events", 0),
        }

    # --- the bag --------------------------------------------------------------------

    def _key(self) -> None:
        inside = self.source.read(bag.PUBLIC_KEY) if bag.PUBLIC_KEY in self.present else None
        pem = self.given_key or inside
        self.report.key_source = "the key given" if self.given_key else \
            "the key inside the bundle; pass --public-key to check against a key you trust"
        if pem is None:
            return
        self.report.key_sha256 = hashlib.sha256(pem).hexdigest()
        try:
            key = serialization.load_pem_public_key(pem)
        except ValueError:
            self.problem("public key: not a PEM public key")
            return
        if not isinstance(key, Ed25519PublicKey):
            self.problem("public key: not an Ed25519 key")
            return
        self.key = key
        if self.given_key and inside is not None and _raw(inside) != _raw(self.given_key):
            self.problem(f"{bag.PUBLIC_KEY}: not the public key given (the bundle names another signer)")

    def _signature(self) -> None:
        if self.key is None or bag.SIGNED not in self.present or bag.SIGNATURE not in self.present:
            return
        try:
            self.key.verify(self.source.read(bag.SIGNATURE), self.source.read(bag.SIGNED))
        except (InvalidSignature, ValueError):
            self.problem(f"{bag.SIGNATURE}: the signature over {bag.SIGNED} does not verify "
                         "with the public key")

    def _manifest(self, name: str, covers: Any) -> dict[str, str] | None:
        if name not in self.present:
            return None
        listed: dict[str, str] = {}
        for number, line in enumerate(self.source.read(name).decode("utf-8", "replace").splitlines(), 1):
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
            elif self._hash(path) != digest:
                self.problem(f"{path}: its SHA-256 does not match {name} (altered)")
        for path in sorted(self.present):
            if covers(path) and path not in listed:
                self.problem(f"{path}: a file that {name} does not list")
        return listed

    def _oxum(self, payload: dict[str, str]) -> None:
        info = self.source.read("bag-info.txt").decode("utf-8", "replace") \
            if "bag-info.txt" in self.present else ""
        for line in info.splitlines():
            if line.startswith("Payload-Oxum:"):
                size = sum(self.sizes.get(p, 0) for p in payload)
                if line.split(":", 1)[1].strip() != f"{size}.{len(payload)}":
                    self.problem("bag-info.txt: Payload-Oxum does not match the payload")

    def _hash(self, path: str) -> str:
        if path not in self.hashes:
            digest, size = hashlib.sha256(), 0
            for chunk in self.source.chunks(path):
                digest.update(chunk)
                size += len(chunk)
            self.hashes[path], self.sizes[path] = digest.hexdigest(), size
        return self.hashes[path]

    def _json(self, path: str) -> Any:
        if path not in self.present:
            return None
        try:
            return json.loads(self.source.read(path))
        except ValueError:
            self.problem(f"{path}: not readable JSON")
            return None

    # --- items, recordings, records -------------------------------------------------

    def _items(self, items: list[dict[str, Any]]) -> None:
        for item in items:
            path, where = str(item.get("path", "")), f"{item.get('kind')} item {item.get('id')}"
            if path not in self.present:
                self.problem(f"{path}: missing ({where})")
            elif self._hash(path) != item.get("sha256"):
                self.problem(f"{path}: its bytes are not those hashed on arrival ({where})")

    def _recordings(self, recordings: list[dict[str, Any]]) -> None:
        for entry in recordings:
            manifest = self._json(str(entry.get("manifest", "")))
            if not isinstance(manifest, dict):
                continue
            where = f"recording {entry.get('id')} ({entry.get('participant')}, {entry.get('kind')})"
            about = manifest.get("recording") or {}
            segments = manifest.get("segments") or []
            seal_fields = {k: v for k, v in (manifest.get("seal") or {}).items() if k != "algorithm"}
            try:
                seal = chain.Seal(**seal_fields) if seal_fields else None
            except TypeError:
                seal = None
            if about.get("id") != entry.get("id"):
                self.problem(f"{where}: its manifest is for another recording")
            problems = chain.check_chain(
                str(about.get("id")), str(about.get("interview_id")),
                str((about.get("participant") or {}).get("id")), str(about.get("kind")),
                segments, seal, self.key)
            self.report.problems.extend(f"{where}: {p}" for p in problems)
            for segment in segments:
                path = f"data/{segment.get('key')}"
                if path not in self.present:
                    self.problem(f"{path}: missing ({where}, segment {segment.get('seq')})")
                elif self._hash(path) != segment.get("sha256") or self.sizes[path] != segment.get("size"):
                    self.problem(f"{path}: its bytes are not the segment its chain names "
                                 f"({where}, segment {segment.get('seq')})")

    def _records(self, items: list[dict[str, Any]]) -> None:
        versions: dict[str, dict[str, Any]] = {}
        for item in items:
            if item.get("kind") == "record":
                content = self._json(str(item.get("path")))
                if isinstance(content, dict):
                    versions[content_sha256(content)] = content
        signatures = {i.get("sha256"): str(i.get("path")) for i in items if i.get("kind") == "signature"}
        for item in items:
            if item.get("kind") != "confirmation":
                continue
            document = self._json(str(item.get("path")))
            if not isinstance(document, dict):
                continue
            stated = document.get("statement") or {}
            where = (f"{item.get('path')}: {stated.get('decision')} by {stated.get('name')} "
                     f"(version {stated.get('version')})")
            content = versions.get(str(stated.get("record_sha256")))
            png_path = signatures.get(stated.get("signature_sha256"))
            png = self.source.read(png_path) if png_path in self.present else None
            if self.key is None:
                continue
            problems = confirmation.check(
                stated, str(document.get("server_signature", "")), self.key,
                record_sha256=content_sha256(content) if content else "",
                text_sha256=text_sha256(content) if content else "", signature_png=png)
            self.report.problems.extend(f"{where}: {p}" for p in problems)

    def _custody(self, case_id: str) -> None:
        if bag.CUSTODY_EVENTS not in self.present:
            self.problem(f"{bag.CUSTODY_EVENTS}: missing")
            return
        events: list[Any] = []
        for number, line in enumerate(self.source.read(bag.CUSTODY_EVENTS).decode("utf-8", "replace")
                                      .splitlines(), 1):
            try:
                events.append(json.loads(line))
            except ValueError:
                self.problem(f"{bag.CUSTODY_EVENTS}: line {number} is not JSON")
        points = self._json(bag.CUSTODY_CHECKPOINTS)
        points = [p for p in points if isinstance(p, dict)] if isinstance(points, list) else []
        self.report.counts["custody events"] = len(events)
        self.report.problems.extend(
            f"{bag.CUSTODY_EVENTS}: {p}" for p in custody.check_log(case_id, events, points, self.key))
        last = max((p.get("seq", 0) for p in points), default=0)
        if len(events) > last:
            self.problem(f"{bag.CUSTODY_EVENTS}: events {last + 1}–{len(events)} come after the last "
                         "signed checkpoint (added after export?)")


def _raw(pem: bytes) -> bytes:
    try:
        key = serialization.load_pem_public_key(pem)
        return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    except (ValueError, TypeError):
        return pem
