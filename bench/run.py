"""Every benchmark in one command: python bench/run.py [name ...]. Prints ratios measured in this run."""

import importlib
import os
import platform
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

STARTED = "IMAGE_POOL_BENCH_IN_COMFYUI_PYTHON"
BENCHES = {"core": "bench.bench_core", "http": "bench.bench_http", "browser": "bench.bench_browser",
           "hostile": "bench.bench_hostile"}


def in_comfyui_python(name: str) -> bool:
    """The core bench compares with a real ComfyUI's LoadImage: run it with that ComfyUI's python."""
    python = os.environ.get("IMAGE_POOL_COMFYUI_PYTHON")
    if name != "core" or not os.environ.get("IMAGE_POOL_COMFYUI") or not python or os.environ.get(STARTED):
        return False
    subprocess.run([python, str(Path(__file__).resolve()), "core"], check=True, env={**os.environ, STARTED: "1"})
    return True


def main(names: list[str]) -> None:
    print(f"# Image Pool benchmarks — python {platform.python_version()}, {platform.machine()}, "
          f"{platform.system()}")
    for name in names or list(BENCHES):
        if not in_comfyui_python(name):
            importlib.import_module(BENCHES[name]).main().print()


if __name__ == "__main__":
    main(sys.argv[1:])
