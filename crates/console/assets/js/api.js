// Calls the server's APIs: the token (kept in sessionStorage, sent as a Bearer header), the
// selected database, and one error type for the three error shapes the server speaks.

const TOKEN_KEY = "strata.token";
let database = "default";
let onUnauthorized = () => {};

/** An API answer that is not a success; `message` is the server's own words. */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY),
  set: (t) => sessionStorage.setItem(TOKEN_KEY, t),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

/** `f()` runs whenever the server answers 401. */
export function whenUnauthorized(f) {
  onUnauthorized = f;
}

export function setDatabase(name) {
  database = name || "default";
}

export function currentDatabase() {
  return database;
}

/** Requests `path` with `params` (plus `db`) and returns the parsed JSON answer.
 *  `body` is sent as JSON unless `form` is given (a URL-encoded form). */
export async function call(path, { method = "GET", params = {}, body, form, withDb = true } = {}) {
  const url = new URL(path, location.origin);
  if (withDb) url.searchParams.set("db", database);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  const headers = {};
  const t = token.get();
  if (t) headers.Authorization = "Bearer " + t;
  let payload;
  if (form) {
    headers["Content-Type"] = "application/x-www-form-urlencoded";
    payload = new URLSearchParams(form).toString();
  } else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = typeof body === "string" ? body : JSON.stringify(body);
  }
  let resp;
  try {
    resp = await fetch(url, { method, headers, body: payload });
  } catch (e) {
    throw new ApiError(0, "cannot reach the server: " + e.message);
  }
  const text = await resp.text();
  let json;
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    json = undefined;
  }
  if (resp.status === 401) onUnauthorized();
  const message = errorMessage(json);
  if (!resp.ok || message) {
    throw new ApiError(resp.status, message || `HTTP ${resp.status}: ${text.slice(0, 200)}`);
  }
  if (json === undefined) throw new ApiError(resp.status, "the answer is not JSON");
  return json;
}

/** The message of Strata's `{"error": {"message"}}`, Prometheus' `{"status": "error",
 *  "error"}` and InfluxDB's `{"error"}` / `{"results": [{"error"}]}`, or null. */
export function errorMessage(json) {
  if (!json || typeof json !== "object") return null;
  const e = json.error;
  if (e && typeof e === "object" && typeof e.message === "string") return e.message;
  if (typeof e === "string") return e;
  if (Array.isArray(json.results)) {
    const r = json.results.find((r) => r && typeof r.error === "string");
    if (r) return r.error;
  }
  return null;
}
