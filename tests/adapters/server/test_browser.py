"""The web page end to end: the real server as a process, Debian's headless Chromium driven by Selenium.

A real photo is uploaded through the page's file input; the test then reads
the canvas's pixels (``getImageData``) and holds them against the ink JSON
the server returns: ink where the strokes are, the photo under it, nothing
written before the replay starts, part of it halfway through the page clock.
It downloads the InkML through the page and reads it back, checks a phone
screen, shows an API error, and saves a screenshot (``docs/images/server-page.png``
is rewritten only with ``INKSIGHT_UPDATE_SCREENSHOT=1``).
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import httpx
import numpy as np
import pytest
from PIL import Image

from tests.adapters.server.browser_support import (
    CHROMIUM,
    canvas_pixels,
    changed,
    chromium,
    crowded,
    on_canvas,
    requested_urls,
    running_server,
    stroke_points,
    visible_overflow,
    wait_for_file,
)
from tests.conftest import REPO, SUPPORT, shared, write_dist

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian's chromium is not installed (apt-get install chromium chromium-driver)"
)

PHOTO = ("photos", "inksight_page.jpg")  # 1852x242, one written line: "The quick brown fox jumps over the lazy dog."
SCREENSHOT_PHOTO = ("photos", "desk_plain_multicolor_de.png")  # 926x908, a page of formulas and a circuit
SCREENSHOT = REPO / "docs" / "images" / "server-page.png"
INK_RGB = np.array([0x1A, 0x23, 0x7E])  # the page's ink colour (the exporters' default)
PHOTO_OPACITY = 0.45  # the page's default photo slider
MAX_BYTES = 2_000_000  # the server's upload limit here: the photos are far below it


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("browser")


@pytest.fixture(scope="module")
def server(workdir):
    with running_server(workdir / "server.log", "--max-bytes", str(MAX_BYTES)) as base:
        yield base


@pytest.fixture(scope="module")
def downloads(workdir):
    folder = workdir / "downloads"
    folder.mkdir()
    return folder


@pytest.fixture(scope="module")
def browser(workdir, downloads):
    driver = chromium(workdir / "profile", downloads)
    try:
        yield driver
    finally:
        driver.quit()


def wait(driver, condition, timeout_s: float = 30.0, what: str = "the page"):  # type: ignore[no-untyped-def]
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout_s, poll_frequency=0.05).until(condition, f"waiting for {what}")


def by_id(driver, element_id: str):  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    return driver.find_element(By.ID, element_id)


def choose(driver, element_id: str, value: str) -> None:
    from selenium.webdriver.support.ui import Select

    Select(by_id(driver, element_id)).select_by_value(value)


def set_range(driver, element_id: str, value: int) -> None:
    """Move a slider as a person would: its value changes and an ``input`` event fires."""
    driver.execute_script(
        "const el = document.getElementById(arguments[0]); el.value = arguments[1];"
        "el.dispatchEvent(new Event('input', {bubbles: true}));",
        element_id,
        str(value),
    )


def upload(browser, server: str, photo: Path, read_text: bool = False) -> dict:  # type: ignore[no-untyped-def]
    """Open the page, upload ``photo`` through its file input, wait for the ink and the page image.

    ``read_text``: choose an OCR detector when the server offers one
    (``ppocr``, with mode ``text``), so the words have text; otherwise the
    defaults (the page's ``auto``). Returns the job id, the ink JSON the
    server holds and its first page.
    """
    browser.get(server + "/")
    wait(browser, lambda d: len(by_id(d, "detector").find_elements("tag name", "option")) > 1, what="the plugin list")
    offered = browser.execute_script(
        "return [...document.getElementById('detector').options].filter(o => !o.disabled).map(o => o.value)"
    )
    if read_text and "ppocr" in offered:
        summary = by_id(browser, "options").find_element("tag name", "summary")
        summary.click()
        choose(browser, "detector", "ppocr")
        choose(browser, "mode", "text")
        summary.click()
    by_id(browser, "file-input").send_keys(str(photo))
    wait(browser, lambda d: d.find_element("id", "result").is_displayed(), timeout_s=60, what="the ink")
    wait(browser, lambda d: d.find_element("id", "stage").get_attribute("aria-busy") != "true", what="the page image")
    job_id = by_id(browser, "result").get_attribute("data-job")
    document = httpx.get(f"{server}/v1/jobs/{job_id}/result", params={"format": "json"}, timeout=30).json()
    return {"job": job_id, "document": document, "page": document["pages"][0]}


@pytest.fixture(scope="module")
def converted(server, browser):
    """The line photo converted through the page with the server's defaults, its ink shown."""
    return upload(browser, server, shared(*PHOTO))


def page_only(browser) -> np.ndarray:  # type: ignore[no-untyped-def]
    """The canvas with the page clock at its start: the photo, nothing written yet."""
    set_range(browser, "scrub", 0)
    return canvas_pixels(browser)


def finished(browser) -> np.ndarray:  # type: ignore[no-untyped-def]
    set_range(browser, "scrub", 1000)
    return canvas_pixels(browser)


def test_ink_is_drawn_over_the_photo_where_the_strokes_are(browser, converted):
    page = converted["page"]
    points = stroke_points(page)
    assert page["width"] == 1852 and page["height"] == 242 and len(points) >= 20
    by_id(browser, "boxes").click()  # word boxes off: only photo and ink on the canvas
    try:
        blank, inked = page_only(browser), finished(browser)
    finally:
        by_id(browser, "boxes").click()
    height, width = inked.shape[:2]
    css_width = browser.execute_script("return document.getElementById('canvas').getBoundingClientRect().width")
    ratio = browser.execute_script("return window.devicePixelRatio")
    assert width == round(css_width * ratio)  # the backing store follows the screen's pixel ratio
    assert abs(height / width - page["height"] / page["width"]) < 0.01

    # The page alone is the photo, faded to the slider's opacity over white, in the same frame.
    photo = Image.open(shared(*PHOTO)).convert("RGB").resize((width, height), Image.Resampling.BILINEAR)
    expected = 255 - PHOTO_OPACITY * (255 - np.asarray(photo, np.float64))
    assert np.abs(blank - expected).mean() < 6

    # The ink: a clear share of the canvas changes, to the ink colour, and every stroke's points are on it.
    ink = changed(inked, blank)
    assert 0.01 < ink.mean() < 0.5
    assert np.abs(inked[ink].mean(axis=0) - INK_RGB).max() < 60
    xy = np.concatenate([on_canvas(p, page, width) for p in points])
    inside = (xy[:, 0] >= 0) & (xy[:, 0] < width) & (xy[:, 1] >= 0) & (xy[:, 1] < height)
    assert inside.all()
    hit = ink[xy[:, 1], xy[:, 0]]
    assert hit.mean() > 0.97, f"only {hit.mean():.1%} of the stroke points are inked on the canvas"


def test_colour_by_stroke_order_runs_red_to_violet(browser, converted):
    page = converted["page"]
    points = stroke_points(page)
    blank = page_only(browser)
    by_id(browser, "by-order").click()
    try:
        coloured = finished(browser)
    finally:
        by_id(browser, "by-order").click()
    ink = changed(coloured, blank)
    width = coloured.shape[1]

    def colour_of(stroke: np.ndarray) -> np.ndarray:
        xy = on_canvas(stroke, page, width)
        keep = ink[xy[:, 1], xy[:, 0]]
        return coloured[xy[keep, 1], xy[keep, 0]].astype(float).mean(axis=0)

    first, last = colour_of(points[0]), colour_of(points[-1])
    assert first[0] > first[1] + 80 and first[0] > first[2] + 80  # red
    assert last[2] > last[1] + 80 and last[0] > last[1] + 40  # violet: blue and red over green


def test_replay_writes_the_ink_along_the_page_clock(browser, converted):
    blank, full = page_only(browser), finished(browser)
    total = changed(full, blank).sum()
    assert by_id(browser, "play-label").text == "Replay"
    choose(browser, "speed", "8")

    # Halfway along the clock about half of the ink is there (scrubbing while paused).
    set_range(browser, "scrub", 500)
    half = changed(canvas_pixels(browser), blank).sum() / total
    assert 0.2 < half < 0.8, half

    set_range(browser, "scrub", 1000)
    by_id(browser, "play").click()  # at the end, Replay starts again from the first stroke
    assert by_id(browser, "play").get_attribute("aria-pressed") == "true"
    assert by_id(browser, "play-label").text == "Pause"
    shares, positions = [], []
    deadline = time.monotonic() + 20
    while by_id(browser, "play").get_attribute("aria-pressed") == "true" and time.monotonic() < deadline:
        positions.append(int(by_id(browser, "scrub").get_attribute("value")))
        shares.append(changed(canvas_pixels(browser), blank).sum() / total)
        time.sleep(0.05)
    assert by_id(browser, "play").get_attribute("aria-pressed") == "false", "the replay did not end"
    assert by_id(browser, "play-label").text == "Replay"
    assert len(shares) >= 3, "the replay ended before it could be watched"
    assert shares[0] < 0.5 and any(0.05 < s < 0.95 for s in shares), shares
    assert positions == sorted(positions) and positions[-1] > positions[0]
    assert (changed(canvas_pixels(browser), full) == 0).mean() > 0.999  # it ends on the finished page


def test_word_box_tooltip_shows_the_words_text(browser, converted):
    from selenium.webdriver.common.action_chains import ActionChains

    page = converted["page"]
    quads = [np.asarray(w["quad"], np.float64) for w in page["words"]]

    def inside(x: float, y: float, q: np.ndarray) -> bool:
        crossings = 0
        for i in range(4):
            (x1, y1), (x2, y2) = q[i], q[i - 1]
            if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
                crossings += 1
        return crossings % 2 == 1

    # a word whose box centre lies in no other box: hovering there can only mean that word
    index = next(i for i, q in enumerate(quads) if sum(inside(*q.mean(axis=0), other) for other in quads) == 1)
    word = page["words"][index]
    canvas = by_id(browser, "canvas")
    rect = browser.execute_script("return arguments[0].getBoundingClientRect().toJSON()", canvas)
    scale = rect["width"] / page["width"]
    cx, cy = (quads[index].mean(axis=0) + 0.5) * scale
    ActionChains(browser).move_to_element_with_offset(canvas, cx - rect["width"] / 2, cy - rect["height"] / 2).perform()
    tip = wait(
        browser, lambda d: d.find_element("id", "tip").is_displayed() and d.find_element("id", "tip"), 5, "a tip"
    )
    assert tip.find_element("tag name", "strong").text == (word["text"] or "(no text)")
    assert f"word {index + 1} of {len(page['words'])}" in tip.text
    ActionChains(browser).move_by_offset(0, rect["height"]).perform()  # off the canvas: the tip goes
    wait(browser, lambda d: not d.find_element("id", "tip").is_displayed(), 5, "the tip to hide")


def test_inkml_download_holds_the_strokes(browser, server, converted, downloads):
    import defusedxml.ElementTree as ET

    from inksight_sdk import load

    buttons = [b.get_attribute("data-format") for b in browser.find_elements("css selector", "#downloads button")]
    offered = httpx.get(f"{server}/v1/jobs/{converted['job']}", timeout=10).json()
    assert sorted(buttons) == sorted(offered["formats"]) and "inkml" in buttons
    by_id(browser, "download-inkml").click()
    path = wait_for_file(downloads, ".inkml")
    assert path.name == "inksight_page.inkml"
    root = ET.parse(path).getroot()
    traces = root.findall(".//{http://www.w3.org/2003/InkML}trace")
    strokes = stroke_points(converted["page"])
    assert root.tag == "{http://www.w3.org/2003/InkML}ink" and len(traces) == len(strokes)
    read = load(path)
    back = [s.points for w in read.pages[0].words for s in w.strokes]
    assert len(back) == len(strokes)
    assert all(np.allclose(a, b, atol=0.01) for a, b in zip(back, strokes))


def test_phone_screen_fits_without_sideways_scrolling(browser, converted, workdir):
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride", {"width": 390, "height": 844, "deviceScaleFactor": 3, "mobile": True}
    )
    browser.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 5})
    try:
        wait(browser, lambda d: d.execute_script("return window.innerWidth") == 390, 5, "the phone viewport")
        wait(
            browser,
            lambda d: d.execute_script(
                "const c = document.getElementById('canvas');"
                "return c.width === Math.round(c.getBoundingClientRect().width * 3)"
            ),
            5,
            "the canvas to follow the pixel ratio",
        )
        sizes = browser.execute_script(
            "const d = document.documentElement; const c = document.getElementById('canvas').getBoundingClientRect();"
            "return [d.scrollWidth, d.clientWidth, c.left, c.right];"
        )
        scroll_width, client_width, left, right = sizes
        assert scroll_width <= client_width == 390, sizes
        assert 0 <= left and right <= 390
        ids = [
            "drop",
            "file-input",
            "play",
            "scrub",
            "speed",
            "by-order",
            "downloads",
            "download-inkml",
            "token-button",
        ]
        assert visible_overflow(browser, ids) == []
        transport = ["#play", "#scrub", "#clock", ".speed > span", "#speed", ".toggles .switch", ".toggles .slider"]
        assert crowded(browser, transport) == []
        for element_id in ("play", "download-inkml", "token-button"):
            assert by_id(browser, element_id).size["height"] >= 44, element_id  # a finger's tap target
        assert by_id(browser, "camera-input").get_attribute("capture") == "environment"
        camera = browser.find_element("css selector", "label[for=camera-input]")
        assert camera.is_displayed(), "a touch screen offers to take a photo"
        browser.execute_script("document.getElementById('viewer').scrollIntoView()")
        browser.save_screenshot(str(workdir / "server-page-phone.png"))
    finally:
        browser.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": False})
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_screenshot_for_the_docs(browser, server, workdir):
    """A written page halfway through its replay, coloured by stroke order, a word's text in its tooltip."""
    from selenium.webdriver.common.action_chains import ActionChains

    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride", {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False}
    )
    try:
        job = upload(browser, server, shared(*SCREENSHOT_PHOTO), read_text=True)
        page = job["page"]
        by_id(browser, "by-order").click()
        set_range(browser, "scrub", 700)
        texts = [w for w in page["words"] if w["text"]] or page["words"]
        word = max(texts, key=lambda w: len(w["text"] or ""))
        canvas = by_id(browser, "canvas")
        rect = browser.execute_script("return arguments[0].getBoundingClientRect().toJSON()", canvas)
        cx, cy = (np.asarray(word["quad"]).mean(axis=0) + 0.5) * rect["width"] / page["width"]
        ActionChains(browser).move_to_element_with_offset(
            canvas, cx - rect["width"] / 2, cy - rect["height"] / 2
        ).perform()
        tip = wait(browser, lambda d: d.find_element("id", "tip").is_displayed() and d.find_element("id", "tip"), 5)
        assert tip.find_element("tag name", "strong").text == (word["text"] or "(no text)")
        browser.execute_script("window.scrollTo(0, 0)")
        path = workdir / "server-page.png"
        assert browser.save_screenshot(str(path))
        with Image.open(path) as shot:
            assert shot.size == (1280, 900)
        if os.environ.get("INKSIGHT_UPDATE_SCREENSHOT") == "1":
            shutil.copyfile(path, SCREENSHOT)
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_everything_the_page_loads_comes_from_the_server(browser, server):
    """It must work offline: no fonts, scripts or pictures from another site (blob: and data: are local)."""
    requested_urls(browser, server)  # what earlier tests asked for: not this visit
    browser.get(server + "/")  # a fresh visit, from the page itself to its plugin list
    wait(browser, lambda d: len(by_id(d, "detector").find_elements("tag name", "option")) > 1, what="the plugin list")
    urls = requested_urls(browser, server)
    assert any(u.endswith("/static/app.js") for u in urls) and any(u.endswith("/static/ink.js") for u in urls)
    elsewhere = [u for u in urls if not u.startswith((server + "/", "data:", "blob:"))]
    assert elsewhere == []
    errors = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []  # nothing refused by the page's Content-Security-Policy, no script errors


