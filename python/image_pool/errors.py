"""Typed errors. Each carries the HTTP status and the machine-readable code the API answers with."""


class PoolError(Exception):
    """Every refusal. A kind of error is declared as `class Name(PoolError, status=..., code=...)`."""

    status = 400
    code = "bad_request"
    retry_after: int | None = None  # seconds, sent as Retry-After with a 503

    def __init_subclass__(cls, status: int | None = None, code: str | None = None, retry_after: int | None = None):
        """What a class does not declare it inherits from its base (a kind of BadRequest is a 400)."""
        super().__init_subclass__()
        if status is not None:
            cls.status = status
        if code is not None:
            cls.code = code
        if retry_after is not None:
            cls.retry_after = retry_after

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class BadRequest(PoolError):
    """Malformed input: a bad id, key, path, JSON, field or text."""


class NoInputFolder(PoolError, code="no_input_folder"):
    """A file of ComfyUI's input folder named without one."""


class UnknownSlot(PoolError, status=404, code="unknown_slot"):
    """No such slot in the pool."""


class UnknownPool(PoolError, status=404, code="unknown_pool"):
    """No such pool (never made, or deleted)."""


class PoolExists(PoolError, status=409, code="pool_exists"):
    """An import of a pool that is already here."""


class ArchiveInvalid(BadRequest, code="bad_archive"):
    """An archive that import refuses: not one export made, damaged, or over a cap."""


class GcRefused(PoolError, status=409, code="gc_refused"):
    """gc cannot know what is referenced (an unreadable manifest, a folder that is not a pool)."""


class UnknownInputFile(PoolError, status=404, code="unknown_input_file"):
    """No such file in the input folder."""


class UnknownObject(PoolError, status=404, code="unknown_object"):
    """No such object in the store."""


class SlowClient(PoolError, status=408, code="request_timeout"):
    """The client stopped sending its request."""


class StaleReorder(PoolError, status=409, code="stale_reorder"):
    """A reorder that is not of the current slots."""


class PoolDamaged(PoolError, status=409, code="pool_damaged"):
    """Unreadable, and no kept generation is valid."""


class PoolFull(PoolError, status=409, code="pool_full"):
    """The change would pass the slot cap."""


class TooLarge(PoolError, status=413, code="too_large"):
    """Over a byte, pixel or field cap."""


class NotAnImage(PoolError, status=415, code="not_an_image"):
    """Not a raster image of an accepted format."""


class NotJson(PoolError, status=415, code="not_json"):
    """A JSON route's body sent as another media type."""


class MaskSizeMismatch(PoolError, status=422, code="mask_size_mismatch"):
    """A mask of another size."""


class DamagedObject(PoolError, status=500, code="damaged_object"):
    """A referenced object is missing or unreadable."""


class PoolBusy(PoolError, status=503, code="pool_busy", retry_after=2):
    """Its lock is held elsewhere too long."""


class StoreBusy(PoolError, status=503, code="store_busy", retry_after=5):
    """gc and adds waited for each other."""


class ReadOnlyStore(PoolError, status=503, code="read_only", retry_after=60):
    """A read-only disk or folder."""


class DiskFull(PoolError, status=507, code="disk_full"):
    """No space left for the store."""


def storage_error(e: OSError) -> PoolError | None:
    """A full or read-only disk as a clear error (507 / 503); None for any other OSError."""
    import errno
    if e.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC), errno.EFBIG):
        return DiskFull("the disk holding the image store is full; free some space (python -m image_pool gc "
                        "reclaims unreferenced images) and try again")
    if e.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return ReadOnlyStore("the image store is read-only (a read-only disk or missing write permission); "
                             "nothing was changed")
    return None
