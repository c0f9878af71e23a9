// The explore page: the database's measurements by series count, and for one measurement
// its fields with their types, its tag keys with their value counts and the tag values that
// have the most series; a tag key lists all its values.

import { $, el, fill, count, table, setError } from "./dom.js";
import { call } from "./api.js";

let onQuery = () => {};
let measurements = [];

/** `f(measurement, allMeasurements)` runs when the user asks to query a measurement. */
export function whenQueried(f) {
  onQuery = f;
}

/** The measurements last listed. */
export function listed() {
  return measurements;
}

/** Lists the measurements of the current database. */
export async function load() {
  const [list, card] = await Promise.all([
    call("/api/v1/measurements"),
    call("/api/v1/cardinality", { params: { top: "100000" } }),
  ]);
  measurements = list.measurements;
  const series = new Map(card.measurements.map((m) => [m.measurement, m.series]));
  $("cardinality-summary").textContent =
    `${count(card.measurement_count)} measurements, ${count(card.series)} series`;
  fill($("measurements"), measurements.length === 0
    ? el("li", { class: "muted" }, "No measurements yet: write some points.")
    : measurements.map((m) => el("li", {},
      el("button", { type: "button", class: "link measurement", "data-name": m, onclick: () => detail(m) },
        m, " ", el("span", { class: "muted" }, `${count(series.get(m) ?? 0)} series`)))));
  fill($("measurement-detail"), el("p", { class: "muted" }, "Choose a measurement to see its tags, fields and series counts."));
}

/** Shows one measurement. */
export async function detail(m) {
  for (const b of document.querySelectorAll("#measurements .measurement")) b.classList.toggle("active", b.dataset.name === m);
  const target = $("measurement-detail");
  const error = el("p", { class: "error hidden" });
  const list = el("div", { id: "tag-values" });
  try {
    const [fields, card] = await Promise.all([
      call("/api/v1/fields", { params: { measurement: m } }),
      call("/api/v1/cardinality", { params: { measurement: m, top: "5" } }),
    ]);
    fill(target,
      el("div", { class: "row" },
        el("h2", {}, m),
        el("span", { class: "muted" }, `${count(card.measurement_series)} series`),
        el("button", { type: "button", class: "primary", id: "query-measurement", onclick: () => onQuery(m, measurements) }, "Query")),
      el("h3", {}, "Fields"),
      table(["field", "type"], fields.fields.map((f) => [f.name, f.type])),
      el("h3", {}, "Tags"),
      card.tags.length === 0 ? el("p", { class: "muted" }, "no tags")
        : table(["tag key", "values", "values with the most series"], card.tags.map((t) => [
          el("button", { type: "button", class: "link tag-key", "data-key": t.key, onclick: () => values(m, t.key, list) }, t.key),
          count(t.values),
          t.top.map((v) => `${v.value} (${count(v.series)})`).join(", "),
        ])),
      list,
      error);
  } catch (e) {
    fill(target, error);
    setError(error, e.message);
  }
}

/** The values shown of one tag key at most (the count says how many there are). */
const MAX_VALUES = 1000;

/** Lists every value of tag `key` of measurement `m` into `target`. */
async function values(m, key, target) {
  try {
    const r = await call(`/api/v1/tags/${encodeURIComponent(key)}/values`, { params: { measurement: m } });
    const shown = r.values.slice(0, MAX_VALUES);
    fill(target,
      el("h3", {}, `Values of ${key} (${count(r.values.length)})`),
      el("ul", { class: "values" }, shown.map((v) => el("li", {}, v))),
      r.values.length > shown.length ? el("p", { class: "muted" }, `first ${count(MAX_VALUES)} shown`) : null);
  } catch (e) {
    fill(target, el("p", { class: "error" }, e.message));
  }
}
