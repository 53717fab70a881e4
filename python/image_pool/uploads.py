"""Multipart uploads streamed to temp files while hashing: a 100 MiB file never sits in memory.

The whole request is read and every file checked before any of them enters the store, so a request
with one bad file among good ones changes nothing.
"""

import asyncio
from dataclasses import dataclass, field

from aiohttp import BodyPartReader, web

from .errors import BadRequest
from .store import Ingest, ObjectStore

CHUNK = 256 * 1024
MAX_FILES = 256
MAX_FIELD_BYTES = 64 * 1024
FILE_FIELDS = ("file", "files", "image", "mask")


@dataclass
class Upload:
    fields: dict[str, str] = field(default_factory=dict)
    files: list[tuple[str, Ingest]] = field(default_factory=list)  # (client's file name, staged file)

    def abort(self) -> None:
        for _, ingest in self.files:
            ingest.abort()


async def read_upload(request: web.Request, store: ObjectStore) -> Upload:
    """Read a multipart body: text fields into `fields`, file parts staged (not yet in the store)."""
    if not request.content_type.startswith("multipart/"):
        raise BadRequest("expected a multipart/form-data body")
    upload = Upload()
    try:
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):
                raise BadRequest("nested multipart bodies are not accepted")
            if part.filename is not None or part.name in FILE_FIELDS:
                if len(upload.files) >= MAX_FILES:
                    raise BadRequest(f"at most {MAX_FILES} files per request")
                ingest = store.ingest()
                upload.files.append((part.filename or "", ingest))
                while chunk := await part.read_chunk(CHUNK):
                    ingest.write(chunk)  # raises TooLarge as soon as the cap is crossed
            else:
                value = await part.read(decode=True)
                if len(value) > MAX_FIELD_BYTES:
                    raise BadRequest(f"form field {part.name!r} is too large")
                upload.fields[part.name or ""] = value.decode("utf-8", errors="replace")
        for _, ingest in upload.files:
            await asyncio.to_thread(ingest.prepare)
        return upload
    except BaseException:
        upload.abort()
        raise
