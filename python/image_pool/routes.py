"""The HTTP API (DESIGN §4), one set of aiohttp handlers for ComfyUI and the standalone server.

Handlers take the store from a provider given at registration, so tests and the two hosts each pass
their own. Every blocking store call runs in a worker thread, never on the event loop.
"""

import asyncio
import os
from pathlib import Path
from typing import Callable

from aiohttp import web

from . import ids, masks, thumbs
from .errors import BadRequest, NoInputFolder, UnknownObject
from .formats import CONTENT_TYPES
from .http_json import field, json_errors, manifest_response, read_json
from .editor_copy import editor_copy
from .input_files import resolve_input_file
from .manifest import MAX_LABEL, clean_text
from .pools import Pools
from .uploads import read_upload

PREFIX = "/grid_pool"
IMMUTABLE = "public, max-age=31536000, immutable"
FILE_CHUNK = 1024 * 1024
MASK_CHANNELS = ("alpha", "luminance")


def _mask_from_file(path, channel: str | None):
    """A mask picture's mask: its alpha (alpha 0 = masked, as ComfyUI's MaskEditor saves) when it has one
    or `channel` says so, else its luminance (white = masked)."""
    if channel not in (None, "", *MASK_CHANNELS):
        raise BadRequest(f"channel must be one of {', '.join(MASK_CHANNELS)}")
    if channel == "luminance":
        return masks.from_luminance(path)
    if channel == "alpha":
        return masks.from_alpha(path)
    try:
        return masks.from_alpha(path)
    except BadRequest:
        return masks.from_luminance(path)


