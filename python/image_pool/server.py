"""The standalone server: the same routes as inside ComfyUI (also under /api), on 127.0.0.1 by default.

Hardened for being left running beside ComfyUI for days:
- it answers only Host names it serves (loopback names, the --host it listens on, and --allow-host ones), so a
  page on another site cannot reach it through DNS rebinding;
- no page of it can be framed (frame-ancestors 'none'), and cross-origin mutations are refused;
- a client that sends nothing for `client_timeout` seconds, in its headers or its body, is dropped.
"""

import asyncio
import ipaddress
import logging
import signal
from pathlib import Path

from aiohttp import web

from .formats import Limits
from .http_json import BODY_IDLE_TIMEOUT, error_response, json_errors
from .pools import Pools
from .routes import PoolApi
from .web_assets import asset_response

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
WILDCARD_HOSTS = ("", "0.0.0.0", "::")
NO_FRAMING = "frame-ancestors 'none'"


def host_name(header: str | None) -> str:
    """The name in a Host header, without its port, lowercase: "[::1]:8765" -> "::1"."""
    host = (header or "").strip().lower()
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    if host.count(":") == 1:
        host = host.split(":", 1)[0]
    return host.rstrip(".")


def served_names(listen_host: str, extra=()) -> frozenset[str]:
    names = {*LOOPBACK_NAMES, *(host_name(h) for h in extra)}
    if listen_host not in WILDCARD_HOSTS:
        names.add(host_name(listen_host))
    return frozenset(names)


def is_served(name: str, names: frozenset[str]) -> bool:
    if name in names or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def guard(names: frozenset[str]):
    @web.middleware
    async def middleware(request: web.Request, handler):
        name = host_name(request.headers.get("Host"))
        if not is_served(name, names):
            return error_response(403, "host_not_served", f"this server does not serve the host name {name!r:.100}; "
                                  f"start it with --allow-host {name:.100} if that is really its name")
        origin = request.headers.get("Origin")
        if request.method not in SAFE_METHODS and origin is not None:
            origin_host = origin.split("://", 1)[-1].rstrip("/")
            if origin_host != request.host:
                return error_response(403, "cross_origin", f"cross-origin request from {origin:.100} refused")
        return await handler(request)
    return middleware


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
    routes = web.RouteTableDef()
    api = PoolApi(lambda: pools, lambda: input_dir, client_timeout=client_timeout)
    api.register(routes)
    api.register(routes, "/api/grid_pool")  # as ComfyUI mirrors every route under /api
    routes.get("/")(json_errors(index))
    routes.get("/web/{name}")(json_errors(page_file))
    app = web.Application(middlewares=[guard(served_names(listen_host, allow_hosts))], client_max_size=1024 * 1024)
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
