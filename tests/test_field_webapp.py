"""The field web app (``/app/``) in a real browser: Debian's Chromium, headless, driven by
chromedriver, against a real uvicorn server of the field API on a SQLite file.

An officer logs in with the device's token, sends a status, the Notruf, a Meldung with a photo,
an OWi capture with a photo found through the catalogue search, acknowledges an Auftrag — and
the control room's services see each of them as a workstation would. In a dead spot (the
browser switched offline) a Meldung waits in the app's queue, is sent once when the network is
back, and the same queued item sent again stores nothing twice.
"""

from __future__ import annotations

import asyncio
import fnmatch
import io
import shutil
import tomllib
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from PIL import Image
from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service as ChromeService
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import text

from app.domain.dto_work import ReportQuery, TaskDraft
from app.platform.config import DatabaseTarget, sqlite_target
from app.platform.database import Database
from app.platform.permissions import Role
from app.platform.uow import Actor
from app.services import Services
from tests.conftest import ADMIN
from tests.field_setup import officer_with_device, serve_field_api

pytestmark = pytest.mark.browser
LEAD = Actor(None, "cli:test", Role.SHIFT_LEAD, "Schichtleitung")
CLERK = Actor(None, "cli:test", Role.CLERK, "Sachbearbeitung")
WAIT_S = 20.0
T = TypeVar("T")


# --- the server and the desk ------------------------------------------------------------------


@dataclass
class Field:
    """The running API, the database it serves and the device's token."""

    base: str
    target: DatabaseTarget
    token: str
    unit_id: int
    device_id: int
    task_id: int
    stop: Callable[[], None] = lambda: None

    def desk(self, work: Callable[[Services], Awaitable[T]]) -> T:
        """Run ``work`` with the control room's services on the same database."""

        async def run() -> T:
            db = Database(self.target, "test-desk")
            try:
                return await work(Services.create(db))
            finally:
                await db.dispose()

        return asyncio.run(run())

    def count(self, sql: str) -> int:
        """One number from the database."""
        engine = Database(self.target).sync_engine()
        try:
            with engine.connect() as conn:
                return int(conn.execute(text(sql)).scalar_one())
        finally:
            engine.dispose()


@pytest.fixture
def field(sqlite_template: Path, tmp_path: Path) -> Iterator[Field]:
    """The field API on a loopback port over a SQLite file: an officer with a registered
    device on KOD 11, the catalogue, one Auftrag for the unit."""
    path = tmp_path / "kod.sqlite"
    shutil.copy(sqlite_template, path)
    target = sqlite_target(path)

    async def prepare(services: Services) -> tuple[str, int, int, int]:
        setup = await officer_with_device(services)
        await services.catalogue.import_seed_if_empty(ADMIN)
        task = await services.tasks.create(
            LEAD, TaskDraft(title="Kiosk Hauptstraße prüfen", assigned_unit_id=setup.unit_id)
        )
        return setup.token, setup.unit_id, setup.device_id, task.id

    probe = Field("", target, "", 0, 0, 0)
    token, unit_id, device_id, task_id = probe.desk(prepare)
    api = serve_field_api(target)
    yield Field(api.base, target, token, unit_id, device_id, task_id, api.stop)
    api.stop()


# --- the browser --------------------------------------------------------------------------------


def _chromium() -> tuple[str, str]:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if browser is None or driver is None:
        pytest.fail(
            "Chromium and chromedriver are needed for the field web app's browser test: "
            "apt-get install chromium chromium-driver (scripts/setup.sh installs them)."
        )
    return browser, driver


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    """Headless Chromium (no X display) with a phone-sized window and its own profile."""
    binary, driver_path = _chromium()
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for arg in (
        "--headless=new",
        "--no-sandbox",  # the test may run as root in a container
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=430,932",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
        "--lang=de-DE",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=ChromeService(driver_path))
    try:
        yield driver
    finally:
        driver.quit()


def _until(driver: webdriver.Chrome, condition: Callable[[webdriver.Chrome], Any]) -> Any:
    try:
        return WebDriverWait(driver, WAIT_S, poll_frequency=0.05).until(condition)
    except TimeoutException:
        page = driver.find_element(By.TAG_NAME, "body").text
        raise AssertionError(f"the app did not get there; the page shows:\n{page}") from None


def _text_of(driver: webdriver.Chrome, element_id: str, part: str) -> str:
    def shown(d: webdriver.Chrome) -> str | bool:
        element = d.find_element(By.ID, element_id)
        value = element.text
        return value if element.is_displayed() and part in value else False

    result: str = _until(driver, shown)
    return result


