"""Where `zeromeet verify` reads a bag from: a zip or an extracted folder, both taken as
hostile.

The verifier runs on whatever file a clerk was handed, so reading is where most attacks
land. A file is read whole only within a size the caller states (a small zip can inflate
to gigabytes), and a member that cannot be read (damaged, encrypted, an unknown
compression) is an `Unreadable` the caller names, not a crash. Bytes of a zip that
belong to no member — another archive prepended, or hidden between members or after
the end — are named: zipfile skips them silently. Members that share bytes (the
"overlapping files" zip bomb: many directory entries, one huge deflate stream) are named
and never inflated, so the work of reading a zip grows with its size, not with members ×
stream; nor are bzip2 or LZMA members, which zipfile inflates without bound in one call.
How far a member is inflated is for the caller to bound: `chunks` yields a megabyte at a
time, and the caller stops once it has had what the bundle claims. A caller that reads
through `Kept` reads each file once, however often the bundle's index names it; and
whatever the caller does, a zip gives out no more than `INFLATE_RATIO` times its own size
in all, which no zip whose members are each read once reaches. In a folder only regular
files are listed and opened: a FIFO or a link to /dev/zero would hang the hash, and a
link can point outside the bag.
"""

from __future__ import annotations

import os
import stat
import struct
import zipfile
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import IO, BinaryIO, Protocol

from evidence.discrepancy import Discrepancy, Kind

CHUNK = 1 << 20
_HIDDEN = "(another archive may be hidden there)"
_END_RECORD = b"PK\x05\x06"
_DESCRIPTOR = b"PK\x07\x08"
_ZIP64_EXTRA = 0x0001
# zipfile hands bzip2 and LZMA data to the decompressor without a bound on what comes
# out: a few hundred bytes of bzip2 are a gigabyte in one call. The bundle writer stores.
_UNBOUNDED = {zipfile.ZIP_BZIP2: "bzip2", zipfile.ZIP_LZMA: "LZMA"}
# Deflate gives out at most 1032 bytes a byte (a 258-byte match in a 2-bit code), stored
# data one, and members that share bytes are never read: so a zip whose members are each
# read once gives out less than this many times its size, and one that would give out
# more is being read over and over. Everything read from one zip counts against it.
INFLATE_RATIO = 1100
# What `Kept` holds for a second read: far more than a real bundle's JSON and signature
# images, far less than the inflate budget of a hostile zip of a few megabytes.
KEEP_LIMIT = 256 << 20


class Unreadable(Exception):
    """A file of the bag that cannot be read; its text says why, for a discrepancy line."""


class TooLarge(Unreadable):
    """A file refused whole for its size: it may still be streamed (hashed)."""


class Source(Protocol):
    problems: list[Discrepancy]  # found while listing the files: bad names, zip layout, links

    def files(self) -> list[str]: ...
    def read(self, path: str, limit: int) -> bytes: ...
    def chunks(self, path: str) -> Generator[bytes, None, None]: ...


def open_source(path: Path) -> Source:
    """The bag at `path`, a folder or a zip file. Raises whatever zipfile raises on a
    file that is no zip; `Unreadable` for a FIFO, a device or the like."""
    if path.is_dir():
        return DirSource(path)
    if not path.is_file():
        raise Unreadable("neither a file nor a folder")
    return ZipSource(path)


def too_large(size: int, limit: int) -> TooLarge:
    return TooLarge(f"{size} bytes, more than the {limit} it may have; not read")


class Kept:
    """`source`, each of whose files is read from it once where it can be: what is read
    whole is kept, and so is what is streamed of a file that is `want`ed whole later, up
    to KEEP_LIMIT bytes in all. Past that a file is read again, which the zip's inflate
    budget still bounds."""

    def __init__(self, source: Source) -> None:
        self.source, self.problems = source, source.problems
        self._wanted: dict[str, int] = {}  # path: the most of it kept while streaming
        self._kept: dict[str, bytes] = {}
        self._held = 0

    def want(self, path: str, limit: int) -> None:
        """`path` will be read whole, within `limit` bytes: keep it if it is streamed first."""
        self._wanted[path] = max(limit, self._wanted.get(path, 0))

    def files(self) -> list[str]:
        return self.source.files()

    def read(self, path: str, limit: int) -> bytes:
        data = self._kept.get(path)
        if data is None:
            data = self.source.read(path, limit)
            self._keep(path, data)
        if len(data) > limit:
            raise too_large(len(data), limit)
        return data

    def chunks(self, path: str) -> Generator[bytes, None, None]:
        if path in self._kept:
            yield self._kept[path]
            return
        parts: list[bytes] | None = [] if path in self._wanted else None
        size, inner = 0, self.source.chunks(path)
        try:
            for chunk in inner:
                size += len(chunk)
                if parts is not None and size > self._wanted[path]:
                    parts = None
                if parts is not None:
                    parts.append(chunk)
                yield chunk
        finally:
            inner.close()
        if parts is not None:  # streamed to its end, not stopped by the caller
            self._keep(path, b"".join(parts))

    def _keep(self, path: str, data: bytes) -> None:
        if self._held + len(data) <= KEEP_LIMIT:
            self._kept[path] = data
            self._held += len(data)


