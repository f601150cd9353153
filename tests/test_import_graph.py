"""The house's import graph runs one way: `server` builds on `media`, `transcription` and
`evidence`; `media` and `transcription` build on `evidence` only; `evidence` imports none
of them. Read from the source (every import, also those inside functions)."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("server", "media", "transcription", "evidence")
ALLOWED = {
    "server": {"media", "transcription", "evidence"},
    "media": {"evidence"},
    "transcription": {"evidence"},
    "evidence": set(),
}


def imported_modules(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def imported_packages(path: Path) -> set[str]:
    return {name.split(".")[0] for name in imported_modules(path)} & set(PACKAGES)


def graph() -> dict[tuple[str, str], list[str]]:
    edges: dict[tuple[str, str], list[str]] = defaultdict(list)
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            for target in imported_packages(path) - {package}:
                edges[(package, target)].append(str(path.relative_to(ROOT)))
    return edges


def test_every_package_imports_only_what_it_builds_on() -> None:
    wrong = {edge: files for edge, files in graph().items() if edge[1] not in ALLOWED[edge[0]]}
    assert wrong == {}, "\n".join(f"{a} imports {b}: {', '.join(files)}" for (a, b), files in wrong.items())


def test_the_graph_is_read_from_the_source(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("import media.webm\nfrom server.app import x\nfrom . import y\n"
                      "def f():\n    from transcription import record\n")
    assert imported_packages(module) == {"media", "server", "transcription"}
    assert ("server", "media") in graph()  # the edges that should be there are seen


def test_handlers_are_imported_only_by_the_app() -> None:
    """The view layer is the top: nothing but the app (and the views themselves) imports
    it, so a bundle or a service never reaches into a handler's helpers."""
    users = []
    for path in sorted((ROOT / "server").rglob("*.py")):
        relative = path.relative_to(ROOT)
        if relative.parts[1] == "views" or relative.name == "app.py":
            continue
        if any(name == "server.views" or name.startswith("server.views.")
               for name in imported_modules(path)):
            users.append(str(relative))
    assert users == []


def test_services_build_on_no_part_of_the_live_server() -> None:
    """Services hold the rules and transactions; the recording worker, the transcription
    runner and the app build on them, never the other way round."""
    above = ("server.recording", "server.transcribe", "server.app", "server.supervisor")
    users = [str(path.relative_to(ROOT)) for path in sorted((ROOT / "server" / "services").rglob("*.py"))
             if any(name == top or name.startswith(top + ".")
                    for name in imported_modules(path) for top in above)]
    assert users == []