def _click(driver: webdriver.Chrome, css: str) -> None:
    element: WebElement = _until(
        driver,
        lambda d: next((e for e in d.find_elements(By.CSS_SELECTOR, css) if e.is_displayed()), 0),
    )
    element.click()


def _type(driver: webdriver.Chrome, element_id: str, value: str) -> None:
    element = driver.find_element(By.ID, element_id)
    element.clear()
    element.send_keys(value)


def _photo(tmp_path: Path, name: str, colour: tuple[int, int, int]) -> str:
    image = Image.new("RGB", (800, 600), colour)
    data = io.BytesIO()
    image.save(data, "JPEG", quality=85)
    path = tmp_path / name
    path.write_bytes(data.getvalue())
    return str(path)


def _log_in(driver: webdriver.Chrome, field: Field) -> None:
    driver.get(field.base + "/")
    _until(driver, lambda d: d.find_element(By.ID, "token").is_displayed())
    _type(driver, "token", field.token)
    driver.find_element(By.ID, "login-button").click()
    _text_of(driver, "unit", "KOD 11")
    _text_of(driver, "who", "Stefan Streife")


def _offline(driver: webdriver.Chrome, offline: bool) -> None:
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd(
        "Network.emulateNetworkConditions",
        {"offline": offline, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )


# --- the tests ----------------------------------------------------------------------------------


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
    _log_in(browser, field)

    # Status 3 from the big button reaches the unit board, with the phone's position.
    _click(browser, "button.status[data-status='3']")
    _text_of(browser, "toast", "Status 3")
    _text_of(browser, "current-status", "Einsatz übernommen")
    board = {u.call_sign: u for u in field.desk(lambda s: s.units.board(LEAD))}
    assert board["KOD 11"].status == "3"
    _until(browser, lambda d: "Position" in d.find_element(By.ID, "position").text)
    _until(
        browser,
        lambda d: field.desk(lambda s: s.units.get(LEAD, field.unit_id)).lat is not None,
    )
    unit = field.desk(lambda s: s.units.get(LEAD, field.unit_id))
    assert (round(unit.lat or 0, 4), round(unit.lon or 0, 4)) == (51.0312, 6.9821)

    # The Notruf: one tap only arms it; the second one sends it, and the app says so.
    _click(browser, "#notruf")
    _text_of(browser, "notruf", "erneut tippen")
    assert field.desk(lambda s: s.units.open_emergencies(LEAD)) == []
    _click(browser, "#notruf")
    _text_of(browser, "notruf-state", "NOTRUF GESENDET")
    emergencies = field.desk(lambda s: s.units.open_emergencies(LEAD))
    assert [e.call_sign for e in emergencies] == ["KOD 11"]

    # A Meldung with a photo from the camera input lands in the work list, source "field".
    _click(browser, ".tab[data-panel='panel-report']")
    _type(browser, "report-subject", "Wilder Müll am Rheinufer")
    _type(browser, "report-text", "Drei Säcke und ein Sofa")
    _type(browser, "report-address", "Rheinallee 5")
    browser.find_element(By.ID, "report-photo").send_keys(
        _photo(tmp_path, "muell.jpg", (90, 120, 60))
    )
    _text_of(browser, "report-photos", "1 Foto")
    _click(browser, "#report-send")
    result = _text_of(browser, "report-result", "angenommen")
    reports = field.desk(lambda s: s.reports.page(LEAD, ReportQuery()))
    assert [(r.subject, r.source, r.address) for r in reports] == [
        ("Wilder Müll am Rheinufer", "field", "Rheinallee 5")
    ]
    assert reports[0].number in result
    assert reports[0].lat is not None  # the phone's position went with it
    assert field.count("select count(*) from field_photo where report_id is not null") == 1

    # An OWi: the Tatbestand from the catalogue search, an evidence photo.
    _click(browser, ".tab[data-panel='panel-owi']")
    _type(browser, "owi-search", "Hund")
    _click(browser, "#owi-results button[data-entry]")
    _text_of(browser, "owi-entry", "Tatbestand:")
    _type(browser, "owi-act", "Hund ohne Leine auf dem Spielplatz")
    _type(browser, "owi-place", "Spielplatz Stadtpark")
    _type(browser, "owi-last", "Muster")
    _type(browser, "owi-first", "Max")
    _type(browser, "owi-address", "Hauptstraße 1, 51373 Leverkusen")
    browser.find_element(By.ID, "owi-photo").send_keys(
        _photo(tmp_path, "beweis.jpg", (30, 60, 200))
    )
    _click(browser, "#owi-send")
    result = _text_of(browser, "owi-result", "erfasst")
    cases = field.desk(lambda s: s.offences.by_days_left(CLERK))
    assert [(c.act_description, c.place, c.concerned.last_name) for c in cases] == [
        ("Hund ohne Leine auf dem Spielplatz", "Spielplatz Stadtpark", "Muster")
    ]
    assert cases[0].number in result
    assert "Hund" in cases[0].offence
    evidence = field.desk(lambda s: s.offences.evidence(CLERK, cases[0].id))
    assert [e.kind for e in evidence] == ["photo"]

    # The Auftrag of the unit is in the inbox; its receipt is acknowledged.
    _click(browser, ".tab[data-panel='panel-inbox']")
    _text_of(browser, "inbox-list", "Kiosk Hauptstraße prüfen")
    _click(browser, "#inbox-list li[data-kind='task'] button")
    _text_of(browser, "inbox-list", "Empfang bestätigt")
    assert field.count(f"select count(*) from field_ack where item_id = {field.task_id}") == 1

    # A new Auftrag from the desk arrives over the live link (the inbox is polled only every
    # minute).
    field.desk(
        lambda s: s.tasks.create(
            LEAD, TaskDraft(title="Parkverstoß Marktplatz", assigned_unit_id=field.unit_id)
        )
    )
    _text_of(browser, "inbox-list", "Parkverstoß Marktplatz")

    # Nothing the page did broke its Content-Security-Policy or threw.
    problems = [
        entry["message"]
        for entry in browser.get_log("browser")
        if entry["level"] == "SEVERE"
        and ("Content Security Policy" in entry["message"] or "Uncaught" in entry["message"])
    ]
    assert problems == []


_QUEUE_SCRIPT = """
const [mode, done] = [arguments[0], arguments[arguments.length - 1]];
const open = indexedDB.open("kod-field");
open.onsuccess = () => {
  const tx = open.result.transaction("outbox", mode === "keep" ? "readonly" : "readwrite");
  const store = tx.objectStore("outbox");
  if (mode === "keep") {
    const all = store.getAll();
    all.onsuccess = () => { window.keptForTest = all.result; done(all.result.map((i) => i.key)); };
  } else {
    for (const item of window.keptForTest) { store.put(item); }
    tx.oncomplete = () => done(window.keptForTest.map((i) => i.key));
  }
};
open.onerror = () => done(null);
"""


def test_dead_spot_queues_and_sends_exactly_once(
    field: Field, browser: webdriver.Chrome, tmp_path: Path
) -> None:
    _log_in(browser, field)
    # The app shell is cached by the service worker (the app opens in a dead spot).
    cached = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "navigator.serviceWorker.ready"
        ".then(() => caches.match('app.js')).then((hit) => done(Boolean(hit)));"
    )
    assert cached is True

    _offline(browser, True)
    # Reopened in the dead spot: the app comes from the cache, the stored token is kept.
    browser.refresh()
    _text_of(browser, "net", "Offline")
    _click(browser, ".tab[data-panel='panel-report']")
    _type(browser, "report-subject", "Graffiti an der Brücke")
    browser.find_element(By.ID, "report-photo").send_keys(
        _photo(tmp_path, "graffiti.jpg", (200, 40, 40))
    )
    _click(browser, "#report-send")
    _text_of(browser, "report-result", "wartet auf Netz")
    _text_of(browser, "queue", "wartet auf Netz (1)")
    assert field.count("select count(*) from report") == 0
    kept = browser.execute_async_script(_QUEUE_SCRIPT, "keep")
    assert isinstance(kept, list) and len(kept) == 1

    # Back in reach: the browser says so and the app sends the queue, once.
    _offline(browser, False)
    result = _text_of(browser, "report-result", "angenommen")
    _until(browser, lambda d: not d.find_element(By.ID, "queue-bar").is_displayed())
    reports = field.desk(lambda s: s.reports.page(LEAD, ReportQuery()))
    assert [(r.subject, r.source) for r in reports] == [("Graffiti an der Brücke", "field")]
    assert reports[0].number in result

    # The answer "got lost": the same queued item is sent again — nothing is stored twice,
    # the app is told the first answer.
    browser.execute_script("document.getElementById('report-result').textContent = '';")
    restored = browser.execute_async_script(_QUEUE_SCRIPT, "restore")
    assert restored == kept
    browser.execute_script("window.dispatchEvent(new Event('online'))")
    again = _text_of(browser, "report-result", "angenommen")
    _until(browser, lambda d: not d.find_element(By.ID, "queue-bar").is_displayed())
    assert reports[0].number in again
    assert field.count("select count(*) from report") == 1
    assert field.count("select count(*) from field_photo") == 1
    assert field.count("select count(*) from field_request_key where status = 201") == 1