class ZipSource:
    """A zipped bag: its files relative to the bag's folder inside the zip."""

    def __init__(self, path: Path) -> None:
        self.problems: list[Discrepancy] = []
        self._zip = zipfile.ZipFile(path)
        self._budget = INFLATE_RATIO * path.stat().st_size
        self._left = self._budget  # bytes the zip may still give out, all reads together
        with open(path, "rb") as raw:
            layout, self._shared = _layout(self._zip, raw)
        self.problems += layout
        infos = [i for i in self._zip.infolist() if not i.filename.endswith("/")]
        self._root = _bag_root([i.filename for i in infos])
        self._infos: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            name = info.filename
            relative = name[len(self._root):]
            if name.startswith("/") or ".." in PurePosixPath(relative).parts:
                self.problems.append(Discrepancy(Kind.MALFORMED, name, "a path that leaves the bag"))
            elif relative in self._infos:
                self.problems.append(Discrepancy(Kind.MALFORMED, relative, "appears twice in the zip"))
            elif not name.startswith(self._root):
                self.problems.append(Discrepancy(Kind.UNEXPECTED, name, "outside the bag's folder"))
            else:
                self._infos[relative] = info

    def files(self) -> list[str]:
        return sorted(self._infos)

    def read(self, path: str, limit: int) -> bytes:
        """The whole file, refused unread when its stated size is over `limit`; the read
        itself is bounded too, in case the stated size lies."""
        info = self._infos[path]
        if info.file_size > limit:
            raise too_large(info.file_size, limit)
        with self._open(info) as member:
            data = self._take(member, limit + 1)
        if len(data) > limit:
            raise too_large(len(data), limit)
        return data

    def chunks(self, path: str) -> Generator[bytes, None, None]:
        with self._open(self._infos[path]) as member:
            while chunk := self._take(member, CHUNK):
                yield chunk

    def _take(self, member: IO[bytes], size: int) -> bytes:
        """Up to `size` bytes of `member`, counted against what the whole zip may give out."""
        data = member.read(min(size, self._left + 1))
        self._left -= len(data)
        if self._left < 0:
            raise Unreadable(f"the zip has given out {self._budget} bytes, {INFLATE_RATIO} times its "
                             "size, more than reading each of its files once can; not read further")
        return data

    @contextmanager
    def _open(self, info: zipfile.ZipInfo) -> Iterator[IO[bytes]]:
        if info in self._shared:
            raise Unreadable("shares its bytes with another part of the zip; not read")
        if info.compress_type in _UNBOUNDED:
            raise Unreadable(f"compressed with {_UNBOUNDED[info.compress_type]}, which zipfile "
                             "inflates without a bound; not read")
        try:
            with self._zip.open(info) as member:
                yield member
        except Unreadable:
            raise
        # zipfile and its decompressors raise many kinds of error on a damaged member
        # (BadZipFile, zlib.error, NotImplementedError, RuntimeError, EOFError, ...).
        except Exception as exc:
            raise Unreadable(f"cannot be read from the zip ({describe(exc)})") from exc


def _layout(archive: zipfile.ZipFile, raw: BinaryIO) -> tuple[list[Discrepancy], set[zipfile.ZipInfo]]:
    """Every stretch of the zip that no member, the directory or the end record accounts
    for, and the members that share bytes with another member or with the directory.
    zipfile reads a zip with another archive prepended (or appended) as if it were not
    there, so a second set of files could ride along unseen; and it inflates members that
    overlap as often as the directory names them. An archive comment counts as hidden
    bytes too: the bundle writer writes none."""
    problems, spans = _spans(archive, raw)
    shared: set[zipfile.ZipInfo] = set()
    end, before, furthest = 0, "", None
    for info, stop in spans:
        gap = info.header_offset - end
        if gap < 0 and furthest is not None:
            problems.append(Discrepancy(Kind.MALFORMED, info.filename, f"overlaps {furthest.filename} in "
                                        "the zip (the layout of a zip bomb); neither is read"))
            shared |= {info, furthest}
        elif gap and not before:
            problems.append(Discrepancy(Kind.UNEXPECTED, "", f"the zip has {gap} bytes before its first "
                                                             f"file {_HIDDEN}"))
        elif gap:
            problems.append(Discrepancy(Kind.UNEXPECTED, "", f"the zip has {gap} bytes between {before} "
                                                             f"and {info.filename} {_HIDDEN}"))
        if stop > end:
            end, furthest = stop, info
        before = info.filename
    for info, stop in spans:
        if stop > archive.start_dir:
            problems.append(Discrepancy(Kind.MALFORMED, info.filename,
                                        "runs into or past the zip's directory; not read"))
            shared.add(info)
    gap = archive.start_dir - end
    if gap > 0:
        where = f"after its last file, {before}" if before else "before its directory"
        problems.append(Discrepancy(Kind.UNEXPECTED, "", f"the zip has {gap} bytes {where} {_HIDDEN}"))
    return problems + _after_end(raw), shared


