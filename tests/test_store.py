import os
import stat

import blake3
import pytest

from image_pool.errors import BadRequest, NotAnImage, TooLarge
from image_pool.pictures.formats import Limits
from image_pool.store.objects import ObjectStore

from . import imagegen


@pytest.fixture
def store(root):
    return ObjectStore(root)


def test_same_bytes_are_stored_once(store):
    data = imagegen.png(seed=1)
    first, second = store.put_bytes(data), store.put_bytes(data)
    assert first.key == second.key
    assert (first.created, second.created) == (True, False)
    assert list(store.keys()) == [first.key]


def test_different_bytes_are_two_objects(store):
    a, b = store.put_bytes(imagegen.png(seed=1)), store.put_bytes(imagegen.png(seed=2))
    assert a.key != b.key
    assert sorted(store.keys()) == sorted([a.key, b.key])


def test_key_is_blake3_of_exact_bytes_with_extension_from_decoded_format(store, write):
    data = imagegen.jpeg()
    stored = store.put_file(write("looks-like.png", data))  # the file name lies; the key does not
    assert stored.key == blake3.blake3(data).hexdigest() + ".jpg"
    path = store.path(stored.key)
    assert path.parent.name == stored.key[:2] and path.read_bytes() == data


def test_image_info_is_oriented_size(store):
    stored = store.put_bytes(imagegen.jpeg(height=24, width=32, orientation=6))
    assert (stored.info.width, stored.info.height) == (24, 32)


def test_objects_are_read_only_and_never_rewritten(store):
    stored = store.put_bytes(imagegen.png())
    path = store.path(stored.key)
    assert not os.stat(path).st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    inode = os.stat(path).st_ino
    store.put_bytes(imagegen.png())
    assert os.stat(path).st_ino == inode


def test_existing_object_is_freshened_so_gc_grace_protects_it(store):
    stored = store.put_bytes(imagegen.png())
    os.utime(store.path(stored.key), (1000, 1000))
    store.put_bytes(imagegen.png())
    assert store.mtime(stored.key) > 1000


def test_atomic_write_leaves_no_temp_file(store):
    store.put_bytes(imagegen.png())
    with pytest.raises(NotAnImage):
        store.put_bytes(b"not an image at all")
    assert list(store.tmp_dir.iterdir()) == []
    leftovers = [p for p in store.dir.rglob("*") if p.is_file() and ".tmp" in p.name]
    assert leftovers == []


@pytest.mark.parametrize("bad", [
    "../etc/passwd", "A" * 64 + ".png", "a" * 63 + ".png", "a" * 64 + ".svg", "a" * 64, "a" * 64 + ".png/x",
    "ab/" + "a" * 64 + ".png", "", None, 5,
])
def test_bad_key_rejected(store, bad):
    with pytest.raises(BadRequest):
        store.path(bad)


@pytest.mark.parametrize("data", [
    b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", b"<html><script>alert(1)</script></html>",
    b"hello, I am text", b"", imagegen.png()[:60],
])
def test_non_images_and_truncated_images_refused(store, data):
    with pytest.raises(NotAnImage):
        store.put_bytes(data)
    assert list(store.keys()) == []


def test_decompression_bomb_refused(store):
    with pytest.raises(TooLarge):
        store.put_bytes(imagegen.bomb_png())


def test_pixel_limit_is_configurable(root):
    store = ObjectStore(root, Limits(max_pixels=100))
    with pytest.raises(TooLarge):
        store.put_bytes(imagegen.png(height=20, width=20))


def test_size_cap_refuses_without_writing(root, write):
    store = ObjectStore(root, Limits(max_bytes=1000))
    data = imagegen.png(height=64, width=64)
    assert len(data) > 1000
    with pytest.raises(TooLarge):
        store.put_file(write("big.png", data))
    with pytest.raises(TooLarge):
        store.put_chunks([data[:800], data[800:]])
    assert list(store.keys()) == [] and list(store.tmp_dir.iterdir()) == []


def test_verify_catches_a_flipped_byte(store):
    stored = store.put_bytes(imagegen.png())
    assert store.verify(stored.key)
    path = store.path(stored.key)
    os.chmod(path, 0o644)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    assert not store.verify(stored.key)


def test_verify_of_missing_object_is_false(store):
    assert not store.verify("0" * 64 + ".png")
