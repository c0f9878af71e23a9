// The query builder: a measurement, fields, filters, an aggregate over windows and a group
// by, written out as a query in the chosen language. Pure text generation below; the form
// is read by `read()`.

import { $, el, fill } from "./dom.js";
import { call } from "./api.js";
import { durationMs, durationText } from "./time.js";

const OPS = [["eq", "="], ["ne", "!="], ["regex", "=~"]];

/** Fills the form's choices for `measurement`: its fields and tag keys. */
export async function loadMeasurement(measurement) {
  const [fields, tags] = measurement
    ? await Promise.all([
      call("/api/v1/fields", { params: { measurement } }),
      call("/api/v1/tags", { params: { measurement } }),
    ])
    : [{ fields: [] }, { tags: [] }];
  fill($("b-fields"), fields.fields.map((f, i) => check("b-field", f.name, `${f.name} (${f.type})`, i === 0)));
  fill($("b-group"), tags.tags.map((k) => check("b-group", k, k, false)));
  $("b-filters").dataset.keys = JSON.stringify(tags.tags);
  fill($("b-filters"));
}

function check(name, value, label, checked) {
  return el("label", { class: "check" }, el("input", { type: "checkbox", name, value, checked }), label);
}

/** Adds one filter row (tag key, operator, value). */
export function addFilter(key = "", op = "eq", value = "") {
  const keys = JSON.parse($("b-filters").dataset.keys || "[]");
  const row = el("div", { class: "row filter" },
    el("select", { class: "f-key" }, keys.map((k) => el("option", { value: k, selected: k === key }, k))),
    el("select", { class: "f-op" }, OPS.map(([v, t]) => el("option", { value: v, selected: v === op }, t))),
    el("input", { class: "f-value", value, placeholder: "value" }),
    el("button", { type: "button", class: "link", onclick: () => row.remove() }, "remove"));
  $("b-filters").append(row);
}

/** The form as data. */
export function read() {
  const checked = (name) => [...document.querySelectorAll(`input[name="${name}"]:checked`)].map((i) => i.value);
  return {
    measurement: $("b-measurement").value,
    fields: checked("b-field"),
    groupBy: checked("b-group"),
    filters: [...document.querySelectorAll("#b-filters .filter")].map((r) => ({
      key: r.querySelector(".f-key").value,
      op: r.querySelector(".f-op").value,
      value: r.querySelector(".f-value").value,
    })).filter((f) => f.key),
    fn: $("b-function").value,
    q: Number($("b-q").value),
    every: $("b-every").value,
  };
}

/** The window in ms: a fixed choice, `auto` (from the range), or null for the whole range. */
function windowMs(b, autoMs) {
  if (b.every === "none") return null;
  return b.every === "auto" ? autoMs : durationMs(b.every);
}

/** A JSON query API body (`start`/`end` are set when it runs). */
export function toJson(b, autoMs) {
  const q = { measurement: b.measurement };
  if (b.fields.length) q.fields = b.fields;
  if (b.filters.length) {
    q.filters = {};
    for (const f of b.filters) {
      q.filters[f.key] = f.op === "eq" ? f.value
        : f.op === "ne" ? { ne: f.value }
        : { regex: f.value };
    }
  }
  if (b.fn) {
    q.aggregate = { function: b.fn };
    if (b.fn === "quantile") q.aggregate.q = b.q;
    const w = windowMs(b, autoMs);
    if (w) q.aggregate.every = w;
    if (b.groupBy.length) q.group_by = b.groupBy;
  }
  q.format = "series";
  return JSON.stringify(q, null, 2);
}

const PROM_OVER_TIME = {
  mean: "avg_over_time", sum: "sum_over_time", count: "count_over_time", min: "min_over_time",
  max: "max_over_time", last: "last_over_time", stddev: "stddev_over_time",
  quantile: "quantile_over_time",
};
const PROM_ACROSS = { mean: "avg", sum: "sum", count: "sum", min: "min", max: "max", last: "max", first: "max", stddev: "stddev", quantile: "max" };

function promString(s) {
  return JSON.stringify(s);
}

/** A PromQL expression (the first chosen field; `value` is the bare measurement name). */
export function toPromql(b, autoMs) {
  const field = b.fields[0] || "value";
  const metric = field === "value" ? b.measurement : `${b.measurement}_${field}`;
  const ops = { eq: "=", ne: "!=", regex: "=~" };
  const matchers = b.filters.map((f) => `${f.key}${ops[f.op]}${promString(f.value)}`);
  const sel = matchers.length ? `${metric}{${matchers.join(", ")}}` : metric;
  if (!b.fn) return sel;
  const w = durationText(windowMs(b, autoMs) ?? autoMs);
  const fn = PROM_OVER_TIME[b.fn];
  let expr = !fn ? sel : b.fn === "quantile" ? `${fn}(${b.q}, ${sel}[${w}])` : `${fn}(${sel}[${w}])`;
  if (b.groupBy.length) expr = `${PROM_ACROSS[b.fn]} by (${b.groupBy.join(", ")}) (${expr})`;
  return expr;
}

function ident(s) {
  return `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

function literal(s) {
  return `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

function regexLiteral(s) {
  return `/${s.replace(/\//g, "\\/")}/`;
}

/** An InfluxQL SELECT; `$timeFilter` and `$__interval` are filled in when it runs. */
export function toInfluxql(b) {
  const fields = b.fields.length ? b.fields : ["*"];
  const fnName = b.fn === "quantile" ? "percentile" : b.fn;
  const cols = fields.map((f) => {
    const col = f === "*" ? "*" : ident(f);
    if (!b.fn) return col;
    return b.fn === "quantile" ? `${fnName}(${col}, ${b.q * 100})` : `${fnName}(${col})`;
  });
  const where = ["$timeFilter", ...b.filters.map((f) => {
    const k = ident(f.key);
    switch (f.op) {
      case "ne": return `${k} != ${literal(f.value)}`;
      case "regex": return `${k} =~ ${regexLiteral(f.value)}`;
      default: return `${k} = ${literal(f.value)}`;
    }
  })];
  let text = `SELECT ${cols.join(", ")} FROM ${ident(b.measurement)} WHERE ${where.join(" AND ")}`;
  const groups = [];
  if (b.fn && b.every !== "none") groups.push(b.every === "auto" ? "time($__interval)" : `time(${b.every})`);
  groups.push(...b.groupBy.map(ident));
  if (groups.length) text += ` GROUP BY ${groups.join(", ")}`;
  if (b.fn && b.every !== "none") text += " fill(none)";
  return text;
}
