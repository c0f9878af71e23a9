// The table view and the CSV download of a result (one row per point: time, series, value).

import { el, fill, count } from "./dom.js";
import { iso } from "./time.js";

/** The table shows at most this many rows (the CSV has them all). */
export const MAX_ROWS = 2000;

function rows(series) {
  const out = [];
  for (const s of series) {
    s.times.forEach((t, i) => out.push([s.untimed ? String(t) : iso(t), s.name, s.values[i]]));
  }
  return out;
}

function cell(v) {
  if (v === null || v === undefined) return "";
  return String(v);
}

/** Renders `series` as a table into `target`. */
export function render(target, series) {
  const all = rows(series);
  const body = el("tbody");
  for (const r of all.slice(0, MAX_ROWS)) {
    body.append(el("tr", {}, el("td", {}, r[0]), el("td", {}, r[1]), el("td", { class: "num" }, cell(r[2]))));
  }
  fill(target,
    all.length > MAX_ROWS ? el("p", { class: "muted" }, `showing ${count(MAX_ROWS)} of ${count(all.length)} rows; the CSV has all of them`) : null,
    el("table", { class: "grid", "data-rows": String(all.length) },
      el("thead", {}, el("tr", {}, el("th", {}, "time (UTC)"), el("th", {}, "series"), el("th", {}, "value"))),
      body));
}

function quote(text) {
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** RFC 4180 CSV of `series`. */
export function csv(series) {
  const lines = ["time,series,value"];
  for (const s of series) {
    s.times.forEach((t, i) => {
      const time = s.untimed ? String(t) : new Date(t).toISOString();
      lines.push([time, s.name, cell(s.values[i])].map(quote).join(","));
    });
  }
  return lines.join("\r\n") + "\r\n";
}

/** Offers `text` as a file download. */
export function download(name, text) {
  const url = URL.createObjectURL(new Blob([text], { type: "text/csv" }));
  const a = el("a", { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
