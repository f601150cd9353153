"""Every record confirmation and officer's signature against the version and the stored
text it binds, and every interview's text chat log."""

from __future__ import annotations

import hashlib
from typing import Any

from evidence import chain, chat, confirmation
from evidence.reader import SIGNATURE_LIMIT, READ_LIMIT
from evidence.verify.state import CheckerState


class RecordChecks(CheckerState):
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
            self.problem(problem.within(where))

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
                    self.problem(problem.within("chat log").within(path))

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


def _paths(items: list[dict[str, Any]], kind: str) -> list[str]:
    """The files of the items of `kind`, each once (a repeat is named in `_items`)."""
    return list(dict.fromkeys(str(i.get("path")) for i in items if i.get("kind") == kind))
