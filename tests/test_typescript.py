"""The TypeScript unit tests (widget/src/**/*.test.ts: layout, selection, accepted files, upload batches), run
with `node --test` by `node build.mjs --test`, so that `python -m pytest` runs every test of the repository."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent


def test_typescript_unit_tests_pass():
    node = shutil.which("node")
    if node is None or not (PROJECT / "node_modules" / "esbuild").is_dir():
        if os.environ.get("CI"):
            pytest.fail("CI must have Node.js and the npm packages (.ci/run runs npm ci)")
        pytest.skip("no Node.js or no node_modules here (npm ci)")
    run = subprocess.run([node, "build.mjs", "--test"], cwd=PROJECT, capture_output=True, text=True, timeout=300)
    failed = [line for line in run.stdout.splitlines() if line.startswith("not ok")]
    assert run.returncode == 0, "\n".join(failed) + "\n" + run.stdout[-4000:] + run.stderr[-2000:]
    assert "# fail 0" in run.stdout
