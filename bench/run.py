"""Every benchmark in one command: python bench/run.py [name ...]. Prints ratios measured in this run."""

import importlib
import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

BENCHES = {"core": "bench.bench_core", "http": "bench.bench_http", "browser": "bench.bench_browser"}


def main(names: list[str]) -> None:
    print(f"# Image Pool benchmarks — python {platform.python_version()}, {platform.machine()}, "
          f"{platform.system()}")
    for name in names or list(BENCHES):
        importlib.import_module(BENCHES[name]).main().print()


if __name__ == "__main__":
    main(sys.argv[1:])
