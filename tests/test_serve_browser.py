"""`corridor-sim serve` in a real browser: headless Chromium (the distribution's, driven by Selenium and the
distribution's chromedriver) changes the number of Caspian vessels, waits for the run, and the numbers on the page
must be those of `corridor-sim compare` of the same change (the scenario the page saves). The server runs as the
command a planner types, and must stop cleanly on Ctrl-C.

Skipped, with the reason, where the ui extra, Selenium, Chromium or chromedriver is missing
(`apt-get install chromium chromium-driver`; `pip install -e ".[ui,test]"`).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("dash", reason="the ui extra is not installed (pip install -e '.[ui]')")
pytest.importorskip("selenium", reason="selenium is not installed (pip install -e '.[test]')")

from conftest import sigint_as_from_a_terminal  # noqa: E402
from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import StaleElementReferenceException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402

from corridor_sim.cli import main  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "tests" / "plot_scenario.yaml"
VESSELS = "network.segments.ferry.vessels.0.count"  # the Caspian ferry, Aktau -> Alat
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
if not (CHROMIUM and DRIVER):
    pytest.skip(
        "no Chromium and chromedriver on this machine (apt-get install chromium chromium-driver)",
        allow_module_level=True,
    )
TIMEOUT = 240  # seconds; a loaded two-core machine is slow


@pytest.fixture
def server(tmp_path):
    """`corridor-sim serve` as a planner starts it: the address is read from what it prints."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "corridor_sim.cli", "serve", str(SCENARIO), "--replications", "3", "--workers", "2"]
    proc = subprocess.Popen(
        cmd,
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=sigint_as_from_a_terminal,
    )
    address = None
    end = time.monotonic() + TIMEOUT
    while address is None and time.monotonic() < end and proc.poll() is None:
        line = proc.stdout.readline()
        found = re.search(r"(http://127\.0\.0\.1:\d+/)", line)
        address = found.group(1) if found else None
    assert address, f"no address printed; stderr: {proc.stderr.read() if proc.poll() is not None else ''}"
    yield proc, address
    if proc.poll() is None:
        proc.kill()
        proc.wait()


@pytest.fixture
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1600,1300"):
        options.add_argument(arg)
    try:
        driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    except Exception as exc:  # installed but cannot start here (no sandbox, no display libraries, ...)
        pytest.skip(f"Chromium does not start on this machine: {str(exc).splitlines()[0]}")
    yield driver
    driver.quit()


def _wait(what, timeout: float = TIMEOUT):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            value = what()
        except Exception:  # the element is not there yet, or was just replaced
            value = None
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s")


def _value(driver, ident: str) -> float:
    return float(_wait(lambda: driver.find_element(By.ID, ident).get_attribute("data-value")))  # "0" is truthy


def _type(find, *keys) -> None:
    """Select the box's text and type over it; the page may re-render the box meanwhile (a stale element), so it is
    found afresh on each try."""
    end = time.monotonic() + TIMEOUT
    while True:
        try:
            box = find()
            box.send_keys(Keys.CONTROL, "a")
            box.send_keys(*keys)
            return
        except StaleElementReferenceException:
            assert time.monotonic() < end, "the box kept being replaced"
            time.sleep(0.2)


def test_vessels_edit_in_the_browser_matches_compare(server, browser, tmp_path):
    proc, address = server
    browser.get(address)
    _wait(lambda: browser.find_element(By.ID, "result").get_attribute("data-generation") == "0")
    unchanged = _value(browser, "unchanged-p50")

    browser.find_element(By.XPATH, "//details[@class='group']/summary[starts-with(., 'segment')]").click()
    row = browser.find_element(By.CSS_SELECTOR, f"div[data-key='{VESSELS}']")
    row.find_element(By.XPATH, "ancestor::details[@class='owner']/summary").click()

    def find_row():
        return browser.find_element(By.CSS_SELECTOR, f"div[data-key='{VESSELS}']")

    box = find_row().find_element(By.TAG_NAME, "input")
    assert box.get_attribute("value") == "2" and box.get_attribute("step") == "1"  # the file's value, a whole number
    _type(lambda: find_row().find_element(By.TAG_NAME, "input"), "0", Keys.ENTER)  # refused by the schema: the
    message = _wait(lambda: find_row().find_element(By.CLASS_NAME, "msg").text)  # file's message beside it, no run
    assert VESSELS in message and "Traceback" not in browser.page_source
    _type(lambda: find_row().find_element(By.TAG_NAME, "input"), "1", Keys.ENTER)
    _wait(lambda: browser.find_element(By.ID, "result").get_attribute("data-generation") == "1")
    page = {ident: _value(browser, ident) for ident in ("unchanged-p50", "edited-p50", "edited-p90", "diff-p50")}
    page |= {ident: _value(browser, ident) for ident in ("diff-p90", "diff-p50-ci-low", "diff-p50-ci-high")}
    assert page["unchanged-p50"] == unchanged and page["diff-p50"] != 0
    assert "count: 2 → 1" in browser.find_element(By.ID, "edits").text

    saved = tmp_path / "fewer_vessels.yaml"
    _type(lambda: browser.find_element(By.ID, "save-name"), str(saved))
    browser.find_element(By.ID, "save").click()
    _wait(lambda: "saved" in browser.find_element(By.ID, "save-message").text)

    out = tmp_path / "cli"
    args = ["compare", str(SCENARIO), str(saved), "--replications", "3", "--out", str(out), "--quiet"]
    assert main(args) == 0
    table = pd.read_csv(out / "comparison.csv").query("destination == 'poti'").set_index("scenario")
    diffs = pd.read_csv(out / "differences.csv").query("destination == 'poti'").set_index("metric")
    cli = {
        "unchanged-p50": table["p50_days"].iloc[0],
        "edited-p50": table["p50_days"].iloc[1],
        "edited-p90": table["p90_days"].iloc[1],
        "diff-p50": diffs.loc["p50", "difference_days"],
        "diff-p90": diffs.loc["p90", "difference_days"],
        "diff-p50-ci-low": diffs.loc["p50", "ci_low"],
        "diff-p50-ci-high": diffs.loc["p50", "ci_high"],
    }
    for ident, value in cli.items():  # the files hold what compare wrote (at least 4 significant digits)
        assert page[ident] == pytest.approx(value, rel=5e-4, abs=1e-6), ident
        shown = browser.find_element(By.ID, ident).text
        assert float(shown) == pytest.approx(value, abs=0.0051), ident  # and the page shows it to 2 decimals

    fetched = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert fetched and all(url.startswith(address) for url in fetched)  # scripts, styles, figures: all local

    proc.send_signal(signal.SIGINT)  # Ctrl-C
    assert proc.wait(60) == 0
    output = proc.stdout.read() + proc.stderr.read()
    assert "Traceback" not in output and "stopped" in output
