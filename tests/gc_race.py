"""Child processes for the gc race test: a gc loop with no grace period, and a library adder that keeps re-adding
the same few images (so it keeps re-referencing objects gc has just found unreferenced)."""

import contextlib
import io
import random
import sys
from pathlib import Path

from image_pool.cli.commands import main
from image_pool.pools.pools import Pools

from . import imagegen

IMAGES = 6


def image(rng: random.Random) -> bytes:
    return imagegen.png(height=16, width=16, seed=rng.randrange(IMAGES))


def pick_victim(rng: random.Random, mine: list[str]) -> str | None:
    """Half the time, one of the slots this adder added and has not removed (so adders never race on a removal)."""
    if mine and rng.random() < 0.5:
        return mine.pop(rng.randrange(len(mine)))
    return None


def gc_loop(root: str, stop: Path) -> None:
    runs = 0
    while not stop.exists():
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()) as err:
            code = main(["gc", "--grace", "0", "--root", root, "--quiet"])
        if code != 0:
            print(f"gc failed: {err.getvalue()}", flush=True)
            return
        runs += 1
    print(f"runs {runs}", flush=True)


def add_loop(root: str, pool_id: str, count: int, seed: int, log: Path) -> None:
    pools = Pools(root)
    rng = random.Random(seed)
    mine: list[str] = []
    with open(log, "a") as out:
        for _ in range(count):
            _, (added,) = pools.add(pool_id, [image(rng)])
            mine.append(added)
            out.write(f"added {added}\n")
            if victim := pick_victim(rng, mine):
                pools.remove(pool_id, victim)
                out.write(f"removed {victim}\n")
            out.flush()


if __name__ == "__main__":
    if sys.argv[1] == "gc":
        gc_loop(sys.argv[2], Path(sys.argv[3]))
    else:
        add_loop(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), Path(sys.argv[6]))
