"""ComfyUI entry for Image Pool (Grid). The package itself lives in python/image_pool and never imports ComfyUI."""

import os
import sys

_here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(_here, "python"))

from image_pool.node import NODE_CLASS_MAPPINGS, NODE_DISPLAY_NAME_MAPPINGS  # noqa: E402
from image_pool.root import set_root_provider  # noqa: E402

try:
    import folder_paths  # present only inside ComfyUI
except ImportError:
    folder_paths = None

if folder_paths is not None:
    set_root_provider(lambda: os.path.join(folder_paths.get_input_directory(), "grid_pool"))

__all__ = ["NODE_CLASS_MAPPINGS", "NODE_DISPLAY_NAME_MAPPINGS"]
