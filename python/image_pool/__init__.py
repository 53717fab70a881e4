"""Image Pool: content-addressed image pools with per-image masks and labels.

Importing this package pulls in neither torch nor ComfyUI; the node and the
decoder import torch themselves, so the store, the CLI and the server run without it.
"""

__version__ = "0.1.0"