def test_ink_file_pages_without_photo_or_clock_replay_on_white_paper(browser, server, tmp_path):
    """Two pages of ink JSON whose strokes have no time: white paper (the image is 404), a page selector,
    and a replay timed as the pipeline times ink without a clock."""
    import json
    import subprocess
    import sys

    both = tmp_path / "two pages.json"
    photos = [shared("photos", "inksight_word.jpg"), shared("photos", "simplehtr_line.png")]
    subprocess.run([sys.executable, "-m", "inksight_sdk", "convert", *map(str, photos), "-o", str(both)], check=True)
    document = json.loads(both.read_text())
    for page in document["pages"]:
        for word in page["words"]:
            for stroke in word["strokes"]:
                del stroke["t"]
    both.write_text(json.dumps(document))
    pages = document["pages"]
    assert len(pages) == 2 and all(stroke_points(p) for p in pages)

    browser.get(server + "/")
    by_id(browser, "file-input").send_keys(str(both))
    wait(browser, lambda d: d.find_element("id", "result").is_displayed(), 60, "the ink")
    wait(browser, lambda d: d.find_element("id", "stage").get_attribute("aria-busy") != "true", what="the page image")
    assert by_id(browser, "pager").is_displayed()
    assert "could not be shown" not in by_id(browser, "summary").text
    by_id(browser, "boxes").click()  # word boxes off: paper and ink only
    for number, page in enumerate(pages, start=1):
        if number > 1:
            by_id(browser, "next").click()
            wait(browser, lambda d: d.find_element("id", "stage").get_attribute("aria-busy") != "true", what="page 2")
        assert by_id(browser, "page").get_attribute("value") == str(number - 1)
        blank, inked = page_only(browser), finished(browser)
        assert (blank == 255).all(), "no photo: white paper"
        height, width = inked.shape[:2]
        assert abs(height / width - page["height"] / page["width"]) < 0.02
        ink = changed(inked, blank)
        xy = np.concatenate([on_canvas(p, page, width) for p in stroke_points(page)])
        assert ink[xy[:, 1], xy[:, 0]].mean() > 0.97
        set_range(browser, "scrub", 500)
        assert 0.1 < changed(canvas_pixels(browser), blank).sum() / ink.sum() < 0.9  # the clock was made up: it runs
    assert by_id(browser, "next").get_attribute("disabled") is not None


