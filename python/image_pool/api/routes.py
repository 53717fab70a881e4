"""The HTTP API, one set of aiohttp handlers for ComfyUI and the standalone server, each behind the project's own
guard (api/guard.py), whichever host mounts it.

Handlers take the store from a provider given at registration, so tests and the two hosts each pass their own. Each
request is parsed once, at the edge, into a typed request (api/requests.py). No blocking call runs on the event loop,
and nothing slow stalls the rest:
- reads (manifests, pool lists, files) run on their own threads;
- a change to a pool waits for that pool on the event loop, holding no thread: first for this process's earlier
  changes of it, then for its file lock (another process may hold it), tried without blocking; a pool locked past
  `lock_timeout` answers 503 with Retry-After. Only then does the change run on a write thread;
- an upload is staged whole (received, hashed, checked) before it takes the store's gc lock, which it holds only
  from its first object published to its manifest published;
- full decodes (thumbnails, checks of uploads) run at most two at once (pictures/decoding.py), each (object, size)
  thumbnail once however many ask for it at the same time.
"""

import asyncio
import logging
import os
import weakref
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Callable

from aiohttp import web

from image_pool.api import thumbnails
from image_pool.api.editor_copy import editor_copy
from image_pool.api.guard import Guard
from image_pool.api.http_json import BODY_IDLE_TIMEOUT, json_errors, manifest_response, read_json, within
from image_pool.api.input_files import open_input_file
from image_pool.api.requests import (AddInputFileRequest, InputFile, LabelRequest, MaskRequest, PoolRequest,
                                     RenameRequest, ReorderRequest, SlotRequest, truth)
from image_pool.api.uploads import Upload, read_archive_upload, read_upload
from image_pool.errors import BadRequest, DamagedObject, NoInputFolder, PoolBusy, PoolError, SlowClient, UnknownObject
from image_pool.pictures import host, masks
from image_pool.pictures.decoding import DECODES
from image_pool.pictures.formats import CONTENT_TYPES
from image_pool.pools.archive import (archive_file_name, export_chunks, prepare_export, publish_import, refuse_existing,
                                      verify_archive)
from image_pool.pools.pools import Pools, unknown_pool
from image_pool.store import ids
from image_pool.store.lock import FileLock, gc_running, pool_busy
from image_pool.store.staging import Staging

log = logging.getLogger("image_pool.http")
PREFIX = "/grid_pool"
IMMUTABLE = "public, max-age=31536000, immutable"
FILE_CHUNK = 1024 * 1024
READ_THREADS, WRITE_THREADS, IMPORT_THREADS = 4, 8, 2
LOCK_POLL_FIRST, LOCK_POLL_MAX = 0.005, 0.1  # seconds between tries of another process's pool lock


