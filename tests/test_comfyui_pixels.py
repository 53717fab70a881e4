"""Inside a real ComfyUI (IMAGE_POOL_COMFYUI), the node's IMAGE and MASK equal that ComfyUI's own LoadImage on every
file of the corpus (values, dtype, device; first frame), the MaskEditor's copy is the same picture as IMAGE, and the
decoded cache serves repeats. Skipped without a ComfyUI."""

import json
import os
import subprocess
import sys

import pytest

from .comfyui_support import comfyui_checkout
from .decoder_corpus import paths as corpus_paths
from .loadimage_figures import PROJECT

pytestmark = pytest.mark.comfyui


def test_the_node_decodes_as_this_comfyuis_loadimage():
    checkout = comfyui_checkout()
    python = os.environ.get("IMAGE_POOL_COMFYUI_PYTHON", sys.executable)
    done = subprocess.run([python, str(PROJECT / "tests" / "loadimage_figures.py"), "check"], capture_output=True,
                          text=True, timeout=900, env={**os.environ, "IMAGE_POOL_COMFYUI": str(checkout)})
    report = json.loads(done.stdout[done.stdout.index("{"):])
    assert done.returncode == 0 and not report["problems"], report["problems"]
    assert set(report["files"]) == {p.name for p in corpus_paths()}
    for name, checks in report["files"].items():
        assert all(checks.values()), (name, checks)
