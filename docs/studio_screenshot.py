"""Screenshot of the studio for the README gallery: docs/gallery/studio.png.

    python docs/studio_screenshot.py runs/ --run emoji --seed 42

Starts the studio on a runs folder, opens it in headless Debian Chromium
(apt-get install chromium chromium-driver), picks the run, seed and image count,
clicks Generate, waits for the grid and saves the page.
"""

from __future__ import annotations

import argparse
import os
import socket
import tempfile
from pathlib import Path

from ganforge.studio.app import Server

WAIT_S = 120


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def chromium(user_dir: Path):
    os.environ.setdefault("SE_AVOID_STATS", "true")
    os.environ.setdefault("SE_OFFLINE", "true")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1280,1500", f"--user-data-dir={user_dir}"):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def set_number(browser, element_id: str, value: int) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    box = browser.find_element(By.CSS_SELECTOR, f"#{element_id} input[type=number]")
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(str(value), Keys.TAB)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs")
    parser.add_argument("--run", default=None, help="run to pick (default: the first)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--n", type=int, default=16, help="images in the grid")
    parser.add_argument("--out", default="docs/gallery/studio.png")
    args = parser.parse_args()

    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    with tempfile.TemporaryDirectory() as tmp:
        server = Server(args.runs, port=free_port(), out_dir=Path(tmp) / "out").start(timeout=WAIT_S)
        browser = chromium(Path(tmp) / "chromium")
        try:
            wait = WebDriverWait(browser, WAIT_S)
            browser.get(server.url + "/")
            wait.until(EC.element_to_be_clickable((By.ID, "generate")))
            if args.run:
                from selenium.webdriver.common.keys import Keys

                box = browser.find_element(By.CSS_SELECTOR, "#run input")
                box.click()
                box.send_keys(Keys.CONTROL, "a")
                box.send_keys(args.run)  # gradio dropdowns filter as you type; Enter picks the match
                box.send_keys(Keys.ENTER)
                wait.until(lambda d: box.get_attribute("value") == args.run)
            wait.until(EC.text_to_be_present_in_element((By.ID, "info"), "step"))
            set_number(browser, "seed", args.seed)
            set_number(browser, "count", args.n)
            browser.find_element(By.ID, "generate").click()
            image = wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, "#grid img")))
            wait.until(lambda d: d.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0;", image))
            height = browser.execute_script("return document.body.scrollHeight")
            browser.set_window_size(1280, min(max(height, 900), 2400))
            browser.save_screenshot(args.out)
            print(f"Wrote {args.out}")
        finally:
            browser.quit()
            server.stop()


if __name__ == "__main__":
    main()
