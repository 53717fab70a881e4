"""Where full decodes run in the server: at most two at once in the process (thumbnails and the checks of uploaded
files alike), so that many large pictures at once cannot take the process's memory, and what a large one freed is
handed back to the system."""

from concurrent.futures import ThreadPoolExecutor

DECODES = ThreadPoolExecutor(2, thread_name_prefix="image-pool-decode")
LARGE_PIXELS = 16_000_000  # a decode this large leaves enough freed memory to hand back


def return_freed_memory() -> None:
    """glibc keeps freed pages of a big decode in its arenas, so a server that once decoded a 90 MP picture would
    stay hundreds of MB larger; malloc_trim gives them back. Elsewhere there is nothing to do."""
    try:
        import ctypes
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass
