"""Multipart uploads streamed to temp files while hashing: a 100 MiB file never sits in memory.

The whole request is read and every file checked before any of them enters the store, so a request
with one bad file among good ones changes nothing. Text fields are few and short, and a client that
stops sending is dropped.
"""

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import BodyPartReader, web

from image_pool.api.http_json import BODY_IDLE_TIMEOUT, within
from image_pool.errors import BadRequest, TooLarge
from image_pool.pictures.decoding import DECODES, LARGE_PIXELS, return_freed_memory
from image_pool.pools.manifest import clean_name
from image_pool.store.objects import Ingest, ObjectStore

CHUNK = 256 * 1024
MAX_FILES = 256
MAX_FIELDS = 32
MAX_FIELD_BYTES = 64 * 1024
FILE_FIELDS = ("file", "files", "image", "mask")


@dataclass
class Upload:
    fields: dict[str, str] = field(default_factory=dict)
    files: list[tuple[str, Ingest]] = field(default_factory=list)  # (client's file name, staged file)

    def abort(self) -> None:
        for _, ingest in self.files:
            ingest.abort()


async def _read_field(part: BodyPartReader, idle: float) -> str:
    data = bytearray()
    while chunk := await within(part.read_chunk(CHUNK), idle):
        data += chunk
        if len(data) > MAX_FIELD_BYTES:
            raise BadRequest(f"form field {part.name!r:.40} is over the limit of {MAX_FIELD_BYTES:,} bytes")
    return data.decode("utf-8", errors="replace")


async def read_upload(request: web.Request, store: ObjectStore, idle: float = BODY_IDLE_TIMEOUT) -> Upload:
    """Read a multipart body: text fields into `fields`, file parts staged (not yet in the store)."""
    if not request.content_type.startswith("multipart/"):
        raise BadRequest("expected a multipart/form-data body")
    upload = Upload()
    text_fields = 0
    try:
        reader = await request.multipart()
        while (part := await within(reader.next(), idle)) is not None:
            if not isinstance(part, BodyPartReader):
                raise BadRequest("nested multipart bodies are not accepted")
            if part.filename is not None or part.name in FILE_FIELDS:
                if len(upload.files) >= MAX_FILES:
                    raise BadRequest(f"at most {MAX_FILES} files per request")
                name = clean_name(part.filename or "") or f"file {len(upload.files) + 1}"
                ingest = store.ingest(name)
                upload.files.append((part.filename or "", ingest))
                while chunk := await within(part.read_chunk(CHUNK), idle):
                    ingest.write(chunk)  # raises TooLarge as soon as the cap is crossed
            else:
                text_fields += 1
                if text_fields > MAX_FIELDS:
                    raise BadRequest(f"at most {MAX_FIELDS} text fields per request")
                upload.fields[part.name or ""] = await _read_field(part, idle)
        loop = asyncio.get_running_loop()
        for _, ingest in upload.files:
            info = await loop.run_in_executor(DECODES, ingest.prepare)
            if info.width * info.height > LARGE_PIXELS:
                await loop.run_in_executor(DECODES, return_freed_memory)
        return upload
    except BaseException:
        upload.abort()
        raise


@dataclass
class ArchiveUpload:
    path: Path
    fields: dict[str, str] = field(default_factory=dict)

    def abort(self) -> None:
        self.path.unlink(missing_ok=True)


async def read_archive_upload(request: web.Request, pools, folder: Path,
                              idle: float = BODY_IDLE_TIMEOUT) -> ArchiveUpload:
    """A multipart body with one `archive` file part, received into `folder` (an import's staging, inside the
    store: nothing else is touched), refused as soon as it passes the largest archive a pool at the caps makes."""
    from image_pool.pools.archive import max_archive_bytes
    if not request.content_type.startswith("multipart/"):
        raise BadRequest("send the archive as multipart/form-data, in the 'archive' field")
    cap = max_archive_bytes(pools)
    upload = ArchiveUpload(folder / "archive.tar")
    try:
        reader = await request.multipart()
        archives = text_fields = 0
        while (part := await within(reader.next(), idle)) is not None:
            if not isinstance(part, BodyPartReader):
                raise BadRequest("nested multipart bodies are not accepted")
            if part.name == "archive":
                archives += 1
                if archives > 1:
                    raise BadRequest("send one archive per request")
                size = 0
                with open(upload.path, "xb") as out:
                    while chunk := await within(part.read_chunk(CHUNK), idle):
                        size += len(chunk)
                        if size > cap:
                            raise TooLarge(f"the archive is over {cap:,} bytes, more than a pool at every cap makes")
                        out.write(chunk)
            else:
                text_fields += 1
                if text_fields > MAX_FIELDS:
                    raise BadRequest(f"at most {MAX_FIELDS} text fields per request")
                upload.fields[part.name or ""] = await _read_field(part, idle)
        if not archives:
            raise BadRequest("no archive in the request (send it as the 'archive' field)")
        return upload
    except BaseException:
        upload.abort()
        raise
