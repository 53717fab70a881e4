"""The manifest of one pool (format 1) and the node's selection rule."""

import json
import math
import unicodedata
from dataclasses import dataclass, field, replace
from operator import attrgetter, itemgetter

from image_pool.errors import BadRequest, UnknownSlot
from image_pool.store import ids

FORMAT = 1
MAX_LABEL = 1000  # characters; a label is a caption, not a document
MAX_NAME = 255  # a slot's file name
MAX_POOL_NAME = 200


class ManifestInvalid(ValueError):
    pass


# Characters that reorder or hide text: "\u202egnp.exe" would show as "exe.png", and invisible ones make two labels
# that look alike differ. The zero-width joiner and non-joiner stay: emoji sequences and some scripts need them.
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
INVISIBLE = frozenset("\u00ad\u180e\u200b\u2060\u2061\u2062\u2063\u2064\ufeff")
TAGS = range(0xE0000, 0xE0080)  # language tags and the tag characters that can spell hidden text
WHITESPACE_CONTROLS = frozenset("\t\n\r\v\f")


def _clean_char(c: str) -> str:
    if c in WHITESPACE_CONTROLS:
        return " "
    if c in BIDI_CONTROLS or c in INVISIBLE or ord(c) in TAGS or unicodedata.category(c) in ("Cc", "Cs"):
        return ""
    return c


def clean_text(value, limit: int, what: str) -> str:
    """Labels and names are plain text: line breaks and tabs become spaces; other control characters, lone
    surrogates and bidi overrides are removed; the length is capped (a longer text is refused, not cut)."""
    if not isinstance(value, str):
        raise BadRequest(f"{what} must be a string")
    if len(value) > limit:
        raise BadRequest(f"{what} is {len(value):,} characters, over the limit of {limit:,}")
    if value.isprintable():  # the common case: nothing to clean (every character removed is not printable)
        return value
    return "".join(map(_clean_char, value))


def is_clean_text(value, limit: int) -> bool:
    return isinstance(value, str) and len(value) <= limit and clean_text(value, limit, "text") == value


def clean_pool_name(value) -> str:
    """A pool's name as it is stored and as it is looked up: plain text (clean_text), without space around it. A
    pool id is refused as a name, so that an id never names two pools."""
    name = clean_text(value, MAX_POOL_NAME, "the pool's name").strip()
    if ids.is_pool_id(name.lower()):
        raise BadRequest(f"a pool's name cannot be a pool id ({name!r}): pools are found by both")
    return name


def clean_name(value: str) -> str:
    """The client's file name, kept only as text: the last path component, truncated."""
    base = value.replace("\\", "/").rsplit("/", 1)[-1]
    return clean_text(base[:MAX_NAME], MAX_NAME, "name")


@dataclass(frozen=True)
class Slot:
    id: str
    image: str
    mask: str | None
    label: str
    name: str
    width: int
    height: int
    added: float
    # The slot as manifest JSON, made on first use (slots are immutable; replace() makes a new slot without it).
    _json: bytes | None = field(default=None, init=False, compare=False, repr=False)

    @classmethod
    def from_json(cls, data) -> "Slot":
        try:
            slot = cls(id=ids.slot_id(data["id"]), image=ids.object_key(data["image"]),
                       mask=None if data.get("mask") is None else ids.object_key(data["mask"]),
                       label=str(data.get("label", "")), name=str(data.get("name", "")),
                       width=int(data["width"]), height=int(data["height"]), added=float(data.get("added", 0.0)))
        except (KeyError, TypeError, ValueError, OverflowError, BadRequest) as e:
            raise ManifestInvalid(f"bad slot {str(data)[:200]}: {e}") from None
        if slot.width < 1 or slot.height < 1 or not math.isfinite(slot.added):
            raise ManifestInvalid(f"bad slot size or time in {slot.id}")
        return slot

    def to_json(self) -> dict:
        return {"id": self.id, "image": self.image, "mask": self.mask, "label": self.label, "name": self.name,
                "width": self.width, "height": self.height, "added": self.added}

    def encoded(self) -> bytes:
        """The slot as manifest JSON, encoded once per slot object: a change to one slot of a large pool re-encodes
        that slot only."""
        if self._json is None:
            object.__setattr__(self, "_json", json.dumps(self.to_json(), ensure_ascii=False,
                                                         separators=(",", ":")).encode("utf-8"))
        return self._json


SLOT_FIELDS = ("id", "image", "mask", "label", "name", "width", "height", "added")
_row_of = itemgetter(*SLOT_FIELDS)
_slot_id = attrgetter("id")
_json_of = attrgetter("_json")
KNOWN_ROWS = 40_000
_known_rows: dict[tuple, Slot] = {}  # slot rows already validated, as JSON gives them, and the slot each one is


def slots_from_json(raw: list) -> list[Slot]:
    """Validated slots. A process parsing a manifest that changed since it last read it (another process changed a
    label, say) validates only the rows it has not seen: each row is looked up, as the tuple of its values, among
    those already validated. Rows with a missing key (an older manifest) or an unhashable value take the full path."""
    try:
        rows = list(map(_row_of, raw))
        slots = list(map(_known_rows.get, rows))
    except (KeyError, TypeError):
        return [Slot.from_json(s) for s in raw]
    for i in [i for i, slot in enumerate(slots) if slot is None]:
        slots[i] = Slot.from_json(raw[i])
        if len(_known_rows) >= KNOWN_ROWS:
            _known_rows.clear()
        _known_rows[rows[i]] = slots[i]
    return slots


@dataclass(frozen=True)
class Selection:
    index: int
    slot: Slot


