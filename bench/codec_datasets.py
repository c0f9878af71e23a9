#!/usr/bin/env python3
"""Generates the synthetic data sets of the codec report (BENCHMARKS.md, "Codec").

Each is a CSV `series,timestamp,value` (timestamps in ms), 100 series x 8,640 points: one day
at a 10 s interval. Deterministic (fixed seed). Usage: codec_datasets.py OUT_DIR
"""
import os
import random
import sys

SERIES = 100
POINTS = 8640
START_MS = 1_700_000_000_000
STEP_MS = 10_000


def write(path, gen):
    rng = random.Random(42)
    with open(path, "w") as f:
        f.write("series,timestamp,value\n")
        for s in range(SERIES):
            name = f"s{s}"
            for i, v in enumerate(gen(rng, s)):
                f.write(f"{name},{START_MS + i * STEP_MS},{v!r}\n")


def counter(rng, s):
    """A monotonic counter (e.g. bytes sent) growing by a varying amount each scrape."""
    v = rng.randrange(10**9)
    for _ in range(POINTS):
        v += rng.randrange(5000)
        yield float(v)


def random_walk(rng, s):
    """A float random walk with full-precision Gaussian steps (not decimal-looking)."""
    v = 100.0
    for _ in range(POINTS):
        v += rng.gauss(0, 1)
        yield v


def gauge_2dp(rng, s):
    """A gauge reported with two decimals (temperature, load, percentage)."""
    v = 5000
    for _ in range(POINTS):
        v += rng.randrange(-50, 51)
        yield round(v / 100, 2)


def mostly_constant(rng, s):
    """A gauge that changes on about 1% of scrapes (e.g. a configured limit, an up flag)."""
    v = float(rng.randrange(1, 64))
    for _ in range(POINTS):
        if rng.random() < 0.01:
            v = float(rng.randrange(1, 64)) + rng.choice([0.0, 0.5, 0.25])
        yield v


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "."
    os.makedirs(out, exist_ok=True)
    for name, gen in [("counter", counter), ("random_walk", random_walk),
                      ("gauge_2dp", gauge_2dp), ("mostly_constant", mostly_constant)]:
        write(os.path.join(out, f"{name}.csv"), gen)
        print(os.path.join(out, f"{name}.csv"))


if __name__ == "__main__":
    main()
