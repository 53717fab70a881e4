"""Typed errors. Each carries the HTTP status and the machine-readable code the API answers with."""


class PoolError(Exception):
    status = 400
    code = "bad_request"
    retry_after: int | None = None  # seconds, sent as Retry-After with a 503

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class BadRequest(PoolError):
    pass


class UnknownSlot(PoolError):
    status = 404
    code = "unknown_slot"


class NoInputFolder(PoolError):
    """A request names a file in ComfyUI's input folder, but this server has none (or the store is outside it)."""

    code = "no_input_folder"


class UnknownInputFile(PoolError):
    status = 404
    code = "unknown_input_file"


class UnknownObject(PoolError):
    status = 404
    code = "unknown_object"


class StaleReorder(PoolError):
    status = 409
    code = "stale_reorder"


class TooLarge(PoolError):
    status = 413
    code = "too_large"


class NotAnImage(PoolError):
    status = 415
    code = "not_an_image"


class MaskSizeMismatch(PoolError):
    status = 422
    code = "mask_size_mismatch"


class DamagedObject(PoolError):
    """An object a slot references is missing or unreadable: the store is damaged, not the request."""

    status = 500
    code = "damaged_object"


class PoolBusy(PoolError):
    """The pool's lock could not be taken in time (another process holds it)."""

    status = 503
    code = "pool_busy"
    retry_after = 2


class StoreBusy(PoolError):
    """gc holds the store (or, for gc, adds are in flight) past the wait."""

    status = 503
    code = "store_busy"
    retry_after = 5


class PoolDamaged(PoolError):
    """The pool's manifest is unreadable and no kept generation is valid: writing would hide what is left."""

    status = 409
    code = "pool_damaged"


class PoolFull(PoolError):
    status = 409
    code = "pool_full"


class DiskFull(PoolError):
    status = 507
    code = "disk_full"


class ReadOnlyStore(PoolError):
    status = 503
    code = "read_only"
    retry_after = 60


class SlowClient(PoolError):
    status = 408
    code = "request_timeout"


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
