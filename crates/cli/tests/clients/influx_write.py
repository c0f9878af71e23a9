#!/usr/bin/env python3
"""Writes points to Strata with the official InfluxDB 2.x Python client (influxdb-client),
through /api/v2/write, exactly as an application would. Usage: influx_write.py URL TOKEN.

Writes 3 points of measurement `py_cpu` (tags host, region; fields usage (float), cores (int),
ok (bool), note (string)) at 1700000000000000000 + i seconds, in ns precision, and 2 points of
`py_mem` in ms precision. The Rust test reads them back through /query.
"""
import sys

from influxdb_client import InfluxDBClient, Point, WritePrecision
from influxdb_client.client.write_api import SYNCHRONOUS


def main():
    url, token = sys.argv[1], sys.argv[2]
    with InfluxDBClient(url=url, token=token, org="strata-org") as client:
        write = client.write_api(write_options=SYNCHRONOUS)
        base = 1_700_000_000_000_000_000
        points = [
            Point("py_cpu")
            .tag("host", f"h{i}")
            .tag("region", "eu west")
            .field("usage", 10.5 + i)
            .field("cores", i + 1)
            .field("ok", i % 2 == 0)
            .field("note", f'say "hi" {i}')
            .time(base + i * 1_000_000_000, WritePrecision.NS)
            for i in range(3)
        ]
        write.write(bucket="strata-bucket", record=points)
        write.write(
            bucket="strata-bucket",
            record=[
                "py_mem,host=h0 free=100i 1700000000000",
                "py_mem,host=h0 free=90i 1700000001000",
            ],
            write_precision=WritePrecision.MS,
        )
    print("wrote 5 points")


if __name__ == "__main__":
    main()
