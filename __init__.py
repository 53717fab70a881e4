"""ComfyUI entry for Image Pool (Grid). The package itself lives in python/image_pool and never imports ComfyUI;
this file hands it what ComfyUI has: the input folder, the upload limit and the server's route table."""

import os
import sys

_here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(_here, "python"))

from image_pool.node.mappings import NODE_CLASS_MAPPINGS, NODE_DISPLAY_NAME_MAPPINGS  # noqa: E402
from image_pool.node.root import pools_for, set_root_provider  # noqa: E402

try:
    import folder_paths  # present only inside ComfyUI
except ImportError:
    folder_paths = None


def _inside_comfyui() -> None:
    from pathlib import Path

    from image_pool.pictures.formats import Limits
    from image_pool.api.guard import Guard
    from image_pool.api.routes import PoolApi

    limits, guard = Limits(), Guard.for_comfyui("127.0.0.1")
    try:
        from comfy.cli_args import args
        limits = Limits(max_bytes=round(args.max_upload_size * 1024 * 1024))
        guard = Guard.for_comfyui(args.listen)
    except (ImportError, AttributeError):
        pass
    from image_pool.store.in_comfyui import store_in
    set_root_provider(lambda: store_in(folder_paths.get_input_directory()), limits)
    from image_pool.store.staging import remove_abandoned
    remove_abandoned(pools_for().objects.tmp_dir)  # what imports left when ComfyUI was killed
    _install_host_decoder()
    try:
        from server import PromptServer
    except ImportError:
        return
    if getattr(PromptServer, "instance", None) is not None:
        # ComfyUI mirrors every route added here under /api as well. Each applies the project's own guard: ComfyUI's
        # origin check lets Origin: null and foreign Host names through (api/guard.py).
        PoolApi(pools_for, lambda: Path(folder_paths.get_input_directory()), guard,
                result_dir=_result_folder).register(PromptServer.instance.routes)
        _announce_changes(PromptServer.instance)


def _result_folder(kind: str):
    """ComfyUI's output or temp folder, as /view finds it by `type`."""
    from pathlib import Path
    folder = folder_paths.get_directory_by_type(kind)
    return Path(folder) if folder else None


def _announce_changes(server) -> None:
    """Every change to a pool made in this process (the Add node's, a route's) reaches every open tab at once, as
    the server event `image-pool-changed`; the grids of that pool read it again."""
    from image_pool.pools import changes
    changes.listen(lambda pool_id, revision: server.send_sync(
        "image-pool-changed", {"pool_id": pool_id, "revision": revision}))


def _install_host_decoder() -> None:
    """Decode with this ComfyUI's own LoadImage, so IMAGE has its values, dtype and device whatever its version.
    It reads files named relative to the input folder: objects of a store outside it use the built-in decoder."""
    from image_pool.pictures import host

    def decode(path):
        name = os.path.relpath(path, folder_paths.get_input_directory())
        if name.startswith(os.pardir) or os.path.isabs(name):
            return None
        import nodes  # ComfyUI's; loaded before any custom node
        from image_pool.node.imaging import first_of_batch
        image, mask = nodes.LoadImage().load_image(name)
        has_alpha = tuple(mask.shape[1:]) == tuple(image.shape[1:3])  # without alpha: a 64x64 placeholder
        return first_of_batch(image), first_of_batch(mask) if has_alpha else None
    try:
        from comfyui_version import __version__ as version
    except ImportError:
        version = "unknown"
    host.install(decode, f"comfyui-{version}")


if folder_paths is not None:
    _inside_comfyui()

WEB_DIRECTORY = "./web"  # only what ComfyUI loads: the glue bundle (the manager page lives in the package)

__all__ = ["NODE_CLASS_MAPPINGS", "NODE_DISPLAY_NAME_MAPPINGS", "WEB_DIRECTORY"]
