"""Remake docs/serve.png: `corridor-sim serve` on current_2023, the 250-TEU Caspian feeders cut from 3 to 1, as a
planner would do it in the page (headless Chromium, the distribution's `chromium` and `chromedriver`).

    PYTHONPATH=$PWD python scripts/serve_screenshot.py [--out docs/serve.png]
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

ROOT = Path(__file__).resolve().parents[1]
KEY = "network.segments.aktau_alat.vessels.2.count"  # the 250-TEU feeders


def wait(what, timeout: float = 300):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            if value := what():
                return value
        except Exception:  # not there yet, or just replaced
            pass
        time.sleep(0.2)
    raise SystemExit(f"timed out after {timeout} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "serve.png")
    args = ap.parse_args()
    cmd = [sys.executable, "-m", "corridor_sim.cli", "serve", "scenarios/current_2023.yaml"]  # as typed in ROOT
    server = subprocess.Popen(cmd + ["--workers", "2"], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1500,1250"):
        options.add_argument(arg)
    browser = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    try:
        address = wait(lambda: re.search(r"(http://127\.0\.0\.1:\d+/)", server.stdout.readline()).group(1))
        browser.get(address)
        wait(lambda: browser.find_element(By.ID, "result").get_attribute("data-generation") == "0")
        browser.find_element(By.XPATH, "//details[@class='group']/summary[starts-with(., 'segment')]").click()
        row = browser.find_element(By.CSS_SELECTOR, f"div[data-key='{KEY}']")
        row.find_element(By.XPATH, "ancestor::details[@class='owner']/summary").click()
        box = row.find_element(By.TAG_NAME, "input")
        box.send_keys(Keys.CONTROL, "a")
        box.send_keys("1", Keys.ENTER)
        wait(lambda: browser.find_element(By.ID, "result").get_attribute("data-generation") == "1")
        wait(lambda: "drawing" not in browser.find_element(By.ID, "status").text)  # the figures follow the numbers
        time.sleep(1.5)  # the page polls for them
        browser.execute_script("window.scrollTo(0, 0)")
        browser.save_screenshot(str(args.out))
        print(f"written {args.out}")
    finally:
        browser.quit()
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
