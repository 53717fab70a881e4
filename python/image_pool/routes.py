"""The HTTP API, one set of aiohttp handlers for ComfyUI and the standalone server.

Handlers take the store from a provider given at registration, so tests and the two hosts each pass their own.
No blocking call runs on the event loop, and the work is kept apart so that nothing slow stalls the rest:
- reads (manifests, pool lists, files) run on their own threads;
- mutations run on theirs, one at a time per pool: further requests for a pool wait on the event loop (no
  thread), and a pool locked by another process past `lock_timeout` answers 503 with Retry-After;
- thumbnails render on two threads, each (object, size) once however many ask for it at the same time.
"""

import asyncio
import os
import weakref
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Callable

from aiohttp import web

from . import host, ids, masks, thumbs
from .editor_copy import editor_copy
from .errors import BadRequest, NoInputFolder, PoolBusy, UnknownObject
from .formats import CONTENT_TYPES
from .http_json import BODY_IDLE_TIMEOUT, field, json_errors, manifest_response, read_json
from .input_files import open_input_file
from .manifest import MAX_LABEL, clean_text
from .pools import Pools
from .uploads import read_upload

PREFIX = "/grid_pool"
IMMUTABLE = "public, max-age=31536000, immutable"
FILE_CHUNK = 1024 * 1024
READ_THREADS, WRITE_THREADS, THUMB_THREADS = 4, 8, 2
LISTED_POOLS = 256


