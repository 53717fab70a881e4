"""Pool archives as a stream of plain ustar members, read under fixed bounds whatever the archive claims.

Python's tarfile buffers a whole PAX or GNU long-name header body before it yields the first member, whatever size
that header claims; so archives are read here, header by header: each 512-byte header is checked (its checksum, a
plain regular file, a ustar name, an octal size) and handed to the caller, who judges the size before a byte of the
member is read. Export writes exactly this (ustar, no extension headers), so nothing it makes is refused.

A compressed archive (gzip, bzip2, xz: export writes none, but a user may compress one) is read through a decoder
that expands it at most to EXPANSION times its own size, or EXPANSION_FLOOR, whichever is more: a few kilobytes
never become gigabytes on disk.
"""

import bz2
import gzip
import lzma
import tarfile
from dataclasses import dataclass
from typing import BinaryIO, Iterator

from image_pool.errors import ArchiveInvalid

BLOCK = 512
EXPANSION = 20
EXPANSION_FLOOR = 256 << 20
CHUNK = 1 << 20
COMPRESSIONS = ((b"\x1f\x8b", gzip.open, "gzip"), (b"BZh", bz2.open, "bzip2"), (b"\xfd7zXZ\x00", lzma.open, "xz"))
TYPE_NAMES = {b"x": "a PAX extended header", b"g": "a PAX global header", b"L": "a GNU long name",
              b"K": "a GNU long link name", b"1": "a hard link", b"2": "a symbolic link", b"5": "a folder",
              b"S": "a sparse file", b"3": "a device", b"4": "a device", b"6": "a FIFO"}


class _Bounded:
    """Reads a decoded stream, refusing to give more than `limit` bytes in all."""

    def __init__(self, raw: BinaryIO, limit: int, what: str):
        self.raw, self.limit, self.what, self.total = raw, limit, what, 0

    def read(self, n: int) -> bytes:
        data = self.raw.read(n)
        self.total += len(data)
        if self.total > self.limit:
            raise ArchiveInvalid(f"the {self.what} archive expands to more than {self.limit:,} bytes ({EXPANSION}x "
                                 f"its size, or {EXPANSION_FLOOR >> 20} MiB); send it uncompressed")
        return data


def decoded(f: BinaryIO, size: int) -> BinaryIO:
    """The tar bytes of an archive file (plain or compressed) of `size` bytes, bounded as the module says."""
    head = f.read(6)
    f.seek(0)
    for magic, opener, what in COMPRESSIONS:
        if head.startswith(magic):
            return _Bounded(opener(f), max(EXPANSION_FLOOR, EXPANSION * size), what)
    return f


@dataclass(frozen=True)
class Member:
    name: str
    size: int


def _octal(field: bytes, what: str) -> int:
    if field[:1] in (b"\x80", b"\xff"):  # base-256: only for sizes over 8 GiB, far over every cap
        raise ArchiveInvalid(f"archive member's {what} is over 8 GiB")
    text = field.split(b"\x00", 1)[0].strip(b" ")
    try:
        return int(text or b"0", 8)
    except ValueError:
        raise ArchiveInvalid(f"archive member's {what} is not a number") from None


def _checksum_ok(header: bytes) -> bool:
    expected = _octal(header[148:156], "checksum")
    unsigned = sum(header[:148]) + 8 * 32 + sum(header[156:])
    signed = unsigned - 2 * sum(b for b in header[:148] + header[156:] if b >= 128)
    return expected in (unsigned, signed)


def _text(field: bytes) -> str:
    try:
        return field.split(b"\x00", 1)[0].decode("utf-8")
    except UnicodeDecodeError:
        raise ArchiveInvalid("an archive member's name is not UTF-8") from None


class TarReader:
    """Members one at a time: `next()` gives a member's header; `read(member)` or `chunks(member)` its data, which
    must be read (or the archive refused) before the next header."""

    def __init__(self, stream: BinaryIO):
        self.stream = stream
        self._left = 0  # bytes of the current member's data and padding not read yet

    def _exactly(self, n: int) -> bytes:
        data = bytearray()
        while len(data) < n:
            chunk = self.stream.read(min(n - len(data), CHUNK))
            if not chunk:
                raise ArchiveInvalid("the archive ends in the middle of a member")
            data += chunk
        return bytes(data)

    def next(self) -> Member | None:
        if self._left:
            raise ArchiveInvalid("the archive's members must be read in order")
        header = self._exactly(BLOCK)
        if header == bytes(BLOCK):
            return None  # the end-of-archive marker
        if not _checksum_ok(header):
            raise ArchiveInvalid("an archive header is damaged (its checksum does not match): not a tar archive, "
                                 "or a damaged one")
        kind = header[156:157]
        if kind not in (b"0", b"\x00"):
            what = TYPE_NAMES.get(kind, f"a member of type {kind!r}")
            raise ArchiveInvalid(f"the archive holds {what}: a pool archive holds plain files only, as export "
                                 f"writes them")
        name = _text(header[0:100])
        if header[257:262] == b"ustar" and header[345:500].strip(b"\x00"):
            name = _text(header[345:500]) + "/" + name
        size = _octal(header[124:136], "size")
        self._left = size + (-size % BLOCK)
        return Member(name, size)

    def chunks(self, member: Member) -> Iterator[bytes]:
        remaining = member.size
        while remaining:
            chunk = self._exactly(min(remaining, CHUNK))
            remaining -= len(chunk)
            yield chunk
        self._exactly(-member.size % BLOCK)
        self._left = 0

    def read(self, member: Member) -> bytearray:
        """The whole member, in one buffer of its size (json.loads takes a bytearray: no second copy)."""
        data = bytearray(member.size)
        at = 0
        for chunk in self.chunks(member):
            data[at:at + len(chunk)] = chunk
            at += len(chunk)
        return data


def header(name: str, size: int) -> bytes:
    """A plain ustar header for a read-only file of `size` bytes."""
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, 0o444, 0
    return info.tobuf(format=tarfile.USTAR_FORMAT)


def padding(size: int) -> bytes:
    return bytes(-size % BLOCK)


END = bytes(2 * BLOCK)
