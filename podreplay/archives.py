"""Reading `.tar`, `.tar.gz`/`.tgz` and `.zip` archives as if they were folders.

Must-gathers and support bundles travel as archives. Each regular member is handed out as its
own byte stream, named `archive!member`, in archive order; archives inside archives are opened
the same way. Nothing is written to disk. Bounded like `.gz` input: the bytes all members
expand to (`max_bytes`, the `--max-gz-size` limit) and the number of members; a member whose
path is absolute or climbs out with `..` is refused. Pure: no database, no printing.
"""

from __future__ import annotations

import io
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath
from typing import BinaryIO

from podreplay.errors import InputError
from podreplay.streams import GZIP_MAGIC, Bounded, Budget, ByteSource, open_binary, peek

MAX_MEMBERS = 100_000
MAX_DEPTH = 4  # archives inside archives
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_TAR_MAGIC_AT = 257


@dataclass(frozen=True)
class Member:
    """One regular file of an archive, or why it was refused."""

    name: str  # archive!member (nested: a.tgz!b.zip!c.json)
    stream: ByteSource | None
    refused: str | None = None


class ArchiveLimit(InputError):
    """The archive went past a bound: nothing more of it is read."""


class _Budget(Budget):
    """What an archive (with the archives inside it) may still expand to: bytes, members."""

    def __init__(self, name: str, max_bytes: int, max_members: int) -> None:
        super().__init__(name, max_bytes, what="archive expands to", error=ArchiveLimit)
        self.max_members = max_members
        self.members = 0

    def member(self) -> None:
        self.members += 1
        if self.members > self.max_members:
            raise ArchiveLimit(
                self.name,
                f"member {self.members}",
                f"more than {self.max_members} members (limit)",
            )


def kind(head: bytes) -> str | None:
    """'zip' or 'tar' from a stream's first (decompressed) bytes, else None."""
    if head.startswith(_ZIP_MAGIC):
        return "zip"
    if head[_TAR_MAGIC_AT : _TAR_MAGIC_AT + 5] == b"ustar":
        return "tar"
    return None


def sniff(path: str, max_bytes: int) -> str | None:
    """Whether the file is an archive ('zip' or 'tar', gzip-compressed or not)."""
    try:
        with open(path, "rb") as fh:
            return kind(open_binary(fh, path, max_bytes).read(512))
    except InputError:
        return None  # a corrupt .gz: the ordinary reader reports it


def members(path: str, max_bytes: int, max_members: int = MAX_MEMBERS) -> Iterator[Member]:
    """Every regular member of the archive at `path`, nested archives opened."""
    budget = _Budget(path, max_bytes, max_members)
    with open(path, "rb") as fh:
        if fh.read(4).startswith(_ZIP_MAGIC):
            fh.seek(0)
            yield from _zip_members(fh, path, budget, 0)
        else:
            fh.seek(0)
            yield from _tar_members(open_binary(fh, path, max_bytes), path, budget, 0)


def _tar_members(stream: ByteSource, name: str, budget: _Budget, depth: int) -> Iterator[Member]:
    try:
        with tarfile.open(fileobj=stream, mode="r|") as tar:  # type: ignore[call-overload]
            for info in tar:
                budget.member()
                if not info.isfile():
                    continue  # directories, links, devices: nothing to read
                member_name = f"{name}!{info.name}"
                refused = _unsafe(info.name)
                if refused:
                    yield Member(member_name, None, refused)
                    continue
                fileobj = tar.extractfile(info)
                if fileobj is not None:
                    yield from _leaf(Bounded(fileobj, budget), member_name, budget, depth)
    except tarfile.TarError as exc:
        raise InputError(name, f"member {budget.members}", f"corrupt tar archive: {exc}") from None


def _zip_members(data: BinaryIO, name: str, budget: _Budget, depth: int) -> Iterator[Member]:
    try:
        with zipfile.ZipFile(data) as archive:
            for info in archive.infolist():
                budget.member()
                if info.is_dir():
                    continue
                member_name = f"{name}!{info.filename}"
                refused = _unsafe(info.filename)
                if refused:
                    yield Member(member_name, None, refused)
                    continue
                with archive.open(info) as fileobj:
                    yield from _leaf(Bounded(fileobj, budget), member_name, budget, depth)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError) as exc:
        raise InputError(name, f"member {budget.members}", f"corrupt zip archive: {exc}") from None


def _leaf(stream: ByteSource, name: str, budget: _Budget, depth: int) -> Iterator[Member]:
    """A member: itself, or (an archive inside the archive) the members it holds."""
    head, stream = peek(stream, 512)
    if depth + 1 >= MAX_DEPTH:
        yield Member(name, stream)
    elif head.startswith(_ZIP_MAGIC):
        # zipfile needs to seek: the member is read into memory, within the budget
        yield from _zip_members(io.BytesIO(_read_all(stream)), name, budget, depth + 1)
    elif kind(head) == "tar" or (head[:2] == GZIP_MAGIC and _gz_tar(head)):
        yield from _tar_members(
            open_binary(stream, name, budget.max_bytes), name, budget, depth + 1
        )
    else:
        yield Member(name, stream)


def _read_all(stream: ByteSource) -> bytes:
    parts = []
    while chunk := stream.read(1 << 20):
        parts.append(chunk)
    return b"".join(parts)


def _gz_tar(head: bytes) -> bool:
    """Whether a gzip member's first bytes decompress to a tar header."""
    try:
        return kind(zlib.decompressobj(31).decompress(head, 512)) == "tar"
    except zlib.error:  # damaged: read as an ordinary .gz, which reports it
        return False


def _unsafe(member: str) -> str | None:
    """Why a member path is refused: absolute, or climbing out of the archive with `..`."""
    posix, windows = PurePosixPath(member), PureWindowsPath(member)
    if posix.is_absolute() or windows.is_absolute() or windows.drive:
        return f"absolute member path refused: {member[:200]}"
    if ".." in posix.parts or ".." in windows.parts:
        return f"member path with '..' refused: {member[:200]}"
    return None
