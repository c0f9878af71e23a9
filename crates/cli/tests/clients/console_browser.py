"""Drives the web console in headless Chromium (Debian's chromium + chromium-driver) through
WebDriver (selenium), against a running Strata that console_browser.rs filled with data.

usage: console_browser.py open URL SCREENSHOT_DIR
       console_browser.py token URL TOKEN

Prints one JSON line of measurements (draw time, first-load bytes) and exits non-zero, with
the reason, on the first check that fails.
"""

import json
import os
import sys
import tempfile
import time
import urllib.parse
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

WAIT = 30


DOWNLOADS = tempfile.mkdtemp(prefix="strata-console-downloads-")


def browser():
    opts = webdriver.ChromeOptions()
    opts.add_experimental_option("prefs", {"download.default_directory": DOWNLOADS,
                                           "download.prompt_for_download": False})
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1400,1100", "--force-device-scale-factor=1"):
        opts.add_argument(arg)
    opts.binary_location = "/usr/bin/chromium"
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def wait(d, what, f):
    try:
        return WebDriverWait(d, WAIT).until(lambda _: f())
    except Exception as e:
        raise AssertionError(f"timed out waiting for {what}: {e}") from None


def console_errors(d, provoked=()):
    """Severe browser-console entries (script errors, CSP violations, failed loads), minus
    the failed requests with a status in `provoked` (answers the test asked for)."""
    return [e for e in d.get_log("browser")
            if e["level"] == "SEVERE"
            and not (e.get("source") == "network"
                     and any(f"status of {code} " in e["message"] for code in provoked))]


def api_get(url, path, params):
    q = urllib.parse.urlencode(params)
    try:
        with urllib.request.urlopen(f"{url}{path}?{q}") as r:
            return json.load(r)
    except urllib.error.HTTPError as e:
        return json.load(e)


def by_id(d, i):
    return d.find_element(By.ID, i)


def run_query(d, language, text):
    """Types `text` in `language`, runs it, and waits for a result or an error."""
    Select(by_id(d, "language")).select_by_value(language)
    editor = by_id(d, "editor")
    d.execute_script("arguments[0].value = arguments[1];", editor, text)
    runs = lambda: int(by_id(d, "summary").get_attribute("data-runs") or "0")
    before = runs()
    by_id(d, "run").click()
    wait(d, f"{language} query {text!r} to finish", lambda: runs() > before)


def error_text(d):
    e = by_id(d, "query-error")
    return e.text if e.is_displayed() else ""


def chart_series(d):
    return int(by_id(d, "chart").get_attribute("data-series") or "0")


def show_view(d, view):
    d.find_element(By.CSS_SELECTOR, f'button.view[data-view="{view}"]').click()


def table_rows(d):
    show_view(d, "table")
    rows = int(d.find_element(By.CSS_SELECTOR, "#table table").get_attribute("data-rows"))
    show_view(d, "chart")
    return rows


def tab(d, name):
    d.find_element(By.CSS_SELECTOR, f'#tabs .tab[data-tab="{name}"]').click()


