import uuid

import pytest

from image_pool.pools.pools import Pools

from . import imagegen


@pytest.fixture
def root(tmp_path):
    return tmp_path / "store"


@pytest.fixture
def pools(root):
    return Pools(root)


@pytest.fixture
def pool_id():
    return str(uuid.uuid4())


@pytest.fixture
def write(tmp_path):
    """Write bytes to a file in a scratch folder and return its path."""
    folder = tmp_path / "files"
    folder.mkdir()

    def _write(name: str, data: bytes):
        path = folder / name
        path.write_bytes(data)
        return path
    return _write


@pytest.fixture
def three_pngs():
    return [imagegen.png(seed=s) for s in range(3)]


def tree_snapshot(folder) -> dict:
    """Every file under `folder` with its bytes: compare two to prove nothing changed."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()} \
        if folder.exists() else {}