#: Every position fix the app keeps in IndexedDB: those not yet in a batch and the queued
#: batches, as [lat, lon].
_FIXES_SCRIPT = """
const done = arguments[arguments.length - 1];
const open = indexedDB.open("kod-field");
open.onsuccess = () => {
  const tx = open.result.transaction(["fixes", "outbox"], "readonly");
  const fixes = tx.objectStore("fixes").getAll();
  const items = tx.objectStore("outbox").getAll();
  tx.oncomplete = () => {
    const queued = items.result.filter((i) => i.kind === "positions")
      .flatMap((i) => i.json.positions);
    done([...fixes.result, ...queued].map((f) => [f.lat, f.lon]));
  };
};
open.onerror = () => done(null);
"""


def _kept_fixes(driver: webdriver.Chrome) -> list[list[float]]:
    return list(driver.execute_async_script(_FIXES_SCRIPT) or [])


def _positions_at(field: Field, lat: float) -> int:
    return field.count(f"select count(*) from unit_position where abs(lat - {lat}) < 0.000001")


def test_positions_from_a_dead_spot_survive_a_reload_and_arrive_once(
    field: Field, browser: webdriver.Chrome
) -> None:
    origin = field.base
    browser.execute_cdp_cmd(
        "Browser.grantPermissions", {"origin": origin, "permissions": ["geolocation"]}
    )
    browser.execute_cdp_cmd(
        "Emulation.setGeolocationOverride",
        {"latitude": 51.0312, "longitude": 6.9821, "accuracy": 8},
    )
    _log_in(browser, field)
    _until(browser, lambda d: _positions_at(field, 51.0312) == 1)

    # In a dead spot the phone moves on: each fix is kept in the phone's storage at once.
    _offline(browser, True)
    dead_spot = [(51.0401, 6.9902), (51.0502, 7.0003)]
    for lat, lon in dead_spot:
        browser.execute_cdp_cmd(
            "Emulation.setGeolocationOverride", {"latitude": lat, "longitude": lon, "accuracy": 8}
        )
        _until(browser, lambda d, lat=lat, lon=lon: [lat, lon] in _kept_fixes(d))

    # The tab is reloaded there (the position is switched off now: no new fixes come).
    browser.execute_cdp_cmd(
        "Browser.setPermission",
        {"origin": origin, "permission": {"name": "geolocation"}, "setting": "denied"},
    )
    browser.refresh()
    _text_of(browser, "net", "Offline")
    _text_of(browser, "position", "Ortung nicht möglich")
    assert sorted(map(tuple, _kept_fixes(browser))) == dead_spot
    assert [_positions_at(field, lat) for lat, _ in dead_spot] == [0, 0]
    # Still in the dead spot the app tries to send them: they wait as one queued batch.
    browser.execute_script("sendPositions()")
    _until(browser, lambda d: len(d.execute_async_script(_QUEUE_SCRIPT, "keep") or []) == 1)
    # The officer's own count is of their writes: positions go by themselves.
    assert not browser.find_element(By.ID, "queue-bar").is_displayed()

    # Back in reach: every kept position arrives, once, and nothing is left behind.
    _offline(browser, False)
    _until(browser, lambda d: [_positions_at(field, lat) for lat, _ in dead_spot] == [1, 1])
    _until(browser, lambda d: _kept_fixes(d) == [])

    # The answer "got lost": the same batch sent again is not stored a second time.
    restored = browser.execute_async_script(_QUEUE_SCRIPT, "restore")
    assert isinstance(restored, list) and len(restored) == 1
    browser.execute_script("window.dispatchEvent(new Event('online'))")
    _until(browser, lambda d: _kept_fixes(d) == [])
    assert [_positions_at(field, lat) for lat, _ in dead_spot] == [1, 1]
    assert _positions_at(field, 51.0312) == 1
    replayed = field.count(
        "select count(*) from field_request_key where request like 'POST /v1/positions%'"
    )
    assert replayed == 2  # the first fix's batch and the dead spot's, each stored once