class PoolApi:
    def __init__(self, pools: Callable[[], Pools], input_dir: Callable[[], Path | None] = lambda: None):
        self._pools = pools
        self._input_dir = input_dir

    @property
    def pools(self) -> Pools:
        return self._pools()

    def register(self, routes: web.RouteTableDef, prefix: str = PREFIX) -> None:
        for method, path, handler in (
            ("GET", "/list", self.list), ("GET", "/pools", self.list_pools),
            ("POST", "/add", self.add), ("POST", "/remove", self.remove), ("POST", "/active", self.active),
            ("POST", "/label", self.label), ("POST", "/set_mask", self.set_mask),
            ("POST", "/reorder", self.reorder), ("POST", "/detach", self.detach),
            ("POST", "/editor_image", self.editor_image),
            # {key:.*}: any text reaches the handler, which validates it (a JSON 400, not the router's 404)
            ("GET", "/thumb/{key:.*}", self.thumb), ("GET", "/object/{key:.*}", self.object),
        ):
            routes.route(method, prefix + path)(json_errors(handler))

    # ----- reading -----------------------------------------------------------------------------------------

    async def list(self, request: web.Request) -> web.Response:
        pool_id = ids.pool_id(request.query.get("pool_id"))
        return manifest_response(await asyncio.to_thread(self.pools.load, pool_id))

    async def list_pools(self, request: web.Request) -> web.Response:
        manifests = await asyncio.to_thread(self.pools.manifests)
        return web.json_response({"pools": [
            {"pool_id": m.pool_id, "count": m.count, "revision": m.revision,
             "cover": m.slots[0].image if m.slots else None} for m in manifests]})

    # ----- mutations ---------------------------------------------------------------------------------------

    async def add(self, request: web.Request) -> web.Response:
        if not request.content_type.startswith("multipart/"):
            return await self._add_input_file(await read_json(request))
        upload = await read_upload(request, self.pools.objects)
        try:
            pool_id = ids.pool_id(upload.fields.get("pool_id"))
            if not upload.files:
                raise BadRequest("no image file in the request (send it as the 'file' field)")
            label = clean_text(upload.fields.get("label", ""), MAX_LABEL, "label")  # before anything is stored
            names = [name for name, _ in upload.files]

            def publish():
                stored = [ingest.publish() for _, ingest in upload.files]
                return self.pools.add_objects(pool_id, stored, labels=[label] * len(stored), names=names)
            manifest, added = await asyncio.to_thread(publish)
        finally:
            upload.abort()
        return manifest_response(manifest, added=added)

    async def _add_input_file(self, body: dict) -> web.Response:
        pool_id = ids.pool_id(field(body, "pool_id"))
        path = resolve_input_file(self._input_dir(), field(body, "input_file"), body.get("subfolder", ""))
        label = clean_text(body.get("label", ""), MAX_LABEL, "label")

        def add():
            stored = self.pools.objects.put_file(path)
            return self.pools.add_objects(pool_id, [stored], labels=[label], names=[path.name])
        manifest, added = await asyncio.to_thread(add)
        return manifest_response(manifest, added=added)

    async def _slot_mutation(self, request: web.Request, apply) -> web.Response:
        body = await read_json(request)
        pool_id = ids.pool_id(field(body, "pool_id"))
        slot = ids.slot_id(field(body, "slot"))
        return manifest_response(await asyncio.to_thread(apply, pool_id, slot, body))

    async def remove(self, request: web.Request) -> web.Response:
        return await self._slot_mutation(request, lambda pool, slot, body: self.pools.remove(pool, slot))

    async def active(self, request: web.Request) -> web.Response:
        return await self._slot_mutation(request, lambda pool, slot, body: self.pools.set_active(pool, slot))

    async def label(self, request: web.Request) -> web.Response:
        return await self._slot_mutation(
            request, lambda pool, slot, body: self.pools.set_label(pool, slot, field(body, "label")))

    async def set_mask(self, request: web.Request) -> web.Response:
        if not request.content_type.startswith("multipart/"):
            return await self._slot_mutation(request, self._set_mask_from_json)
        upload = await read_upload(request, self.pools.objects)
        try:
            pool_id = ids.pool_id(upload.fields.get("pool_id"))
            slot = ids.slot_id(upload.fields.get("slot"))
            if len(upload.files) != 1:
                raise BadRequest("send exactly one mask picture, as the 'mask' field")
            staged = upload.files[0][1]

            def store_mask():
                mask = _mask_from_file(staged.path, upload.fields.get("channel"))
                return self.pools.set_mask(pool_id, slot, mask)
            manifest = await asyncio.to_thread(store_mask)
        finally:
            upload.abort()  # the picture itself is not kept: the mask is stored as a normalized PNG
        return manifest_response(manifest)

    def _set_mask_from_json(self, pool_id: str, slot: str, body: dict):
        if body.get("clear") is True:
            return self.pools.set_mask(pool_id, slot, None)
        if "input_file" not in body:
            raise BadRequest("send a mask picture (multipart), an input_file, or clear: true")
        path = resolve_input_file(self._input_dir(), body["input_file"], body.get("subfolder", ""))
        return self.pools.set_mask(pool_id, slot, _mask_from_file(path, body.get("channel")))

    async def reorder(self, request: web.Request) -> web.Response:
        body = await read_json(request)
        pool_id = ids.pool_id(field(body, "pool_id"))
        order = field(body, "order", list)
        return manifest_response(await asyncio.to_thread(self.pools.reorder, pool_id, order))

    async def detach(self, request: web.Request) -> web.Response:
        body = await read_json(request)
        pool_id = ids.pool_id(field(body, "pool_id"))
        return manifest_response(await asyncio.to_thread(self.pools.detach, pool_id))

    async def editor_image(self, request: web.Request) -> web.Response:
        """Where the MaskEditor's copy of a slot is, as ComfyUI's /view and /upload/mask name files."""
        body = await read_json(request)
        pool_id = ids.pool_id(field(body, "pool_id"))
        slot = ids.slot_id(field(body, "slot"))
        input_dir = self._input_dir()
        if input_dir is None:
            raise NoInputFolder("the mask editor needs ComfyUI's input folder")
        path = await asyncio.to_thread(editor_copy, self.pools, pool_id, slot)
        try:
            relative = path.resolve().relative_to(Path(input_dir).resolve())
        except ValueError:
            raise NoInputFolder("the store is not inside the input folder, so the mask editor cannot open it") from None
        return web.json_response({"filename": relative.name, "subfolder": relative.parent.as_posix(), "type": "input"})

    # ----- files -------------------------------------------------------------------------------------------

    @staticmethod
    async def _immutable_file(request: web.Request, path: Path, etag: str, content_type: str) -> web.StreamResponse:
        """Stream a content-addressed file; its ETag is its hash (aiohttp's FileResponse would use mtime)."""
        headers = {"Cache-Control": IMMUTABLE, "ETag": f'"{etag}"', "X-Content-Type-Options": "nosniff",
                   "Content-Security-Policy": "default-src 'none'"}
        if f'"{etag}"' in request.headers.get("If-None-Match", ""):
            return web.Response(status=304, headers=headers)
        try:
            f = open(path, "rb")
        except FileNotFoundError:
            raise UnknownObject(f"no object {path.name}") from None
        with f:
            response = web.StreamResponse(headers={**headers, "Content-Type": content_type})
            response.content_length = os.fstat(f.fileno()).st_size
            await response.prepare(request)
            if request.method != "HEAD":
                while chunk := await asyncio.to_thread(f.read, FILE_CHUNK):
                    await response.write(chunk)
            await response.write_eof()
        return response

    async def thumb(self, request: web.Request) -> web.StreamResponse:
        key = ids.object_key(request.match_info["key"])
        size = thumbs.thumb_size(request.query.get("size"))
        pools = self.pools
        path = await asyncio.to_thread(thumbs.ensure_thumb, pools.root, pools.objects.path(key), key, size)
        return await self._immutable_file(request, path, f"{key.split('.')[0]}-{size}", "image/webp")

    async def object(self, request: web.Request) -> web.StreamResponse:
        key = ids.object_key(request.match_info["key"])
        path = self.pools.objects.path(key)
        return await self._immutable_file(request, path, key.split(".")[0], CONTENT_TYPES[key.rsplit(".", 1)[1]])
