"""ComfyUI entry for Image Pool (Grid). The package itself lives in python/image_pool and never imports ComfyUI;
this file hands it what ComfyUI has: the input folder, the upload limit and the server's route table."""

import os
import sys

_here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(_here, "python"))

from image_pool.node import NODE_CLASS_MAPPINGS, NODE_DISPLAY_NAME_MAPPINGS  # noqa: E402
from image_pool.root import pools_for, set_root_provider  # noqa: E402

try:
    import folder_paths  # present only inside ComfyUI
except ImportError:
    folder_paths = None


def _inside_comfyui() -> None:
    from pathlib import Path

    from image_pool.formats import Limits
    from image_pool.routes import PoolApi

    limits = Limits()
    try:
        from comfy.cli_args import args
        limits = Limits(max_bytes=round(args.max_upload_size * 1024 * 1024))
    except (ImportError, AttributeError):
        pass
    set_root_provider(lambda: os.path.join(folder_paths.get_input_directory(), "grid_pool"), limits)
    try:
        from server import PromptServer
    except ImportError:
        return
    if getattr(PromptServer, "instance", None) is not None:
        # ComfyUI mirrors every route added here under /api as well.
        PoolApi(pools_for, lambda: Path(folder_paths.get_input_directory())).register(PromptServer.instance.routes)


if folder_paths is not None:
    _inside_comfyui()

WEB_DIRECTORY = "./web"  # only what ComfyUI loads: the glue bundle (the manager page lives in the package)

__all__ = ["NODE_CLASS_MAPPINGS", "NODE_DISPLAY_NAME_MAPPINGS", "WEB_DIRECTORY"]
