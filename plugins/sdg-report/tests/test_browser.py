"""The viewer and the report in a real headless browser: Debian's chromium, driven by Selenium
through Debian's chromedriver (`make browser` installs both; never a downloaded browser).
Skipped, with the reason, where they are not installed."""

from __future__ import annotations

import io
import json
from collections import Counter
from pathlib import Path

import pytest

from sdg_report.report import REPORT

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
HOSTILE = "Q90 <script>alert('x')</script> & <b>bold</b> [learnable]"  # conftest's QUESTIONS
WAIT = 20


@pytest.fixture(scope="module")
def browser():
    webdriver = pytest.importorskip(
        "selenium.webdriver", reason="selenium is not installed: pip install 'sdg-report[test]'")
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.skip(f"{CHROMIUM} or {CHROMEDRIVER} is missing: `make browser` installs "
                    "Debian's chromium and chromium-driver (needs root and apt-get)")
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1280,1400", "--disable-extensions", "--no-first-run"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(WAIT)
    yield driver
    driver.quit()


def until(driver, condition, message: str):
    """Wait for ``condition(driver)``; the page re-rendering meanwhile is not an error."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(driver, WAIT, ignored_exceptions=[StaleElementReferenceException])
    return wait.until(condition, message)


def rows(driver) -> list:
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, "#samples tr.sample-row")


def keys(driver) -> list[str]:
    from selenium.webdriver.common.by import By

    return [r.find_element(By.CSS_SELECTOR, "span.key").text for r in rows(driver)]


def test_the_viewer_lists_filters_and_shows_a_samples_lineage(made_run, serve, browser):
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    run_dir = made_run[0]
    counts = json.loads((run_dir / "summary.json").read_text())["counts"]
    browser.get(serve(run_dir) + "/")
    total = sum(counts.values())
    until(browser, lambda d: len(rows(d)) == min(total, 50), "the first page of samples")
    assert browser.find_element(By.ID, "total").text == f"{total} samples"

    browser.find_element(By.ID, "tab-too_easy").click()
    until(browser, lambda d: keys(d) == ["too_easy"] * counts["too_easy"], "too_easy only")
    assert "on" in browser.find_element(By.ID, "tab-too_easy").get_attribute("class")

    browser.find_element(By.ID, "tab-all").click()
    until(browser, lambda d: len(rows(d)) == min(total, 50), "every category again")
    search = browser.find_element(By.ID, "q")
    search.send_keys("alert(", Keys.ENTER)
    until(browser, lambda d: len(rows(d)) == 1, "one sample found")
    assert HOSTILE in rows(browser)[0].text  # shown as text, never run as markup
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert  # noqa: B018 (the property raises when there is none)

    search.clear()
    Select(browser.find_element(By.ID, "round")).select_by_value("1")
    until(browser, lambda d: rows(d) and all(" harder" in r.text or " easier" in r.text
                                             for r in rows(d)), "rewrites only")
    harder = next(r for r in rows(browser) if " harder" in r.text)
    child_id = harder.get_attribute("data-id")
    harder.click()

    until(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#lineage li"), "the lineage")
    chain = [li.text for li in browser.find_elements(By.CSS_SELECTOR, "#lineage li")]
    assert len(chain) == 2
    assert chain[0].startswith("too_easy ") and "(generated)" in chain[0]
    assert chain[1].startswith(f"learnable {child_id} (harder rewrite of ")
    assert browser.find_element(By.ID, "sample-title").text == f"learnable sample {child_id}"
    votes = browser.find_elements(By.CSS_SELECTOR, "#votes tr")
    assert len(votes) == 1 + 5  # header + k=5 teacher votes
    assert "agreement 1.00 of 5 votes" in browser.find_element(By.ID, "votes").text
    verdicts = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#attempts td span")]
    assert sorted(verdicts) == ["correct", "correct", "wrong", "wrong"]  # world: 8, 8, 1, 1
    assert "pass rate 0.50: 2 of 4 correct" in browser.find_element(By.ID, "attempts").text
    source = browser.find_element(By.ID, "sample-source").text
    assert "list" in source and '"index"' in source

    browser.find_element(By.CSS_SELECTOR, "#lineage li a").click()  # up to the parent
    until(browser, lambda d: d.find_element(By.ID, "sample-title").text.startswith(
        "too_easy sample "), "the parent's page")
    browser.find_element(By.ID, "back").click()
    until(browser, lambda d: rows(d), "back to the list")
    assert Select(browser.find_element(By.ID, "round")).first_selected_option.text == "1"


def test_the_viewer_follows_a_run_in_progress(run_dir, serve, browser, monkeypatch):
    from selenium.webdriver.common.by import By

    from sdg_report import server

    monkeypatch.setattr(server, "REFRESH_SECONDS", 0.0)
    metas = sorted((run_dir / "rounds").glob("round-*.json"))
    held = {meta: meta.read_bytes() for meta in metas[1:]}
    for meta in held:
        meta.unlink()
    first = len((run_dir / "rounds" / "round-00000.jsonl").read_text().splitlines())
    browser.get(serve(run_dir) + "/")
    until(browser, lambda d: d.find_element(By.ID, "total").text == f"{first} samples",
          "the first round's samples")
    assert "in progress" in browser.find_element(By.ID, "status").text
    for meta, data in held.items():
        meta.write_bytes(data)  # the run finishes its other rounds
    total = len(exported(run_dir))
    until(browser, lambda d: d.find_element(By.ID, "total").text == f"{total} samples",
          "every round's samples, without a reload")


def exported(run_dir: Path) -> list[str]:
    return [line for name in ("learnable", "too_easy", "too_hard", "dropped")
            for line in (run_dir / f"{name}.jsonl").read_text().splitlines()]


FIGURES = ("categories", "pass_rates", "rounds", "drops", "sources")


def test_a_screenshot_of_the_report_shows_its_plots(made_run, browser, tmp_path):
    from PIL import Image
    from selenium.webdriver.common.by import By

    browser.get((made_run[0] / REPORT).as_uri())
    until(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "figure svg"), "the plots")
    for name in FIGURES:
        svg = browser.find_element(By.CSS_SELECTOR, f"#fig-{name} svg")
        assert svg.size["width"] > 300 and svg.size["height"] > 100, (name, svg.size)
        # the axes' background and four spines are five paths; the bars come on top
        assert len(svg.find_elements(By.CSS_SELECTOR, "path")) > 6, name
    labels = browser.find_element(By.CSS_SELECTOR, "#fig-categories svg").text
    assert all(key in labels for key in ("learnable", "too_easy", "too_hard", "dropped"))

    figure = browser.find_element(By.ID, "fig-categories")
    browser.execute_script("arguments[0].scrollIntoView()", figure)
    shot = tmp_path / "categories.png"
    shot.write_bytes(figure.screenshot_as_png)
    image = Image.open(io.BytesIO(shot.read_bytes())).convert("RGB")
    pixels = Counter({color: n for n, color in image.getcolors(maxcolors=1 << 24)})
    assert len(pixels) > 20  # not blank: bars, axes and text drawn
    for bar in ((0x2E, 0x7D, 0x32), (0x15, 0x65, 0xC0), (0xE6, 0x51, 0x00)):
        assert pixels[bar] > 200, f"no bar of colour {bar} in {shot}"
    browser.save_screenshot(str(tmp_path / "report.png"))

