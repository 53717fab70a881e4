"""Where the store lives, and the one Pools object per root that the node and the routes share.

Order: a root the caller names; else $IMAGE_POOL_ROOT; else the provider the host installed (ComfyUI's
entry installs <input>/.grid_pool, store/in_comfyui.py); else ./image-pool-data.
"""

import functools
import os
import threading
from pathlib import Path
from typing import Callable

from image_pool.pictures.formats import Limits
from image_pool.pools.pools import Pools

DEFAULT_ROOT = "image-pool-data"
ENV_ROOT = "IMAGE_POOL_ROOT"

_provider: Callable[[], str | os.PathLike] | None = None
_limits = Limits()
_pools: dict[Path, Pools] = {}
_lock = threading.Lock()


def comfyui_input_beside(node_folder: str) -> str | None:
    """ComfyUI's input folder, for a custom node installed at <ComfyUI>/custom_nodes/<node_folder>; None when the
    folder does not stand in a ComfyUI checkout."""
    comfyui = os.path.dirname(os.path.dirname(os.path.abspath(node_folder)))
    if os.path.basename(os.path.dirname(os.path.abspath(node_folder))) != "custom_nodes" or \
            not os.path.isfile(os.path.join(comfyui, "main.py")):
        return None
    return os.path.join(comfyui, "input")


def set_root_provider(provider: Callable[[], str | os.PathLike] | None, limits: Limits | None = None) -> None:
    """Installed by the host (ComfyUI's entry): where the store is, and its upload limits."""
    global _provider, _limits
    _provider = provider
    _limits = limits or Limits()
    with _lock:
        _pools.clear()


@functools.lru_cache(maxsize=64)
def _path(value: str | os.PathLike) -> Path:
    return Path(value)


def store_root(explicit: str | os.PathLike | None = None) -> Path:
    """Cheap on the node's hot path: the same spelling gives the same Path object without parsing it again."""
    if explicit:
        return _path(explicit)
    if os.environ.get(ENV_ROOT):
        return _path(os.environ[ENV_ROOT])
    if _provider is not None:
        return _path(_provider())
    return _path(DEFAULT_ROOT)


def pools_for(explicit: str | os.PathLike | None = None) -> Pools:
    """The shared Pools for a root. Keyed by the path as given, so the hot path costs no file system call;
    two spellings of one folder get two Pools objects, which is safe (the locks are on disk)."""
    root = store_root(explicit)
    pools = _pools.get(root)
    if pools is None:
        with _lock:
            pools = _pools.setdefault(root, Pools(root.absolute(), limits=_limits))
    return pools
