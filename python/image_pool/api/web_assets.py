"""The manager page and the elements' browser files, read from inside the package (so a wheel installed anywhere
serves them) with importlib.resources; only plain file names of HTML and JavaScript are ever looked up."""

import re
from importlib import resources

from aiohttp import web

from image_pool.errors import UnknownObject

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*\.(html|js)")
CONTENT_TYPES = {"html": "text/html; charset=utf-8", "js": "text/javascript; charset=utf-8"}
IMMUTABLE = "public, max-age=31536000, immutable"


def _read(name: str) -> bytes:
    match = NAME.fullmatch(name)
    if match is None:
        raise UnknownObject(f"no page file {name!r:.80}")
    try:
        return resources.files("image_pool").joinpath("web", name).read_bytes()
    except (FileNotFoundError, IsADirectoryError):
        raise UnknownObject(f"no page file {name!r:.80}") from None


def asset_response(name: str) -> web.Response:
    body = _read(name)
    kind = name.rsplit(".", 1)[1]
    # shared-<hash>.js is named by its content; the entry files keep their names across releases
    cache = IMMUTABLE if name.startswith("shared-") else "no-cache"
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPES[kind], "Cache-Control": cache,
                                            "X-Content-Type-Options": "nosniff"})
