"""Validation of everything that names a file: pool ids, slot ids and object keys.

Nothing from outside becomes part of a path without passing through here. Every id is matched whole
(`fullmatch`): a `$` would let a trailing newline through and make a second, identical-looking pool.
"""

import re
import secrets
import uuid

from image_pool.errors import BadRequest

EXTENSIONS = ("png", "jpg", "webp", "bmp", "tif", "gif")
OBJECT_KEY_RE = re.compile(r"[0-9a-f]{64}\.(?:%s)" % "|".join(EXTENSIONS))
POOL_ID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
SLOT_ID_RE = re.compile(r"s-[0-9a-f]{8}")


class PoolId(str):
    """A pool id that `pool_id` accepted. What receives one passes it on and is not checked again: a request's pool
    id is checked once, where the request is read, however many layers it then goes through."""
    __slots__ = ()


def pool_id(value) -> PoolId:
    """A pool id is a UUID in its canonical form; upper case is accepted and folded."""
    if type(value) is PoolId:
        return value
    if isinstance(value, str) and POOL_ID_RE.fullmatch(folded := value.lower()):
        return PoolId(folded)
    raise BadRequest(f"pool_id must be a UUID like 123e4567-e89b-12d3-a456-426614174000, got {value!r:.80}")


def slot_id(value) -> str:
    if isinstance(value, str) and SLOT_ID_RE.fullmatch(value):
        return value
    raise BadRequest(f"slot id must look like s-3f9a2c7d, got {value!r:.80}")


def object_key(value) -> str:
    if isinstance(value, str) and OBJECT_KEY_RE.fullmatch(value):
        return value
    raise BadRequest(f"object key must be a lowercase BLAKE3 hex digest and an image extension, got {value!r:.80}")


# An object key is "<64 hex digits of BLAKE3>.<extension>"; these are the only places that make one or take it apart.

def new_object_key(digest: str, extension: str) -> str:
    return object_key(f"{digest}.{extension}")


def key_digest(key: str) -> str:
    """The content hash the key names."""
    return key.split(".", 1)[0]


def key_extension(key: str) -> str:
    return key.rsplit(".", 1)[1]


def key_folder(key: str) -> str:
    """The fan-out folder of objects/ (and of the thumbnail cache) that holds it: the first two hex digits."""
    return key[:2]


def pool_id_or_none(value) -> PoolId | None:
    """`pool_id` of what a node's widget holds (anything; empty for a new node): None where it names no pool."""
    try:
        return pool_id(value)
    except BadRequest:
        return None


def is_pool_id(value) -> bool:
    return isinstance(value, str) and bool(POOL_ID_RE.fullmatch(value))


def is_slot_id(value) -> bool:
    return isinstance(value, str) and SLOT_ID_RE.fullmatch(value) is not None


def is_object_key(value) -> bool:
    return isinstance(value, str) and bool(OBJECT_KEY_RE.fullmatch(value))


def new_pool_id() -> PoolId:
    return PoolId(uuid.uuid4())


def new_slot_id(taken) -> str:
    while True:
        candidate = "s-" + secrets.token_hex(4)
        if candidate not in taken:
            return candidate