class PoolApi:
    def __init__(self, pools: Callable[[], Pools], input_dir: Callable[[], Path | None] = lambda: None,
                 client_timeout: float = BODY_IDLE_TIMEOUT):
        self._pools = pools
        self._input_dir = input_dir
        self.client_timeout = client_timeout
        self._reads = ThreadPoolExecutor(READ_THREADS, thread_name_prefix="image-pool-read")
        self._writes = ThreadPoolExecutor(WRITE_THREADS, thread_name_prefix="image-pool-write")
        self._thumbs = ThreadPoolExecutor(THUMB_THREADS, thread_name_prefix="image-pool-thumb")
        self._gates: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._rendering: dict[tuple[str, int], asyncio.Future] = {}
        self._listed: dict[str, tuple[tuple[int, int, int], bytes]] = {}  # pool -> (identity, JSON it was listed as)

    @property
    def pools(self) -> Pools:
        return self._pools()

    def register(self, routes: web.RouteTableDef, prefix: str = PREFIX) -> None:
        for method, path, handler in (
            ("GET", "/list", self.list), ("GET", "/pools", self.list_pools),
            ("POST", "/add", self.add), ("POST", "/remove", self.remove), ("POST", "/active", self.active),
            ("POST", "/label", self.label), ("POST", "/set_mask", self.set_mask),
            ("POST", "/reorder", self.reorder), ("POST", "/detach", self.detach),
            ("POST", "/rename", self.rename), ("POST", "/delete", self.delete),
            ("POST", "/editor_image", self.editor_image),
            # any text, line breaks included, reaches the handler, which validates it (a JSON 400, not a 404)
            ("GET", r"/thumb/{key:[\s\S]*}", self.thumb), ("GET", r"/object/{key:[\s\S]*}", self.object),
        ):
            routes.route(method, prefix + path)(json_errors(handler))

    # ----- where work runs ---------------------------------------------------------------------------------

    async def _read(self, fn, *args):
        return await asyncio.get_running_loop().run_in_executor(self._reads, partial(fn, *args))

    async def _write(self, fn, *args):
        return await asyncio.get_running_loop().run_in_executor(self._writes, partial(fn, *args))

    async def _mutate(self, pool_id: str, fn, *args):
        """Run a mutation of one pool on a write thread, after the mutations of that pool queued before it."""
        gate = self._gates.get(pool_id)
        if gate is None:
            gate = self._gates[pool_id] = asyncio.Lock()
        try:
            if gate.locked():  # wait_for makes a task: only when there is something to wait for
                await asyncio.wait_for(gate.acquire(), self.pools.lock_timeout)
            else:
                await gate.acquire()
        except asyncio.TimeoutError:
            raise PoolBusy(f"pool {pool_id} is busy (another process holds it); try again in a moment") from None
        try:
            return await self._write(fn, *args)
        finally:
            gate.release()

    async def _adding(self, pools: Pools, work):
        """`await work(batch)` inside an add batch (the store lock held shared; see pools.AddBatch)."""
        batch = await self._write(pools.begin_adding)
        failed = True
        try:
            result = await work(batch)
            failed = False
            return result
        finally:
            await self._write(batch.close, failed)

    # ----- reading -----------------------------------------------------------------------------------------

    async def list(self, request: web.Request) -> web.Response:
        """A pool unchanged since it was last listed is answered with the same bytes, at the cost of one stat."""
        pool_id = ids.pool_id(request.query.get("pool_id"))
        pools = self.pools
        identity = await self._read(pools.identity, pool_id)
        listed = self._listed.get(pool_id)
        if identity is None or listed is None or listed[0] != identity:
            body = (await self._read(pools.load, pool_id)).dumps()
            if identity is None:
                return web.Response(body=body, content_type="application/json")
            if len(self._listed) >= LISTED_POOLS:
                self._listed.clear()
            listed = self._listed[pool_id] = (identity, body)
        return web.Response(body=listed[1], content_type="application/json")

    async def list_pools(self, request: web.Request) -> web.Response:
        manifests = await self._read(self.pools.manifests)
        return web.json_response({"pools": [
            {"pool_id": m.pool_id, "name": m.name, "count": m.count, "revision": m.revision,
             "cover": m.slots[0].image if m.slots else None} for m in manifests]})

    # ----- mutations ---------------------------------------------------------------------------------------

    async def add(self, request: web.Request) -> web.Response:
        pools = self.pools
        if not request.content_type.startswith("multipart/"):
            return await self._add_input_file(pools, await read_json(request, self.client_timeout))

        async def work(batch):
            upload = await read_upload(request, pools.objects, self.client_timeout)
            try:
                pool_id = ids.pool_id(upload.fields.get("pool_id"))
                if not upload.files:
                    raise BadRequest("no image file in the request (send it as the 'file' field)")
                label = clean_text(upload.fields.get("label", ""), MAX_LABEL, "label")  # before anything is stored
                names = [name for name, _ in upload.files]

                def publish():
                    pools.check_room(pool_id, len(upload.files))
                    stored = [batch.note(ingest.publish()) for _, ingest in upload.files]
                    return pools.add_objects(pool_id, stored, labels=[label] * len(stored), names=names)
                return await self._mutate(pool_id, publish)
            finally:
                upload.abort()
        manifest, added = await self._adding(pools, work)
        return manifest_response(manifest, added=added)

    async def _add_input_file(self, pools: Pools, body: dict) -> web.Response:
        pool_id = ids.pool_id(field(body, "pool_id"))
        name, subfolder = field(body, "input_file"), body.get("subfolder", "")
        label = clean_text(body.get("label", ""), MAX_LABEL, "label")

        def add(batch):
            f, shown = open_input_file(self._input_dir(), name, subfolder)
            with f:
                pools.check_room(pool_id, 1)
                stored = batch.note(pools.objects.put_open_file(f, shown))
            return pools.add_objects(pool_id, [stored], labels=[label], names=[os.path.basename(shown)])
        manifest, added = await self._adding(pools, lambda batch: self._mutate(pool_id, add, batch))
        return manifest_response(manifest, added=added)

    async def _slot_mutation(self, request: web.Request, apply) -> web.Response:
        body = await read_json(request, self.client_timeout)
        pool_id = ids.pool_id(field(body, "pool_id"))
        slot = ids.slot_id(field(body, "slot"))
        return manifest_response(await self._mutate(pool_id, apply, pool_id, slot, body))

    async def remove(self, request: web.Request) -> web.Response:
        return await self._slot_mutation(request, lambda pool, slot, body: self.pools.remove(pool, slot))

    async def active(self, request: web.Request) -> web.Response:
        return await self._slot_mutation(request, lambda pool, slot, body: self.pools.set_active(pool, slot))

    async def label(self, request: web.Request) -> web.Response:
        return await self._slot_mutation(
            request, lambda pool, slot, body: self.pools.set_label(pool, slot, field(body, "label")))

    async def set_mask(self, request: web.Request) -> web.Response:
        pools = self.pools
        if not request.content_type.startswith("multipart/"):
            return await self._slot_mutation(request, self._set_mask_from_json)

        async def work(batch):
            upload = await read_upload(request, pools.objects, self.client_timeout)
            try:
                pool_id = ids.pool_id(upload.fields.get("pool_id"))
                slot = ids.slot_id(upload.fields.get("slot"))
                if len(upload.files) != 1:
                    raise BadRequest("send exactly one mask picture, as the 'mask' field")
                staged = upload.files[0][1]

                def store_mask():
                    mask = masks.from_picture(staged.path, upload.fields.get("channel"), staged.name)
                    return pools.set_mask(pool_id, slot, mask, batch=batch)
                return await self._mutate(pool_id, store_mask)
            finally:
                upload.abort()  # the picture itself is not kept: the mask is stored as a normalized PNG
        return manifest_response(await self._adding(pools, work))

    def _set_mask_from_json(self, pool_id: str, slot: str, body: dict):
        if body.get("clear") is True:
            return self.pools.set_mask(pool_id, slot, None)
        if "input_file" not in body:
            raise BadRequest("send a mask picture (multipart), an input_file, or clear: true")
        f, shown = open_input_file(self._input_dir(), body["input_file"], body.get("subfolder", ""))
        with f:
            mask = masks.from_picture(f, body.get("channel"), shown)
        return self.pools.set_mask(pool_id, slot, mask)

    async def reorder(self, request: web.Request) -> web.Response:
        body = await read_json(request, self.client_timeout)
        pool_id = ids.pool_id(field(body, "pool_id"))
        order = field(body, "order", list)
        return manifest_response(await self._mutate(pool_id, self.pools.reorder, pool_id, order))

    async def detach(self, request: web.Request) -> web.Response:
        body = await read_json(request, self.client_timeout)
        pool_id = ids.pool_id(field(body, "pool_id"))
        return manifest_response(await self._write(self.pools.detach, pool_id))

    async def rename(self, request: web.Request) -> web.Response:
        body = await read_json(request, self.client_timeout)
        pool_id = ids.pool_id(field(body, "pool_id"))
        name = field(body, "name")
        return manifest_response(await self._mutate(pool_id, self.pools.set_name, pool_id, name))

    async def delete(self, request: web.Request) -> web.Response:
        """The pool's manifest and history go at once; its objects stay until gc finds nothing references them."""
        body = await read_json(request, self.client_timeout)
        pool_id = ids.pool_id(field(body, "pool_id"))
        await self._mutate(pool_id, self.pools.delete, pool_id)
        self._listed.pop(pool_id, None)
        return web.json_response({"deleted": pool_id})

    async def editor_image(self, request: web.Request) -> web.Response:
        """Where the MaskEditor's copy of a slot is, as ComfyUI's /view and /upload/mask name files."""
        body = await read_json(request, self.client_timeout)
        pool_id = ids.pool_id(field(body, "pool_id"))
        slot = ids.slot_id(field(body, "slot"))
        input_dir = self._input_dir()
        if input_dir is None:
            raise NoInputFolder("the mask editor needs ComfyUI's input folder")
        path = await self._write(editor_copy, self.pools, pool_id, slot)
        try:
            relative = path.resolve().relative_to(Path(input_dir).resolve())
        except ValueError:
            raise NoInputFolder("the store is not inside the input folder, so the mask editor cannot open it") from None
        return web.json_response({"filename": relative.name, "subfolder": relative.parent.as_posix(), "type": "input"})

    # ----- files -------------------------------------------------------------------------------------------

    async def _immutable_file(self, request: web.Request, path: Path, etag: str,
                              content_type: str) -> web.StreamResponse:
        """Stream a content-addressed file; its ETag is its hash (aiohttp's FileResponse would use mtime)."""
        headers = {"Cache-Control": IMMUTABLE, "ETag": f'"{etag}"', "X-Content-Type-Options": "nosniff",
                   "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'"}
        if f'"{etag}"' in request.headers.get("If-None-Match", ""):
            return web.Response(status=304, headers=headers)
        try:
            f = await self._read(open, path, "rb")
        except FileNotFoundError:
            raise UnknownObject(f"no object {path.name}") from None
        with f:
            response = web.StreamResponse(headers={**headers, "Content-Type": content_type})
            response.content_length = os.fstat(f.fileno()).st_size
            await response.prepare(request)
            if request.method != "HEAD":
                while chunk := await self._read(f.read, FILE_CHUNK):
                    await response.write(chunk)
            await response.write_eof()
        return response

    async def _thumb_file(self, pools: Pools, key: str, size: int) -> Path:
        path = thumbs.thumb_path(pools.root, key, size)
        if path.is_file():
            return path
        job = self._rendering.get((key, size))
        if job is None:
            loop = asyncio.get_running_loop()
            job = loop.run_in_executor(self._thumbs, thumbs.ensure_thumb, pools.root, pools.objects.path(key), key,
                                       size)
            self._rendering[(key, size)] = job
            job.add_done_callback(lambda _: self._rendering.pop((key, size), None))
        return await asyncio.shield(job)  # one asker giving up does not cancel the render for the others

    async def thumb(self, request: web.Request) -> web.StreamResponse:
        key = ids.object_key(request.match_info["key"])
        size = thumbs.thumb_size(request.query.get("size"))
        path = await self._thumb_file(self.pools, key, size)
        etag = f"{ids.key_digest(key)}-{size}-{host.name()}"
        return await self._immutable_file(request, path, etag, "image/webp")

    async def object(self, request: web.Request) -> web.StreamResponse:
        key = ids.object_key(request.match_info["key"])
        path = self.pools.objects.path(key)
        return await self._immutable_file(request, path, ids.key_digest(key), CONTENT_TYPES[ids.key_extension(key)])
