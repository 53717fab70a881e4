"""The HTTP examples of docs/api.md run as written, in order, from the repository, against a real server."""

import os
import re
import shutil
import subprocess

import pytest

from image_pool.pools.pools import Pools

from .server_process import PROJECT, running_server


def example_block() -> str:
    text = (PROJECT / "docs" / "api.md").read_text()
    return re.search(r"```bash\n(.*?)```", text, re.S).group(1)


def test_the_api_examples_run_as_written(tmp_path):
    if shutil.which("curl") is None:
        if os.environ.get("CI"):
            pytest.fail("CI must have curl (.ci/run installs it)")
        pytest.skip("no curl on this machine")
    root = tmp_path / "store"
    with running_server(root, "--input-dir", "examples/images", cwd=PROJECT) as (url, _, _):
        done = subprocess.run(["bash", "-euo", "pipefail", "-c", example_block()], cwd=PROJECT, capture_output=True,
                              text=True, timeout=120, env={**os.environ, "API": f"{url}/grid_pool"})
    assert done.returncode == 0, done.stderr[-3000:]
    pools = Pools(root)
    (copy,) = pools.pool_ids()  # the example's pool is deleted at the end; its detached copy stays
    manifest = pools.load(copy)
    assert manifest.name == "Dusk (copy)" and manifest.count == 3
    assert {s.name for s in manifest.slots} == {"dusk.jpg", "sea.webp", "gradient.png"}