def api_error(server: str, path: Path) -> dict:
    """What the API itself answers for ``path``: the refusal of the upload, or the failed job's error."""
    answer = httpx.post(f"{server}/v1/jobs", files={"file": (path.name, path.read_bytes())}, timeout=30)
    if answer.status_code != 202:
        return answer.json()["error"]
    job = answer.json()
    for _ in range(300):
        job = httpx.get(f"{server}/v1/jobs/{job['id']}", timeout=10).json()
        if job["state"] in ("failed", "done"):
            break
        time.sleep(0.1)
    return job["error"]


def not_an_image(folder: Path) -> Path:
    path = folder / "notes.jpg"
    path.write_bytes(b"these are not the bytes of an image\n" * 20)
    return path


def too_large(folder: Path) -> Path:
    """A real PNG over the server's --max-bytes (noise does not compress)."""
    path = folder / "big scan.png"
    noise = np.random.default_rng(14).integers(0, 256, (1000, 1000, 3), dtype=np.uint8)
    Image.fromarray(noise).save(path)
    assert path.stat().st_size > MAX_BYTES
    return path


@pytest.mark.parametrize("make", [not_an_image, too_large], ids=["not-an-image", "too-large"])
def test_an_api_error_is_shown_with_its_message_and_status(browser, server, tmp_path, make):
    bad = make(tmp_path)
    error = api_error(server, bad)
    assert error and error["message"] and error["status"] in (400, 413, 415)

    browser.get(server + "/")
    by_id(browser, "file-input").send_keys(str(bad))
    message = wait(
        browser, lambda d: d.find_element("id", "message").is_displayed() and d.find_element("id", "message")
    )
    assert message.get_attribute("role") == "alert"
    first, second = message.text.splitlines()
    assert first == error["message"]
    assert second == f"HTTP {error['status']} · {error['code']} · exit code {error['exit_code']}"
    assert not by_id(browser, "result").is_displayed()


