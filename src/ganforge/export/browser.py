"""Open a web export in headless Chromium: used by the tests and ``benchmarks/export_speed.py``.

Serves the folder on 127.0.0.1 (a port the OS picks) from a thread, drives
Debian's ``chromium`` + ``chromedriver`` with selenium (a dev dependency,
imported only here), and reads back what the page did: whether it is ready,
how long the first image took, every URL it requested.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ganforge.errors import GanforgeError

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-dev-shm-usage",
         "--window-size=900,700")


def _quiet_handler(folder: Path):
    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:  # no request lines on stderr
            pass

    return functools.partial(Handler, directory=str(folder))


@contextmanager
def serve(folder: Path | str) -> Iterator[str]:
    """Serve ``folder`` on 127.0.0.1 for the ``with`` block; yields its base URL ("http://127.0.0.1:PORT/")."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _quiet_handler(Path(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def find_program(*names: str) -> str:
    for name in names:
        if found := shutil.which(name):
            return found
    raise GanforgeError(f"{' or '.join(names)} is not on PATH; install it (Debian: apt-get install chromium chromium-driver).")


@contextmanager
def chromium(profile_dir: Path | str, timeout_s: float = 60) -> Iterator[object]:
    """A headless Chromium selenium driver that records its network log; quit at the end of the block."""
    os.environ.setdefault("SE_AVOID_STATS", "true")  # no selenium-manager telemetry
    os.environ.setdefault("SE_OFFLINE", "true")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = find_program("chromium", "chromium-browser")
    for flag in (*FLAGS, f"--user-data-dir={profile_dir}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(service=Service(find_program("chromedriver")), options=options)
    driver.set_page_load_timeout(timeout_s)
    driver.set_script_timeout(timeout_s)
    try:
        yield driver
    finally:
        driver.quit()


def open_page(driver, url: str, timeout_s: float = 60) -> str:
    """Load the page and wait until it says "ready" or "error" (body data-state); returns that state."""
    driver.get(url)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        state = driver.execute_script("return document.body && document.body.dataset.state")
        if state in ("ready", "error"):
            return state
        time.sleep(0.05)
    return "timeout"


def requested_urls(driver) -> list[str]:
    """Every URL the page asked for since the last call (Chromium's network log)."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def outside(urls: list[str], base: str) -> list[str]:
    """The network requests that did not go to ``base`` (browser-internal chrome:// and data: URLs are not requests out)."""
    return [u for u in urls if u.split(":", 1)[0] in ("http", "https", "ws", "wss", "ftp") and not u.startswith(base)]


def render(driver, seed: int, t: float = 0.0, label: int = -1) -> list[float]:
    """The page's raw generator output (C*H*W floats) for a seed (and walk position / class), drawn on its canvas."""
    script = "const done = arguments[arguments.length - 1]; window.ganforge.render(arguments[0], arguments[1], arguments[2])" \
             ".then(done, (e) => done({error: String(e)}))"
    out = driver.execute_async_script(script, seed, t, label)
    if isinstance(out, dict):
        raise GanforgeError(f"The page could not draw seed {seed}: {out['error']}.")
    return out


def canvas_pixels(driver) -> list[int]:
    """The canvas's RGBA bytes (H*W*4), as drawn."""
    return driver.execute_script(
        "const c = document.getElementById('out');"
        "return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data);")
