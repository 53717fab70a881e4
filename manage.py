"""Manage ComfyUI's pools from this custom node's folder, with any Python that has the node's requirements (the one
that runs ComfyUI does):

    python custom_nodes/<this folder>/manage.py list
    python custom_nodes/<this folder>/manage.py serve        # the pool manager page, for ComfyUI's own pools

These are the commands of `python -m image_pool` (`--help` lists them). The store is ComfyUI's, input/.grid_pool,
found from where this file stands; `--root` names another (ComfyUI started with --input-directory, say). It is safe
while ComfyUI runs: every change takes the pool's lock, which holds across processes.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "python"))

from image_pool.cli import main  # noqa: E402
from image_pool.store.in_comfyui import store_in  # noqa: E402
from image_pool.node.root import comfyui_input_beside, set_root_provider  # noqa: E402

if __name__ == "__main__":
    argv = sys.argv[1:]
    input_dir = comfyui_input_beside(HERE)
    if input_dir is not None:
        set_root_provider(lambda: store_in(input_dir))
        if argv[:1] == ["serve"] and not any(a.startswith("--input-dir") for a in argv):
            argv += ["--input-dir", input_dir]  # JSON adds may name files of ComfyUI's input folder
    sys.exit(main(argv))