class PoolApi:
    def __init__(self, pools: Callable[[], Pools], input_dir: Callable[[], Path | None] = lambda: None,
                 guard: Guard = Guard(), client_timeout: float = BODY_IDLE_TIMEOUT,
                 result_dir: Callable[[str], Path | None] = lambda kind: None):
        """`input_dir`: ComfyUI's input folder (or the standalone server's --input-dir); `result_dir(kind)`: its
        output and temp folders, where results are added from (ComfyUI only)."""
        self._pools = pools
        self.guard = guard
        self._input_dir = input_dir
        self._result_dir = result_dir
        self.client_timeout = client_timeout
        self._reads = ThreadPoolExecutor(READ_THREADS, thread_name_prefix="image-pool-read")
        self._writes = ThreadPoolExecutor(WRITE_THREADS, thread_name_prefix="image-pool-write")
        self._imports = ThreadPoolExecutor(IMPORT_THREADS, thread_name_prefix="image-pool-import")
        self._gates: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._rendering: dict[tuple[str, int], asyncio.Future] = {}

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
            ("GET", "/export", self.export), ("POST", "/import", self.import_archive),
            # any text, line breaks included, reaches the handler, which validates it (a JSON 400, not a 404)
            ("GET", r"/thumb/{key:[\s\S]*}", self.thumb), ("GET", r"/object/{key:[\s\S]*}", self.object),
        ):
            routes.route(method, prefix + path)(json_errors(self.guard.wrap(handler)))

    # ----- where work runs ---------------------------------------------------------------------------------

    async def _read(self, fn, *args):
        return await asyncio.get_running_loop().run_in_executor(self._reads, partial(fn, *args))

    async def _write(self, fn, *args, **kwargs):
        return await asyncio.get_running_loop().run_in_executor(self._writes, partial(fn, *args, **kwargs))

    async def _mutate(self, pool_id: str, fn, *args, creates: bool = False):
        """Run `fn(*args, lock=<the pool's lock, held>)` on a write thread, after this process's earlier changes of
        the pool and once its file lock is held; the waits happen here, on the event loop, holding no thread. A
        change that does not make pools is refused at once for a pool that does not exist (and the change checks
        again under the lock)."""
        pools = self.pools
        if not creates and not pools.exists(pool_id):
            raise unknown_pool(pool_id)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + pools.lock_timeout
        gate = self._gates.get(pool_id)
        if gate is None:
            gate = self._gates[pool_id] = asyncio.Lock()
        try:
            if gate.locked():  # wait_for makes a task: only when there is something to wait for
                await asyncio.wait_for(gate.acquire(), pools.lock_timeout)
            else:
                await gate.acquire()
        except asyncio.TimeoutError:
            raise PoolBusy(f"pool {pool_id} is busy with earlier changes; try again in a moment") from None
        try:
            lock = await self._take(pools.lock(pool_id), deadline, pool_busy(pool_id))
            try:
                return await self._write(fn, *args, lock=lock)
            finally:
                lock.release()
        finally:
            gate.release()

    @staticmethod
    async def _take(lock: FileLock, deadline: float, busy: Callable[[], PoolError]) -> FileLock:
        """Wait for a file lock (another process may hold it) on the event loop, holding no thread: it is tried
        without blocking, at growing intervals, until `deadline` (the loop's clock), then `busy()` is raised."""
        loop = asyncio.get_running_loop()
        pause = LOCK_POLL_FIRST
        while not lock.try_acquire():
            if loop.time() >= deadline:
                raise busy()
            await asyncio.sleep(pause)
            pause = min(pause * 2, LOCK_POLL_MAX)
        return lock

    async def _gc_lock_shared(self) -> FileLock:
        """The store's gc lock, held shared (a running gc holds it exclusive), waited for on the event loop."""
        pools = self.pools
        return await self._take(pools.store_lock.shared_hold(), asyncio.get_running_loop().time() + pools.lock_timeout,
                                gc_running)

    async def _publishing(self, pool_id: str, upload, publish, creates: bool = True):
        """`publish(batch, lock=...)` for a staged upload: the store's gc lock is held shared (an AddBatch) from the
        first object published to the manifest, not while the body arrived, and waited for holding no thread."""
        pools = self.pools
        try:
            batch = pools.begin_adding(await self._gc_lock_shared())
            failed = True
            try:
                result = await self._mutate(pool_id, publish, batch, creates=creates)
                failed = False
                return result
            finally:
                await self._write(batch.close, failed)
        finally:
            upload.abort()

    # ----- reading -----------------------------------------------------------------------------------------

    async def list(self, request: web.Request) -> web.Response:
        """The manifest's JSON is made once per generation (Manifest.dumps), so an unchanged pool costs one stat."""
        pool_id = ids.pool_id(request.query.get("pool_id"))
        manifest = await self._read(self.pools.load, pool_id)
        return manifest_response(manifest)

    async def list_pools(self, request: web.Request) -> web.Response:
        pools = self.pools
        def listing():
            summaries = sorted((pools.summary(p) for p in pools.pool_ids()),
                               key=lambda s: (not s.name, s.name.casefold(), s.name, s.pool_id))
            return [summary.to_json() for summary in summaries]
        return web.json_response({"pools": await self._read(listing)})

    # ----- mutations ---------------------------------------------------------------------------------------

    async def add(self, request: web.Request) -> web.Response:
        pools = self.pools
        if not request.content_type.startswith("multipart/"):
            return await self._add_input_file(pools, AddInputFileRequest.parse(await self._body(request)))
        upload = await read_upload(request, pools.objects, self.client_timeout)
        try:
            pool_id = ids.pool_id(upload.fields.get("pool_id"))
            if not upload.files:
                raise BadRequest("no image file in the request (send it as the 'file' field)")
            label = upload.fields.get("label", "")  # cleaned by add_objects, as every caller's
            names = [name for name, _ in upload.files]
        except BaseException:
            upload.abort()
            raise

        def publish(batch, lock):
            pools.check_room(pool_id, len(upload.files))
            stored = [batch.note(ingest.publish()) for _, ingest in upload.files]
            return pools.add_objects(pool_id, stored, labels=[label] * len(stored), names=names, lock=lock)
        manifest, added = await self._publishing(pool_id, upload, publish)
        return manifest_response(manifest, added=added)

    async def _add_input_file(self, pools: Pools, add: AddInputFileRequest) -> web.Response:
        """A file of ComfyUI's input, output or temp folder: read there by the server, no byte through the browser.
        A result (output, temp) the pool holds already is not added again."""
        def publish(batch, lock):
            f, shown = self._open(add.file)
            with f:
                pools.check_room(add.pool_id, 1)
                stored = batch.note(pools.objects.put_open_file(f, shown))
            return pools.add_objects(add.pool_id, [stored], labels=[add.label], names=[os.path.basename(shown)],
                                     skip_present=add.file.kind != "input", lock=lock)
        manifest, added = await self._publishing(add.pool_id, Upload(), publish)
        return manifest_response(manifest, added=added)

    def _open(self, file: InputFile):
        folder = self._input_dir() if file.kind == "input" else self._result_dir(file.kind)
        return open_input_file(folder, file.name, file.subfolder, file.kind)

    async def _body(self, request: web.Request) -> dict:
        return await read_json(request, self.client_timeout)

    async def remove(self, request: web.Request) -> web.Response:
        at = SlotRequest.parse(await self._body(request))
        return manifest_response(await self._mutate(at.pool_id, self.pools.remove, at.pool_id, at.slot))

    async def active(self, request: web.Request) -> web.Response:
        at = SlotRequest.parse(await self._body(request))
        return manifest_response(await self._mutate(at.pool_id, self.pools.set_active, at.pool_id, at.slot))

    async def label(self, request: web.Request) -> web.Response:
        change = LabelRequest.parse(await self._body(request))
        return manifest_response(await self._mutate(change.pool_id, self.pools.set_label, change.pool_id, change.slot,
                                                    change.label))

    async def set_mask(self, request: web.Request) -> web.Response:
        pools = self.pools
        if not request.content_type.startswith("multipart/"):
            change = MaskRequest.parse(await self._body(request))
            return manifest_response(await self._mutate(change.pool_id, self._set_mask_from_json, change))
        upload = await read_upload(request, pools.objects, self.client_timeout)
        try:
            at = SlotRequest.parse({"pool_id": upload.fields.get("pool_id"), "slot": upload.fields.get("slot")})
            if len(upload.files) != 1:
                raise BadRequest("send exactly one mask picture, as the 'mask' field")
            staged = upload.files[0][1]
            mask = await asyncio.get_running_loop().run_in_executor(
                DECODES, masks.from_picture, staged.path, upload.fields.get("channel"), staged.name)
        except BaseException:
            upload.abort()  # the picture itself is never kept: the mask is stored as a normalized PNG
            raise

        def publish(batch, lock):
            return pools.set_mask(at.pool_id, at.slot, mask, batch=batch, lock=lock)
        return manifest_response(await self._publishing(at.pool_id, upload, publish, creates=False))

    def _set_mask_from_json(self, change: MaskRequest, lock):
        if change.file is None:
            return self.pools.set_mask(change.pool_id, change.slot, None, lock=lock)
        f, shown = self._open(change.file)
        with f:
            mask = masks.from_picture(f, change.channel, shown)
        return self.pools.set_mask(change.pool_id, change.slot, mask, lock=lock)

    async def reorder(self, request: web.Request) -> web.Response:
        change = ReorderRequest.parse(await self._body(request))
        return manifest_response(await self._mutate(change.pool_id, self.pools.reorder, change.pool_id, change.order))

    async def detach(self, request: web.Request) -> web.Response:
        """The copy is read under the source pool's lock, the gc lock held shared, both waited for holding no thread
        (see Pools.detach)."""
        pool = PoolRequest.parse(await self._body(request))

        def publish(batch, lock):
            return self.pools.detach(pool.pool_id, batch=batch, lock=lock)
        return manifest_response(await self._publishing(pool.pool_id, Upload(), publish, creates=False))

    async def rename(self, request: web.Request) -> web.Response:
        change = RenameRequest.parse(await self._body(request))
        return manifest_response(await self._mutate(change.pool_id, self.pools.set_name, change.pool_id, change.name,
                                                    creates=True))

    async def delete(self, request: web.Request) -> web.Response:
        """The pool's manifest and history go at once; its objects stay until gc finds nothing references them."""
        pool = PoolRequest.parse(await self._body(request))
        await self._mutate(pool.pool_id, self.pools.delete, pool.pool_id)
        return web.json_response({"deleted": pool.pool_id})

    async def editor_image(self, request: web.Request) -> web.Response:
        """Where the MaskEditor's copy of a slot is, as ComfyUI's /view and /upload/mask name files."""
        at = SlotRequest.parse(await self._body(request))
        input_dir = self._input_dir()
        if input_dir is None:
            raise NoInputFolder("the mask editor needs ComfyUI's input folder")
        path = await asyncio.get_running_loop().run_in_executor(DECODES, editor_copy, self.pools, at.pool_id, at.slot)
        try:
            relative = path.resolve().relative_to(Path(input_dir).resolve())
        except ValueError:
            raise NoInputFolder("the store is not inside the input folder, so the mask editor cannot open it") from None
        return web.json_response({"filename": relative.name, "subfolder": relative.parent.as_posix(), "type": "input"})

    # ----- archives (the CLI's export and import) ----------------------------------------------------------------

    async def export(self, request: web.Request) -> web.StreamResponse:
        """The pool's archive as a download named after the pool, streamed from the objects (no copy of it is
        written) while the gc lock is held shared, so a delete and gc meanwhile cannot take what it reads. A
        damaged object found on the way, or a reader that takes nothing for the client timeout, ends the connection
        before the promised length: the client sees a broken download, never a whole-looking archive."""
        pools = self.pools
        pool_id = ids.pool_id(request.query.get("pool_id"))
        if not pools.exists(pool_id):
            raise unknown_pool(pool_id)
        held = await self._gc_lock_shared()
        try:
            export = await self._read(prepare_export, pools, pool_id)
            ascii_name, utf8_name = archive_file_name(export.manifest)
            response = web.StreamResponse(headers={
                "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{utf8_name}",
                "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "Content-Type": "application/x-tar"})
            response.content_length = export.size
            await response.prepare(request)
            chunks = export_chunks(pools, export)
            try:
                while (chunk := await self._read(next, chunks, None)) is not None:
                    await within(response.write(chunk), self.client_timeout)  # a stalled reader holds gc off
            except (DamagedObject, SlowClient) as e:
                log.warning("export of pool %s stopped: %s", pool_id, e.message)
                if request.transport is not None:
                    request.transport.close()
                return response
            finally:
                chunks.close()
            await response.write_eof()
            return response
        finally:
            held.release()

    async def import_archive(self, request: web.Request) -> web.Response:
        """multipart `archive` (and `new_id`: true to keep both when the pool is here): the imported pool's manifest.
        The archive is received into a staging folder of the store, under the archive's caps, then verified on the
        import threads (so imports never take the threads changes run on), then published like an add."""
        pools = self.pools
        loop = asyncio.get_running_loop()
        staging = Staging(pools.objects.tmp_dir).__enter__()
        try:
            upload = await read_archive_upload(request, pools, staging.folder, self.client_timeout)
            new_id = truth(upload.fields.get("new_id", "false"), "new_id")
            verified = await loop.run_in_executor(self._imports, verify_archive, pools, upload.path, staging.folder)
            upload.abort()  # read whole: its space is free before the objects enter the store
            if new_id:
                verified.manifest.pool_id = ids.new_pool_id()
            else:
                refuse_existing(pools, verified)

            def publish(batch, lock):
                return publish_import(pools, verified, batch, lock=lock)
            result = await self._publishing(verified.manifest.pool_id, upload, publish)
        finally:
            await loop.run_in_executor(self._imports, staging.__exit__, None, None, None)
        return manifest_response(result.manifest, objects_added=result.objects_added)

    # ----- files -------------------------------------------------------------------------------------------

    async def _immutable_file(self, request: web.Request, path: Path, etag: str,
                              content_type: str) -> web.StreamResponse:
        """Stream a content-addressed file; its ETag is its hash (aiohttp's FileResponse would use mtime)."""
        headers = {"Cache-Control": IMMUTABLE, "ETag": f'"{etag}"', "X-Content-Type-Options": "nosniff",
                   "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'"}
        try:
            f = await self._read(open, path, "rb")
        except FileNotFoundError:
            raise UnknownObject(f"no object {path.name}") from None
        with f:
            if f'"{etag}"' in request.headers.get("If-None-Match", ""):  # only for a file that is there
                return web.Response(status=304, headers=headers)
            response = web.StreamResponse(headers={**headers, "Content-Type": content_type})
            response.content_length = os.fstat(f.fileno()).st_size
            await response.prepare(request)
            if request.method != "HEAD":
                while chunk := await self._read(f.read, FILE_CHUNK):
                    await response.write(chunk)
            await response.write_eof()
        return response

    async def _thumb_file(self, pools: Pools, key: str, size: int) -> Path:
        path = thumbnails.thumb_path(pools.root, key, size)
        if path.is_file():
            return path
        job = self._rendering.get((key, size))
        if job is None:
            loop = asyncio.get_running_loop()
            job = loop.run_in_executor(DECODES, thumbnails.ensure_thumb, pools.root, pools.objects.path(key), key,
                                       size)
            self._rendering[(key, size)] = job
            job.add_done_callback(lambda _: self._rendering.pop((key, size), None))
        return await asyncio.shield(job)  # one asker giving up does not cancel the render for the others

    async def thumb(self, request: web.Request) -> web.StreamResponse:
        key = ids.object_key(request.match_info["key"])
        size = thumbnails.thumb_size(request.query.get("size"))
        path = await self._thumb_file(self.pools, key, size)
        etag = f"{ids.key_digest(key)}-{size}-{host.name()}"
        return await self._immutable_file(request, path, etag, "image/webp")

    async def object(self, request: web.Request) -> web.StreamResponse:
        key = ids.object_key(request.match_info["key"])
        path = self.pools.objects.path(key)
        return await self._immutable_file(request, path, ids.key_digest(key), CONTENT_TYPES[ids.key_extension(key)])