def _spans(archive: zipfile.ZipFile,
           raw: BinaryIO) -> tuple[list[Discrepancy], list[tuple[zipfile.ZipInfo, int]]]:
    """Each member with where it ends, in the order they lie in the zip; a member whose
    local header is not where the directory says is named (zipfile will not open it)."""
    problems, spans = [], []
    for info in sorted(archive.infolist(), key=lambda i: i.header_offset):
        try:
            spans.append((info, _member_end(info, raw)))
        except (OSError, ValueError, struct.error) as exc:
            problems.append(Discrepancy(Kind.MALFORMED, info.filename,
                                        f"its place in the zip cannot be read ({describe(exc)})"))
    return problems, spans


def _after_end(raw: BinaryIO) -> list[Discrepancy]:
    try:
        raw.seek(0, os.SEEK_END)
        raw.seek(max(0, raw.tell() - (1 << 16) - 22))
        tail = raw.read()
    except OSError as exc:
        return [Discrepancy(Kind.MALFORMED, "", f"the zip's layout cannot be read ({describe(exc)})")]
    after = len(tail) - tail.rfind(_END_RECORD) - 22
    if not after:
        return []
    return [Discrepancy(Kind.UNEXPECTED, "", f"the zip has {after} bytes after its end {_HIDDEN}")]


def _member_end(info: zipfile.ZipInfo, raw: BinaryIO) -> int:
    """Where a member's local header, data and data descriptor end (APPNOTE 4.3.7–4.3.9)."""
    raw.seek(info.header_offset)
    header = struct.unpack(zipfile.structFileHeader, raw.read(zipfile.sizeFileHeader))
    if header[0] != zipfile.stringFileHeader:
        raise ValueError(f"no local header where {info.filename} should start")
    flags, name_length, extra_length = header[3], header[10], header[11]
    raw.seek(name_length, os.SEEK_CUR)
    extra = raw.read(extra_length)
    end = info.header_offset + zipfile.sizeFileHeader + name_length + extra_length + info.compress_size
    if flags & 0x08:
        raw.seek(end)
        signed = raw.read(4) == _DESCRIPTOR
        end += (4 if signed else 0) + 4 + (16 if _has_zip64(extra) else 8)
    return end


def _has_zip64(extra: bytes) -> bool:
    """Whether a local header carries the Zip64 field: its descriptor's sizes are then
    8 bytes each."""
    while len(extra) >= 4:
        kind, size = struct.unpack("<HH", extra[:4])
        if kind == _ZIP64_EXTRA:
            return True
        extra = extra[4 + size:]
    return False


class DirSource:
    """An extracted bag: the folder itself, or the one folder inside it that is a bag."""

    def __init__(self, path: Path) -> None:
        inner = [p for p in path.iterdir()
                 if p.is_dir() and not p.is_symlink() and (p / "bagit.txt").exists()]
        self._root = path if (path / "bagit.txt").exists() or len(inner) != 1 else inner[0]
        self.problems: list[Discrepancy] = []
        self._files = self._walk()

    def _walk(self) -> list[str]:
        found, folders = [], [self._root]
        while folders:
            with os.scandir(folders.pop()) as entries:
                for entry in entries:
                    relative = Path(entry.path).relative_to(self._root).as_posix()
                    if entry.is_symlink():
                        self.problems.append(Discrepancy(Kind.MALFORMED, relative,
                                                         "a symbolic link, not a file; not followed"))
                    elif entry.is_dir(follow_symlinks=False):
                        folders.append(Path(entry.path))
                    elif entry.is_file(follow_symlinks=False):
                        found.append(relative)
                    else:
                        self.problems.append(Discrepancy(
                            Kind.MALFORMED, relative,
                            "not a regular file (a FIFO, a device or a socket); not opened"))
        return sorted(found)

    def files(self) -> list[str]:
        return self._files

    def read(self, path: str, limit: int) -> bytes:
        with self._open(path) as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > limit:
                raise too_large(size, limit)
            data = handle.read(limit + 1)
        if len(data) > limit:
            raise too_large(len(data), limit)
        return data

    def chunks(self, path: str) -> Generator[bytes, None, None]:
        with self._open(path) as handle:
            while chunk := handle.read(CHUNK):
                yield chunk

    def _open(self, path: str) -> BinaryIO:
        """The file, opened only if it is (still) a regular file: never a link, and a FIFO
        that replaced it since the listing does not block the open."""
        try:
            handle = open(os.open(self._root / path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK), "rb")
        except OSError as exc:
            raise Unreadable(f"cannot be read ({exc.strerror})") from exc
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            handle.close()
            raise Unreadable("not a regular file; not opened")
        return handle


def _bag_root(names: list[str]) -> str:
    if "bagit.txt" in names:
        return ""
    tops = {n.split("/", 1)[0] for n in names}
    if len(tops) == 1:
        return f"{tops.pop()}/"
    return ""


def describe(exc: BaseException) -> str:
    """An exception as one short line: its type and the start of its message."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:200]}" if text else type(exc).__name__
