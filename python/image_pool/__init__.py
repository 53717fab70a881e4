"""Image Pool: content-addressed image pools with per-image masks and labels.

The package is in floors that import only downward: pictures (beside errors), store, pools, then node and api, then
cli. For scripts, the entry points are here:

    from image_pool import Pools, fsck, gc, export_pool, import_pool, pools_for

Importing this package pulls in neither torch nor ComfyUI; only the node's decoding path (node/imaging) imports
torch, so the store, the CLI and the server run without it.
"""

__version__ = "0.1.0"

from image_pool.node.root import pools_for  # noqa: E402  (the store this process uses: --root, env, ComfyUI's)
from image_pool.pools.archive import export_pool, import_pool  # noqa: E402
from image_pool.pools.maintenance import fsck, gc  # noqa: E402
from image_pool.pools.pools import Pools  # noqa: E402

__all__ = ["Pools", "__version__", "export_pool", "fsck", "gc", "import_pool", "pools_for"]