def test_queued_item_is_sent_only_under_its_own_officers_log_in(
    field: Field, browser: webdriver.Chrome, tmp_path: Path
) -> None:
    """A Meldung captured in a dead spot stays its officer's: after a log-out and another
    officer's log-in on the same phone it is not sent under the other officer's name."""
    from tests.pg_logins import PASSWORD

    async def second_officer(services: Services) -> str:
        other = await services.users.add(
            ADMIN, "streife2", "Petra Posten", Role.FIELD_OFFICER, PASSWORD
        )
        unit = await services.unit_admin.create(ADMIN, "KOD 12")
        await services.unit_admin.set_crew(ADMIN, unit.id, [other.id], unit.version)
        return (
            await services.field_devices.register(ADMIN, "streife2", "KOD 12", "Handy 18")
        ).token

    other_token = field.desk(second_officer)
    _log_in(browser, field)
    _offline(browser, True)
    _click(browser, ".tab[data-panel='panel-report']")
    _type(browser, "report-subject", "Sperrmüll am Spielplatz")
    _click(browser, "#report-send")
    _text_of(browser, "queue", "wartet auf Netz (1)")
    _click(browser, "#logout")
    _click(browser, "#logout")
    _until(browser, lambda d: d.find_element(By.ID, "token").is_displayed())
    # Meanwhile the first phone's key is withdrawn: the item cannot go out under it.
    field.desk(lambda s: s.field_devices.revoke(ADMIN, field.device_id))
    _offline(browser, False)

    _type(browser, "token", other_token)
    browser.find_element(By.ID, "login-button").click()
    _text_of(browser, "who", "Petra Posten")
    browser.execute_script("window.dispatchEvent(new Event('online'))")
    _text_of(browser, "queue", "wartet auf Netz (1)")
    assert field.count("select count(*) from report") == 0

    # Stefan Streife gets a new key for his phone: the Meldung goes out as his.
    async def new_key(services: Services) -> str:
        return (
            await services.field_devices.register(ADMIN, "streife1", "KOD 11", "Handy 19")
        ).token

    own_token = field.desk(new_key)
    _click(browser, "#logout")
    _click(browser, "#logout")
    _until(browser, lambda d: d.find_element(By.ID, "token").is_displayed())
    _type(browser, "token", own_token)
    browser.find_element(By.ID, "login-button").click()
    _text_of(browser, "who", "Stefan Streife")
    _until(browser, lambda d: not d.find_element(By.ID, "queue-bar").is_displayed())
    reports = field.desk(lambda s: s.reports.page(LEAD, ReportQuery()))
    assert [(r.subject, r.created_by) for r in reports] == [
        ("Sperrmüll am Spielplatz", "Stefan Streife")
    ]


