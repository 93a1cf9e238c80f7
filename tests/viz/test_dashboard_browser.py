"""The dashboard in a real browser: ``simfin dashboard`` on a free localhost port, opened in
headless Chromium (Debian's ``chromium`` and ``chromium-driver``, driven by Selenium; no
browser download). A control is changed, the model reset and stepped, and the plots must
change; every button has a word and every slider shows its value; several days per step
stop at the run's last day; the screenshot becomes ``docs/dashboard.png`` (shown in the
README).

Bounded in time: every wait has a deadline, the server and the browser are always torn
down. ``SIMFIN_DASHBOARD_CONSUMERS=100000`` measures the step-to-plot latency on a large
market (printed; the README quotes it).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from simfin.config import dump_config, load_config
from tests.conftest import TWO_LENDERS

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
SCREENSHOT = Path(__file__).parents[2] / "docs" / "dashboard.png"
CONSUMERS = int(os.environ.get("SIMFIN_DASHBOARD_CONSUMERS", "3000"))
SERVER_START_S = 45
PAGE_LOAD_S = 30
STEP_S = 40 if CONSUMERS <= 10_000 else 90  # a measurement run on a large market
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--window-size=1600,1100")

pytestmark = pytest.mark.skipif(
    not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()),
    reason=f"needs Debian's chromium and chromium-driver ({CHROMIUM}, {CHROMEDRIVER}); "
           "install with: apt-get install -y chromium chromium-driver (.ci/run does)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


TEST_BUDGET_S = 150 if CONSUMERS <= 10_000 else 400
_budget_end = [float("inf")]  # set when the server starts: the whole test's deadline
_server_log: list[Path] = []  # the running server's log, quoted when a wait fails


def wait_for(condition: Callable[[], object], seconds: float, what: str) -> object:
    """Poll until ``condition()`` is truthy; fail the test after ``seconds``, or when the
    whole test's time budget runs out.
    """
    deadline = min(time.monotonic() + seconds, _budget_end[0])
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    log = _server_log[0].read_text(errors="replace")[-1500:] if _server_log else ""
    pytest.fail(f"timed out after {seconds} s waiting for {what}; server log tail:\n{log}")


@pytest.fixture
def dashboard_url(tmp_path: Path) -> Iterator[str]:
    """A running ``simfin dashboard`` on a small market; stopped (its whole process group)
    whatever happens.
    """
    config = load_config(TWO_LENDERS, {"population.n_consumers": CONSUMERS, "run.steps": 150,
                                       "run.name": "browser-test"})
    path = tmp_path / "market.yaml"
    path.write_text(dump_config(config), encoding="utf-8")
    port = free_port()
    _budget_end[0] = time.monotonic() + TEST_BUDGET_S
    log = (tmp_path / "server.log").open("w")
    _server_log[:] = [tmp_path / "server.log"]
    server = subprocess.Popen(
        [sys.executable, "-m", "simfin.cli", "dashboard", str(path), "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"

    def answers() -> bool:
        if server.poll() is not None:
            pytest.fail(f"dashboard exited with {server.returncode}: "
                        f"{(tmp_path / 'server.log').read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    try:
        wait_for(answers, SERVER_START_S, "the dashboard server to answer")
        yield url
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait(timeout=10)
        log.close()
        _budget_end[0] = float("inf")
        _server_log.clear()


@pytest.fixture
def browser() -> Iterator[object]:
    """Headless Chromium with a fresh profile; quit and its profile removed afterwards."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="simfin-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = None
    try:
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
        driver.set_page_load_timeout(PAGE_LOAD_S)
        yield driver
    finally:
        if driver is not None:
            driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def button(driver, text: str):
    from selenium.webdriver.common.by import By

    for element in driver.find_elements(By.TAG_NAME, "button"):
        if element.text.strip().lower() == text.lower():
            return element
    return None


def slider(driver, label: str):
    """The thumb (role=slider) of the slider whose label is ``label``."""
    from selenium.webdriver.common.by import By

    xpath = (f"//div[contains(@class,'v-input')][.//label[normalize-space()='{label}']]"
             "//*[@role='slider']")
    found = driver.find_elements(By.XPATH, xpath)
    return found[0] if found else None


def status(driver) -> str:
    from selenium.webdriver.common.by import By

    found = driver.find_elements(By.CSS_SELECTOR, ".simfin-status")
    return found[0].text if found else ""


def plots(driver) -> list[str]:
    from selenium.webdriver.common.by import By

    return [img.get_attribute("src") or "" for img in driver.find_elements(By.TAG_NAME, "img")]


def day_shown(driver) -> int:
    """The day the status line shows (-1 before it is drawn)."""
    found = re.search(r"day (\d+) of", status(driver))
    return int(found.group(1)) if found else -1


def step_and_wait(driver, days_before: int, days: int, old_days: int | None = None) -> int:
    """Click Step; wait until the status shows the new day and every plot is redrawn for
    it; return the day shown.

    A moved "days per step" slider reaches the server a moment after the browser shows it:
    a Step clicked in between is a step of the old size (``old_days``), which is accepted.
    """
    before = plots(driver)
    button(driver, "Step").click()
    allowed = {days_before + days} | ({days_before + old_days} if old_days else set())
    wait_for(lambda: day_shown(driver) in allowed, STEP_S,
             f"day {days_before + days} (status: {status(driver)!r})")
    wait_for(lambda: (now := plots(driver)) and len(now) == len(before)
             and all(a != b for a, b in zip(now, before, strict=True)), STEP_S,
             "every plot to be redrawn")
    return day_shown(driver)


