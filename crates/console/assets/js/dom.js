// DOM helpers. Every text from the server goes in through textContent, never as HTML.

/** Creates `<tag>` with attributes (`class`, `data-*`, properties for the rest) and children
 *  (strings become text nodes). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") node.className = v;
    else if (k.startsWith("data-") || k === "for" || k === "role") node.setAttribute(k, v);
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node[k] = v;
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(node, c);
    else node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replaces the children of `node`. */
export function fill(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

export const $ = (id) => document.getElementById(id);

export function show(node, visible) {
  node.classList.toggle("hidden", !visible);
}

/** Shows `message` in an error element (or hides it when empty). */
export function setError(node, message) {
  node.textContent = message || "";
  show(node, !!message);
}

const SI = [[1e12, "T"], [1e9, "G"], [1e6, "M"], [1e3, "k"]];

/** 1234567 -> "1.23M"; small numbers keep up to 3 decimals. */
export function si(n) {
  if (n === null || n === undefined || Number.isNaN(n)) return "";
  const a = Math.abs(n);
  for (const [f, s] of SI) if (a >= f) return trim(n / f) + s;
  return trim(n);
}

function trim(x) {
  return String(Number(x.toPrecision(Math.abs(x) >= 1 ? 4 : 3)));
}

/** Bytes with binary units. */
export function bytes(n) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return (i === 0 ? String(n) : n.toFixed(1)) + " " + units[i];
}

/** Seconds as "3 d 4 h", "5 min 3 s", "12 s". */
export function elapsed(seconds) {
  const s = Math.floor(seconds);
  const parts = [[Math.floor(s / 86400), "d"], [Math.floor(s / 3600) % 24, "h"], [Math.floor(s / 60) % 60, "min"], [s % 60, "s"]];
  const first = parts.findIndex(([n]) => n > 0);
  if (first < 0) return "0 s";
  return parts.slice(first, first + 2).filter(([n]) => n > 0).map(([n, u]) => `${n} ${u}`).join(" ");
}

/** Integer with thousands separators. */
export function count(n) {
  return Number(n).toLocaleString("en-US");
}

/** A `<table>` from a header row and data rows (cells are strings or nodes). */
export function table(head, rows, cls = "grid") {
  return el("table", { class: cls },
    el("thead", {}, el("tr", {}, head.map((h) => el("th", {}, h)))),
    el("tbody", {}, rows.map((r) => el("tr", {}, r.map((c) => el("td", {}, c))))));
}
