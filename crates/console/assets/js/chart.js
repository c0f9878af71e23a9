// The line chart (uPlot, bundled): series aligned on one time axis, a legend that toggles
// series and reads out values under the cursor, drag to zoom (double-click resets), and
// axes in SI units. Records how long the first draw took (`data-draw-ms`).

import { si } from "./dom.js";
import { iso } from "./time.js";

/** At most this many series are drawn (the table and the CSV keep all of them). */
export const MAX_SERIES = 200;

let plot = null;

/** Colour `i` of a palette that keeps neighbours apart. */
function colour(i) {
  return `hsl(${(i * 137.508) % 360}, 65%, 45%)`;
}

/** Aligns series on the sorted union of their timestamps (seconds), gaps as null.
 *  Non-numeric and non-finite values are not drawn. */
export function align(series) {
  const stamps = new Set();
  for (const s of series) for (const t of s.times) stamps.add(t);
  const xs = Float64Array.from(stamps).sort();
  const at = new Map();
  xs.forEach((t, i) => at.set(t, i));
  const ys = series.map((s) => {
    const col = new Array(xs.length).fill(null);
    s.times.forEach((t, i) => {
      const v = s.values[i];
      col[at.get(t)] = typeof v === "number" && Number.isFinite(v) ? v : null;
    });
    return col;
  });
  return [Array.from(xs, (t) => t / 1000), ...ys];
}

/** Draws `series` into `target` (replacing any chart); returns a note for the summary. */
export function draw(target, series) {
  destroy(target);
  const numeric = series.filter((s) => !s.untimed && s.values.some((v) => typeof v === "number"));
  if (numeric.length === 0) {
    target.textContent = series.length ? "Nothing numeric to plot: see the table." : "No data in this range.";
    target.dataset.series = "0";
    return "";
  }
  const shown = numeric.slice(0, MAX_SERIES);
  const started = performance.now();
  const width = Math.max(300, target.clientWidth || 800);
  const opts = {
    width,
    height: 360,
    cursor: { drag: { x: true, y: false } },
    legend: { live: true },
    scales: { x: { time: true } },
    axes: [
      {},
      { values: (_, ticks) => ticks.map(si), size: 60 },
    ],
    series: [
      { label: "time", value: (_, t) => (t == null ? "" : iso(Math.round(t * 1000))) },
      ...shown.map((s, i) => ({
        label: s.name,
        stroke: colour(i),
        width: 1.5,
        spanGaps: false,
        points: { show: s.times.length < 60 },
        value: (_, v) => (v == null ? "" : si(v)),
      })),
    ],
    // Time axis in UTC, like the table and the range picker.
    tzDate: (t) => window.uPlot.tzDate(new Date(t * 1e3), "Etc/UTC"),
    hooks: {
      draw: [() => {
        if (!target.dataset.drawMs) target.dataset.drawMs = (performance.now() - started).toFixed(1);
      }],
      // The visible time range (seconds), for whoever watches a zoom.
      setScale: [(u, key) => {
        if (key === "x") target.dataset.xRange = `${u.scales.x.min},${u.scales.x.max}`;
      }],
    },
  };
  target.textContent = "";
  delete target.dataset.drawMs;
  plot = new window.uPlot(opts, align(shown), target);
  target.dataset.series = String(shown.length);
  return numeric.length > shown.length ? `chart shows the first ${MAX_SERIES} of ${numeric.length} series` : "";
}

/** Removes the chart from `target`. */
export function destroy(target) {
  if (plot) {
    plot.destroy();
    plot = null;
  }
  target.textContent = "";
  delete target.dataset.series;
  delete target.dataset.drawMs;
}

/** Follows the container's width. */
export function resize(target) {
  if (plot) plot.setSize({ width: Math.max(300, target.clientWidth), height: 360 });
}
