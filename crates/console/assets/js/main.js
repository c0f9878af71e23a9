// The console's entry point: the token prompt, the database picker and the tabs.

import { $, el, fill, show, setError } from "./dom.js";
import { call, token, whenUnauthorized, setDatabase, currentDatabase } from "./api.js";
import * as explore from "./explore.js";
import * as query from "./query.js";
import * as status from "./status.js";

const DB_KEY = "strata.database";

function tab(name) {
  for (const b of document.querySelectorAll("#tabs .tab")) b.classList.toggle("active", b.dataset.tab === name);
  for (const id of ["explore", "query", "status"]) show($(id), id === name);
  if (name === "status") status.start();
  else status.stop();
}

function askForToken(message) {
  status.stop();
  show($("app"), false);
  show($("auth"), true);
  setError($("auth-error"), message);
  $("auth-token").focus();
}

async function loadDatabases() {
  const { databases } = await call("/api/v1/databases", { withDb: false });
  const wanted = sessionStorage.getItem(DB_KEY);
  setDatabase(databases.includes(wanted) ? wanted : databases[0]);
  fill($("database"), databases.map((d) => el("option", { value: d, selected: d === currentDatabase() }, d)));
}

/** Loads everything that needs the API; asks for the token if the server wants one. */
async function start() {
  try {
    await loadDatabases();
  } catch (e) {
    if (e.status === 401) return askForToken(token.get() ? "the token was refused" : "");
    show($("app"), true);
    fill($("measurement-detail"), el("p", { class: "error" }, e.message));
    return;
  }
  show($("auth"), false);
  show($("app"), true);
  show($("signout"), !!token.get());
  await refreshDatabase();
}

async function refreshDatabase() {
  try {
    await explore.load();
    await query.useMeasurement(explore.listed()[0] || "", explore.listed());
  } catch (e) {
    fill($("measurement-detail"), el("p", { class: "error" }, e.message));
  }
}

function init() {
  whenUnauthorized(() => askForToken(token.get() ? "the token was refused" : ""));
  $("auth-form").addEventListener("submit", (e) => {
    e.preventDefault();
    token.set($("auth-token").value.trim());
    $("auth-token").value = "";
    start();
  });
  $("signout").addEventListener("click", () => {
    token.clear();
    askForToken("");
  });
  for (const b of document.querySelectorAll("#tabs .tab")) b.addEventListener("click", () => tab(b.dataset.tab));
  $("database").addEventListener("change", () => {
    setDatabase($("database").value);
    sessionStorage.setItem(DB_KEY, $("database").value);
    refreshDatabase();
  });
  explore.whenQueried(async (m, all) => {
    tab("query");
    await query.useMeasurement(m, all);
  });
  query.init();
  start();
}

init();
