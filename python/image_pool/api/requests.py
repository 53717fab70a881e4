"""The API's requests, parsed once at the HTTP edge into typed values: fields present and of their type, ids checked
(store/ids.py; a checked pool id is a PoolId, which no layer below checks again). Text (labels, names) is cleaned
where every caller's text is, in Pools (pools/manifest.py's rules), not here as well."""

from dataclasses import dataclass

from image_pool.errors import BadRequest
from image_pool.store import ids


def field(body: dict, name: str, kind=str):
    if name not in body:
        raise BadRequest(f"missing field {name!r}")
    value = body[name]
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise BadRequest(f"field {name!r} must be a {kind.__name__}")
    return value


TRUE_WORDS, FALSE_WORDS = ("true", "1", "yes", "on"), ("false", "0", "no", "off", "")


def truth(value: str, name: str) -> bool:
    """A form field's yes or no: true/1/yes/on or false/0/no/off (or empty); anything else is refused, never taken
    as a no."""
    word = value.strip().lower()
    if word in TRUE_WORDS or word in FALSE_WORDS:
        return word in TRUE_WORDS
    raise BadRequest(f"field {name!r} must be true or false, not {value[:40]!r}")


@dataclass(frozen=True)
class PoolRequest:
    pool_id: ids.PoolId

    @classmethod
    def parse(cls, body: dict) -> "PoolRequest":
        return cls(ids.pool_id(field(body, "pool_id")))


@dataclass(frozen=True)
class SlotRequest:
    pool_id: ids.PoolId
    slot: str

    @classmethod
    def parse(cls, body: dict) -> "SlotRequest":
        return cls(ids.pool_id(field(body, "pool_id")), ids.slot_id(field(body, "slot")))


@dataclass(frozen=True)
class LabelRequest:
    pool_id: ids.PoolId
    slot: str
    label: str

    @classmethod
    def parse(cls, body: dict) -> "LabelRequest":
        where = SlotRequest.parse(body)
        return cls(where.pool_id, where.slot, field(body, "label"))


@dataclass(frozen=True)
class ReorderRequest:
    pool_id: ids.PoolId
    order: tuple[str, ...]

    @classmethod
    def parse(cls, body: dict) -> "ReorderRequest":
        order = field(body, "order", list)
        if not all(isinstance(x, str) for x in order):
            raise BadRequest("order must be a list of slot ids")
        return cls(ids.pool_id(field(body, "pool_id")), tuple(order))


@dataclass(frozen=True)
class RenameRequest:
    pool_id: ids.PoolId
    name: str

    @classmethod
    def parse(cls, body: dict) -> "RenameRequest":
        return cls(ids.pool_id(field(body, "pool_id")), field(body, "name"))


FOLDERS = ("input", "output", "temp")  # ComfyUI's folders a file may be named from, as /view's `type`


@dataclass(frozen=True)
class InputFile:
    """A file of one of ComfyUI's folders, named as /view names it: type, subfolder, filename (api/input_files.py opens
    it safely). JSON: `input_file`, `subfolder`, `type` (input when absent)."""
    name: str
    subfolder: str
    kind: str = "input"

    @classmethod
    def parse(cls, body: dict) -> "InputFile":
        subfolder, kind = body.get("subfolder", ""), body.get("type", "input")
        if not isinstance(subfolder, str):
            raise BadRequest("field 'subfolder' must be a str")
        if kind not in FOLDERS:
            raise BadRequest(f"field 'type' must be one of {', '.join(FOLDERS)}, got {kind!r:.40}")
        return cls(field(body, "input_file"), subfolder, kind)


@dataclass(frozen=True)
class AddInputFileRequest:
    pool_id: ids.PoolId
    file: InputFile
    label: str

    @classmethod
    def parse(cls, body: dict) -> "AddInputFileRequest":
        return cls(ids.pool_id(field(body, "pool_id")), InputFile.parse(body), body.get("label", ""))


@dataclass(frozen=True)
class MaskRequest:
    """set_mask as JSON: clear the slot's mask, or take it from a file of the input folder (the MaskEditor's)."""
    pool_id: ids.PoolId
    slot: str
    file: InputFile | None  # None: clear
    channel: str | None

    @classmethod
    def parse(cls, body: dict) -> "MaskRequest":
        where = SlotRequest.parse(body)
        channel = body.get("channel")
        if channel is not None and not isinstance(channel, str):
            raise BadRequest("field 'channel' must be a str")
        if body.get("clear") is True:
            return cls(where.pool_id, where.slot, None, channel)
        if "input_file" not in body:
            raise BadRequest("send a mask picture (multipart), an input_file, or clear: true")
        return cls(where.pool_id, where.slot, InputFile.parse(body), channel)
