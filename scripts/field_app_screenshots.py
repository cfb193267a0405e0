"""Screenshots of the field web app (``/app/``) as an officer sees it on a phone.

Starts the field API on a loopback port over a fresh SQLite file (an officer with a registered
device on KOD 11, the offence catalogue, one Auftrag), opens the app in Debian's headless
Chromium at phone size and saves the status screen, the Aufträge and the OWi capture:

    python scripts/field_app_screenshots.py docs/screenshots

Needs chromium and chromedriver (scripts/setup.sh installs them); no X display.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(_ROOT))

import uvicorn  # noqa: E402
from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service as ChromeService  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402
from sqlalchemy import create_engine  # noqa: E402

from app.domain.dto_work import TaskDraft  # noqa: E402
from app.platform.config import DatabaseTarget, sqlite_target  # noqa: E402
from app.platform.database import Database  # noqa: E402
from app.platform.permissions import Role  # noqa: E402
from app.platform.uow import Actor  # noqa: E402
from app.services import Services  # noqa: E402
from db.migrate import upgrade  # noqa: E402
from fieldapi.app import create_app  # noqa: E402

ADMIN = Actor(None, "cli:screenshots", Role.ADMIN, "Administration")
LEAD = Actor(None, "cli:screenshots", Role.SHIFT_LEAD, "Schichtleitung")
PASSWORD = "Feld-Demo-2026!"


async def _prepare(target: DatabaseTarget) -> str:
    db = Database(target, "screenshots")
    try:
        services = Services.create(db)
        officer = await services.users.add(
            ADMIN, "streife1", "Stefan Streife", Role.FIELD_OFFICER, PASSWORD
        )
        unit = await services.unit_admin.create(ADMIN, "KOD 11")
        await services.unit_admin.set_crew(ADMIN, unit.id, [officer.id], unit.version)
        issued = await services.field_devices.register(ADMIN, "streife1", "KOD 11", "Handy 17")
        await services.catalogue.import_seed_if_empty(ADMIN)
        await services.tasks.create(
            LEAD,
            TaskDraft(title="Kiosk Hauptstraße: Jugendschutz prüfen", assigned_unit_id=unit.id),
        )
        return issued.token
    finally:
        await db.dispose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _browser(profile: Path) -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "chromium"
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--window-size=412,915",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        "--lang=de-DE",
    ):
        options.add_argument(arg)
    return webdriver.Chrome(options=options, service=ChromeService(shutil.which("chromedriver")))


def _shoot(folder: Path, work: Path) -> None:
    path = work / "kod.sqlite"
    engine = create_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    target = sqlite_target(path)
    token = asyncio.run(_prepare(target))
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(Database(target, "field-api")),
            host="127.0.0.1",
            port=port,
            log_level="warning",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise SystemExit("the field API did not start")
        time.sleep(0.05)
    browser = _browser(work / "profile")
    wait = WebDriverWait(browser, 20)
    try:
        origin = f"http://127.0.0.1:{port}"
        browser.execute_cdp_cmd(
            "Browser.grantPermissions", {"origin": origin, "permissions": ["geolocation"]}
        )
        browser.execute_cdp_cmd(
            "Emulation.setGeolocationOverride",
            {"latitude": 51.0312, "longitude": 6.9821, "accuracy": 8},
        )
        browser.get(origin + "/")
        wait.until(lambda d: d.find_element(By.ID, "token").is_displayed())
        browser.find_element(By.ID, "token").send_keys(token)
        browser.find_element(By.ID, "login-button").click()
        wait.until(lambda d: "KOD 11" in d.find_element(By.ID, "unit").text)
        browser.find_element(By.CSS_SELECTOR, "button.status[data-status='3']").click()
        wait.until(lambda d: "Einsatz übernommen" in d.find_element(By.ID, "current-status").text)
        wait.until(lambda d: "Position" in d.find_element(By.ID, "position").text)
        browser.save_screenshot(str(folder / "field_app.png"))
        browser.find_element(By.CSS_SELECTOR, ".tab[data-panel='panel-inbox']").click()
        wait.until(lambda d: "Kiosk" in d.find_element(By.ID, "panel-inbox").text)
        browser.save_screenshot(str(folder / "field_app_inbox.png"))
        browser.find_element(By.CSS_SELECTOR, ".tab[data-panel='panel-owi']").click()
        browser.find_element(By.ID, "owi-search").send_keys("Hund")
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#owi-results button[data-entry]"))
        browser.save_screenshot(str(folder / "field_app_owi.png"))
    finally:
        browser.quit()
        server.should_exit = True
        thread.join(timeout=10)


def main() -> None:
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="kod-field-shots-") as work:
        _shoot(folder, Path(work))
    print(f"field app screenshots written to {folder}")


if __name__ == "__main__":
    main()
