"""The standalone server: the same routes as inside ComfyUI (also under /api), on 127.0.0.1 by default."""

import asyncio
import logging
import signal
from pathlib import Path

from aiohttp import web

from .http_json import error_response
from .formats import Limits
from .pools import Pools
from .routes import PoolApi

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


@web.middleware
async def refuse_cross_origin(request: web.Request, handler):
    """A page on another site must not change pools through a browser: Origin must match Host to mutate."""
    origin = request.headers.get("Origin")
    if request.method not in SAFE_METHODS and origin is not None:
        origin_host = origin.split("://", 1)[-1].rstrip("/")
        if origin_host != request.host:
            return error_response(403, "cross_origin", f"cross-origin request from {origin} refused")
    return await handler(request)


# The page's bundle is built into the repository's web/ folder (the one ComfyUI serves too).
WEB_DIR = Path(__file__).resolve().parents[2] / "web"


async def index(request: web.Request) -> web.StreamResponse:
    page = WEB_DIR / "manager.html"
    if page.is_file():
        return web.FileResponse(page, headers={"Cache-Control": "no-cache"})
    return web.Response(text="Image Pool server. The API is under /grid_pool/ and /api/grid_pool/, "
                             f"e.g. GET /grid_pool/pools. (The manager page needs {WEB_DIR}.)\n")


def make_app(root: Path, input_dir: Path | None = None, limits: Limits = Limits()) -> web.Application:
    pools = Pools(root, limits=limits)
    routes = web.RouteTableDef()
    api = PoolApi(lambda: pools, lambda: input_dir)
    api.register(routes)
    api.register(routes, "/api/grid_pool")  # as ComfyUI mirrors every route under /api
    routes.get("/")(index)
    app = web.Application(middlewares=[refuse_cross_origin], client_max_size=1024 * 1024)
    app.add_routes(routes)
    if WEB_DIR.is_dir():
        app.router.add_static("/web/", WEB_DIR, append_version=False)
    return app


async def run(root: Path, host: str, port: int, input_dir: Path | None = None) -> None:
    root.mkdir(parents=True, exist_ok=True)
    runner = web.AppRunner(make_app(root, input_dir), access_log=logging.getLogger("image_pool.access"))
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound_host, bound_port = runner.addresses[0][:2]
    print(f"Image Pool: serving {root.resolve()} at http://{bound_host}:{bound_port}/  (Ctrl+C stops)", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # Windows: Ctrl+C arrives as KeyboardInterrupt
            pass
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
        print("Image Pool: stopped", flush=True)


def serve(root: Path, host: str = "127.0.0.1", port: int = 8765, input_dir: Path | None = None) -> None:
    try:
        asyncio.run(run(Path(root), host, port, input_dir))
    except KeyboardInterrupt:
        pass
