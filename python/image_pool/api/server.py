"""The standalone server: the same routes as inside ComfyUI (also under /api), on 127.0.0.1 by default.

Hardened for being left running beside ComfyUI for days:
- it answers only Host names it serves and refuses changes from other origins (api/guard.py, the same guard
  as inside ComfyUI), so a page on another site cannot reach it through DNS rebinding;
- no page of it can be framed (frame-ancestors 'none');
- a client that sends nothing for `client_timeout` seconds, in its headers or its body, is dropped.
"""

import asyncio
import logging
import signal
from pathlib import Path

from aiohttp import web

from image_pool.api.guard import Guard
from image_pool.api.http_json import BODY_IDLE_TIMEOUT, json_errors
from image_pool.api.routes import PoolApi
from image_pool.api.web_assets import asset_response
from image_pool.pictures.formats import Limits
from image_pool.pools.pools import Pools
from image_pool.store.staging import remove_abandoned

NO_FRAMING = "frame-ancestors 'none'"


async def refuse_framing(request: web.Request, response: web.StreamResponse) -> None:
    response.headers["X-Frame-Options"] = "DENY"
    policy = response.headers.get("Content-Security-Policy")
    if policy is None:
        response.headers["Content-Security-Policy"] = NO_FRAMING
    elif "frame-ancestors" not in policy:
        response.headers["Content-Security-Policy"] = f"{policy}; {NO_FRAMING}"


async def index(request: web.Request) -> web.Response:
    return asset_response("manager.html")


async def page_file(request: web.Request) -> web.Response:
    return asset_response(request.match_info["name"])


def make_app(root: Path, input_dir: Path | None = None, limits: Limits = Limits(), *, listen_host: str = "127.0.0.1",
             allow_hosts=(), client_timeout: float = BODY_IDLE_TIMEOUT, **pool_options) -> web.Application:
    """The standalone app; `pool_options` go to Pools (lock_timeout, max_slots, ...)."""
    pools = Pools(root, limits=limits, **pool_options)
    remove_abandoned(pools.objects.tmp_dir)  # what imports left when their process died
    guard = Guard.for_standalone(listen_host, allow_hosts)
    routes = web.RouteTableDef()
    api = PoolApi(lambda: pools, lambda: input_dir, guard, client_timeout=client_timeout)
    api.register(routes)
    api.register(routes, "/api/grid_pool")  # as ComfyUI mirrors every route under /api
    routes.get("/")(json_errors(guard.wrap(index)))
    routes.get("/web/{name}")(json_errors(guard.wrap(page_file)))
    app = web.Application(client_max_size=1024 * 1024)
    app.on_response_prepare.append(refuse_framing)
    app.add_routes(routes)
    return app


def _raise_open_file_limit() -> None:
    """Many clients at once must not run the process out of file descriptors before the timeouts drop them."""
    try:
        import resource
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if hard == resource.RLIM_INFINITY or hard > soft:
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536) if hard != resource.RLIM_INFINITY
                                                        else 65536, hard))
    except (ImportError, ValueError, OSError):
        pass


async def run(root: Path, host: str, port: int, input_dir: Path | None = None, *, allow_hosts=(),
              client_timeout: float = BODY_IDLE_TIMEOUT, verbose: bool = False) -> None:
    root.mkdir(parents=True, exist_ok=True)
    _raise_open_file_limit()
    app = make_app(root, input_dir, listen_host=host, allow_hosts=allow_hosts, client_timeout=client_timeout)
    # keepalive_timeout also closes a connection whose request head has not arrived in time (half-sent headers)
    # lingering_time: how long a refused body is still read (so its sender sees the answer) before the close
    # one line per request only with --verbose: a short session in the manager makes hundreds
    runner = web.AppRunner(app, access_log=logging.getLogger("image_pool.access") if verbose else None,
                           keepalive_timeout=client_timeout,
                           handler_cancellation=True, lingering_time=1.0)
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


def serve(root: Path, host: str = "127.0.0.1", port: int = 8765, input_dir: Path | None = None, *,
          allow_hosts=(), client_timeout: float = BODY_IDLE_TIMEOUT, verbose: bool = False) -> None:
    try:
        asyncio.run(run(Path(root), host, port, input_dir, allow_hosts=allow_hosts, client_timeout=client_timeout,
                        verbose=verbose))
    except KeyboardInterrupt:
        pass