def open_console(url, shots):
    d = browser()
    out = {}
    try:
        d.get(url + "/")
        wait(d, "the measurement list", lambda: len(d.find_elements(By.CSS_SELECTOR, "#measurements .measurement")) >= 3)
        names = [b.get_attribute("data-name") for b in d.find_elements(By.CSS_SELECTOR, "#measurements .measurement")]
        check(names == ["big", "cpu", "mem"], f"measurements listed: {names}")

        # The database picker lists every database; each shows only its own measurements.
        options = [o.get_attribute("value") for o in Select(by_id(d, "database")).options]
        check(options == ["default", "telegraf"], f"databases listed: {options}")
        Select(by_id(d, "database")).select_by_value("telegraf")
        wait(d, "telegraf's measurements", lambda: [b.get_attribute("data-name") for b in d.find_elements(By.CSS_SELECTOR, "#measurements .measurement")] == ["disk"])
        Select(by_id(d, "database")).select_by_value("default")
        wait(d, "default's measurements", lambda: len(d.find_elements(By.CSS_SELECTOR, "#measurements .measurement")) == 3)

        # Explore: fields with types, tag keys with value counts.
        d.find_element(By.CSS_SELECTOR, '#measurements .measurement[data-name="cpu"]').click()
        wait(d, "the cpu detail", lambda: "Fields" in by_id(d, "measurement-detail").text)
        detail = by_id(d, "measurement-detail").text
        for want in ("usage", "float", "cores", "integer", "host", "4 series", "h0 (1)"):
            check(want in detail, f"{want!r} missing from the explore view:\n{detail}")
        # A tag key lists all its values.
        d.find_element(By.CSS_SELECTOR, '#measurement-detail .tag-key[data-key="region"]').click()
        wait(d, "the values of region", lambda: "Values of region (2)" in by_id(d, "tag-values").text)
        listed = [li.text for li in d.find_elements(By.CSS_SELECTOR, "#tag-values li")]
        check(listed == ["eu", "us"], f"values of region: {listed}")
        d.save_screenshot(f"{shots}/console-explore.png")

        # What the data holds is shown as text, never parsed as markup.
        d.find_element(By.CSS_SELECTOR, '#measurements .measurement[data-name="mem"]').click()
        wait(d, "the mem detail", lambda: "<img src=x onerror=" in by_id(d, "measurement-detail").text)
        check(not d.find_elements(By.CSS_SELECTOR, "#measurement-detail img"), "a tag value became markup")
        d.find_element(By.CSS_SELECTOR, '#measurements .measurement[data-name="cpu"]').click()
        wait(d, "the cpu detail again", lambda: "region" in by_id(d, "measurement-detail").text)

        # Query, from the explore page's button: the builder writes a JSON query.
        by_id(d, "query-measurement").click()
        wait(d, "the builder's query", lambda: '"measurement": "cpu"' in by_id(d, "editor").get_attribute("value"))

        run_query(d, "json", '{"measurement": "cpu", "fields": ["usage"], "format": "series"}')
        check(error_text(d) == "", f"JSON query failed: {error_text(d)}")
        check(chart_series(d) == 4, f"JSON chart series: {chart_series(d)}")
        check(table_rows(d) == 4 * 600, f"JSON table rows: {table_rows(d)}")

        # The CSV download holds every point, one per line after the header.
        by_id(d, "csv").click()
        path = os.path.join(DOWNLOADS, "strata-result.csv")
        wait(d, "the CSV download", lambda: os.path.exists(path) and os.path.getsize(path) > 0)
        with open(path, newline="") as f:
            lines = f.read().split("\r\n")
        check(lines[0] == "time,series,value" and len(lines) == 4 * 600 + 2 and lines[-1] == "",
              f"CSV: {len(lines)} lines, header {lines[0]!r}")
        check(lines[1].startswith("20") and ',"cpu.usage{host=""h0"",region=""eu""}",' in lines[1],
              f"CSV row: {lines[1]!r}")

        # An absolute range (UTC) that covers the data gives the same rows.
        Select(by_id(d, "range")).select_by_value("absolute")
        now = time.time()
        for field, at in (("from", now - 7200), ("to", now + 60)):
            value = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(at))
            d.execute_script("arguments[0].value = arguments[1];", by_id(d, field), value)
        run_query(d, "json", '{"measurement": "cpu", "fields": ["usage"], "format": "series"}')
        check(table_rows(d) == 4 * 600, f"absolute-range rows: {table_rows(d)}")
        Select(by_id(d, "range")).select_by_value("1h")

        # Auto-refresh runs the query again by itself.
        runs = int(by_id(d, "summary").get_attribute("data-runs"))
        Select(by_id(d, "refresh")).select_by_value("5")
        wait(d, "an auto-refresh", lambda: int(by_id(d, "summary").get_attribute("data-runs")) > runs)
        Select(by_id(d, "refresh")).select_by_value("0")

        # The builder: mean of usage per 5 min, grouped by region, in each language.
        Select(by_id(d, "b-function")).select_by_value("mean")
        Select(by_id(d, "b-every")).select_by_value("5m")
        d.find_element(By.CSS_SELECTOR, 'input[name="b-group"][value="region"]').click()
        for language in ("json", "promql", "influxql"):
            Select(by_id(d, "language")).select_by_value(language)
            by_id(d, "b-build").click()
            text = by_id(d, "editor").get_attribute("value")
            run_query(d, language, text)
            check(error_text(d) == "", f"builder {language} query {text!r} failed: {error_text(d)}")
            check(chart_series(d) == 2, f"builder {language} query {text!r}: {chart_series(d)} series")

        run_query(d, "promql", 'rate(cpu_cores{host=~"h[01]"}[5m])')
        check(error_text(d) == "", f"PromQL failed: {error_text(d)}")
        check(chart_series(d) == 2, f"PromQL chart series: {chart_series(d)}")

        run_query(d, "influxql", 'SELECT max("usage") FROM "cpu" WHERE $timeFilter GROUP BY time(10m), "host" fill(none)')
        check(error_text(d) == "", f"InfluxQL failed: {error_text(d)}")
        check(chart_series(d) == 4, f"InfluxQL chart series: {chart_series(d)}")

        # The screenshot: raw points of four series, the builder folded away.
        d.execute_script("document.getElementById('builder').open = false;")
        run_query(d, "promql", 'cpu_usage')
        check(chart_series(d) == 4, f"PromQL chart series: {chart_series(d)}")
        d.save_screenshot(f"{shots}/console-query.png")

        # Hover reads out time and values; a click on a legend entry hides its series;
        # a drag zooms in on time.
        over = d.find_element(By.CSS_SELECTOR, "#chart .u-over")
        ActionChains(d).move_to_element(over).perform()
        readout = [v.text for v in d.find_elements(By.CSS_SELECTOR, "#chart .u-legend .u-value")]
        check(len(readout) == 5 and all(readout), f"hover read-out: {readout}")
        check(readout[0].startswith("20"), f"hover time: {readout[0]!r}")
        d.find_elements(By.CSS_SELECTOR, "#chart .u-legend .u-series")[1].click()
        off = d.find_elements(By.CSS_SELECTOR, "#chart .u-legend .u-series.u-off")
        check(len(off) == 1, f"{len(off)} series toggled off")
        before = by_id(d, "chart").get_attribute("data-x-range")
        ActionChains(d).move_to_element_with_offset(over, -200, 0).click_and_hold() \
            .move_by_offset(300, 0).release().perform()
        after = by_id(d, "chart").get_attribute("data-x-range")
        check(after and after != before, f"drag did not zoom: {before} -> {after}")
        zoomed = [float(x) for x in after.split(",")]
        whole = [float(x) for x in before.split(",")]
        check(whole[0] < zoomed[0] < zoomed[1] < whole[1], f"zoom {zoomed} not inside {whole}")
        d.execute_script("document.getElementById('builder').open = true;")

        errors = console_errors(d)
        check(not errors, f"browser console errors: {errors}")

        # Rejected queries show the API's own message.
        run_query(d, "promql", "sum(cpu_usage")
        want = api_get(url, "/api/v1/query", {"query": "sum(cpu_usage"})["error"]
        check(error_text(d) == want, f"PromQL error shown {error_text(d)!r}, the API says {want!r}")
        run_query(d, "influxql", "SELEKT 1")
        want = api_get(url, "/query", {"q": "SELEKT 1"})["error"]
        check(error_text(d) == want, f"InfluxQL error shown {error_text(d)!r}, the API says {want!r}")
        run_query(d, "json", '{"measurement": "cpu", "aggregate": {"function": "mean", "every": -5}}')
        check("every" in error_text(d), f"JSON error shown: {error_text(d)!r}")

        # The history holds what ran; a click puts it back in the editor.
        history = by_id(d, "history").text
        check("SELECT max" in history and "rate(cpu_cores" in history, f"history:\n{history}")

        # A 10,000-point result: drawn, and how fast.
        run_query(d, "json", '{"measurement": "big", "format": "series"}')
        check(error_text(d) == "", f"big query failed: {error_text(d)}")
        check(table_rows(d) == 10000, f"big table rows: {table_rows(d)}")
        run_query(d, "json", '{"measurement": "big", "format": "series"}')
        wait(d, "the draw time", lambda: by_id(d, "chart").get_attribute("data-draw-ms"))
        out["draw_10k_points_ms"] = float(by_id(d, "chart").get_attribute("data-draw-ms"))

        # Status: the engine's statistics.
        tab(d, "status")
        wait(d, "the status page", lambda: "SSTables per level" in by_id(d, "status-body").text)
        text = by_id(d, "status-body").text
        for want in ("Database default", "Database telegraf", "accepting writes", "points written",
                     "L0", "partition start (UTC)", "Cold tier (object store)", "file://"):
            check(want in text, f"{want!r} missing from the status page:\n{text}")
        d.save_screenshot(f"{shots}/console-status.png")

        # The first load's assets (the page and everything it pulled in).
        out["first_load_bytes"] = d.execute_script("""
            const nav = performance.getEntriesByType('navigation')[0];
            const assets = performance.getEntriesByType('resource')
              .filter(e => new URL(e.name).pathname.startsWith('/console/'));
            return nav.decodedBodySize + assets.reduce((n, e) => n + e.decodedBodySize, 0);
        """)
        check(out["first_load_bytes"] < 200 * 1024, f"first load {out['first_load_bytes']} bytes")
        errors = console_errors(d, provoked=(400,))
        check(not errors, f"browser console errors: {errors}")
    finally:
        d.quit()
    return out


