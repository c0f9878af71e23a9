// Time ranges: the picker's presets, absolute UTC ranges, and the step a chart needs.

const UNIT = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3 };

/** "15m" -> 900000 (ms); null if not a duration. */
export function durationMs(text) {
  const m = /^(\d+)([smhd])$/.exec(text);
  return m ? Number(m[1]) * UNIT[m[2]] : null;
}

/** A preset ("1h") ending now, or an absolute range from two `datetime-local` values read
 *  as UTC: `{start, end}` in ms, end exclusive. */
export function resolveRange(preset, fromText, toText, now = Date.now()) {
  if (preset !== "absolute") {
    const d = durationMs(preset) ?? 3600e3;
    return { start: now - d, end: now + 1 };
  }
  const start = Date.parse(fromText + "Z");
  const end = Date.parse(toText + "Z");
  if (Number.isNaN(start) || Number.isNaN(end)) throw new Error("give both ends of the absolute range");
  if (start >= end) throw new Error("the range's start must be before its end");
  return { start, end };
}

/** `ms` as the value of a `datetime-local` input (UTC). */
export function toInput(ms) {
  return new Date(ms).toISOString().slice(0, 19);
}

const NICE = [1e3, 5e3, 10e3, 15e3, 30e3, 60e3, 300e3, 600e3, 900e3, 1800e3, 3600e3,
  3 * 3600e3, 6 * 3600e3, 12 * 3600e3, 86400e3];

/** A round step (ms) giving at most about `points` steps over the range. */
export function stepFor({ start, end }, points = 500) {
  const raw = (end - start) / points;
  return NICE.find((n) => n >= raw) ?? Math.ceil(raw / 86400e3) * 86400e3;
}

/** 60000 -> "1m" (the largest whole unit). */
export function durationText(ms) {
  for (const [u, f] of [["d", UNIT.d], ["h", UNIT.h], ["m", UNIT.m], ["s", UNIT.s]]) {
    if (ms % f === 0) return ms / f + u;
  }
  return ms + "ms";
}

/** ms -> "2026-12-02 15:04:05.123Z". */
export function iso(ms) {
  return new Date(ms).toISOString().replace("T", " ");
}
