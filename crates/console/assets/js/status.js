// The status page, from the engine's own statistics (GET /api/v1/status): ingest rate, WAL,
// MemTables, block cache, SSTables per level and partition, background jobs, the
// read-only state, and the cold tier's exporter. Polled every few seconds while the page is shown.

import { $, el, fill, table, bytes, count, si, elapsed } from "./dom.js";
import { call } from "./api.js";
import { iso } from "./time.js";

const POLL_MS = 5000;
let previous = null;
let timer = null;

function card(title, ...body) {
  return el("div", { class: "card" }, el("h2", {}, title), ...body);
}

function facts(pairs) {
  return el("dl", { class: "facts" }, pairs.map(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
}

/** Points per second since the last reading (the average since start on the first). */
function rate(name, now, db) {
  const before = previous && previous.databases.find((d) => d.name === name);
  if (!before) return now.uptime_seconds > 0 ? `${si(db.points_written / now.uptime_seconds)} points/s (average since start)` : "—";
  const dt = now.uptime_seconds - previous.uptime_seconds;
  return dt > 0 ? `${si((db.points_written - before.points_written) / dt)} points/s` : "—";
}

function render(s) {
  const parts = s.databases.map((db) => {
    const state = db.read_only
      ? el("span", { class: "bad" }, "read-only: " + db.read_only)
      : db.background_failures.length
        ? el("span", { class: "warn" }, "degraded")
        : el("span", { class: "good" }, "accepting writes");
    return el("section", { class: "status-db", "data-db": db.name },
      el("h2", {}, `Database ${db.name}`, " ", state),
      el("div", { class: "cards" },
        card("Ingest", facts([
          ["rate", rate(db.name, s, db)],
          ["points written", count(db.points_written)],
          ["write batches", count(db.batches_written)],
          ["backpressure events", count(db.backpressure)],
          ["series", count(db.series)],
        ])),
        card("WAL", facts([
          ["bytes written", bytes(db.wal.bytes_written)],
          ["records", count(db.wal.records)],
          ["group commits", count(db.wal.batches)],
          ["fsyncs", count(db.wal.fsyncs)],
          ["segments created", count(db.wal.segments_created)],
        ])),
        card("MemTables and cache", facts([
          ["active MemTable", bytes(db.memtable.active_bytes)],
          ["frozen MemTables", bytes(db.memtable.frozen_bytes)],
          ["block cache", bytes(db.cache.bytes)],
          ["cache hits / misses", `${count(db.cache.hits)} / ${count(db.cache.misses)}`],
        ])),
        card("Background jobs", facts([
          ["flushes", count(db.flushes)],
          ["compactions", count(db.compactions)],
          ["tombstones", count(db.tombstones)],
          ...Object.entries(db.jobs).map(([job, c]) => [`${job} failures / panics`, `${c.failures} / ${c.panics}`]),
        ]), db.background_failures.map((f) => el("p", { class: "error" }, `${f.job} failing (${f.consecutive} in a row): ${f.error}`)))),
      card("SSTables per level",
        table(["level", "files", "bytes", "points"], db.levels.map((l) => [l.level, count(l.files), bytes(l.bytes), count(l.points)]))),
      card("Partitions",
        db.partitions.length === 0 ? el("p", { class: "muted" }, "nothing flushed yet")
          : table(["partition start (UTC)", "level", "files", "bytes", "points"],
            db.partitions.flatMap((p) => [
              ...(p.cold ? [[iso(Math.floor(p.start_ns / 1e6)), "object store", "", "", ""]] : []),
              ...p.levels.map((l) => [iso(Math.floor(p.start_ns / 1e6)), l.level, count(l.files), bytes(l.bytes), count(l.points)]),
            ]))));
  });
  fill($("status-body"), el("p", { class: "muted" }, `Strata ${s.version}, up ${elapsed(s.uptime_seconds)}`), parts, cold(s.cold));
}

/** The cold tier's exporter, when an object store is configured. */
function cold(c) {
  if (!c) return null;
  const when = c.last_success_ns ? iso(Math.floor(c.last_success_ns / 1e6)) : "never";
  return card("Cold tier (object store)",
    facts([
      ["store", c.store],
      ["exports", count(c.exports)],
      ["failures", `${count(c.failures)} (${count(c.consecutive_failures)} in a row)`],
      ["last success", when],
      ...Object.entries(c.generations).map(([db, g]) => [`${db} manifest`, `generation ${g}`]),
      ["local copies dropped", count(c.offloaded)],
      ["read cache on disk", `${bytes(c.cache.disk_bytes)} in ${count(c.cache.disk_files)} files`],
      ["files fetched", `${count(c.cache.fetched)} (${bytes(c.cache.fetched_bytes)}), ${count(c.cache.disk_hits)} from the disk cache`],
    ]),
    c.last_error ? el("p", { class: "error" }, c.last_error) : null);
}

async function poll() {
  try {
    const s = await call("/api/v1/status", { withDb: false });
    render(s);
    previous = s;
  } catch (e) {
    fill($("status-body"), el("p", { class: "error" }, e.message));
  }
}

/** Starts polling (the page is shown). */
export function start() {
  stop();
  poll();
  timer = setInterval(poll, POLL_MS);
}

/** Stops polling (the page is hidden). */
export function stop() {
  clearInterval(timer);
  timer = null;
}