def token_console(url, token):
    d = browser()
    try:
        d.get(url + "/")
        wait(d, "the token prompt", lambda: by_id(d, "auth").is_displayed())
        check(not by_id(d, "app").is_displayed(), "the console shows before the token is given")
        check(not d.find_elements(By.CSS_SELECTOR, "#measurements li"), "measurements listed without a token")
        by_id(d, "auth-token").send_keys("wrong")
        by_id(d, "auth-form").submit()
        wait(d, "the refusal", lambda: "refused" in by_id(d, "auth-error").text)
        check(not by_id(d, "app").is_displayed(), "a wrong token opened the console")
        by_id(d, "auth-token").send_keys(token)
        by_id(d, "auth-form").submit()
        wait(d, "the measurement list", lambda: len(d.find_elements(By.CSS_SELECTOR, "#measurements .measurement")) >= 1)
        check(d.execute_script("return sessionStorage.getItem('strata.token')") == token, "token not kept in sessionStorage")
        errors = console_errors(d, provoked=(401,))
        check(not errors, f"browser console errors: {errors}")
    finally:
        d.quit()
    return {}


def main():
    mode, url = sys.argv[1], sys.argv[2].rstrip("/")
    out = open_console(url, sys.argv[3]) if mode == "open" else token_console(url, sys.argv[3])
    print(json.dumps(out))


if __name__ == "__main__":
    try:
        main()
    except AssertionError as e:
        print(f"FAILED: {e}", file=sys.stderr)
        sys.exit(1)