def test_dashboard_in_chromium_changes_a_lever_steps_and_redraws(dashboard_url, browser):
    from selenium.webdriver.common.keys import Keys

    browser.get(dashboard_url)
    wait_for(lambda: button(browser, "Step") and len(plots(browser)) == 5, PAGE_LOAD_S,
             "the Step button and five plots")
    assert "day 0 of 150" in status(browser)
    assert "APR cap 0.36" in status(browser)

    # Change a control: the APR cap slider, by keyboard, 0.36 -> 0.30.
    cap = slider(browser, "APR cap")
    assert cap is not None and float(cap.get_attribute("aria-valuenow")) == 0.36
    for _ in range(6):
        cap.send_keys(Keys.ARROW_LEFT)
    wait_for(lambda: abs(float(cap.get_attribute("aria-valuenow")) - 0.30) < 1e-9, STEP_S,
             "the slider to move to 0.30")
    # Reset rebuilds the model from the controls: the new cap reaches the model.
    # The slider's value reaches the server a moment after the browser shows it: a Reset
    # clicked in between rebuilds with the old cap, so Reset is clicked again until the
    # rebuilt model has the new one (as a user would).
    for _attempt in range(4):
        button(browser, "Reset").click()
        deadline = time.monotonic() + STEP_S / 4
        while time.monotonic() < deadline and "APR cap 0.30" not in status(browser):
            time.sleep(0.25)
        if "APR cap 0.30" in status(browser):
            break
    wait_for(lambda: "APR cap 0.30" in status(browser), STEP_S,
             f"the model rebuilt (status: {status(browser)!r})")

    # Step: every plot changes, one day at a time.
    latencies = []
    for day in range(3):
        started = time.perf_counter()
        step_and_wait(browser, day, 1)
        latencies.append(time.perf_counter() - started)
    print(f"\nstep-to-plot latency, {CONSUMERS:,} consumers: "
          + ", ".join(f"{s * 1000:.0f} ms" for s in latencies))

    # 21 days per Step (days per step 1 -> 21 with twenty keyboard steps of 1), for a
    # screenshot with some history.
    interval = slider(browser, "days per step")
    for _ in range(20):
        interval.send_keys(Keys.ARROW_RIGHT)
    wait_for(lambda: interval.get_attribute("aria-valuenow") == "21", STEP_S,
             "21 days per step")
    day = step_and_wait(browser, 3, 21, old_days=1)
    while day + 21 < 150:
        day = step_and_wait(browser, day, 21)
    controls_are_readable(browser)
    SCREENSHOT.parent.mkdir(exist_ok=True)
    assert browser.save_screenshot(str(SCREENSHOT))
    assert SCREENSHOT.stat().st_size > 10_000

    # Day 129 (130 after a first step of the old size) of 150: a step of 21 days stops at
    # day 150, and the run can go no further.
    assert day + 21 >= 150  # precondition: the last step reaches (or would pass) the end
    step_and_wait(browser, day, 150 - day)
    wait_for(lambda: "day 150 of 150 (end of the run)" in status(browser), STEP_S,
             "the end of the run")
    wait_for(lambda: not button(browser, "Step").is_enabled()
             and not button(browser, "Play").is_enabled(), STEP_S,
             "Step and Play disabled at the end")
    assert "day 150 of 150" in status(browser)


def controls_are_readable(driver) -> None:
    """Every button has a word; every slider shows its value beside its thumb; every
    checkbox label is whole (no text spills out of the box's wrapper, where it is clipped).
    """
    from selenium.webdriver.common.by import By

    buttons = driver.find_elements(By.TAG_NAME, "button")
    assert buttons and all(b.text.strip() for b in buttons), [b.text for b in buttons]
    thumbs = driver.find_elements(By.CSS_SELECTOR, "[role='slider']")
    assert len(thumbs) >= 5
    for thumb in thumbs:
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", thumb)
        shown = thumb.find_element(By.CSS_SELECTOR, ".v-slider-thumb__label")
        assert shown.is_displayed(), thumb.get_attribute("aria-valuenow")
        assert float(shown.text.replace(",", "")) == pytest.approx(
            float(thumb.get_attribute("aria-valuenow")))
    wrappers = driver.find_elements(By.CSS_SELECTOR, ".v-checkbox .v-selection-control__wrapper")
    assert wrappers  # the consortium checkbox
    for wrapper in wrappers:
        spill = driver.execute_script("return arguments[0].scrollWidth - arguments[0].clientWidth",
                                      wrapper)
        assert spill <= 2  # rounding; the label written inside spilled about 70 px
    labels = driver.find_elements(By.CSS_SELECTOR, ".v-checkbox label")
    assert all(label.is_displayed() and label.text.strip() for label in labels)
    driver.execute_script("window.scrollTo(0, 0); "
                          "document.querySelector('.simfin-controls').scrollTop = 0")
