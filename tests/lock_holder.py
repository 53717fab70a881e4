"""A child process that holds one pool's lock, as another ComfyUI or CLI would, until told to let go."""

import sys
import time
from pathlib import Path

import filelock

if __name__ == "__main__":
    lock_path, release_path = sys.argv[1], Path(sys.argv[2])
    with filelock.FileLock(lock_path):
        print("holding", flush=True)
        while not release_path.exists():
            time.sleep(0.02)
