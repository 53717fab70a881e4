"""The root __init__.py that ComfyUI imports: works without ComfyUI, and inside it uses <input>/grid_pool."""

import importlib.util
import sys
import types
from pathlib import Path

import pytest

from image_pool import root as root_module

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


def test_entry_imports_without_comfyui(monkeypatch):
    monkeypatch.delitem(sys.modules, "folder_paths", raising=False)
    entry = import_entry("image_pool_entry_plain")
    assert entry.NODE_CLASS_MAPPINGS["ImagePoolGrid"].__name__ == "ImagePoolGrid"
    assert entry.NODE_DISPLAY_NAME_MAPPINGS["ImagePoolGrid"] == "Image Pool (Grid)"
    assert root_module.store_root() == Path("image-pool-data")


def test_inside_comfyui_the_store_is_input_grid_pool_and_routes_are_registered(monkeypatch, tmp_path):
    from aiohttp import web
    fake = types.ModuleType("folder_paths")
    fake.get_input_directory = lambda: str(tmp_path / "input")
    server = types.ModuleType("server")
    server.PromptServer = types.SimpleNamespace(instance=types.SimpleNamespace(routes=web.RouteTableDef()))
    monkeypatch.setitem(sys.modules, "folder_paths", fake)
    monkeypatch.setitem(sys.modules, "server", server)
    import_entry("image_pool_entry_comfy")
    registered = {(r.method, r.path) for r in server.PromptServer.instance.routes}
    assert ("GET", "/grid_pool/list") in registered and ("POST", "/grid_pool/set_mask") in registered
    assert root_module.store_root() == tmp_path / "input" / "grid_pool"
    monkeypatch.setenv("IMAGE_POOL_ROOT", str(tmp_path / "elsewhere"))
    assert root_module.store_root() == tmp_path / "elsewhere", "the environment variable overrides"
    assert root_module.store_root(tmp_path / "given") == tmp_path / "given", "a root given by the caller wins"
