// Turns each API's answer into one shape the chart and the table share:
//   [{name, times: [ms...], values: [number|string|boolean|null...]}]

/** A series' display name: `base{k="v",...}`. */
export function seriesName(base, tags) {
  const t = Object.entries(tags || {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (t.length === 0) return base || "{}";
  return `${base || ""}{${t.map(([k, v]) => `${k}="${v}"`).join(",")}}`;
}

/** The JSON query API: both the `points` and the `series` formats. */
export function fromJsonApi(answer, measurement) {
  if (Array.isArray(answer.series)) {
    const out = [];
    for (const s of answer.series) {
      for (const [field, values] of Object.entries(s.fields || {})) {
        out.push({ name: seriesName(`${s.measurement}.${field}`, s.tags), times: s.timestamps, values });
      }
    }
    return out;
  }
  const byKey = new Map();
  for (const p of answer.data_points || []) {
    const tagKey = JSON.stringify(p.tags || {});
    for (const [field, v] of Object.entries(p.fields || {})) {
      const key = tagKey + "\u0000" + field;
      let s = byKey.get(key);
      if (!s) {
        s = { name: seriesName(`${measurement}.${field}`, p.tags), times: [], values: [] };
        byKey.set(key, s);
      }
      s.times.push(p.timestamp);
      s.values.push(v);
    }
  }
  return [...byKey.values()];
}

/** A Prometheus sample value ("1.5", "NaN", "+Inf") as a number. */
function promValue(text) {
  if (text === "+Inf") return Infinity;
  if (text === "-Inf") return -Infinity;
  return Number(text);
}

function promName(metric) {
  const { __name__: name, ...labels } = metric || {};
  return seriesName(name || "", labels);
}

/** The Prometheus query API's `data` (matrix, vector, scalar or string). */
export function fromPrometheus(data) {
  const r = data.result;
  switch (data.resultType) {
    case "matrix":
      return r.map((s) => ({
        name: promName(s.metric),
        times: s.values.map(([t]) => Math.round(t * 1000)),
        values: s.values.map(([, v]) => promValue(v)),
      }));
    case "vector":
      return r.map((s) => ({
        name: promName(s.metric),
        times: [Math.round(s.value[0] * 1000)],
        values: [promValue(s.value[1])],
      }));
    case "scalar":
      return [{ name: "scalar", times: [Math.round(r[0] * 1000)], values: [promValue(r[1])] }];
    case "string":
      return [{ name: "string", times: [Math.round(r[0] * 1000)], values: [r[1]] }];
    default:
      return [];
  }
}

/** InfluxDB 1.x `/query` results (asked with `epoch=ms`); one series per column but time. */
export function fromInflux(answer) {
  const out = [];
  for (const result of answer.results || []) {
    for (const s of result.series || []) {
      const timeAt = s.columns.indexOf("time");
      s.columns.forEach((col, i) => {
        if (i === timeAt) return;
        out.push({
          name: seriesName(`${s.name}.${col}`, s.tags),
          // SHOW statements have no time column: their rows are numbered instead.
          times: s.values.map((row, n) => (timeAt >= 0 ? row[timeAt] : n)),
          values: s.values.map((row) => row[i]),
          untimed: timeAt < 0,
        });
      });
    }
  }
  return out;
}

/** The number of points across series. */
export function pointCount(series) {
  return series.reduce((n, s) => n + s.times.length, 0);
}
