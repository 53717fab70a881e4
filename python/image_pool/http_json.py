"""JSON in and out for the HTTP handlers: error bodies, request bodies, field checks."""

import functools
import json
import logging

from aiohttp import web

from .errors import BadRequest, PoolError

log = logging.getLogger("image_pool.http")
MAX_JSON_BYTES = 1024 * 1024


def error_response(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


def json_errors(handler):
    """Turn every failure into {"error": {"code", "message"}} with its status; never an HTML error page."""
    @functools.wraps(handler)
    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except PoolError as e:
            return error_response(e.status, e.code, e.message)
        except web.HTTPException as e:
            if e.status >= 400:
                return error_response(e.status, "http_error", e.reason)
            raise
        except Exception:  # a bug or a disk failure: say so as JSON, log the details
            log.exception("unexpected error in %s %s", request.method, request.path)
            return error_response(500, "internal_error", "the server failed; see its log")
    return wrapped


async def read_json(request: web.Request) -> dict:
    if request.content_length is not None and request.content_length > MAX_JSON_BYTES:
        raise BadRequest("JSON body is too large")
    raw = await request.content.read(MAX_JSON_BYTES + 1)
    if len(raw) > MAX_JSON_BYTES:
        raise BadRequest("JSON body is too large")
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise BadRequest(f"body is not valid JSON: {e}") from None
    if not isinstance(body, dict):
        raise BadRequest("body must be a JSON object")
    return body


def field(body: dict, name: str, kind=str):
    if name not in body:
        raise BadRequest(f"missing field {name!r}")
    value = body[name]
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise BadRequest(f"field {name!r} must be a {kind.__name__}")
    return value


def manifest_response(manifest, **extra) -> web.Response:
    return web.json_response({**manifest.to_json(), **extra})
