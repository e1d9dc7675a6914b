"""The studio in a real browser: headless Debian Chromium driven by selenium.

Needs the apt packages ``chromium`` and ``chromium-driver`` (found on PATH; `make test`
installs them) and the dev pip packages ``gradio`` and ``selenium``: without them the test
fails with a line naming what to install, it is never skipped.  Every wait is bounded; the server is stopped at the end.
"""

import os
import shutil
import socket

import pytest

WAIT_S = 60


def _executable(*names: str) -> str:
    """The first of these programs on PATH (Debian calls it chromium, Ubuntu chromium-browser)."""
    for name in names:
        if found := shutil.which(name):
            return found
    pytest.fail(f"{' or '.join(names)} is not on PATH: run scripts/prepare-test-machine.sh as root "
                "(apt-get install chromium chromium-driver)", pytrace=False)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tiny_run, tmp_path):
    from ganforge.studio.app import Server

    root = tmp_path / "runs"
    root.mkdir()
    shutil.copytree(tiny_run, root / "tiny")
    srv = Server(root, host="127.0.0.1", port=_free_port(), out_dir=tmp_path / "out").start(timeout=WAIT_S)
    yield srv
    srv.stop()
    assert not srv.thread.is_alive()


@pytest.fixture
def browser(tmp_path):
    os.environ.setdefault("SE_AVOID_STATS", "true")  # no selenium-manager telemetry
    os.environ.setdefault("SE_OFFLINE", "true")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = _executable("chromium", "chromium-browser")
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1280,1400", f"--user-data-dir={tmp_path / 'chromium'}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(_executable("chromedriver")), options=options)
    driver.set_page_load_timeout(WAIT_S)
    driver.set_script_timeout(WAIT_S)
    yield driver
    driver.quit()


@pytest.mark.slow  # a real browser: gradio, uvicorn and a headless Chromium start up first
def test_pick_a_seed_generate_and_see_the_grid(server, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, WAIT_S)
    browser.get(server.url + "/")
    wait.until(EC.element_to_be_clickable((By.ID, "generate")))
    wait.until(EC.text_to_be_present_in_element((By.ID, "info"), "step 4"))  # the run was picked and loaded

    seed = browser.find_element(By.CSS_SELECTOR, "#seed input[type=number]")
    seed.send_keys(Keys.CONTROL, "a")
    seed.send_keys("42", Keys.TAB)
    browser.find_element(By.ID, "generate").click()
    image = wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, "#grid img")))
    wait.until(lambda d: d.execute_script("const i = arguments[0]; return i.complete && i.naturalWidth > 0;", image))
    assert "seed42" in image.get_attribute("src")  # the file the service wrote for seed 42
    browser.save_screenshot(str(tmp_path / "studio.png"))
    assert (tmp_path / "studio.png").stat().st_size > 0
    assert len(list((tmp_path / "out").glob("tiny-seed42-*.png"))) == 1

    # nothing but the studio itself was contacted (no fonts, analytics or CDNs)
    urls = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    outside = [u for u in urls if not u.startswith((server.url, "data:", "blob:"))]
    assert outside == []


@pytest.fixture
def translate_server(tiny_run, tiny_translation_runs, tmp_path):
    from ganforge.studio.app import Server

    root = tmp_path / "runs"
    root.mkdir()
    shutil.copytree(tiny_run, root / "tiny")
    shutil.copytree(tiny_translation_runs["pix2pix"], root / "edges")
    srv = Server(root, host="127.0.0.1", port=_free_port(), out_dir=tmp_path / "out").start(timeout=WAIT_S)
    yield srv
    srv.stop()
    assert not srv.thread.is_alive()


def _loaded(driver, image) -> bool:
    return driver.execute_script("const i = arguments[0]; return i.complete && i.naturalWidth > 0;", image)


@pytest.mark.slow  # a real browser, as above
def test_translate_tab_uploads_a_png_and_shows_its_translation(translate_server, browser, tmp_path):
    import numpy as np
    from PIL import Image
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    from ganforge.art.provenance import read_provenance

    wait = WebDriverWait(browser, WAIT_S)
    upload = tmp_path / "shirt.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (48, 48, 3), dtype=np.uint8)).save(upload)
    not_an_image = tmp_path / "notes.png"
    not_an_image.write_text("not an image")

    browser.get(translate_server.url + "/")
    wait.until(EC.element_to_be_clickable((By.ID, "generate")))
    browser.find_element(By.CSS_SELECTOR, "button[id^='translate-tab']").click()  # gradio ids the tab's button
    wait.until(EC.text_to_be_present_in_element((By.ID, "t-info"), "step 2"))  # the translation run was picked
    assert browser.find_element(By.CSS_SELECTOR, "#t-run input").get_attribute("value") == "edges"

    def upload_and_translate(path):
        browser.find_element(By.CSS_SELECTOR, "#t-upload input[type=file]").send_keys(str(path))
        wait.until(EC.text_to_be_present_in_element((By.ID, "t-upload"), path.stem))  # gradio splits off the suffix
        browser.find_element(By.ID, "translate").click()

    upload_and_translate(not_an_image)  # bad input: one line in the page, no traceback
    wait.until(EC.text_to_be_present_in_element((By.TAG_NAME, "body"), "'notes.png' is not an image"))
    assert "Traceback" not in browser.find_element(By.TAG_NAME, "body").text

    browser.find_element(By.CSS_SELECTOR, "#t-upload button[aria-label='Clear']").click()
    upload_and_translate(upload)
    output = wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, "#t-output img")))
    wait.until(lambda d: _loaded(d, output))
    seen = browser.find_element(By.CSS_SELECTOR, "#t-input img")
    wait.until(lambda d: _loaded(d, seen))
    assert browser.execute_script("return arguments[0].naturalWidth", output) == 128  # 32 px upscaled 4x for view
    (download,) = (tmp_path / "out").glob("edges-AtoB-????????.png")
    assert read_provenance(download)["input"] == "shirt.png"

    # draw a stroke on the sketchpad and translate it
    browser.find_element(By.XPATH, "//button[@role='tab' and normalize-space()='Sketch']").click()
    canvas = wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, "#t-sketch canvas")))
    browser.find_element(By.CSS_SELECTOR, "#t-sketch button[aria-label='Brush']").click()
    ActionChains(browser).move_to_element_with_offset(canvas, -30, -30).click_and_hold().move_by_offset(60, 60) \
        .release().perform()
    before = output.get_attribute("src")
    browser.find_element(By.ID, "translate-sketch").click()
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "#t-output img").get_attribute("src") != before)
    browser.save_screenshot(str(tmp_path / "translate.png"))
    (sketch,) = (tmp_path / "out").glob("sketch-*.png")  # the drawing as the service received it
    with Image.open(sketch) as drawn:
        assert np.asarray(drawn.convert("L")).min() < 128 < np.asarray(drawn.convert("L")).max()  # a dark stroke on white
    urls = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert [u for u in urls if not u.startswith((translate_server.url, "data:", "blob:"))] == []  # offline
