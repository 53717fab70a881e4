"""Who hears that a pool changed in this process: the host installs a listener (ComfyUI's entry sends a server event
to every open browser tab), and `Pools.change` announces each generation it published. Other processes' changes are
not heard here; a page that must see them reads the pool again (the manager page does, while it is visible)."""

import logging
from typing import Callable

log = logging.getLogger("image_pool")

Listener = Callable[[str, int], None]
_listeners: list[Listener] = []


def listen(listener: Listener) -> Callable[[], None]:
    """Call `listener(pool_id, revision)` after each change; returns what stops it."""
    _listeners.append(listener)
    return lambda: _listeners.remove(listener) if listener in _listeners else None


def announce(pool_id: str, revision: int) -> None:
    """Never raises: the change is published already, and a listener's failure must not make it look refused."""
    for listener in tuple(_listeners):
        try:
            listener(pool_id, revision)
        except Exception:  # noqa: BLE001 - a listener's bug is logged, the change stands
            log.exception("a listener of pool changes failed")