def test_revoked_device_is_sent_back_to_log_in(field: Field, browser: webdriver.Chrome) -> None:
    _log_in(browser, field)
    assert browser.execute_script("return localStorage.length") == 1
    field.desk(lambda s: s.field_devices.revoke(ADMIN, field.device_id))
    # The live link may close first (the server drops a revoked device's link), taking the app
    # to the log-in before the tap: tapped from script, the status goes out either way.
    browser.execute_script("document.querySelector(\"button.status[data-status='6']\").click()")
    message = _text_of(browser, "login-message", "Abgemeldet")
    assert "widerrufen" in message
    assert browser.execute_script("return localStorage.length") == 0
    assert field.desk(lambda s: s.units.get(LEAD, field.unit_id)).status == "2"
    # What was not sent is kept and goes out after the next log-in.
    _text_of(browser, "login-queue", "1 Eintrag wartet noch")


def test_log_out_forgets_the_token(field: Field, browser: webdriver.Chrome) -> None:
    _log_in(browser, field)
    _click(browser, "#logout")  # one tap only asks
    _text_of(browser, "logout", "Wirklich abmelden?")
    assert browser.execute_script("return localStorage.length") == 1
    _click(browser, "#logout")
    _until(browser, lambda d: d.find_element(By.ID, "token").is_displayed())
    assert browser.execute_script("return localStorage.length") == 0
    browser.refresh()
    _until(browser, lambda d: d.find_element(By.ID, "token").is_displayed())


def test_app_opens_from_the_phone_when_the_server_is_out_of_reach(
    field: Field, browser: webdriver.Chrome
) -> None:
    _log_in(browser, field)
    browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "navigator.serviceWorker.ready.then(() => done(true));"
    )
    field.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(field.base + "/app/")
    browser.refresh()
    # The shell comes from the service worker's cache; the stored token keeps the officer in.
    _text_of(browser, "net", "Offline")
    _text_of(browser, "unit", "Offline")
    _click(browser, "button.status[data-status='4']")
    _text_of(browser, "queue", "wartet auf Netz (1)")
