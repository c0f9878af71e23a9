#!/usr/bin/env python3
"""Converts `promtool tsdb dump` output (`{labels} value timestamp_ms` per line) to the codec
report's CSV (`series,timestamp,value`). Usage: promtool tsdb dump DIR | promtool_to_csv.py > OUT
"""
import sys


def main():
    out = sys.stdout
    out.write("series,timestamp,value\n")
    for line in sys.stdin:
        line = line.rstrip("\n")
        if not line:
            continue
        series, value, ts = line.rsplit(" ", 2)
        out.write(f"{series},{ts},{value}\n")


if __name__ == "__main__":
    main()
