"""A child process that holds pools' locks, as another ComfyUI or CLI would, until told to let go.

    python -m tests.lock_holder <lock file> [<lock file> ...] <release file>
"""

import sys
import time
from contextlib import ExitStack
from pathlib import Path

import filelock

if __name__ == "__main__":
    *lock_paths, release_path = sys.argv[1:]
    with ExitStack() as held:
        for path in lock_paths:
            held.enter_context(filelock.FileLock(path))
        print("holding", flush=True)
        while not Path(release_path).exists():
            time.sleep(0.02)