TOKEN = "page-test-token-8c1f"


@pytest.fixture(scope="module")
def guarded(workdir):
    """A second server: a token required, one worker and no queue (a second job is told 429),
    the test plugins installed (the ``slow`` derenderer holds the worker as long as asked)."""
    site = workdir / "site"
    site.mkdir()
    write_dist(site, "inksight-test-plugins", {"testing": "inksight_test_plugins"})
    args = ("--workers", "1", "--queue", "0")
    with running_server(workdir / "guarded.log", *args, token=TOKEN, pythonpath=[site, SUPPORT]) as base:
        yield base


def api_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKEN}"}


def test_token_is_asked_for_kept_and_sent(browser, guarded):
    browser.get(guarded + "/")
    dialog = wait(
        browser,
        lambda d: (
            d.find_element("id", "token-dialog").get_attribute("open") is not None
            and d.find_element("id", "token-dialog")
        ),
        10,
        "the token dialog",
    )
    assert "needs an access token" in by_id(browser, "token-why").text
    refused = httpx.get(f"{guarded}/v1/plugins", timeout=10).json()["error"]
    assert refused["status"] == 401 and refused["message"][1:] in by_id(browser, "message").text
    by_id(browser, "token-input").send_keys(TOKEN)
    dialog.find_element("id", "token-save").click()
    wait(browser, lambda d: len(by_id(d, "detector").find_elements("tag name", "option")) > 1, 10, "the plugin list")
    assert by_id(browser, "token-label").text == "Token set"
    assert browser.execute_script("return localStorage.getItem('inksight.token')") == TOKEN
    assert not by_id(browser, "message").is_displayed()
    browser.refresh()  # kept: the next visit needs no dialog
    wait(browser, lambda d: len(by_id(d, "detector").find_elements("tag name", "option")) > 1, 10, "the plugin list")
    assert by_id(browser, "token-dialog").get_attribute("open") is None


