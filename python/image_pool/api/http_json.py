"""JSON in and out for the HTTP handlers: error bodies, and request bodies read whole under a cap."""

import asyncio
import functools
import json
import logging

from aiohttp import web

from image_pool.errors import BadRequest, NotJson, PoolError, SlowClient, TooLarge, storage_error

log = logging.getLogger("image_pool.http")
MAX_JSON_BYTES = 1024 * 1024
BODY_IDLE_TIMEOUT = 30.0  # seconds a client may send nothing while its request body is being read


def error_response(status: int, code: str, message: str, retry_after: int | None = None) -> web.Response:
    headers = {"Retry-After": str(retry_after)} if retry_after else None
    return web.json_response({"error": {"code": code, "message": message}}, status=status, headers=headers)


def pool_error_response(e: PoolError) -> web.Response:
    response = error_response(e.status, e.code, e.message, e.retry_after if e.status == 503 else None)
    if isinstance(e, SlowClient):
        response.force_close()
    return response


def json_errors(handler):
    """Turn every failure into {"error": {"code", "message"}} with its status; never an HTML error page."""
    @functools.wraps(handler)
    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except PoolError as e:
            response = pool_error_response(e)
            if request.body_exists and not request.content.at_eof():
                response.force_close()  # refused before the body's end: do not read the rest of it
            return response
        except web.HTTPException as e:
            if e.status >= 400:
                return error_response(e.status, "http_error", e.reason)
            raise
        except OSError as e:
            known = storage_error(e)
            if known is not None:
                return pool_error_response(known)
            log.exception("unexpected error in %s %s", request.method, request.path)
            return error_response(500, "internal_error", "the server failed; see its log")
        except Exception:  # a bug: say so as JSON, log the details
            log.exception("unexpected error in %s %s", request.method, request.path)
            return error_response(500, "internal_error", "the server failed; see its log")
    return wrapped


async def within(awaitable, timeout: float):
    """A read from the client that must make progress within `timeout` seconds."""
    try:
        if hasattr(asyncio, "timeout"):  # Python 3.11+: no task made per read, unlike wait_for
            async with asyncio.timeout(timeout):
                return await awaitable
        return await asyncio.wait_for(awaitable, timeout)
    except asyncio.TimeoutError:
        raise SlowClient(f"the client sent nothing for {timeout:g} s; request abandoned") from None


async def read_body(request: web.Request, cap: int, idle: float = BODY_IDLE_TIMEOUT) -> bytes:
    """The whole body, however many TCP segments it came in, refused as soon as it passes `cap` bytes."""
    if request.content_length is not None and request.content_length > cap:
        raise TooLarge(f"the request body is {request.content_length:,} bytes, over the limit of {cap:,}")
    chunks, total = [], 0
    while chunk := await within(request.content.readany(), idle):
        total += len(chunk)
        if total > cap:
            raise TooLarge(f"the request body is over the limit of {cap:,} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def read_json(request: web.Request, idle: float = BODY_IDLE_TIMEOUT) -> dict:
    """The body as a JSON object. Only application/json: an HTML form on another site can send text/plain (or a
    form encoding) with no preflight, never application/json."""
    if request.content_type != "application/json":
        raise NotJson(f"send the body as application/json, not {request.content_type[:100]!r}")
    raw = await read_body(request, MAX_JSON_BYTES, idle)
    try:
        body = json.loads(raw.decode("utf-8"))
    except RecursionError:
        raise BadRequest("body is not valid JSON: nested too deeply") from None
    except ValueError as e:  # bad UTF-8, bad JSON, and a number with more digits than Python converts
        raise BadRequest(f"body is not valid JSON: {str(e)[:200]}") from None
    if not isinstance(body, dict):
        raise BadRequest("body must be a JSON object")
    return body


def manifest_response(manifest, **extra) -> web.Response:
    return web.Response(body=manifest.dumps(**extra), content_type="application/json")
