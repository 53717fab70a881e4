"""Small timing helpers shared by the benchmarks: medians of repeated runs, and a table printer."""

import statistics
import time


def median_seconds(fn, repeat: int, setup=None) -> float:
    """Median wall time of `fn()` over `repeat` runs; `setup()` runs untimed before each."""
    times = []
    for _ in range(repeat):
        if setup:
            setup()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def fmt_time(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.1f} µs"


class Table:
    def __init__(self, title: str):
        self.title = title
        self.rows: list[tuple[str, str, str, str]] = []

    def ratio(self, name: str, ours: float, baseline: float, target: str = "") -> float:
        """Record ours vs baseline; the ratio printed is how many times faster ours is."""
        speedup = baseline / ours if ours else float("inf")
        shown = f"{speedup:,.0f}x faster" if speedup >= 10 else (
            f"{speedup:.2f}x faster" if speedup >= 1 else f"{1 / speedup:.2f}x slower")
        self.rows.append((name, f"{fmt_time(ours)} vs {fmt_time(baseline)}", shown, target))
        return speedup

    def value(self, name: str, text: str, target: str = "") -> None:
        self.rows.append((name, text, "", target))

    def print(self) -> None:
        print(f"\n## {self.title}\n")
        print("| measure | ours vs baseline | ratio | target |")
        print("|---|---|---|---|")
        for row in self.rows:
            print("| " + " | ".join(row) + " |")
