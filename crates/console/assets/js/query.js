// The query page: the editor in one of three languages, the time-range picker, auto-refresh,
// running a query, showing its chart, table or error, and the query history.

import { $, el, fill, show, setError, count } from "./dom.js";
import { call, ApiError } from "./api.js";
import { resolveRange, stepFor, durationText, toInput } from "./time.js";
import { fromJsonApi, fromPrometheus, fromInflux, pointCount } from "./results.js";
import * as chart from "./chart.js";
import * as table from "./table.js";
import * as builder from "./builder.js";

const HISTORY_KEY = "strata.history";
const HISTORY_MAX = 30;

const HELP = {
  json: "JSON query API body (POST /query). start and end come from the range picker.",
  promql: "PromQL (GET /api/v1/query_range); the step follows the range.",
  influxql: "InfluxQL (POST /query); $timeFilter and $__interval follow the range.",
};

let last = [];
let timer = null;
let view = "chart";

function range() {
  return resolveRange($("range").value, $("from").value, $("to").value);
}

/** Runs `text` in `language` over `r`; returns series in the shared shape. */
async function execute(language, text, r) {
  const step = stepFor(r);
  if (language === "json") {
    let body;
    try {
      body = JSON.parse(text);
    } catch (e) {
      throw new ApiError(0, "the editor does not hold valid JSON: " + e.message);
    }
    if (!body || typeof body !== "object" || Array.isArray(body)) throw new ApiError(0, "the JSON query must be an object");
    body.start = r.start;
    body.end = r.end;
    const answer = await call("/query", { method: "POST", body });
    return fromJsonApi(answer, body.measurement);
  }
  if (language === "promql") {
    const answer = await call("/api/v1/query_range", {
      params: { query: text, start: r.start / 1000, end: (r.end - 1) / 1000, step: step / 1000 },
    });
    return fromPrometheus(answer.data);
  }
  const q = text
    .replaceAll("$timeFilter", `time >= ${r.start}ms AND time < ${r.end}ms`)
    .replaceAll("$__interval", durationText(step));
  const answer = await call("/query", { method: "POST", form: { q, epoch: "ms" } });
  return fromInflux(answer);
}

/** Runs the editor's query and shows its result. */
export async function run({ remember = true } = {}) {
  const language = $("language").value;
  const text = $("editor").value.trim();
  setError($("query-error"), "");
  if (!text) return setError($("query-error"), "write a query first");
  let r;
  try {
    r = range();
  } catch (e) {
    return setError($("query-error"), e.message);
  }
  $("run").disabled = true;
  $("summary").textContent = "running…";
  const started = performance.now();
  try {
    last = await execute(language, text, r);
    const ms = performance.now() - started;
    if (remember) addToHistory(language, text);
    render();
    const note = view === "chart" ? chart.draw($("chart"), last) : "";
    if (view !== "chart") chart.destroy($("chart"));
    const drawn = $("chart").dataset.drawMs;
    $("summary").textContent = [
      `${count(last.length)} series, ${count(pointCount(last))} points in ${ms.toFixed(0)} ms`,
      drawn ? `drawn in ${drawn} ms` : "",
      note,
    ].filter(Boolean).join(" · ");
    $("csv").disabled = last.length === 0;
  } catch (e) {
    last = [];
    chart.destroy($("chart"));
    fill($("table"));
    $("csv").disabled = true;
    $("summary").textContent = "";
    setError($("query-error"), e.message);
  } finally {
    $("run").disabled = false;
    // Counts finished runs (for scripts that wait for one, like the browser test).
    $("summary").dataset.runs = String(Number($("summary").dataset.runs || 0) + 1);
  }
}

function render() {
  if (view === "table") table.render($("table"), last);
  else fill($("table"));
}

function setView(v) {
  view = v;
  for (const b of document.querySelectorAll("button.view")) b.classList.toggle("active", b.dataset.view === v);
  show($("chart"), v === "chart");
  show($("table"), v === "table");
  if (v === "chart") chart.draw($("chart"), last);
  else chart.destroy($("chart"));
  render();
}

function history() {
  try {
    return JSON.parse(localStorage.getItem(HISTORY_KEY) || "[]");
  } catch {
    return [];
  }
}

function addToHistory(language, text) {
  const h = history().filter((e) => !(e.language === language && e.text === text));
  h.unshift({ language, text, at: Date.now() });
  localStorage.setItem(HISTORY_KEY, JSON.stringify(h.slice(0, HISTORY_MAX)));
  renderHistory();
}

function renderHistory() {
  fill($("history"), history().map((e) => el("li", {},
    el("button", { type: "button", class: "link", onclick: () => load(e.language, e.text) },
      el("span", { class: "tag" }, e.language), " ", e.text.replace(/\s+/g, " ").slice(0, 160)))));
}

/** Puts `text` in the editor in `language`. */
export function load(language, text) {
  $("language").value = language;
  $("editor").value = text;
  $("editor-help").textContent = HELP[language];
}

function writeFromBuilder() {
  const b = builder.read();
  if (!b.measurement) return setError($("query-error"), "choose a measurement in the builder");
  let auto;
  try {
    auto = stepFor(range(), 300);
  } catch {
    auto = 60e3;
  }
  const language = $("language").value;
  const text = language === "json" ? builder.toJson(b, auto)
    : language === "promql" ? builder.toPromql(b, auto)
    : builder.toInfluxql(b);
  load(language, text);
}

/** Prepares the builder for `measurement` and writes its default query. */
export async function useMeasurement(measurement, measurements) {
  fill($("b-measurement"), measurements.map((m) => el("option", { value: m, selected: m === measurement }, m)));
  try {
    await builder.loadMeasurement(measurement);
  } catch (e) {
    setError($("query-error"), e.message);
  }
  if (measurement) writeFromBuilder();
}

function setRefresh() {
  clearInterval(timer);
  const s = Number($("refresh").value);
  if (s > 0) timer = setInterval(() => { if (!$("query").classList.contains("hidden")) run({ remember: false }); }, s * 1000);
}

/** Wires the page's controls (once). */
export function init() {
  $("run").addEventListener("click", () => run());
  $("editor").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) run();
  });
  $("language").addEventListener("change", () => {
    $("editor-help").textContent = HELP[$("language").value];
    if ($("b-measurement").value) writeFromBuilder();
  });
  $("range").addEventListener("change", () => {
    const absolute = $("range").value === "absolute";
    if (absolute && !$("from").value) {
      $("from").value = toInput(Date.now() - 3600e3);
      $("to").value = toInput(Date.now());
    }
    show($("absolute"), absolute);
  });
  $("refresh").addEventListener("change", setRefresh);
  $("b-measurement").addEventListener("change", async () => {
    try {
      await builder.loadMeasurement($("b-measurement").value);
    } catch (e) {
      setError($("query-error"), e.message);
    }
  });
  $("b-function").addEventListener("change", () => show($("b-q-label"), $("b-function").value === "quantile"));
  $("b-add-filter").addEventListener("click", () => builder.addFilter());
  $("b-build").addEventListener("click", writeFromBuilder);
  for (const b of document.querySelectorAll("button.view")) b.addEventListener("click", () => setView(b.dataset.view));
  $("csv").addEventListener("click", () => table.download("strata-result.csv", table.csv(last)));
  window.addEventListener("resize", () => chart.resize($("chart")));
  $("editor-help").textContent = HELP.json;
  renderHistory();
}
