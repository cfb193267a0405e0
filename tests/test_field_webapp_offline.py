"""The field web app (``/app/``) in a dead spot, in a real browser: Debian's Chromium,
headless, driven by chromedriver, against a real uvicorn server of the field API on a SQLite file.

In a dead spot (the browser switched offline) a Meldung waits in the app's queue, is sent once
when the network is back, and the same queued item sent again stores nothing twice; a queued
item goes out only under its own officer's log-in; the app opens from the phone when the server
is out of reach.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By

from app.domain.dto_work import ReportQuery
from app.platform.permissions import Role
from app.services import Services
from tests.conftest import ADMIN
from tests.field_browser import (
    LEAD,
    Field,
    click,
    headless_chromium,
    log_in,
    photo,
    running_field,
    set_offline,
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
    log_in(browser, field)
    # The app shell is cached by the service worker (the app opens in a dead spot).
    cached = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "navigator.serviceWorker.ready"
        ".then(() => caches.match('app.js')).then((hit) => done(Boolean(hit)));"
    )
    assert cached is True

    set_offline(browser, True)
    # Reopened in the dead spot: the app comes from the cache, the stored token is kept.
    browser.refresh()
    text_of(browser, "net", "Offline")
    click(browser, ".tab[data-panel='panel-report']")
    type_into(browser, "report-subject", "Graffiti an der Brücke")
    browser.find_element(By.ID, "report-photo").send_keys(
        photo(tmp_path, "graffiti.jpg", (200, 40, 40))
    )
    click(browser, "#report-send")
    text_of(browser, "report-result", "wartet auf Netz")
    text_of(browser, "queue", "wartet auf Netz (1)")
    assert field.count("select count(*) from report") == 0
    kept = browser.execute_async_script(_QUEUE_SCRIPT, "keep")
    assert isinstance(kept, list) and len(kept) == 1

    # Back in reach: the browser says so and the app sends the queue, once.
    set_offline(browser, False)
    result = text_of(browser, "report-result", "angenommen")
    until(browser, lambda d: not d.find_element(By.ID, "queue-bar").is_displayed())
    reports = field.desk(lambda s: s.reports.page(LEAD, ReportQuery()))
    assert [(r.subject, r.source) for r in reports] == [("Graffiti an der Brücke", "field")]
    assert reports[0].number in result

    # The answer "got lost": the same queued item is sent again — nothing is stored twice,
    # the app is told the first answer.
    browser.execute_script("document.getElementById('report-result').textContent = '';")
    restored = browser.execute_async_script(_QUEUE_SCRIPT, "restore")
    assert restored == kept
    browser.execute_script("window.dispatchEvent(new Event('online'))")
    again = text_of(browser, "report-result", "angenommen")
    until(browser, lambda d: not d.find_element(By.ID, "queue-bar").is_displayed())
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
    log_in(browser, field)
    until(browser, lambda d: _positions_at(field, 51.0312) == 1)

    # In a dead spot the phone moves on: each fix is kept in the phone's storage at once.
    set_offline(browser, True)
    dead_spot = [(51.0401, 6.9902), (51.0502, 7.0003)]
    for lat, lon in dead_spot:
        browser.execute_cdp_cmd(
            "Emulation.setGeolocationOverride", {"latitude": lat, "longitude": lon, "accuracy": 8}
        )
        until(browser, lambda d, lat=lat, lon=lon: [lat, lon] in _kept_fixes(d))

    # The tab is reloaded there (the position is switched off now: no new fixes come).
    browser.execute_cdp_cmd(
        "Browser.setPermission",
        {"origin": origin, "permission": {"name": "geolocation"}, "setting": "denied"},
    )
    browser.refresh()
    text_of(browser, "net", "Offline")
    text_of(browser, "position", "Ortung nicht möglich")
    assert sorted(map(tuple, _kept_fixes(browser))) == dead_spot
    assert [_positions_at(field, lat) for lat, _ in dead_spot] == [0, 0]
    # Still in the dead spot the app tries to send them: they wait as one queued batch.
    browser.execute_script("sendPositions()")
    until(browser, lambda d: len(d.execute_async_script(_QUEUE_SCRIPT, "keep") or []) == 1)
    # The officer's own count is of their writes: positions go by themselves.
    assert not browser.find_element(By.ID, "queue-bar").is_displayed()

    # Back in reach: every kept position arrives, once, and nothing is left behind.
    set_offline(browser, False)
    until(browser, lambda d: [_positions_at(field, lat) for lat, _ in dead_spot] == [1, 1])
    until(browser, lambda d: _kept_fixes(d) == [])

    # The answer "got lost": the same batch sent again is not stored a second time.
    restored = browser.execute_async_script(_QUEUE_SCRIPT, "restore")
    assert isinstance(restored, list) and len(restored) == 1
    browser.execute_script("window.dispatchEvent(new Event('online'))")
    until(browser, lambda d: _kept_fixes(d) == [])
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
    log_in(browser, field)
    set_offline(browser, True)
    click(browser, ".tab[data-panel='panel-report']")
    type_into(browser, "report-subject", "Sperrmüll am Spielplatz")
    click(browser, "#report-send")
    text_of(browser, "queue", "wartet auf Netz (1)")
    click(browser, "#logout")
    click(browser, "#logout")
    until(browser, lambda d: d.find_element(By.ID, "token").is_displayed())
    # Meanwhile the first phone's key is withdrawn: the item cannot go out under it.
    field.desk(lambda s: s.field_devices.revoke(ADMIN, field.device_id))
    set_offline(browser, False)

    type_into(browser, "token", other_token)
    browser.find_element(By.ID, "login-button").click()
    text_of(browser, "who", "Petra Posten")
    browser.execute_script("window.dispatchEvent(new Event('online'))")
    text_of(browser, "queue", "wartet auf Netz (1)")
    assert field.count("select count(*) from report") == 0

    # Stefan Streife gets a new key for his phone: the Meldung goes out as his.
    async def new_key(services: Services) -> str:
        return (
            await services.field_devices.register(ADMIN, "streife1", "KOD 11", "Handy 19")
        ).token

    own_token = field.desk(new_key)
    click(browser, "#logout")
    click(browser, "#logout")
    until(browser, lambda d: d.find_element(By.ID, "token").is_displayed())
    type_into(browser, "token", own_token)
    browser.find_element(By.ID, "login-button").click()
    text_of(browser, "who", "Stefan Streife")
    until(browser, lambda d: not d.find_element(By.ID, "queue-bar").is_displayed())
    reports = field.desk(lambda s: s.reports.page(LEAD, ReportQuery()))
    assert [(r.subject, r.created_by) for r in reports] == [
        ("Sperrmüll am Spielplatz", "Stefan Streife")
    ]


def test_app_opens_from_the_phone_when_the_server_is_out_of_reach(
    field: Field, browser: webdriver.Chrome
) -> None:
    log_in(browser, field)
    browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "navigator.serviceWorker.ready.then(() => done(true));"
    )
    field.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(field.base + "/app/")
    browser.refresh()
    # The shell comes from the service worker's cache; the stored token keeps the officer in.
    text_of(browser, "net", "Offline")
    text_of(browser, "unit", "Offline")
    click(browser, "button.status[data-status='4']")
    text_of(browser, "queue", "wartet auf Netz (1)")