@dataclass
class Manifest:
    """One generation of a pool. A manifest that has been read or published is shared (pools/parsed_manifests.py) and never
    changed in place: a change works on copy(). `slots` is a tuple for that reason."""

    pool_id: str
    revision: int = 0
    active: str | None = None
    slots: tuple[Slot, ...] = ()
    name: str = ""  # what the user calls the pool; plain text, may be empty
    # Worked out once per manifest, for the very values they were worked out from (see _memo).
    _memos: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def count(self) -> int:
        return len(self.slots)

    def copy(self) -> "Manifest":
        """A manifest to change. What was worked out for this one carries over while its fields are the same."""
        return Manifest(self.pool_id, self.revision, self.active, self.slots, self.name, dict(self._memos))

    def _memo(self, what: str, make, stamp: tuple | None = None):
        """`make()`, remembered for as long as the fields it depends on (`stamp`, by default all of them) are the same:
        a manifest whose fields were reassigned works it out again."""
        if stamp is None:
            stamp = (self.slots, self.revision, self.active, self.name, self.pool_id)
        memo = self._memos.get(what)
        if memo is None or memo[0] != stamp:  # the same slots tuple compares equal at once (identity)
            memo = self._memos[what] = (stamp, make())
        return memo[1]

    def to_json(self) -> dict:
        return {"format": FORMAT, "pool_id": self.pool_id, "name": self.name, "revision": self.revision,
                "active": self.active, "slots": [s.to_json() for s in self.slots]}

    def dumps(self, **extra) -> bytes:
        """Compact JSON, the same as json.dumps(to_json() | extra), joined from each slot's encoding; made once."""
        data = self._memo("json", self._encode)
        if not extra:
            return data
        return data[:-1] + b"," + json.dumps(extra, ensure_ascii=False, separators=(",", ":")).encode("utf-8")[1:]

    def _encode(self) -> bytes:
        head = json.dumps({"format": FORMAT, "pool_id": self.pool_id, "name": self.name, "revision": self.revision,
                           "active": self.active}, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        encoded = list(map(_json_of, self.slots))  # each slot's encoding, made once per slot: a change re-encodes one
        missing = -1
        try:
            while True:
                missing = encoded.index(None, missing + 1)
                encoded[missing] = self.slots[missing].encoded()
        except ValueError:  # none left
            pass
        return b"".join((head[:-1], b',"slots":[', b",".join(encoded), b"]}"))

    @classmethod
    def loads(cls, raw: bytes, pool_id: str) -> "Manifest":
        """Parse and check a manifest. Whatever is wrong with it, and however it fails to parse (a number too large
        for a float, nesting too deep, a wrong type anywhere), it is ManifestInvalid and nothing else."""
        try:
            return cls.from_json(json.loads(raw), pool_id)  # bytes: json finds the UTF-8 itself, with no copy
        except ManifestInvalid:
            raise
        except (ValueError, TypeError, OverflowError, RecursionError, MemoryError, AttributeError, KeyError) as e:
            raise ManifestInvalid(f"not a manifest: {type(e).__name__}: {str(e)[:200]}") from None

    @classmethod
    def from_json(cls, data, pool_id: str) -> "Manifest":
        if not isinstance(data, dict):
            raise ManifestInvalid("manifest is not an object")
        if data.get("format") != FORMAT:
            raise ManifestInvalid(f"unknown manifest format {str(data.get('format'))[:40]}")
        if data.get("pool_id") != pool_id:
            raise ManifestInvalid(f"manifest names pool {str(data.get('pool_id'))[:40]}, expected {pool_id}")
        revision = data.get("revision")
        if not isinstance(revision, int) or isinstance(revision, bool) or revision < 0:
            raise ManifestInvalid("bad revision")
        if not isinstance(data.get("slots"), list):
            raise ManifestInvalid("slots is not a list")
        slots = tuple(slots_from_json(data["slots"]))
        positions = {slot_id: i for i, slot_id in enumerate(map(_slot_id, slots))}
        if len(positions) != len(slots):
            raise ManifestInvalid("duplicate slot ids")
        name = data.get("name", "")
        if not isinstance(name, str) or len(name) > MAX_POOL_NAME:
            raise ManifestInvalid("bad pool name")
        active = data.get("active")
        manifest = cls(pool_id, revision, active if isinstance(active, str) and active in positions else None, slots,
                       name)
        manifest._memo("positions", lambda: positions, (slots,))
        return manifest

    def positions(self) -> dict[str, int]:
        """Slot id -> position, worked out once per manifest: the node's choice is a look-up whatever the size."""
        return self._memo("positions", lambda: {slot.id: i for i, slot in enumerate(self.slots)}, (self.slots,))

    def position(self, slot_id: str) -> int:
        try:
            return self.positions()[slot_id]
        except (KeyError, TypeError):
            raise UnknownSlot(f"pool {self.pool_id} has no slot {slot_id}") from None

    def slot(self, slot_id: str) -> Slot:
        return self.slots[self.position(slot_id)]

    def replace_slot(self, slot_id: str, **changes) -> None:
        positions = self.positions()
        i = self.position(slot_id)
        self.slots = (*self.slots[:i], replace(self.slots[i], **changes), *self.slots[i + 1:])
        self._memo("positions", lambda: positions, (self.slots,))  # the same ids in the same places

    def select(self, index: int, slot_id: str | None = None) -> Selection | None:
        """The node's rule: index >= 0 forces a slot (clamped); -1 takes slot_id, else active, else slot 0."""
        if not self.slots:
            return None
        if index >= 0:
            i = min(index, len(self.slots) - 1)
        else:
            positions = self.positions()
            i = next((positions[w] for w in (slot_id, self.active) if w in positions), 0)
        return Selection(i, self.slots[i])

    def referenced_keys(self) -> set[str]:
        keys = {s.image for s in self.slots}
        keys.update(s.mask for s in self.slots if s.mask)
        return keys

