"""The field web app (``/app/``) in a real browser: Debian's Chromium, headless, driven by
chromedriver, against a real uvicorn server of the field API on a SQLite file.

An officer logs in with the device's token, sends a status, the Notruf, a Meldung with a photo,
an OWi capture with a photo found through the catalogue search, acknowledges an Auftrag — and
the control room's services see each of them as a workstation would. A revoked device and a
log-out lead back to the log-in. The dead spot: tests/test_field_webapp_offline.py.
"""

from __future__ import annotations

import fnmatch
import io
import tomllib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image
from selenium import webdriver
from selenium.webdriver.common.by import By

from app.domain.dto_work import ReportQuery, TaskDraft
from tests.conftest import ADMIN
from tests.field_browser import (
    CLERK,
    LEAD,
    Field,
    click,
    headless_chromium,
    log_in,
    photo,
    running_field,
    text_of,
    type_into,
    until,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def field(sqlite_template: Path, tmp_path: Path) -> Iterator[Field]:
    with running_field(sqlite_template, tmp_path) as running:
        yield running


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    with headless_chromium(tmp_path) as driver:
        yield driver


def test_app_pages_carry_a_strict_content_security_policy(field: Field) -> None:
    page = httpx.get(field.base + "/app/")
    assert page.status_code == 200
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy
    assert "frame-ancestors 'none'" in policy
    assert "<script src=" in page.text and "<script>" not in page.text
    for name in ("app.js", "sw.js", "manifest.json", "app.css", "icon.svg"):
        answer = httpx.get(f"{field.base}/app/{name}")
        assert answer.status_code == 200, name
        assert answer.headers["Content-Security-Policy"] == policy
    manifest = httpx.get(field.base + "/app/manifest.json").json()
    assert manifest["display"] == "standalone" and manifest["lang"] == "de"


def test_the_app_has_png_icons_for_the_home_screens_of_android_and_iphone(field: Field) -> None:
    manifest = httpx.get(field.base + "/app/manifest.json").json()
    pngs = {i["sizes"]: i["src"] for i in manifest["icons"] if i["type"] == "image/png"}
    assert set(pngs) >= {"192x192", "512x512"}
    page = httpx.get(field.base + "/app/").text
    assert '<link rel="apple-touch-icon" href="icon-180.png">' in page
    for size, src in [(192, pngs["192x192"]), (512, pngs["512x512"]), (180, "icon-180.png")]:
        answer = httpx.get(f"{field.base}/app/{src}")
        assert answer.status_code == 200 and answer.headers["content-type"] == "image/png"
        icon = Image.open(io.BytesIO(answer.content))
        assert icon.size == (size, size)
        # The white shield on the blue ground, not an empty square.
        assert icon.convert("RGB").getpixel((size // 2, size // 4)) == (242, 245, 248)
        assert icon.convert("RGB").getpixel((2, 2)) == (11, 61, 102)
    assert httpx.get(f"{field.base}/app/icon-4096.png").status_code == 404


def test_app_files_are_shipped_in_the_package() -> None:
    root = Path(__file__).resolve().parent.parent
    with (root / "pyproject.toml").open("rb") as f:
        patterns = tomllib.load(f)["tool"]["setuptools"]["package-data"]["*"]
    files = sorted((root / "resources" / "web" / "field").iterdir())
    assert {f.name for f in files} >= {"index.html", "app.js", "sw.js", "manifest.json"}
    for file in files:
        assert any(fnmatch.fnmatch(file.name, p) for p in patterns), (
            f"{file.name} would be missing from the installed service: add it to "
            "[tool.setuptools.package-data] in pyproject.toml"
        )


def test_officer_works_through_the_app(
    field: Field, browser: webdriver.Chrome, tmp_path: Path
) -> None:
    origin = field.base
    browser.execute_cdp_cmd(
        "Browser.grantPermissions", {"origin": origin, "permissions": ["geolocation"]}
    )
    browser.execute_cdp_cmd(
        "Emulation.setGeolocationOverride",
        {"latitude": 51.0312, "longitude": 6.9821, "accuracy": 8},
    )
    log_in(browser, field)

    # Status 3 from the big button reaches the unit board, with the phone's position.
    click(browser, "button.status[data-status='3']")
    text_of(browser, "toast", "Status 3")
    text_of(browser, "current-status", "Einsatz übernommen")
    board = {u.call_sign: u for u in field.desk(lambda s: s.units.board(LEAD))}
    assert board["KOD 11"].status == "3"
    until(browser, lambda d: "Position" in d.find_element(By.ID, "position").text)
    until(
        browser,
        lambda d: field.desk(lambda s: s.units.get(LEAD, field.unit_id)).lat is not None,
    )
    unit = field.desk(lambda s: s.units.get(LEAD, field.unit_id))
    assert (round(unit.lat or 0, 4), round(unit.lon or 0, 4)) == (51.0312, 6.9821)

    # The Notruf: one tap only arms it; the second one sends it, and the app says so.
    click(browser, "#notruf")
    text_of(browser, "notruf", "erneut tippen")
    assert field.desk(lambda s: s.units.open_emergencies(LEAD)) == []
    click(browser, "#notruf")
    text_of(browser, "notruf-state", "NOTRUF GESENDET")
    emergencies = field.desk(lambda s: s.units.open_emergencies(LEAD))
    assert [e.call_sign for e in emergencies] == ["KOD 11"]

    # A Meldung with a photo from the camera input lands in the work list, source "field".
    click(browser, ".tab[data-panel='panel-report']")
    type_into(browser, "report-subject", "Wilder Müll am Rheinufer")
    type_into(browser, "report-text", "Drei Säcke und ein Sofa")
    type_into(browser, "report-address", "Rheinallee 5")
    browser.find_element(By.ID, "report-photo").send_keys(
        photo(tmp_path, "muell.jpg", (90, 120, 60))
    )
    text_of(browser, "report-photos", "1 Foto")
    click(browser, "#report-send")
    result = text_of(browser, "report-result", "angenommen")
    reports = field.desk(lambda s: s.reports.page(LEAD, ReportQuery()))
    assert [(r.subject, r.source, r.address) for r in reports] == [
        ("Wilder Müll am Rheinufer", "field", "Rheinallee 5")
    ]
    assert reports[0].number in result
    assert reports[0].lat is not None  # the phone's position went with it
    assert field.count("select count(*) from field_photo where report_id is not null") == 1

    # An OWi: the Tatbestand from the catalogue search, an evidence photo.
    click(browser, ".tab[data-panel='panel-owi']")
    type_into(browser, "owi-search", "Hund")
    click(browser, "#owi-results button[data-entry]")
    text_of(browser, "owi-entry", "Tatbestand:")
    type_into(browser, "owi-act", "Hund ohne Leine auf dem Spielplatz")
    type_into(browser, "owi-place", "Spielplatz Stadtpark")
    type_into(browser, "owi-last", "Muster")
    type_into(browser, "owi-first", "Max")
    type_into(browser, "owi-address", "Hauptstraße 1, 51373 Leverkusen")
    browser.find_element(By.ID, "owi-photo").send_keys(photo(tmp_path, "beweis.jpg", (30, 60, 200)))
    click(browser, "#owi-send")
    result = text_of(browser, "owi-result", "erfasst")
    cases = field.desk(lambda s: s.offences.by_days_left(CLERK))
    assert [(c.act_description, c.place, c.concerned.last_name) for c in cases] == [
        ("Hund ohne Leine auf dem Spielplatz", "Spielplatz Stadtpark", "Muster")
    ]
    assert cases[0].number in result
    assert "Hund" in cases[0].offence
    evidence = field.desk(lambda s: s.offences.evidence(CLERK, cases[0].id))
    assert [e.kind for e in evidence] == ["photo"]

    # The Auftrag of the unit is in the inbox; its receipt is acknowledged.
    click(browser, ".tab[data-panel='panel-inbox']")
    text_of(browser, "inbox-list", "Kiosk Hauptstraße prüfen")
    click(browser, "#inbox-list li[data-kind='task'] button")
    text_of(browser, "inbox-list", "Empfang bestätigt")
    assert field.count(f"select count(*) from field_ack where item_id = {field.task_id}") == 1

    # A new Auftrag from the desk arrives over the live link (the inbox is polled only every
    # minute).
    field.desk(
        lambda s: s.tasks.create(
            LEAD, TaskDraft(title="Parkverstoß Marktplatz", assigned_unit_id=field.unit_id)
        )
    )
    text_of(browser, "inbox-list", "Parkverstoß Marktplatz")

    # Nothing the page did broke its Content-Security-Policy or threw.
    problems = [
        entry["message"]
        for entry in browser.get_log("browser")
        if entry["level"] == "SEVERE"
        and ("Content Security Policy" in entry["message"] or "Uncaught" in entry["message"])
    ]
    assert problems == []


def test_revoked_device_is_sent_back_to_log_in(field: Field, browser: webdriver.Chrome) -> None:
    log_in(browser, field)
    assert browser.execute_script("return localStorage.length") == 1
    field.desk(lambda s: s.field_devices.revoke(ADMIN, field.device_id))
    # The live link may close first (the server drops a revoked device's link), taking the app
    # to the log-in before the tap: tapped from script, the status goes out either way.
    browser.execute_script("document.querySelector(\"button.status[data-status='6']\").click()")
    message = text_of(browser, "login-message", "Abgemeldet")
    assert "widerrufen" in message
    assert browser.execute_script("return localStorage.length") == 0
    assert field.desk(lambda s: s.units.get(LEAD, field.unit_id)).status == "2"
    # What was not sent is kept and goes out after the next log-in.
    text_of(browser, "login-queue", "1 Eintrag wartet noch")


def test_log_out_forgets_the_token(field: Field, browser: webdriver.Chrome) -> None:
    log_in(browser, field)
    click(browser, "#logout")  # one tap only asks
    text_of(browser, "logout", "Wirklich abmelden?")
    assert browser.execute_script("return localStorage.length") == 1
    click(browser, "#logout")
    until(browser, lambda d: d.find_element(By.ID, "token").is_displayed())
    assert browser.execute_script("return localStorage.length") == 0
    browser.refresh()
    until(browser, lambda d: d.find_element(By.ID, "token").is_displayed())
