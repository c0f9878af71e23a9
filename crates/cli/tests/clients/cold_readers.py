"""Reads Strata's exported Parquet files straight from the S3 server with outside engines:
pyarrow (always), DuckDB (with the duckdb-extension-httpfs wheel: nothing downloaded at run
time) and DataFusion, where they are installed. Each answers one time-and-tag query; the
rows are printed as JSON for cold_tier.rs to compare with Strata's own answer. pyarrow also
checks the schema, the declared sort order, the statistics and Strata's metadata.

usage: cold_readers.py ENDPOINT BUCKET DATA_PREFIX ACCESS_KEY SECRET_KEY HOST START_NS END_NS
  DATA_PREFIX: the measurement's folder under the bucket, e.g. tier/default/cpu
Prints {"readers": {"pyarrow": [[time_ns, usage], ...], ...}, "skipped": [...]}.
"""

import json
import os
import sys


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def with_pyarrow(endpoint, bucket, prefix, ak, sk, host, start, end):
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.dataset as ds
    import pyarrow.fs as pafs
    import pyarrow.parquet as pq

    fs = pafs.S3FileSystem(access_key=ak, secret_key=sk, endpoint_override=endpoint,
                           scheme="http", region="us-east-1")
    root = f"{bucket}/{prefix}"
    files = [f.path for f in fs.get_file_info(pafs.FileSelector(root, recursive=True))
             if f.path.endswith(".parquet")]
    check(files, f"no Parquet files under {root}")
    for path in files:
        check("/date=" in path, f"not hive-style: {path}")
        f = pq.ParquetFile(path, filesystem=fs)
        schema = f.schema_arrow
        check(schema.field("time").type == pa.timestamp("ns", tz="UTC"),
              f"time column type {schema.field('time').type}")
        check(schema.field("host").type == pa.string(), f"host type {schema.field('host').type}")
        check(schema.field("usage").type == pa.float64(), f"usage type {schema.field('usage').type}")
        check(schema.field("cores").type == pa.int64(), f"cores type {schema.field('cores').type}")
        meta = f.metadata
        kv = {k.decode(): v.decode() for k, v in (meta.metadata or {}).items()}
        check(kv.get("strata.format_version") == "1", f"metadata: {kv}")
        rg = meta.row_group(0)
        sorting = [(c.column_index, c.descending, c.nulls_first) for c in rg.sorting_columns]
        tags = [t["column"] for t in json.loads(kv["strata.tags"])]
        check(tags == ["dc", "host"], f"tag columns {tags}")
        want = [(schema.get_field_index(t), False, True) for t in tags] + [(0, False, True)]
        check(sorting == want, f"declared sort order {sorting}, expected {want}")
        host_at = schema.get_field_index("host")
        time_stats = rg.column(0).statistics
        check(time_stats is not None and time_stats.has_min_max, "no time statistics")
        check(rg.column(host_at).statistics.has_min_max, "no tag statistics")
        check(rg.column(0).compression == "ZSTD", f"compression {rg.column(0).compression}")
    # The files listed above (s3s-fs answers a HEAD of a folder key with a 500).
    dataset = ds.dataset(files, filesystem=fs, format="parquet", partitioning="hive",
                         partition_base_dir=root)
    t = pa.scalar(start, type=pa.timestamp("ns", tz="UTC"))
    u = pa.scalar(end, type=pa.timestamp("ns", tz="UTC"))
    table = dataset.to_table(columns=["time", "usage"],
                             filter=(pc.field("host") == host) & (pc.field("time") >= t) & (pc.field("time") < u))
    table = table.sort_by("time")
    times = table.column("time").cast(pa.int64()).to_pylist()
    return [[ts, v] for ts, v in zip(times, table.column("usage").to_pylist())]


def with_duckdb(endpoint, bucket, prefix, ak, sk, host, start, end):
    import duckdb
    import duckdb_extension_httpfs

    ext = os.path.join(os.path.dirname(duckdb_extension_httpfs.__file__), "extensions",
                       "v" + duckdb.__version__, "httpfs.duckdb_extension")
    con = duckdb.connect()
    con.execute(f"LOAD '{ext}'")
    con.execute(f"""CREATE SECRET strata (TYPE s3, KEY_ID '{ak}', SECRET '{sk}', REGION 'us-east-1',
                    ENDPOINT '{endpoint}', URL_STYLE 'path', USE_SSL false)""")
    src = f"s3://{bucket}/{prefix}/*/*.parquet"
    # DuckDB sees Strata's statistics too.
    stats = con.execute(f"SELECT count(*) FROM parquet_metadata('{src}') "
                        "WHERE path_in_schema = 'time' AND stats_min IS NOT NULL").fetchone()[0]
    check(stats > 0, "DuckDB sees no time statistics")
    rows = con.execute(
        f"SELECT epoch_ns(time), usage FROM read_parquet('{src}', hive_partitioning = true) "
        "WHERE host = ? AND epoch_ns(time) >= ? AND epoch_ns(time) < ? ORDER BY time",
        [host, start, end]).fetchall()
    return [[int(ts), v] for ts, v in rows]


def with_datafusion(endpoint, bucket, prefix, ak, sk, host, start, end):
    from datafusion import SessionContext
    from datafusion.object_store import AmazonS3

    ctx = SessionContext()
    s3 = AmazonS3(bucket_name=bucket, region="us-east-1", access_key_id=ak,
                  secret_access_key=sk, endpoint=f"http://{endpoint}", allow_http=True)
    ctx.register_object_store("s3://", s3, bucket)
    ctx.register_parquet("cpu", f"s3://{bucket}/{prefix}/",
                         table_partition_cols=[("date", "string")], file_extension=".parquet")
    df = ctx.sql(
        "SELECT CAST(time AS BIGINT) AS ts, usage FROM cpu "
        f"WHERE host = '{host}' AND CAST(time AS BIGINT) >= {start} AND CAST(time AS BIGINT) < {end} "
        "ORDER BY time")
    out = []
    for batch in df.collect():
        d = batch.to_pydict()
        out.extend([[int(ts), v] for ts, v in zip(d["ts"], d["usage"])])
    return out


def main():
    endpoint, bucket, prefix, ak, sk, host = sys.argv[1:7]
    start, end = int(sys.argv[7]), int(sys.argv[8])
    args = (endpoint, bucket, prefix, ak, sk, host, start, end)
    readers, skipped = {}, []
    readers["pyarrow"] = with_pyarrow(*args)
    for name, f, module in (("duckdb", with_duckdb, "duckdb_extension_httpfs"),
                            ("datafusion", with_datafusion, "datafusion")):
        try:
            __import__(module)
        except ImportError:
            skipped.append(name)
            continue
        readers[name] = f(*args)
    print(json.dumps({"readers": readers, "skipped": skipped}))


if __name__ == "__main__":
    try:
        main()
    except AssertionError as e:
        print(f"FAILED: {e}", file=sys.stderr)
        sys.exit(1)
