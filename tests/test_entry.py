"""The root __init__.py that ComfyUI imports: works without ComfyUI, and inside it uses <input>/.grid_pool."""

import importlib.util
import sys
import types
from pathlib import Path

import pytest

from image_pool.node import root as root_module
from image_pool.pictures import host
from image_pool.pools import changes

PROJECT = Path(__file__).resolve().parent.parent


def import_entry(name: str):
    spec = importlib.util.spec_from_file_location(name, PROJECT / "__init__.py",
                                                  submodule_search_locations=[str(PROJECT)])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(autouse=True)
def restore_provider(monkeypatch):
    monkeypatch.delenv("IMAGE_POOL_ROOT", raising=False)
    yield
    root_module.set_root_provider(None)
    host.install(None)


def test_entry_imports_without_comfyui(monkeypatch):
    monkeypatch.delitem(sys.modules, "folder_paths", raising=False)
    entry = import_entry("image_pool_entry_plain")
    assert entry.NODE_CLASS_MAPPINGS["ImagePoolGrid"].__name__ == "ImagePoolGridNode"
    assert entry.NODE_DISPLAY_NAME_MAPPINGS["ImagePoolGrid"] == "Image Pool (Grid)"
    assert root_module.store_root() == Path("image-pool-data")


def test_inside_comfyui_the_store_is_input_dot_grid_pool_and_routes_are_registered(monkeypatch, tmp_path):
    from aiohttp import web
    fake = types.ModuleType("folder_paths")
    fake.get_input_directory = lambda: str(tmp_path / "input")
    server = types.ModuleType("server")
    sent = []
    server.PromptServer = types.SimpleNamespace(instance=types.SimpleNamespace(
        routes=web.RouteTableDef(), send_sync=lambda event, data, sid=None: sent.append((event, data))))
    monkeypatch.setitem(sys.modules, "folder_paths", fake)
    monkeypatch.setitem(sys.modules, "server", server)
    monkeypatch.setattr(changes, "_listeners", [])
    import_entry("image_pool_entry_comfy")
    registered = {(r.method, r.path) for r in server.PromptServer.instance.routes}
    assert ("GET", "/grid_pool/list") in registered and ("POST", "/grid_pool/set_mask") in registered
    assert root_module.store_root() == tmp_path / "input" / ".grid_pool"
    manifest = root_module.pools_for().set_name("123e4567-e89b-12d3-a456-426614174000", "Cats")
    assert sent == [("image-pool-changed", {"pool_id": manifest.pool_id, "revision": 1})], \
        "every open tab hears of a change made in ComfyUI's process"
    monkeypatch.setenv("IMAGE_POOL_ROOT", str(tmp_path / "elsewhere"))
    assert root_module.store_root() == tmp_path / "elsewhere", "the environment variable overrides"
    assert root_module.store_root(tmp_path / "given") == tmp_path / "given", "a root given by the caller wins"


def test_inside_comfyui_the_hosts_loadimage_decodes_objects_under_input(monkeypatch, tmp_path):
    """The host's LoadImage is asked by the name it takes (relative to input/); its first frame is kept, and its
    64x64 no-alpha placeholder is not taken for a mask."""
    import torch
    asked = []

    class LoadImage:
        def load_image(self, name):
            asked.append(name)
            frames = torch.rand((3, 5, 7, 3), dtype=torch.float16)
            alpha = "alpha" in name
            return frames, torch.rand((3, 5, 7)) if alpha else torch.zeros((3, 64, 64))
    fake = types.ModuleType("folder_paths")
    fake.get_input_directory = lambda: str(tmp_path / "input")
    monkeypatch.setitem(sys.modules, "folder_paths", fake)
    monkeypatch.setitem(sys.modules, "nodes", types.SimpleNamespace(LoadImage=LoadImage))
    monkeypatch.delitem(sys.modules, "server", raising=False)
    import_entry("image_pool_entry_host")
    files = [tmp_path / "input" / ".grid_pool" / "objects" / "ab" / "abc.png", tmp_path / "input" / "alpha.png",
             tmp_path / "elsewhere" / "x.png"]
    for path in files:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"the fake LoadImage does not read it")
    image, mask = host.decode(files[0])
    assert asked == [str(Path(".grid_pool/objects/ab/abc.png"))]
    assert image.shape == (1, 5, 7, 3) and image.dtype == torch.float16 and mask is None
    _, mask = host.decode(files[1])
    assert mask.shape == (1, 5, 7)
    assert host.decode(files[2]) is None, "outside input/ the built-in decoder is used"
    assert host.name().startswith("comfyui-")


def test_a_file_the_hosts_loadimage_fails_on_falls_back_to_the_built_in_decoder(tmp_path, caplog):
    def failing(path):
        raise RuntimeError("Invalid argument returned 22")
    host.install(failing, "failing-host")
    path = tmp_path / "x.png"
    path.write_bytes(b"any")
    assert host.decode(path) is None
    assert "x.png" in caplog.text and "built-in decoder" in caplog.text
