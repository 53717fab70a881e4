"""The main job on a fresh machine: the server, the CLI and the manager page need no torch, and a wheel installed
anywhere serves the page and every module it loads."""

import json
import os
import re
import subprocess
import sys
import urllib.request
import zipfile
from pathlib import Path

import pytest

from . import imagegen
from .server_process import PROJECT, running_server

NO_TORCH = "import sys; sys.modules['torch'] = None; "  # any `import torch` now raises ImportError
SCRIPT = re.compile(r'<script type="module" src="([^"]+)"')
JS_IMPORT = re.compile(r'(?:from|import)\s*"(\./[^"]+\.js)"')


def fetch(url: str) -> tuple[str, bytes]:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.headers["Content-Type"], response.read()


def page_and_modules(base: str) -> dict[str, bytes]:
    """The manager page and every JavaScript module it loads, followed through their static imports."""
    kind, page = fetch(f"{base}/")
    assert kind.startswith("text/html")
    found, todo = {"/": page}, [f"/{src}" for src in SCRIPT.findall(page.decode())]
    assert todo, "the page loads its script"
    while todo:
        path = todo.pop()
        if path in found:
            continue
        kind, body = fetch(base + path)
        assert kind.startswith("text/javascript"), (path, kind)
        found[path] = body
        folder = path.rsplit("/", 1)[0]
        todo += [f"{folder}/{name[2:]}" for name in JS_IMPORT.findall(body.decode())]
    return found


def test_the_server_serves_the_page_and_its_modules_with_torch_unimportable(root):
    with running_server(root, python_prefix=NO_TORCH) as (url, _, _):
        files = page_and_modules(url)
        assert any(path.startswith("/web/shared-") for path in files), "the page's shared chunk is served too"
        kind, _ = fetch(f"{url}/web/embed-example.html")
        assert kind.startswith("text/html")


def test_every_cli_command_runs_with_torch_unimportable(tmp_path, pool_id):
    image = tmp_path / "a.png"
    image.write_bytes(imagegen.png(seed=1))
    root = tmp_path / "store"

    def cli(*args) -> str:
        done = subprocess.run([sys.executable, "-c", NO_TORCH + "from image_pool.cli import main; "
                               "sys.exit(main(sys.argv[1:]))", *args, "--root", str(root), "-q"],
                              capture_output=True, text=True, cwd=tmp_path,
                              env={"PYTHONPATH": str(PROJECT / "python"), "PATH": "/usr/bin:/bin"})
        assert done.returncode == 0, (args, done.stderr)
        return done.stdout
    cli("add", pool_id, str(image))
    assert json.loads(cli("list", "--json"))[0]["count"] == 1
    cli("show", pool_id)
    cli("export", pool_id, str(tmp_path / "pool.tar"))
    cli("import", str(tmp_path / "pool.tar"), "--new-id")
    cli("fsck")
    cli("gc", "--grace", "0")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w",
                    str(out), str(PROJECT)], check=True, capture_output=True)
    (built,) = out.glob("*.whl")
    return built


def test_the_wheel_holds_the_page_and_its_modules(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    for name in ("manager.html", "manager.js", "image-pool.js", "embed-example.html"):
        assert f"image_pool/web/{name}" in names
    assert any(re.fullmatch(r"image_pool/web/shared-\w+\.js", n) for n in names)
    assert not any(n.startswith(("web/", "tests/", "widget/")) for n in names), "nothing but the package"


@pytest.mark.slow
def test_the_installed_wheel_serves_the_page_from_any_folder(wheel, tmp_path):
    """The wheel installed into a folder of its own, beside whatever environment runs the tests (a venv or the
    machine's Python: its packages serve as the dependencies), torch blocked, run from a folder that is not the
    checkout: the page and its modules come from inside the installed package."""
    installed = tmp_path / "installed"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(installed),
                    str(wheel)], check=True, capture_output=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = subprocess.run([sys.executable, "-c", NO_TORCH + "import image_pool; print(image_pool.__file__)"],
                           capture_output=True, text=True, cwd=elsewhere, check=True,
                           env={**os.environ, "PYTHONPATH": str(installed)}).stdout
    assert where.startswith(str(installed)), f"the installed package is used, not the checkout: {where}"
    with running_server(elsewhere / "store", python_prefix=NO_TORCH, cwd=elsewhere,
                        pythonpath=str(installed)) as (url, _, _):
        page_and_modules(url)


def _readme_script() -> str:
    readme = (PROJECT / "README.md").read_text()
    section = readme[readme.index("## From a script"):]
    return section[section.index("```python") + len("```python"):section.index("```\n", section.index("```python"))]


def test_the_readmes_script_runs_as_written_with_torch_unimportable(tmp_path):
    """Scripts name the package's entry points, not its modules; the README's example is what they copy."""
    (tmp_path / "photo.png").write_bytes(imagegen.png(seed=3))
    done = subprocess.run([sys.executable, "-c", NO_TORCH + _readme_script()], capture_output=True, text=True,
                          cwd=tmp_path, env={"PYTHONPATH": str(PROJECT / "python"), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "['front']"
    assert done.stdout.splitlines()[1].startswith("True GcReport(")
    from image_pool import Pools, import_pool
    elsewhere = Pools(tmp_path / "elsewhere")
    imported = import_pool(elsewhere, tmp_path / "faces.tar")
    assert [slot.label for slot in elsewhere.load(imported.manifest.pool_id).slots] == ["front"]
    assert elsewhere.load(imported.manifest.pool_id).name == "faces"
