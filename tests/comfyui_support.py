"""A real ComfyUI, started on CPU from the checkout named by IMAGE_POOL_COMFYUI (and the python in
IMAGE_POOL_COMFYUI_PYTHON), with this repository as a custom node. Tests using it skip when it is unset."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
STARTUP_SECONDS = 180


def comfyui_checkout() -> Path:
    location = os.environ.get("IMAGE_POOL_COMFYUI")
    if not location:
        pytest.skip("IMAGE_POOL_COMFYUI is not set: no ComfyUI checkout to run the end-to-end tests against")
    path = Path(location)
    if not (path / "main.py").is_file():
        pytest.fail(f"IMAGE_POOL_COMFYUI={location} is not a ComfyUI checkout (no main.py)")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Comfy:
    def __init__(self, url: str, input_dir: Path, output_dir: Path):
        self.url = url
        self.input_dir = input_dir
        self.output_dir = output_dir

    def get(self, path: str):
        with urllib.request.urlopen(self.url + path, timeout=30) as response:
            return json.load(response)

    def post_json(self, path: str, body):
        request = urllib.request.Request(self.url + path, data=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            data = response.read()
            return json.loads(data) if data.strip() else None

    def use_renderer(self, vue: bool) -> None:
        """Nodes 2.0 (the Vue renderer) or the classic canvas, for pages loaded from now on."""
        self.post_json("/api/settings/Comfy.VueNodes.Enabled", vue)

    def history_ids(self) -> set[str]:
        return set(self.get("/history"))

    def wait_for_new_history(self, before: set[str], timeout: float = 120) -> dict:
        """The first prompt to finish that is not in `before` (queued by the page, so its id is not known here)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for prompt_id, entry in self.get("/history").items():
                if prompt_id not in before and entry["status"].get("completed") is not None:
                    return entry
            time.sleep(0.1)
        raise AssertionError(f"no new prompt finished in {timeout} s")

    def queue(self, prompt: dict) -> str:
        return self.post_json("/prompt", {"prompt": prompt, "client_id": "image-pool-tests"})["prompt_id"]

    def run(self, prompt: dict, timeout: float = 120) -> dict:
        """Queue a prompt and wait (with a deadline) until its history entry says it finished."""
        prompt_id = self.queue(prompt)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            history = self.get(f"/history/{prompt_id}")
            entry = history.get(prompt_id)
            if entry and entry["status"].get("completed") is not None:
                return entry
            time.sleep(0.1)
        raise AssertionError(f"prompt {prompt_id} did not finish in {timeout} s")


def executed_nodes(entry: dict, prompt: dict) -> set[str]:
    """The prompt's nodes that ran, i.e. were not served from ComfyUI's cache."""
    cached = set()
    for kind, data in entry["status"]["messages"]:
        if kind == "execution_cached":
            cached.update(data.get("nodes", []))
    return set(prompt) - cached


def frontend_root() -> str | None:
    """A frontend other than the one the ComfyUI pins: IMAGE_POOL_COMFYUI_FRONTEND names an unpacked
    comfyui_frontend_package/static folder (passed as --front-end-root)."""
    return os.environ.get("IMAGE_POOL_COMFYUI_FRONTEND") or None


@contextmanager
def running_comfyui(tmp: Path, listen: str = "127.0.0.1", env: dict | None = None, args: tuple[str, ...] = (),
                    before_start=None, node: Path = PROJECT):
    """ComfyUI on `listen` (always reached here through 127.0.0.1), with `env` added to its environment and `args`
    to its command line; `before_start(input_dir)` prepares its input folder first. `node` is the custom node's
    folder: this checkout, or another (docs/take_issue_25_screenshots.py shoots an earlier commit)."""
    checkout = comfyui_checkout()
    python = os.environ.get("IMAGE_POOL_COMFYUI_PYTHON", sys.executable)
    input_dir, output_dir, user_dir, nodes_dir = (tmp / n for n in ("input", "output", "user", "custom_nodes"))
    for folder in (input_dir, output_dir, user_dir / "default", nodes_dir):
        folder.mkdir(parents=True)
    (nodes_dir / "image_pool").symlink_to(node, target_is_directory=True)
    # No workflow restored from an earlier page: each test's page starts on a graph of its own.
    (user_dir / "default" / "comfy.settings.json").write_text(json.dumps({
        "Comfy.TutorialCompleted": True, "Comfy.Minimap.Visible": False, "Comfy.Workflow.Persist": False}))
    if before_start is not None:
        before_start(input_dir)
    config = tmp / "extra_model_paths.yaml"
    config.write_text(f"image_pool_tests:\n  custom_nodes: {nodes_dir}\n")
    port = free_port()
    log_path = tmp / "comfyui.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [python, "main.py", "--cpu", "--listen", listen, "--port", str(port), "--input-directory",
             str(input_dir), "--output-directory", str(output_dir), "--user-directory", str(user_dir),
             "--extra-model-paths-config", str(config), "--disable-auto-launch",
             *(["--front-end-root", frontend_root()] if frontend_root() else []), *args],
            cwd=checkout, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if process.poll() is not None:
                raise AssertionError(f"ComfyUI exited: {log_path.read_text()[-3000:]}")
            try:
                urllib.request.urlopen(f"{url}/object_info/ImagePoolGrid", timeout=5).close()
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if time.monotonic() > deadline:
                    raise AssertionError(f"ComfyUI did not start in {STARTUP_SECONDS} s: "
                                         f"{log_path.read_text()[-3000:]}")
                time.sleep(0.25)
        yield Comfy(url, input_dir, output_dir)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
