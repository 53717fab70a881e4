"""Typed errors. Each carries the HTTP status and the machine-readable code the API answers with."""


class PoolError(Exception):
    status = 400
    code = "bad_request"

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
