"""Every word a page shows exists in Chinese and English, and reaches the page: a key
used by a script or a page's markup is defined in i18n.js or in a text module that the
script (or the page's entry script) imports. Read from the files as served."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

STATIC = Path(__file__).resolve().parents[1] / "web" / "static"

ENTRY = re.compile(r"^\s*'([a-zA-Z][\w.-]*)': \{ zh: '(?:[^'\\]|\\.)+', en: ('|\")(?:(?!\2)[^\\]|\\.)+\2 \},$")
KEY_LINE = re.compile(r"^\s*'([a-zA-Z][\w.-]*)': \{")
IMPORT = re.compile(r"^import (?:[^'\n]* from )?'\./([\w-]+\.js)';", re.M)
USED_IN_JS = re.compile(r"\bt\(\s*'([a-zA-Z][\w.-]*)'|\bt\(\s*`([a-zA-Z][\w.-]*)`")
USED_IN_HTML = re.compile(r'data-i18n(?:-[a-z]+)?="([^"]+)"')
MODULE_SCRIPT = re.compile(r'<script type="module" src="/static/([\w-]+\.js)"')


@cache
def tables() -> dict[str, dict[str, int]]:
    """Each file's string table: key → line number. A malformed entry fails here."""
    found: dict[str, dict[str, int]] = {}
    for path in sorted(STATIC.glob("*.js")):
        text = path.read_text(encoding="utf-8")
        if "const STRINGS = {" not in text and "addStrings({" not in text:
            continue
        table: dict[str, int] = {}
        for number, line in enumerate(text.splitlines(), 1):
            if KEY_LINE.match(line):
                match = ENTRY.match(line)
                assert match, f"{path.name}:{number} is not a one-line {{ zh, en }} entry"
                assert match[1] not in table, f"{path.name}:{number}: {match[1]} twice"
                table[match[1]] = number
        found[path.name] = table
    return found


@cache
def imports(name: str) -> frozenset[str]:
    """`name` and every module it imports, transitively."""
    seen = {name}
    todo = [name]
    while todo:
        for child in IMPORT.findall((STATIC / todo.pop()).read_text(encoding="utf-8")):
            if child not in seen:
                seen.add(child)
                todo.append(child)
    return frozenset(seen)


def defined_for(module: str) -> set[str]:
    reach = imports(module)
    return {key for name, table in tables().items() if name in reach for key in table}


def test_every_entry_has_both_languages_and_no_key_is_defined_twice() -> None:
    owners: dict[str, str] = {}
    for name, table in tables().items():
        for key in table:
            assert key not in owners, f"{key} is defined in {owners[key]} and {name}"
            owners[key] = name
    assert "i18n.js" in owners.values() and len(owners) > 400


def test_every_key_a_script_uses_reaches_it() -> None:
    missing = []
    for path in sorted(STATIC.glob("*.js")):
        known = defined_for(path.name)
        for plain, template in USED_IN_JS.findall(path.read_text(encoding="utf-8")):
            key = plain or template
            if key not in known:
                missing.append(f"{path.name}: {key}")
    assert missing == []


def test_every_key_a_page_marks_up_reaches_it() -> None:
    missing = []
    for page in sorted(STATIC.glob("*.html")):
        html = page.read_text(encoding="utf-8")
        entries = MODULE_SCRIPT.findall(html)
        assert entries, f"{page.name} loads no module script"
        known = set().union(*(defined_for(entry) for entry in entries))
        missing += [f"{page.name}: {key}" for key in USED_IN_HTML.findall(html) if key not in known]
    assert missing == []


def test_the_check_sees_a_key_that_would_not_reach_its_page(tmp_path: Path) -> None:
    """The record card's words reach the join page only through join-record.js."""
    assert "jr.card.title" in defined_for("join.js")
    assert "jr.card.title" not in defined_for("console.js")
    assert "rd.heading" not in defined_for("join.js")


def test_every_error_code_the_server_answers_is_worded_in_both_languages() -> None:
    """A Chinese page never shows the server's English sentence: each code has its words
    in error-text.js (which api.js, and so every page, imports)."""
    server = Path(__file__).resolve().parents[1] / "server"
    sent = set()
    for path in server.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        sent |= set(re.findall(r'\bcode="([a-z_]+)"', text))
        sent |= set(re.findall(r'\bcode, status = "([a-z_]+)"', text))
        sent |= set(re.findall(r'error_response\(\d+, "([a-z_]+)"', text))
        sent |= set(re.findall(r'"(complaints_from_[a-z]+)"', text))
    sent |= {"not_found", "method_not_allowed", "too_large"}  # the HTTP errors' own codes
    worded = {key.removeprefix("code.") for key in tables()["error-text.js"] if key.startswith("code.")}
    assert sent - worded == set()
    assert "error-text.js" in imports("api.js")
    assert len(sent) > 80
