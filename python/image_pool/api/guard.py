"""The project's own guard for every route, applied by the handlers themselves (api/routes.py), so that it holds inside
ComfyUI as it does standalone. ComfyUI's middleware compares Origin with Host only when Host is a loopback name and
Origin has a host, so `Origin: null` (a sandboxed iframe, a data: page) and a foreign Host (DNS rebinding) pass it.

- Host: a request must name a loopback host (localhost, *.localhost, 127.0.0.0/8, ::1) or one allowed by the user
  (--allow-host, $IMAGE_POOL_ALLOW_HOSTS): a page that rebinds its own DNS name to 127.0.0.1 sends its own name, and
  is refused. The standalone server also serves the address it listens on (any IP literal when it listens on all
  of them: rebinding needs a name). ComfyUI listening beyond loopback (--listen) is reached by names no one told us
  (a LAN host name, a cloud host's proxy), so there any Host passes and the Origin rule does the work.
- Origin, for every change (any method but GET/HEAD/OPTIONS): absent (curl, scripts: no browser omits it on a
  POST) or the request's own host; `null` and any other origin are refused, unless its host is allowed.
- JSON bodies are taken only as application/json (http_json.read_json): a plain HTML form can post text/plain to
  another site with no preflight, never application/json.
"""

import ipaddress
import os
from dataclasses import dataclass

from aiohttp import web

from image_pool.api.http_json import error_response

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
WILDCARD_HOSTS = ("", "0.0.0.0", "::")
ENV_ALLOW_HOSTS = "IMAGE_POOL_ALLOW_HOSTS"


def host_name(header: str | None) -> str:
    """The name in a Host header (or an origin's host part), without its port, lowercase: "[::1]:8765" -> "::1"."""
    host = (header or "").strip().lower()
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    if host.count(":") == 1:
        host = host.split(":", 1)[0]
    return host.rstrip(".")


def _ip(name: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(name)
    except ValueError:
        return None


def is_loopback(name: str) -> bool:
    ip = _ip(name)
    return name in LOOPBACK_NAMES or name.endswith(".localhost") or (ip is not None and ip.is_loopback)


def _names(allow_hosts) -> frozenset[str]:
    """The names given, and those of $IMAGE_POOL_ALLOW_HOSTS (separated by commas or spaces)."""
    from_environment = os.environ.get(ENV_ALLOW_HOSTS, "").replace(",", " ").split()
    return frozenset(host_name(h) for h in (*allow_hosts, *from_environment) if h.strip())


@dataclass(frozen=True)
class Guard:
    allowed: frozenset[str] = frozenset()  # the user's names: served as hosts, trusted as origins
    served: frozenset[str] = frozenset()  # also served as hosts: the specific addresses listened on
    any_ip: bool = False  # every IP literal is served (a wildcard listen; DNS rebinding needs a name)
    any_host: bool = False  # every Host is served (ComfyUI listening beyond loopback)

    @classmethod
    def for_comfyui(cls, listen: str, allow_hosts=()) -> "Guard":
        """ComfyUI's --listen (addresses separated by commas): a Host check only while every one is loopback."""
        addresses = [host_name(a) for a in (listen or "127.0.0.1").split(",")]
        return cls(_names(allow_hosts), any_host=not all(is_loopback(a) for a in addresses))

    @classmethod
    def for_standalone(cls, listen_host: str, allow_hosts=()) -> "Guard":
        """The standalone server always checks Host: its own address and names, loopback, and the allowed ones."""
        name = host_name(listen_host)
        wildcard = name in WILDCARD_HOSTS
        return cls(_names(allow_hosts), frozenset(() if wildcard else (name,)), any_ip=wildcard)

    def serves(self, name: str) -> bool:
        return (self.any_host or is_loopback(name) or name in self.allowed or name in self.served
                or self.any_ip and _ip(name) is not None)

    def refusal(self, request: web.Request) -> web.Response | None:
        """Why this request is refused (a 403), or None."""
        name = host_name(request.headers.get("Host"))
        if not self.serves(name):
            return error_response(403, "host_not_served", f"this server does not serve the host name {name!r:.100}; "
                                  f"allow it with --allow-host {name:.100} (standalone) or "
                                  f"{ENV_ALLOW_HOSTS}={name:.100} if that is really its name")
        if request.method in SAFE_METHODS:
            return None
        origin = request.headers.get("Origin")
        if origin is None:
            return None
        origin_host = origin.strip().lower().split("://", 1)[-1].rstrip("/")
        host = (request.headers.get("Host") or "").strip().lower()  # the header itself: aiohttp's request.host
        if "://" in origin and origin_host == host or host_name(origin_host) in self.allowed:  # is not, in absolute form
            return None
        return error_response(403, "cross_origin", f"a change from the origin {origin!r:.100} is refused: only "
                              f"pages of this server may change pools")

    def wrap(self, handler):
        async def guarded(request: web.Request) -> web.StreamResponse:
            return self.refusal(request) or await handler(request)
        return guarded