def test_busy_server_is_waited_for_and_the_result_downloads_with_the_token(browser, guarded, downloads):
    """The only worker is held by a slow job: the page's upload is told 429, says so, waits
    Retry-After, tries again and converts; the download sends the token too."""
    photo = shared("photos", "inksight_word.jpg")
    blocker = httpx.post(
        f"{guarded}/v1/jobs",
        headers=api_headers(),
        files={"file": ("blocker.jpg", photo.read_bytes())},
        data={"derenderer": "slow", "derenderer_options": '{"seconds": 4}'},
        timeout=30,
    )
    assert blocker.status_code == 202, blocker.text
    job_url = f"{guarded}/v1/jobs/{blocker.json()['id']}"
    for _ in range(100):
        if httpx.get(job_url, headers=api_headers(), timeout=10).json()["state"] == "running":
            break
        time.sleep(0.05)
    browser.get(guarded + "/")
    wait(browser, lambda d: len(by_id(d, "detector").find_elements("tag name", "option")) > 1, 10, "the plugin list")
    by_id(browser, "file-input").send_keys(str(photo))
    notice = wait(
        browser,
        lambda d: d.find_element("id", "message").is_displayed() and d.find_element("id", "message"),
        10,
        "the busy notice",
    )
    assert "busy" in notice.text and "Trying again in" in notice.text, notice.text
    assert httpx.get(job_url, headers=api_headers(), timeout=10).json()["state"] == "running"
    wait(browser, lambda d: d.find_element("id", "result").is_displayed(), 60, "the ink after the wait")
    assert not by_id(browser, "message").is_displayed()
    assert httpx.get(job_url, headers=api_headers(), timeout=10).json()["state"] == "done"
    by_id(browser, "download-inkml").click()
    assert wait_for_file(downloads, "inksight_word.inkml").stat().st_size > 0


def test_cancel_stops_the_job_on_the_server(browser, guarded):
    def replaced() -> int:
        return httpx.get(f"{guarded}/readyz", headers=api_headers(), timeout=10).json()["replaced"]

    before = replaced()
    browser.get(guarded + "/")
    wait(browser, lambda d: len(by_id(d, "derenderer").find_elements("tag name", "option")) > 1, 10, "the plugin list")
    by_id(browser, "options").find_element("tag name", "summary").click()
    choose(browser, "derenderer", "slow")
    by_id(browser, "derenderer-options").send_keys('{"seconds": 60}')
    by_id(browser, "file-input").send_keys(str(shared("photos", "inksight_word.jpg")))
    wait(browser, lambda d: "Converting" in d.find_element("id", "status").text, 20, "the job to run")
    by_id(browser, "cancel").click()
    assert "cancelled" in by_id(browser, "message").text
    deadline = time.monotonic() + 20
    while replaced() == before and time.monotonic() < deadline:  # the worker running it was stopped and replaced
        time.sleep(0.1)
    assert replaced() == before + 1
