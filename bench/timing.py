"""Timing shared by the benchmarks: ours and its baseline measured interleaved in one run, and a table that prints
each target with the ratio measured, min and median, and whether it holds."""

import statistics
import sys
import time
from dataclasses import dataclass
from typing import Callable

PAIRS = 7  # the least number of interleaved pairs any target is judged on


def wall(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def cpu(fn: Callable[[], object]) -> float:
    """Process CPU time, every thread included (a background thread's work counts)."""
    start = time.process_time()
    fn()
    return time.process_time() - start


@dataclass
class Pairs:
    ours: list[float]
    baseline: list[float]

    @property
    def ratio(self) -> float:
        """Median of ours over median of the baseline: above 1, ours is slower."""
        return statistics.median(self.ours) / statistics.median(self.baseline)

    @property
    def ratio_of_mins(self) -> float:
        return min(self.ours) / min(self.baseline)


def interleaved(ours: Callable[[], object], baseline: Callable[[], object], pairs: int = PAIRS, *,
                setup: Callable[[], object] | None = None, baseline_setup: Callable[[], object] | None = None,
                measure: Callable[[Callable[[], object]], float] = wall) -> Pairs:
    """Run ours and the baseline in turns, A B B A ..., so that a busy moment of the machine falls on both alike.
    `setup` (untimed) runs before each run of ours, `baseline_setup` before each run of the baseline."""
    result = Pairs([], [])
    for i in range(pairs):
        runs = [(ours, setup, result.ours), (baseline, baseline_setup, result.baseline)]
        for fn, prepare, times in runs if i % 2 == 0 else reversed(runs):
            if prepare:
                prepare()
            times.append(measure(fn))
    return result


def fmt_time(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.1f} µs"


def spread(times: list[float]) -> str:
    return f"{fmt_time(min(times))} / {fmt_time(statistics.median(times))}"


class Table:
    """Rows of targets (a ratio that must stay at or under a limit) and of figures reported as they are."""

    def __init__(self, title: str, command: str):
        self.title = title
        self.command = command
        self.rows: list[tuple[str, str, str, str, str]] = []
        self.missed: list[str] = []

    def target(self, name: str, pairs: Pairs, limit: float, baseline_name: str) -> bool:
        """ours ≤ limit × baseline, judged on the medians of interleaved pairs."""
        holds = pairs.ratio <= limit
        if not holds:
            self.missed.append(name)
        self.rows.append((name, f"{spread(pairs.ours)} vs {spread(pairs.baseline)} ({baseline_name})",
                          f"{pairs.ratio:.2f}x (mins {pairs.ratio_of_mins:.2f}x)", f"≤ {limit:g}x",
                          "holds" if holds else "**misses**"))
        return holds

    def speedup(self, name: str, pairs: Pairs, at_least: float, baseline_name: str) -> bool:
        """ours at least `at_least` times faster than the baseline (medians)."""
        factor = 1 / pairs.ratio
        holds = factor >= at_least
        if not holds:
            self.missed.append(name)
        self.rows.append((name, f"{spread(pairs.ours)} vs {spread(pairs.baseline)} ({baseline_name})",
                          f"{factor:,.0f}x faster" if factor >= 10 else f"{factor:.2f}x faster",
                          f"≥ {at_least:g}x faster", "holds" if holds else "**misses**"))
        return holds

    def within(self, name: str, times: list[float], limit: float) -> bool:
        """ours ≤ an absolute time, judged on the median."""
        holds = statistics.median(times) <= limit
        if not holds:
            self.missed.append(name)
        self.rows.append((name, spread(times), "", f"≤ {fmt_time(limit)}", "holds" if holds else "**misses**"))
        return holds

    def value(self, name: str, text: str) -> None:
        self.rows.append((name, text, "", "", ""))

    def print(self, out=sys.stdout) -> None:
        print(f"\n## {self.title}\n\n`{self.command}` — times are min / median of interleaved runs; the ratio is "
              f"of the medians.\n", file=out)
        print("| measure | ours vs baseline | ratio | target | |", file=out)
        print("|---|---|---|---|---|", file=out)
        for row in self.rows:
            print("| " + " | ".join(row) + " |", file=out)
        if self.missed:
            print(f"\n{len(self.missed)} target(s) missed: " + "; ".join(self.missed), file=out)
