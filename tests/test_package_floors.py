"""The package's folders are floors: a module imports only from its own floor or below, the node and the API never
import each other, torch is imported only by the node, and ComfyUI by nothing (the entry hands the package what it
needs). Every import counts, those inside functions too."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "python" / "image_pool"
FLOORS = {"errors": 1, "pictures": 1, "store": 2, "pools": 3, "node": 4, "api": 4, "cli": 5}
COMFYUI_MODULES = {"folder_paths", "comfy", "nodes", "server", "execution", "comfy_execution", "comfyui_version"}


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts[0] in FLOORS:
            yield path, parts[0]


def _imports(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path.name}: relative import; the package names its floors in full"
            names.append(node.module)
    return names


@pytest.mark.parametrize("path,floor", list(_modules()), ids=lambda v: getattr(v, "name", v))
def test_a_module_imports_only_from_its_floor_or_below(path, floor):
    for name in _imports(path):
        parts = name.split(".")
        if parts[0] != "image_pool":
            continue
        if len(parts) == 1:  # the root imports the entry points of every floor: only the top floor may
            assert floor == "cli", f"{floor}/{path.name} imports the package root"
            continue
        target = parts[1]
        assert FLOORS[target] <= FLOORS[floor], f"{floor}/{path.name} imports {name}, a floor above it"
        assert {floor, target} != {"node", "api"}, f"{floor}/{path.name} imports {name}: node and api stay apart"


@pytest.mark.parametrize("path,floor", list(_modules()), ids=lambda v: getattr(v, "name", v))
def test_only_the_node_imports_torch_and_nothing_imports_comfyui(path, floor):
    tops = {name.split(".")[0] for name in _imports(path)}
    assert not tops & COMFYUI_MODULES, f"{path.name} imports ComfyUI's {tops & COMFYUI_MODULES}"
    if floor != "node":
        assert "torch" not in tops, f"{floor}/{path.name} imports torch"


def test_the_floors_are_the_only_folders_and_nothing_is_left_flat():
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name not in ("__pycache__", "web")}
    loose = {p.stem for p in PACKAGE.glob("*.py")} - {"__init__", "__main__"}
    assert folders == set(FLOORS) - {"errors"} and loose == {"errors"}


def test_scripts_outside_the_package_import_its_entry_points_or_whole_module_paths():
    """`from image_pool import X` outside the package names an entry point (image_pool.__all__) or a module, never a
    floor's folder: `from image_pool import node` would bind the folder, whose names are in its modules."""
    import image_pool
    allowed = set(image_pool.__all__) | {p.stem for p in PACKAGE.glob("*.py")}
    project = PACKAGE.parent.parent
    scripts = [p for folder in ("tests", "bench", "docs") for p in (project / folder).rglob("*.py")]
    for path in scripts + [project / "__init__.py", project / "manage.py"]:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and node.module == "image_pool" and node.level == 0:
                for alias in node.names:
                    assert alias.name in allowed, f"{path.relative_to(project)} imports image_pool.{alias.name}"
